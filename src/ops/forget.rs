//! `--forget-previous`: the end of a rotation across a primary/backup pair
//! (PRODUCT.md §10), once the database has the current password. A
//! transaction like `-p` (`opened::Opened`, one commit): the
//! `previous-password` line goes, byte for byte what `--keep-previous` added.
//! The states and what a rerun does: ARCHITECTURE.md, "Transactions",
//! "`-p --keep-previous` and `--forget-previous`".

use crate::error::Result;
use crate::ops::check::Whole;
use crate::ops::confserv::Stored;
use crate::ops::intended::{Allowed, PreviousEdit};
use crate::ops::keyfiles::verify_stored;
use crate::ops::opened::Opened;
use crate::ops::request::{Action, Outcome, Preview, Request};
use crate::ops::starts::KeyView;

/// `--forget-previous`: removes `previous-password`, ending a rotation once
/// the database has the current password. Idempotent: without one there is
/// nothing to do. Where the private key is at hand the current value must
/// decrypt first, so that the file is never left with no password the
/// server can read.
///
/// # Errors
/// The errors of `-p` before its commit (files are then as they were), a
/// plain `password` ([`crate::Error::BadValue`]: nothing is being rotated), and
/// [`crate::Error::Committed`] after it.
pub fn forget_previous(req: Request<'_>) -> Result<Outcome> {
    let opened = Opened::open(&req)?;
    let Opened {
        file,
        layout,
        enc_path,
        dec_path,
        ..
    } = &opened;
    let stored = layout.stored(file)?;
    let Stored::Encrypted(value) = &stored else {
        return Err(layout.not_encrypted(
            file,
            "is not encrypted: a rotation keeps a previous password only beside an encrypted one; encrypt it with `confpass -p`",
        ));
    };
    verify_stored(file, layout, value, enc_path, dec_path)?;
    let Some(previous) = layout.previous else {
        return crate::ops::opened::unchanged(&opened, &req, value.key_id());
    };
    opened.source.check_writable()?;
    let mut ed = file.editor();
    ed.remove(previous);
    let new_bytes = ed.finish();
    let strict = crate::fs::keyring::exists(dec_path)?;
    let keys = KeyView::disk(strict);
    crate::ops::check::edited(
        file,
        &new_bytes,
        &Allowed::only(layout).previous(PreviousEdit::Removed),
        dec_path,
        value.key_id(),
        None,
        &Whole {
            paths: &opened.path_refs(),
            changed: vec![layout.db_name.clone()],
            before: &keys,
            after: &keys,
        },
    )?;
    let preview = if req.dry_run {
        Some(Preview::masked(file, new_bytes))
    } else {
        opened.write(&new_bytes, |_| Ok(()))?;
        None
    };
    let action = Action::PreviousForgotten;
    let mut outcome = opened.outcome(&req, value.key_id(), action, Vec::new(), preview);
    outcome.keeps_previous = false;
    Ok(outcome)
}
