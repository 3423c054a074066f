//! Key rotation: a new pair, the password re-encrypted under it, the old
//! pair retired — with the server able to start at every instant.
//!
//! The new pair is first written beside the old one as `dec.<new id>.pem` and
//! `enc.<new id>.pem` (staged). Then the configuration file is replaced with
//! the value re-encrypted for the new key: that rename is the commit. Then
//! each staged file is renamed over `dec.pem` / `enc.pem`, which retires the
//! old pair. Before the commit the value names the old key, which `dec.pem`
//! still is; after it the value names the new key, which the start-up call
//! finds either as the staged file or, once promoted, as `dec.pem`. A rerun
//! after a crash before the commit removes the staged files and rotates
//! afresh; after the commit it finishes the promotion. See ARCHITECTURE.md.

use std::fs;
use std::path::Path;

use secrecy::ExposeSecret;

use crate::confserv::{self, Stored};
use crate::encrypt::{Action, Opened, Outcome, Preview, Request, masked};
use crate::error::{Error, PasswordOrigin, Result};
use crate::fault;
use crate::fsutil::parent_dir;
use crate::keyfiles::{Created, exists, staged_path};
use crate::keys::{DecryptionKey, KeyId};
use crate::value::{EncryptedValue, check_password};

/// Rotates the key pair of the file in `req` (its password and prompt are not
/// used): see the module documentation. A rerun after an interrupted rotation
/// finishes it ([`Action::RotationCompleted`]) instead of starting another.
///
/// # Errors
/// The errors of `-p`, and [`Error::KeyNotFound`] without the private key
/// (rotation must decrypt the password); files are then as they were.
pub fn rotate_keys(req: Request<'_>) -> Result<Outcome> {
    let Opened {
        locked,
        file,
        layout,
        enc_path,
        dec_path,
    } = Opened::open(&req)?;
    let stored = layout.stored(&file)?;
    let (config, dry_run) = (req.config.clone(), req.dry_run);
    let outcome = |key_id, action, created, preview| {
        Opened::outcome(&config, dry_run, &layout, key_id, action, created, preview)
    };
    let Stored::Encrypted(value) = &stored else {
        return Err(Error::BadValue {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            option: confserv::PASSWORD_OPTION.into(),
            reason: "is not encrypted, so there is no key to rotate: encrypt it first with `confpass -p`".into(),
        });
    };
    if !exists(&dec_path)? {
        return Err(Error::KeyNotFound {
            path: dec_path,
            fix: "rotating keys needs the private key to re-encrypt the password: run it where the decryption key is, or name it with -keys ENC DEC",
        });
    }
    let old = DecryptionKey::load(&dec_path)?;

    // Committed but not promoted: the value names the staged key. Finish.
    let staged_dec = staged_path(&dec_path, value.key_id());
    if value.key_id() != old.id() && exists(&staged_dec)? {
        let new = DecryptionKey::load(&staged_dec)?;
        crate::startup::decrypt_in(&file, &layout, value, &new, &staged_dec)?;
        if !req.dry_run {
            promote(&new, &dec_path, &enc_path)?;
        }
        return Ok(outcome(
            new.id(),
            Action::RotationCompleted,
            Vec::new(),
            None,
        ));
    }
    // Committed, private key promoted, public key not yet: finish that.
    let staged_enc = staged_path(&enc_path, value.key_id());
    if value.key_id() == old.id() && exists(&staged_enc)? {
        if !req.dry_run {
            rename_synced(&staged_enc, &enc_path)?;
        }
        return Ok(outcome(
            old.id(),
            Action::RotationCompleted,
            Vec::new(),
            None,
        ));
    }
    let password = crate::startup::decrypt_in(&file, &layout, value, &old, &dec_path)?;
    // Anything staged now is left from a rotation stopped before its commit.
    if !req.dry_run {
        remove_staged(&dec_path);
        remove_staged(&enc_path);
    }
    locked.check_writable()?;

    let new = DecryptionKey::generate(req.bits)?;
    check_password(password.expose_secret(), PasswordOrigin::File, new.public())
        .map_err(|e| crate::encrypt::in_file(e, &file, &layout))?;
    let new_value = EncryptedValue::encrypt(new.public(), &password)?;
    let mut ed = file.editor();
    ed.set(layout.password, &new_value.to_string());
    let new_bytes = ed.finish();
    let db = req.db_section.as_deref();
    crate::check::edited(
        &file,
        &new_bytes,
        &layout,
        db,
        new.public(),
        Some((&new, &password)),
    )?;
    let (staged_dec, staged_enc) = (
        staged_path(&dec_path, new.id()),
        staged_path(&enc_path, new.id()),
    );
    if req.dry_run {
        let preview = Preview {
            before: masked(&file, &layout, &stored),
            after: new_bytes,
        };
        return Ok(outcome(
            new.id(),
            Action::Rotated,
            vec![staged_dec, staged_enc],
            Some(preview),
        ));
    }

    let mut created = Created::default();
    new.save(&staged_dec)?;
    created.0.push(staged_dec);
    fault::pause_point("rotate-staged-dec");
    new.public().save(&staged_enc)?;
    created.0.push(staged_enc);
    fault::pause_point("rotate-staged-enc");
    locked.replace(&new_bytes)?;
    created.keep(); // committed: the staged files are now the key the file names
    promote(&new, &dec_path, &enc_path)?;
    Ok(outcome(new.id(), Action::Rotated, Vec::new(), None))
}

/// Renames the staged pair of `new` over `dec` and `enc`, retiring the old pair.
fn promote(new: &DecryptionKey, dec: &Path, enc: &Path) -> Result<()> {
    rename_synced(&staged_path(dec, new.id()), dec)?;
    fault::pause_point("rotate-promoted-dec");
    rename_synced(&staged_path(enc, new.id()), enc)?;
    fault::pause_point("rotate-promoted-enc");
    Ok(())
}

/// Renames `from` over `to` and flushes the directory.
fn rename_synced(from: &Path, to: &Path) -> Result<()> {
    let err = |e| Error::Write {
        path: to.to_path_buf(),
        source: e,
    };
    fs::rename(from, to).map_err(err)?;
    fs::File::open(parent_dir(to))
        .and_then(|d| d.sync_all())
        .map_err(err)
}

/// Removes staged key files (`<stem>.<16 hex>.<ext>`) beside `path`.
fn remove_staged(path: &Path) {
    let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else {
        return;
    };
    let (stem, ext) = (stem.to_string_lossy(), ext.to_string_lossy());
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let id = name
            .strip_prefix(&format!("{stem}."))
            .and_then(|rest| rest.strip_suffix(&format!(".{ext}")));
        if id.and_then(KeyId::from_hex).is_some() && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}
