//! Key rotation: a new pair, the password re-encrypted under it, the old
//! pair retired — with the server able to start at every instant.
//!
//! Before the commit the current pair is kept under its retired names
//! (`dec.retired-<old id>.pem`, a hard link) and the new pair is written as
//! `dec.staged-<new id>.pem` / `enc.staged-<new id>.pem`. The commit replaces
//! the configuration file with the value re-encrypted for the new key; then
//! the staged files are renamed over `dec.pem` / `enc.pem` (promotion). The
//! start-up call finds the key a value names under any of these names, so a
//! kill at any step, or a second configuration file that shares the pair,
//! never loses the key it needs. A rerun finishes an interrupted promotion.
//! See ARCHITECTURE.md, "Transactions".

use secrecy::ExposeSecret;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{DecryptionKey, EncryptionKey};
use crate::crypto::value::{EncryptedValue, check_password};
use crate::error::{Error, PasswordOrigin, Result};
use crate::fault;
use crate::fs::files::{parent_dir, rename_synced};
use crate::fs::keyring::{self, exists, retired_path, staged_path};
use crate::fs::platform::dir_writable;
use crate::ops::check::Whole;
use crate::ops::confserv::Stored;
use crate::ops::intended::Allowed;
use crate::ops::opened::Opened;
use crate::ops::previous::{PreviousPlan, decrypt_previous};
use crate::ops::rekey::{every_reader_follows, others_for_new_key};
use crate::ops::request::{Action, Outcome, Preview, Request};
use crate::ops::starts::KeyView;

/// Rotates the key pair of the file in `req` (its password and prompt are not
/// used): see the module documentation. A rerun after an interrupted rotation
/// finishes it ([`Action::RotationCompleted`]) instead of starting another.
///
/// # Errors
/// The errors of `-p`, and [`Error::KeyNotFound`] without the private key
/// (rotation must decrypt the password); before the commit files are then as
/// they were; [`Error::Committed`] says the new value is in place.
pub fn rotate_keys(req: Request<'_>) -> Result<Outcome> {
    let opened = Opened::open(&req)?;
    let Opened {
        file,
        layout,
        enc_path,
        dec_path,
        owner,
        ..
    } = &opened;
    let stored = layout.stored(file)?;
    let Stored::Encrypted(value) = &stored else {
        return Err(layout.not_encrypted(
            file,
            "is not encrypted, so there is no key to rotate: encrypt it first with `confpass -p`",
        ));
    };
    if crate::fs::token::is_token(dec_path) {
        return crate::ops::rotate_token::rotate_on_token(&req, &opened, value);
    }
    if !exists(dec_path)? {
        return Err(Error::KeyNotFound {
            path: dec_path.clone(),
            fix: "rotating keys needs the private key to re-encrypt the password: run it where the decryption key is, or name it with -keys ENC DEC",
        });
    }
    let current = DecryptionKey::load(dec_path)?;
    let current_enc = if exists(enc_path)? {
        Some(EncryptionKey::load(enc_path)?)
    } else {
        None
    };
    let kid = value.key_id();
    let completed =
        |key_id| Ok(opened.outcome(&req, key_id, Action::RotationCompleted, Vec::new(), None));

    // Committed, not promoted: the value names the staged key. Finish.
    let staged_dec = staged_path(dec_path, kid);
    if kid != current.id()
        && let Some(new) = keyring::private_named(&staged_dec, kid)?
    {
        crate::ops::startup::decrypt_in(file, layout, value, &new, &staged_dec)?;
        if !req.dry_run {
            promote(&opened, &current, current_enc.as_ref(), &new)
                .map_err(|e| opened.source.committed("promoting the new key files", e))?;
        }
        return completed(kid);
    }
    // Committed, private key promoted, public key not yet: finish that.
    if kid == current.id()
        && let Some(enc) = current_enc.as_ref().filter(|e| e.id() != kid)
    {
        if keyring::public_named(&staged_path(enc_path, kid), kid)?.is_none() {
            return Err(Error::KeyMismatch {
                enc: enc_path.clone(),
                enc_id: enc.id(),
                dec: dec_path.clone(),
                dec_id: current.id(),
            });
        }
        if !req.dry_run {
            promote(&opened, &current, current_enc.as_ref(), &current)
                .map_err(|e| opened.source.committed("promoting the new key files", e))?;
        }
        return completed(kid);
    }

    // A fresh rotation, from whichever key the value names.
    let (old, from) = keyring::decryption_key_for(dec_path, kid)?;
    let password = crate::ops::startup::decrypt_in(file, layout, value, &old, &from)?;
    opened.source.check_writable()?;
    let new = DecryptionKey::generate(req.bits)?;
    check_password(password.expose_secret(), PasswordOrigin::File, new.public())
        .map_err(|e| crate::ops::encrypt::in_file(e, file, layout))?;
    let new_value = EncryptedValue::encrypt(new.public(), &password)?;
    // A rotation's previous password moves to the new key as well.
    let previous = match layout.stored_previous(file)? {
        Some(Stored::Encrypted(v)) => {
            let p = decrypt_previous(file, layout, &v, dec_path)?;
            PreviousPlan::Set(EncryptedValue::encrypt(new.public(), &p)?.to_string())
        }
        _ => PreviousPlan::Keep,
    };
    // Every other value the rotated key opens, in whatever section, moves
    // to the new key too; every server section reading one of them must
    // then find the new key where this rotation puts it.
    let rotated: [(_, &dyn Decryptor, _); 2] = [
        (kid, &old, from.as_path()),
        (current.id(), &current, dec_path.as_path()),
    ];
    let moved = others_for_new_key(file, layout, rotated, new.public())?;
    let mut dbs: Vec<String> = moved.iter().map(|m| m.section.clone()).collect();
    dbs.dedup();
    every_reader_follows(file, layout, &dbs, dec_path)?;
    let mut ed = file.editor();
    ed.set(layout.password, &new_value.to_string());
    previous.apply(&mut ed, layout);
    for m in &moved {
        ed.set(m.option, &m.text);
    }
    let new_bytes = ed.finish();
    let before = KeyView::disk(true);
    let after = KeyView::disk(true)
        .with(dec_path, Some(&new))
        .with(&retired_path(dec_path, current.id()), Some(&current));
    let mut allowed = Allowed::only(layout).previous(previous.edit());
    allowed.dbs = dbs;
    crate::ops::check::edited(
        file,
        &new_bytes,
        &allowed,
        dec_path,
        new.id(),
        Some((&new as &dyn Decryptor, &password)),
        &Whole {
            paths: &opened.path_refs(),
            changed: Vec::new(),
            before: &before,
            after: &after,
        },
    )?;
    let (staged_dec, staged_enc) = (
        staged_path(dec_path, new.id()),
        staged_path(enc_path, new.id()),
    );
    if req.dry_run {
        let preview = Preview::masked(file, new_bytes);
        let created = vec![staged_dec, staged_enc];
        return Ok(opened.outcome(&req, new.id(), Action::Rotated, created, Some(preview)));
    }

    // Promotion renames over dec.pem and enc.pem after the commit: a key
    // directory this run cannot write would leave a rotation no rerun
    // completes, so it is refused now, while nothing is written.
    for dir in [parent_dir(dec_path), parent_dir(enc_path)] {
        dir_writable(dir).map_err(|e| Error::Write {
            path: dir.to_path_buf(),
            source: e,
        })?;
    }
    opened.write(&new_bytes, |created| {
        if let Some(p) = keyring::retire(dec_path, current.id(), true, owner)? {
            created.push(p, "retired-dec");
        }
        if let Some(enc) = &current_enc
            && let Some(p) = keyring::retire(enc_path, enc.id(), false, owner)?
        {
            created.push(p, "retired-enc");
        }
        fault::pause_point("rotate-retired");
        new.save_for(&staged_dec, owner, "staged-dec")?;
        created.push(staged_dec.clone(), "staged-dec");
        fault::pause_point("rotate-staged-dec");
        new.public().save_for(&staged_enc, owner, "staged-enc")?;
        created.push(staged_enc.clone(), "staged-enc");
        fault::pause_point("rotate-staged-enc");
        Ok(())
    })?;
    promote(&opened, &current, current_enc.as_ref(), &new)
        .map_err(|e| opened.source.committed("promoting the new key files", e))?;
    Ok(opened.outcome(&req, new.id(), Action::Rotated, Vec::new(), None))
}

/// After the commit: makes `new` the key pair. The current files are kept
/// under their retired names first (if they are not already), then the
/// staged files, checked to be `new`'s pair, are renamed over `dec.pem` and
/// `enc.pem`.
fn promote(
    opened: &Opened,
    current: &DecryptionKey,
    current_enc: Option<&EncryptionKey>,
    new: &DecryptionKey,
) -> Result<()> {
    let (dec_path, enc_path, owner) = (&opened.dec_path, &opened.enc_path, &opened.owner);
    let rename = |from: &std::path::Path, to: &std::path::Path, role| {
        rename_synced(from, to, role).map_err(|e| Error::Write {
            path: to.to_path_buf(),
            source: e,
        })
    };
    if current.id() != new.id() {
        keyring::retire(dec_path, current.id(), true, owner)?;
        let staged = staged_path(dec_path, new.id());
        keyring::private_named(&staged, new.id())?;
        rename(&staged, dec_path, "dec")?;
    }
    fault::pause_point("rotate-promoted-dec");
    if let Some(enc) = current_enc.filter(|e| e.id() != new.id()) {
        keyring::retire(enc_path, enc.id(), false, owner)?;
    }
    if current_enc.is_none_or(|e| e.id() != new.id()) {
        let staged = staged_path(enc_path, new.id());
        if keyring::public_named(&staged, new.id())?.is_none() {
            new.public().save_for(&staged, owner, "staged-enc")?;
        }
        rename(&staged, enc_path, "enc")?;
    }
    fault::pause_point("rotate-promoted-enc");
    Ok(())
}
