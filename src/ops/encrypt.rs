//! The `-p` operation: encrypt the password in the file, in place.
//!
//! [`encrypt_file`] locks the file, finds the password, settles the key files
//! (load both and check they are one pair; the public key alone; derive the
//! public key from the private one; or generate a pair), encrypts, edits only
//! the password, `encryption` and `decryption-key` values, checks the result
//! ([`crate::ops::check`]), and replaces the file atomically. Everything that
//! can fail is tried before anything is written, and a failure after a key
//! file was created removes it again: a failed run leaves every file as it
//! was. The states and what a rerun does: ARCHITECTURE.md, "Transactions",
//! "`-p`" and "`-p --keep-previous` and `--forget-previous`".

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::keys;
use crate::crypto::value::EncryptedValue;
use crate::error::{Error, PasswordOrigin, Result};
use crate::fault;
use crate::fs::files::parent_dir;
use crate::ini::ConfigFile;
use crate::ops::confserv::{self, Layout, Stored};
use crate::ops::keyfiles::{KeyFiles, normalize, settle_keys, verify_stored};
use crate::ops::opened::{Opened, unchanged};
use crate::ops::previous::PreviousPlan;
use crate::ops::request::{Action, Outcome, Preview, Request, masked};

/// Runs `-p`: see the module documentation.
///
/// # Errors
/// Every [`Error`] of the catalogue; before the commit the files are then
/// as they were; [`Error::Committed`] says the new value is in place.
pub fn encrypt_file(mut req: Request<'_>) -> Result<Outcome> {
    let opened = Opened::open(&req)?;
    let Opened {
        file,
        layout,
        enc_path,
        dec_path,
        ..
    } = &opened;
    let stored = layout.stored(file)?;

    let (password, origin) = match (req.password.take(), &stored) {
        (Some(given), _) => given,
        (None, Stored::Encrypted(value)) => {
            verify_stored(file, layout, value, enc_path, dec_path)?;
            return unchanged(&opened, &req, value.key_id());
        }
        (None, Stored::Plain("")) => match req.prompt.as_mut() {
            Some(prompt) => (prompt()?, PasswordOrigin::Prompt),
            None => {
                return Err(Error::NoPassword {
                    path: req.config.clone(),
                    section: layout.db_name.clone(),
                });
            }
        },
        (None, Stored::Plain(p)) => (SecretString::from((*p).to_owned()), PasswordOrigin::File),
    };

    opened.source.check_writable()?;
    let keys = settle_keys(enc_path, dec_path, req.bits, &password, origin)
        .map_err(|e| in_file(e, file, layout))?;

    // An encrypted value that already holds this password stays as it is.
    if let (Stored::Encrypted(value), Some(dec)) = (&stored, &keys.dec)
        && !keys.write_dec
        && !keys.write_enc
        && value.key_id() == dec.id()
        && let Ok(current) = crate::ops::startup::decrypt_in(file, layout, value, dec, dec_path)
        && current.expose_secret() == password.expose_secret()
    {
        return unchanged(&opened, &req, value.key_id());
    }

    // The file's own plain password replaces nothing: there is no previous
    // one to keep. A value kept as the previous one must be one the server
    // can use: it decrypts where the private key is, else it names enc.pem.
    let keep = req.keep_previous && origin != PasswordOrigin::File;
    if keep && let Stored::Encrypted(value) = &stored {
        verify_stored(file, layout, value, enc_path, dec_path)?;
    }
    let previous = PreviousPlan::for_p(keep, file, layout, &stored, &keys.enc, keys.dec.is_some())?;
    let value = EncryptedValue::encrypt(&keys.enc, &password)?;
    let new_bytes = edit(file, layout, &req.keys, dec_path, &value, &previous)?;
    let decrypt = keys.dec.as_ref().map(|dec| (dec, &password));
    crate::ops::check::edited(
        file,
        &new_bytes,
        layout,
        dec_path,
        keys.enc.id(),
        decrypt,
        previous.edit(),
    )?;
    let keeps_previous = previous.keeps(layout);

    if req.dry_run {
        let would_create = [(keys.write_dec, dec_path), (keys.write_enc, enc_path)]
            .into_iter()
            .filter(|(write, _)| *write)
            .map(|(_, path)| path.clone())
            .collect();
        let preview = Preview {
            before: masked(file, layout, &stored),
            after: new_bytes,
        };
        let mut outcome = opened.outcome(
            &req,
            value.key_id(),
            Action::Encrypted,
            would_create,
            Some(preview),
        );
        outcome.keeps_previous = keeps_previous;
        return Ok(outcome);
    }

    let created = opened.write(&new_bytes, |created| {
        if keys.write_dec {
            let dec = keys
                .dec
                .as_ref()
                .ok_or_else(|| Error::Crypto("no private key to write".into()))?;
            dec.save_for(dec_path, &opened.owner, "dec")?;
            created.push(dec_path.clone(), "dec");
            fault::pause_point("dec-written");
        }
        if keys.write_enc {
            keys.enc.save_for(enc_path, &opened.owner, "enc")?;
            created.push(enc_path.clone(), "enc");
            fault::pause_point("enc-written");
        }
        Ok(())
    })?;
    let mut outcome = opened.outcome(&req, value.key_id(), Action::Encrypted, created, None);
    outcome.keeps_previous = keeps_previous;
    Ok(outcome)
}
/// A problem with the password that came from the file is a problem of the
/// file: name it, its section and option.
pub(crate) fn in_file(e: Error, file: &ConfigFile, layout: &Layout) -> Error {
    let reason = match &e {
        Error::PasswordTooLong {
            origin: PasswordOrigin::File,
            len,
            max,
            bits,
            max_4096,
            ..
        } => format!(
            "the password is {len} bytes long, but a {bits}-bit key holds at most {max} bytes with RSA-OAEP-SHA256: use a shorter password or a larger key (--bits 4096 holds {max_4096})"
        ),
        Error::PasswordNul {
            origin: PasswordOrigin::File,
        } => "holds a NUL byte, which is no part of a password: set the plain password again, without it, then run `confpass -p`".to_owned(),
        _ => return e,
    };
    Error::BadValue {
        path: file.path().to_path_buf(),
        section: layout.db_name.clone(),
        option: confserv::PASSWORD_OPTION.into(),
        reason,
    }
}

/// The new file: the encrypted value, `encryption = true`, and
/// `decryption-key` when the private key is not in its default place.
fn edit(
    file: &ConfigFile,
    layout: &Layout,
    keys: &KeyFiles,
    dec_path: &Path,
    value: &EncryptedValue,
    previous: &PreviousPlan,
) -> Result<Vec<u8>> {
    let mut ed = file.editor();
    ed.set(layout.password, &value.to_string());
    previous.apply(&mut ed, layout);
    match layout.encryption {
        Some(o) if file.value(o).eq_ignore_ascii_case(b"true") => {}
        Some(o) => ed.set(o, "true"),
        None => ed.add(layout.server, confserv::ENCRYPTION_OPTION, "true"),
    }
    if let KeyFiles::Explicit { .. } = keys {
        // Checked on the path as given, whether or not it is written: Windows
        // drops a trailing space from a file name (so the absolute path has
        // none), and the same -keys must be refused on every platform.
        refuse_blank_ends(dec_path, dec_path.as_os_str().to_string_lossy().as_ref())?;
        let (_, default_dec) = keys::default_paths(parent_dir(file.path()));
        let current = layout
            .decryption_key
            .map(|_| layout.decryption_key_path(file))
            .transpose()?;
        let wanted = normalize(dec_path);
        let needs_option = wanted != normalize(&default_dec) || current.is_some();
        if needs_option && current.as_deref().map(normalize) != Some(wanted) {
            let text = absolute_text(dec_path)?;
            match layout.decryption_key {
                Some(o) => ed.set(o, &text),
                None => ed.add(layout.server, confserv::DECRYPTION_KEY_OPTION, &text),
            }
        }
    }
    Ok(ed.finish())
}

/// The absolute path to write as `decryption-key`, so the server finds the
/// key whatever its working directory.
fn absolute_text(dec: &Path) -> Result<String> {
    let abs = std::path::absolute(dec).unwrap_or_else(|_| dec.to_path_buf());
    let text = abs
        .to_str()
        .ok_or_else(|| not_storable(dec, "is not valid UTF-8"))?;
    if text.contains(['\n', '\r', '\0']) {
        return Err(not_storable(dec, "contains a line break or a NUL byte"));
    }
    refuse_blank_ends(dec, text)?;
    Ok(text.to_owned())
}

/// Refuses `text` (the private key's path, `dec`) when a space or a tab
/// begins or ends it.
fn refuse_blank_ends(dec: &Path, text: &str) -> Result<()> {
    if text.trim_matches([' ', '\t']) == text {
        return Ok(());
    }
    Err(not_storable(
        dec,
        "begins or ends with a space or a tab, which a configuration value does not keep",
    ))
}

/// The private key's path `dec` cannot be written as `decryption-key`.
fn not_storable(dec: &Path, why: &str) -> Error {
    Error::KeyPathNotStorable {
        path: dec.to_path_buf(),
        reason: format!(
            "{why}, so `decryption-key` in the configuration file could not name it exactly and the server would not find the key: give a plainer path after -keys"
        ),
    }
}
