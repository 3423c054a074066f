//! What `-p` writes into server sections (PRODUCT.md §12): `encryption =
//! true` in the server section and in every other server section that reads
//! the database section it encrypts, and `decryption-key` where the private
//! key is not where that section's start-up call would look. Also the one
//! repair `-p` makes: a server section left saying `encryption = false`
//! beside a value another server section reading it says is encrypted (the
//! state an older confpass left) is marked, once the value checks out.

use std::path::Path;

use crate::crypto::keys;
use crate::crypto::value::EncryptedValue;
use crate::error::{Error, Result};
use crate::fs::files::parent_dir;
use crate::fs::keyring::exists;
use crate::ini::{ConfigFile, Editor};
use crate::ops::check::Whole;
use crate::ops::confserv::{self, Layout, Stored};
use crate::ops::intended::Allowed;
use crate::ops::keyfiles::{KeyFiles, normalize};
use crate::ops::opened::{Opened, unchanged};
use crate::ops::request::{Action, Outcome, Preview, Request};
use crate::ops::servers::Server;
use crate::ops::starts::KeyView;

/// The server sections a `-p` edit marks, and the key path it records.
pub(crate) struct Marks<'a> {
    /// The other server sections that read the database section.
    pub(crate) readers: &'a [&'a Server],
    /// The key files as the command line gave them.
    pub(crate) keys: &'a KeyFiles,
    /// The private key this run uses.
    pub(crate) dec_path: &'a Path,
    /// Whether the path given is a symbolic link from another directory:
    /// a relative (or default) key path would read differently there.
    pub(crate) linked: bool,
}

impl Marks<'_> {
    /// The server section and its readers, each with its layout.
    fn sections<'l>(&'l self, layout: &'l Layout) -> impl Iterator<Item = &'l Layout> {
        std::iter::once(layout).chain(self.readers.iter().filter_map(|s| s.layout.as_ref().ok()))
    }

    /// What the edit may change ([`crate::ops::check`]).
    pub(crate) fn allowed<'l>(&self, layout: &'l Layout) -> Allowed<'l> {
        let mut allowed = Allowed::only(layout);
        allowed.servers = self.readers.iter().map(|s| s.name.clone()).collect();
        allowed
    }

    /// Marks `layout`'s server section and every reader.
    pub(crate) fn apply(
        &self,
        ed: &mut Editor<'_>,
        file: &ConfigFile,
        layout: &Layout,
    ) -> Result<()> {
        for section in self.sections(layout) {
            self.mark(ed, file, section)?;
        }
        Ok(())
    }

    /// `encryption = true` and, where needed, `decryption-key` in one section.
    fn mark(&self, ed: &mut Editor<'_>, file: &ConfigFile, layout: &Layout) -> Result<()> {
        match layout.encryption {
            Some(o) if file.value(o).eq_ignore_ascii_case(b"true") => {}
            Some(o) => ed.set(o, "true"),
            None => ed.add(layout.server, confserv::ENCRYPTION_OPTION, "true"),
        }
        let explicit = matches!(self.keys, KeyFiles::Explicit { .. });
        if explicit {
            // Checked on the path as given, whether or not it is written:
            // Windows drops a trailing space from a file name (so the
            // absolute path has none), and the same -keys must be refused on
            // every platform.
            refuse_blank_ends(
                self.dec_path,
                self.dec_path.as_os_str().to_string_lossy().as_ref(),
            )?;
        }
        let current = layout
            .decryption_key
            .map(|o| {
                layout.decryption_key_path(file).map(|p| {
                    (
                        p,
                        Path::new(&*String::from_utf8_lossy(file.value(o))).is_absolute(),
                    )
                })
            })
            .transpose()?;
        let wanted = normalize(self.dec_path);
        let needs = if explicit {
            let (_, default_dec) = keys::default_paths(parent_dir(file.path()));
            (wanted != normalize(&default_dec) || current.is_some())
                && current.as_ref().map(|(p, _)| normalize(p)) != Some(wanted)
        } else {
            false
        };
        // Through a link from another directory, only an absolute path
        // reads the same from both.
        let linked = self.linked && !current.as_ref().is_some_and(|(_, abs)| *abs);
        if needs || linked {
            let text = absolute_text(self.dec_path)?;
            match layout.decryption_key {
                Some(o) => ed.set(o, &text),
                None => ed.add(layout.server, confserv::DECRYPTION_KEY_OPTION, &text),
            }
        }
        Ok(())
    }
}

/// The password as the server section reads it; where the section says
/// `encryption = false` (or nothing) beside a well-formed encrypted value
/// that another server section reading it says is encrypted, that value
/// (`-p` then marks the section). Otherwise the errors of
/// [`Layout::stored`].
pub(crate) fn stored_or_marked_elsewhere<'f>(
    file: &'f ConfigFile,
    layout: &Layout,
    readers: &[&Server],
) -> Result<Stored<'f>> {
    match layout.stored(file) {
        Err(Error::EncryptionMismatch { flag: false, .. })
            if readers.iter().any(|r| {
                r.layout
                    .as_ref()
                    .is_ok_and(|l| l.encryption(file).is_ok_and(|on| on))
            }) =>
        {
            let raw = std::str::from_utf8(file.value(layout.password)).unwrap_or_default();
            EncryptedValue::parse_reason(raw)
                .map(Stored::Encrypted)
                .map_err(|reason| Error::MalformedValue {
                    path: file.path().to_path_buf(),
                    section: layout.db_name.clone(),
                    reason,
                })
        }
        other => other,
    }
}

/// The server sections of `readers` that do not say `encryption = true`:
/// the ones a `-p` marks.
pub(crate) fn unmarked<'s>(file: &ConfigFile, readers: &[&'s Server]) -> Vec<&'s Server> {
    readers
        .iter()
        .copied()
        .filter(|r| {
            r.layout
                .as_ref()
                .is_ok_and(|l| !l.encryption(file).is_ok_and(|on| on))
        })
        .collect()
}

/// `-p` with nothing to encrypt: the value stays; every server section that
/// reads it and does not say `encryption = true` is marked
/// ([`Action::Marked`]), else nothing changes.
pub(crate) fn mark_readers(
    opened: &Opened,
    req: &Request<'_>,
    readers: &[&Server],
    value: &EncryptedValue,
) -> Result<Outcome> {
    let (file, layout) = (&opened.file, &opened.layout);
    let on = |l: &Layout| l.encryption(file).is_ok_and(|on| on);
    let unmarked = unmarked(file, readers);
    if on(layout) && unmarked.is_empty() {
        return unchanged(opened, req, value.key_id());
    }
    opened.source.check_writable()?;
    // A key on a token is recorded by the URI that names it alone (its id=).
    let dec_path = if crate::fs::token::is_token(&opened.dec_path) {
        let key = crate::fs::token::key_for(&opened.dec_path, Some(value.key_id()))?;
        std::path::PathBuf::from(key.uri().to_string())
    } else {
        opened.dec_path.clone()
    };
    let marks = Marks {
        readers: &unmarked,
        keys: &req.keys,
        dec_path: &dec_path,
        linked: false,
    };
    let mut ed = file.editor();
    if on(layout) {
        for r in &unmarked {
            if let Ok(l) = &r.layout {
                marks.mark(&mut ed, file, l)?;
            }
        }
    } else {
        marks.apply(&mut ed, file, layout)?;
    }
    let new_bytes = ed.finish();
    // No key file changes: one view serves before and after.
    let keys = KeyView::disk(exists(&opened.dec_path)?);
    crate::ops::check::edited(
        file,
        &new_bytes,
        &marks.allowed(layout),
        &dec_path,
        value.key_id(),
        None,
        &Whole {
            paths: &opened.path_refs(),
            changed: Vec::new(),
            before: &keys,
            after: &keys,
        },
    )?;
    let marked = unmarked.iter().map(|r| r.name.clone()).collect();
    if req.dry_run {
        let preview = Some(Preview::masked(file, new_bytes));
        let mut outcome = opened.outcome(req, value.key_id(), Action::Marked, Vec::new(), preview);
        outcome.marked = marked;
        return Ok(outcome);
    }
    opened.write(&new_bytes, |_| Ok(()))?;
    let mut outcome = opened.outcome(req, value.key_id(), Action::Marked, Vec::new(), None);
    outcome.marked = marked;
    Ok(outcome)
}

/// The absolute path to write as `decryption-key`, so the server finds the
/// key whatever its working directory.
fn absolute_text(dec: &Path) -> Result<String> {
    if crate::fs::token::is_token(dec) {
        // A URI is written as confpass formats it: no blank, no line break.
        return Ok(dec.to_string_lossy().into_owned());
    }
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
