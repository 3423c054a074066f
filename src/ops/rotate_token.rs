//! Key rotation with the private key on a PKCS#11 token: a new pair made on
//! the token, the password (and every value the old key opens) re-encrypted
//! for it, the old key kept on the token under its CKA_ID until
//! `--prune-keys` destroys it.
//!
//! Before the commit the new pair is made on the token and its public half
//! written as `enc.staged-<new id>.pem`. The commit replaces the
//! configuration file: the values for the new key, and every server
//! section's `decryption-key` that named the old key naming the new one (the
//! URI with its `id=`). Then `enc.pem` is kept as `enc.retired-<old id>.pem`
//! and the staged file renamed over it. The start-up lookup finds a token key
//! by the value's key id, so a kill at any step leaves every server able to
//! start; a rerun finishes the renaming. A failure before the commit destroys
//! the key the run made; after it, never (ARCHITECTURE.md, "Transactions").

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::EncryptionKey;
use crate::crypto::value::{EncryptedValue, check_password, check_password_for_bits};
use crate::error::{Category, Error, PasswordOrigin, Result};
use crate::fault;
use crate::fs::files::{parent_dir, rename_synced};
use crate::fs::keyring::{self, exists, staged_path};
use crate::fs::platform::dir_writable;
use crate::fs::token;
use crate::ini::{ConfigFile, OptionRef, names_match};
use crate::ops::check::Whole;
use crate::ops::confserv::Stored;
use crate::ops::encrypt::in_file;
use crate::ops::intended::Allowed;
use crate::ops::keyfiles::OnToken;
use crate::ops::opened::Opened;
use crate::ops::previous::{PreviousPlan, decrypt_previous};
use crate::ops::rekey::{every_reader_follows, others_for_new_key};
use crate::ops::request::{Action, Outcome, Preview, Request};
use crate::ops::servers::servers;
use crate::ops::starts::KeyView;
use crate::ops::startup::decrypt_in;

/// `--rotate-keys` when the server section's private key is the token key
/// `opened.dec_path` names: see the module documentation.
///
/// # Errors
/// Those of `--rotate-keys`, and the token's.
pub(crate) fn rotate_on_token(
    req: &Request<'_>,
    opened: &Opened,
    value: &EncryptedValue,
) -> Result<Outcome> {
    let Opened {
        file,
        layout,
        enc_path,
        dec_path,
        ..
    } = opened;
    let kid = value.key_id();
    let current = token::key_for(dec_path, None)?;
    let current_enc = if exists(enc_path)? {
        Some(EncryptionKey::load(enc_path)?)
    } else {
        None
    };

    // Committed, enc.pem not renamed yet: finish that.
    if kid == current.key_id()
        && let Some(enc) = current_enc.as_ref().filter(|e| e.id() != kid)
    {
        if keyring::public_named(&staged_path(enc_path, kid), kid)?.is_none() {
            return Err(Error::KeyMismatch {
                enc: enc_path.clone(),
                enc_id: enc.id(),
                dec: dec_path.clone(),
                dec_id: kid,
            });
        }
        if !req.dry_run {
            promote_enc(opened, current_enc.as_ref(), current.public()).map_err(|e| {
                opened
                    .source
                    .committed("renaming the new public key file", e)
            })?;
        }
        return Ok(opened.outcome(req, kid, Action::RotationCompleted, Vec::new(), None));
    }

    // A fresh rotation, from whichever key on the token the value names.
    let old = token::key_for(dec_path, Some(kid))?;
    let old_place = PathBuf::from(old.uri().to_string());
    let password = decrypt_in(file, layout, value, &old, &old_place)?;
    opened.source.check_writable()?;
    check_password_for_bits(password.expose_secret(), PasswordOrigin::File, req.bits)
        .map_err(|e| in_file(e, file, layout))?;
    let new = OnToken::made(token::generate(dec_path, req.bits)?);
    // The session is closed here: a kill leaves the key, not a session.
    fault::pause_point("token-generated");
    let new_enc = new.key.public().clone();
    check_password(password.expose_secret(), PasswordOrigin::File, &new_enc)
        .map_err(|e| in_file(e, file, layout))?;
    let new_value = EncryptedValue::encrypt(&new_enc, &password)?;
    let previous = match layout.stored_previous(file)? {
        Some(Stored::Encrypted(v)) => {
            let p = decrypt_previous(file, layout, &v, dec_path)?;
            PreviousPlan::Set(EncryptedValue::encrypt(&new_enc, &p)?.to_string())
        }
        _ => PreviousPlan::Keep,
    };
    let rotated: [(_, &dyn Decryptor, _); 2] = [
        (kid, &old, old_place.as_path()),
        (current.key_id(), &current, dec_path.as_path()),
    ];
    let moved = others_for_new_key(file, layout, rotated, &new_enc)?;
    let mut dbs: Vec<String> = moved.iter().map(|m| m.section.clone()).collect();
    dbs.dedup();
    every_reader_follows(file, layout, &dbs, dec_path)?;

    let new_place = new.place();
    let named = sections_naming(file, dec_path);
    let mut ed = file.editor();
    ed.set(layout.password, &new_value.to_string());
    previous.apply(&mut ed, layout);
    for m in &moved {
        ed.set(m.option, &m.text);
    }
    for (_, option) in &named {
        ed.set(*option, &new_place.to_string_lossy());
    }
    let new_bytes = ed.finish();
    // The server section reads the new URI, unless the environment names its key.
    let env =
        std::env::var_os(crate::ops::startup::DECRYPTION_KEY_ENV).is_some_and(|v| !v.is_empty());
    let reads_after = if !env
        && named
            .iter()
            .any(|(s, _)| names_match(s.as_bytes(), &layout.server_name))
    {
        new_place.clone()
    } else {
        dec_path.clone()
    };
    let mut allowed = Allowed::only(layout).previous(previous.edit());
    allowed.dbs = dbs;
    allowed.servers = named.into_iter().map(|(s, _)| s).collect();
    // The token is the same before and after but for the new key, which is
    // on it already: one view of it serves both.
    let keys = KeyView::disk(true);
    crate::ops::check::edited(
        file,
        &new_bytes,
        &allowed,
        &reads_after,
        new_enc.id(),
        Some((&new.key as &dyn Decryptor, &password)),
        &Whole {
            paths: &opened.path_refs(),
            changed: Vec::new(),
            before: &keys,
            after: &keys,
        },
    )?;
    let staged_enc = staged_path(enc_path, new_enc.id());
    if req.dry_run {
        // Dropping `new` destroys the key this dry run made.
        let preview = Preview::masked(file, new_bytes);
        return Ok(opened.outcome(
            req,
            new_enc.id(),
            Action::Rotated,
            vec![staged_enc],
            Some(preview),
        ));
    }
    let dir = parent_dir(enc_path);
    dir_writable(dir).map_err(|e| Error::Write {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let written = opened.write(&new_bytes, |created| {
        new_enc.save_for(&staged_enc, &opened.owner, "staged-enc")?;
        created.push(staged_enc.clone(), "staged-enc");
        fault::pause_point("rotate-staged-enc");
        Ok(())
    });
    // The file names the new key once committed: it stays from then on.
    if written.is_ok()
        || written
            .as_ref()
            .is_err_and(|e| e.category() == Category::Committed)
    {
        new.keep();
    }
    written?;
    promote_enc(opened, current_enc.as_ref(), &new_enc).map_err(|e| {
        opened
            .source
            .committed("renaming the new public key file", e)
    })?;
    Ok(opened.outcome(req, new_enc.id(), Action::Rotated, Vec::new(), None))
}

/// The server sections whose `decryption-key` names the token key `place`
/// (as written), with that option.
fn sections_naming(file: &ConfigFile, place: &Path) -> Vec<(String, OptionRef)> {
    servers(file)
        .into_iter()
        .filter_map(|s| {
            let l = s.layout.ok()?;
            let option = l.decryption_key?;
            (l.decryption_key_path(file).ok()? == place).then_some((s.name, option))
        })
        .collect()
}

/// After the commit: keeps `enc.pem` as `enc.retired-<id>.pem` and renames
/// the staged public key of `new` over it.
fn promote_enc(
    opened: &Opened,
    current: Option<&EncryptionKey>,
    new: &EncryptionKey,
) -> Result<()> {
    let (enc_path, owner) = (&opened.enc_path, &opened.owner);
    if let Some(enc) = current.filter(|e| e.id() != new.id()) {
        keyring::retire(enc_path, enc.id(), false, owner)?;
    }
    if current.is_none_or(|e| e.id() != new.id()) {
        let staged = staged_path(enc_path, new.id());
        if keyring::public_named(&staged, new.id())?.is_none() {
            new.save_for(&staged, owner, "staged-enc")?;
        }
        rename_synced(&staged, enc_path, "enc").map_err(|e| Error::Write {
            path: enc_path.clone(),
            source: e,
        })?;
    }
    fault::pause_point("rotate-promoted-enc");
    Ok(())
}
