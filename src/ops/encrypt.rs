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

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::decryptor::Decryptor;
use crate::crypto::value::EncryptedValue;
use crate::error::{Error, PasswordOrigin, Result};
use crate::fault;
use crate::ini::ConfigFile;
use crate::ops::check::Whole;
use crate::ops::confserv::{self, Layout, Stored};
use crate::ops::keyfiles::{OnToken, settle_keys, verify_stored};
use crate::ops::mark::{Marks, mark_readers, stored_or_marked_elsewhere, unmarked};
use crate::ops::opened::Opened;
use crate::ops::previous::PreviousPlan;
use crate::ops::request::{Action, Outcome, Preview, Request};
use crate::ops::servers::{readers_of, servers};
use crate::ops::starts::KeyView;

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
    let all = servers(file);
    let readers = readers_of(&all, layout);
    let stored = stored_or_marked_elsewhere(file, layout, &readers)?;

    let (password, origin) = match (req.password.take(), &stored) {
        (Some(given), _) => given,
        (None, Stored::Encrypted(value)) => {
            verify_stored(file, layout, value, enc_path, dec_path)?;
            return mark_readers(&opened, &req, &readers, value);
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

    // An encrypted value that already holds this password stays as it is,
    // whichever key the start-up lookup finds it under (dec.pem's, or a
    // staged or retired one another file's rotation left it with).
    if let Stored::Encrypted(value) = &stored
        && keys.dec.is_some()
        && !keys.write_dec
        && !keys.write_enc
        && let Ok((key, from)) = crate::fs::keyring::decryptor_for(dec_path, value.key_id())
        && key.key_id() == value.key_id()
        && let Ok(current) = crate::ops::startup::decrypt_in(file, layout, value, &*key, &from)
        && current.expose_secret() == password.expose_secret()
    {
        return mark_readers(&opened, &req, &readers, value);
    }

    // The private key as `decryption-key` records it: a token key by the
    // URI that names it alone.
    let dec_place = keys
        .token
        .as_ref()
        .map_or_else(|| dec_path.clone(), OnToken::place);
    let dec_path = &dec_place;

    // The keys as the server will find them after this run.
    let strict = keys.dec.is_some() || keys.token.is_some();
    let before = KeyView::disk(strict);
    let mut after = KeyView::disk(strict);
    if keys.write_dec {
        after = after.with(dec_path, keys.dec.as_ref());
    }

    // The file's own plain password replaces nothing: there is no previous
    // one to keep. A value kept as the previous one must be one the server
    // can use: it decrypts where the private key is, else it names enc.pem.
    let keep = req.keep_previous && origin != PasswordOrigin::File;
    if keep && let Stored::Encrypted(value) = &stored {
        verify_stored(file, layout, value, enc_path, dec_path)?;
    }
    let previous = PreviousPlan::for_p(keep, file, layout, &stored, &keys.enc, strict)?
        .findable(file, layout, &keys.enc, dec_path, &after)?;
    let value = EncryptedValue::encrypt(&keys.enc, &password)?;
    let marks = Marks {
        readers: &readers,
        keys: &req.keys,
        dec_path,
        linked: opened.paths.len() > 1,
    };
    let new_bytes = edit(file, layout, &marks, &value, &previous)?;
    let decrypt = match (&keys.dec, &keys.token) {
        (Some(dec), _) => Some((dec as &dyn Decryptor, &password)),
        (None, Some(on)) => Some((&on.key as &dyn Decryptor, &password)),
        (None, None) => None,
    };
    crate::ops::check::edited(
        file,
        &new_bytes,
        &marks.allowed(layout).previous(previous.edit()),
        dec_path,
        keys.enc.id(),
        decrypt,
        &Whole {
            paths: &opened.path_refs(),
            changed: vec![layout.db_name.clone()],
            before: &before,
            after: &after,
        },
    )?;
    let keeps_previous = previous.keeps(layout);
    let marked: Vec<String> = unmarked(file, &readers)
        .iter()
        .map(|r| r.name.clone())
        .collect();

    if req.dry_run {
        let would_create = [(keys.write_dec, dec_path), (keys.write_enc, enc_path)]
            .into_iter()
            .filter(|(write, _)| *write)
            .map(|(_, path)| path.clone())
            .collect();
        let preview = Preview::masked(file, new_bytes);
        let mut outcome = opened.outcome(
            &req,
            value.key_id(),
            Action::Encrypted,
            would_create,
            Some(preview),
        );
        outcome.keeps_previous = keeps_previous;
        outcome.marked = marked;
        return Ok(outcome);
    }

    let written = opened.write(&new_bytes, |created| {
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
    });
    // A key the run made on the token stays once the file names it: after
    // the commit, even when a later step failed (never destroyed after).
    let committed = match &written {
        Ok(_) => true,
        Err(e) => e.category() == crate::error::Category::Committed,
    };
    if committed && let Some(on) = keys.token {
        on.keep();
    }
    let created = written?;
    let mut outcome = opened.outcome(&req, value.key_id(), Action::Encrypted, created, None);
    outcome.keeps_previous = keeps_previous;
    outcome.marked = marked;
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

/// The new file: the encrypted value, `encryption = true` in the server
/// section and in every other server section that reads the database
/// section, and `decryption-key` where the private key is not in its
/// default place.
fn edit(
    file: &ConfigFile,
    layout: &Layout,
    marks: &Marks<'_>,
    value: &EncryptedValue,
    previous: &PreviousPlan,
) -> Result<Vec<u8>> {
    let mut ed = file.editor();
    ed.set(layout.password, &value.to_string());
    previous.apply(&mut ed, layout);
    marks.apply(&mut ed, file, layout)?;
    Ok(ed.finish())
}
