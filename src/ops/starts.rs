//! Does every server still start? The whole-file check every writing mode
//! makes before its commit (PRODUCT.md §12, ARCHITECTURE.md "Transactions").
//!
//! [`KeyView`] is the set of private keys the start-up lookup would find:
//! the disk as it is, or as it will be after the run (the keys it writes,
//! promotes or retires). [`reads`] is what a server section's start-up call
//! would return under such a view (its own `encryption`, `decryption-key`,
//! `CONFPASS_DECRYPTION_KEY` as the run sees it). [`keep_every_server`]
//! compares every server section of the file before and after an edit: one
//! that started before must start after, and read the same passwords unless
//! the edit means to change them; otherwise the edit is refused, naming the
//! section.

use std::cell::RefCell;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::keys::{DecryptionKey, KeyId};
use crate::error::{Category, Error, Result};
use crate::fs::keyring::{retired_path, staged_path};
use crate::ini::{ConfigFile, names_match};
use crate::ops::confserv::{Layout, Stored};
use crate::ops::keyfiles::normalize;
use crate::ops::servers::servers;
use crate::ops::startup::{decrypt_in, password_in, server_key_path};

/// The private keys the start-up lookup finds: the disk, with the run's
/// own changes laid over it.
pub(crate) struct KeyView<'k> {
    /// Paths (normalised) the run writes (`Some`) or removes (`None`).
    changes: Vec<(PathBuf, Option<Held<'k>>)>,
    /// Whether a key file that is not there fails the lookup. A run that
    /// holds no private key of its own (a host with the public key alone)
    /// cannot tell what the server's host has, and judges key ids only.
    strict: bool,
    loaded: RefCell<Vec<(PathBuf, Option<Held<'k>>)>>,
}

/// A key the run holds, or one read from disk for the check.
#[derive(Clone)]
enum Held<'k> {
    Borrowed(&'k DecryptionKey),
    Loaded(Rc<DecryptionKey>),
}

impl Deref for Held<'_> {
    type Target = DecryptionKey;
    fn deref(&self) -> &DecryptionKey {
        match self {
            Held::Borrowed(k) => k,
            Held::Loaded(k) => k,
        }
    }
}

/// What the lookup found for a key id.
enum Found<'k> {
    Key(Held<'k>, PathBuf),
    /// Not on this host: the key id cannot be checked here.
    Unknown,
}

impl<'k> KeyView<'k> {
    /// The keys on disk as they are.
    pub(crate) fn disk(strict: bool) -> KeyView<'k> {
        KeyView {
            changes: Vec::new(),
            strict,
            loaded: RefCell::new(Vec::new()),
        }
    }

    /// After the run, `path` holds `key` (`None`: it is gone).
    pub(crate) fn with(mut self, path: &Path, key: Option<&'k DecryptionKey>) -> KeyView<'k> {
        self.changes
            .push((normalize(path), key.map(Held::Borrowed)));
        self
    }

    /// The key at `path`: `Ok(None)` when there is none, or when this user
    /// may not read it (the server's user may).
    fn key_at(&self, path: &Path) -> Result<Option<Held<'k>>> {
        let norm = normalize(path);
        if let Some((_, k)) = self.changes.iter().rev().find(|(p, _)| *p == norm) {
            return Ok(k.clone());
        }
        if let Some((_, k)) = self.loaded.borrow().iter().find(|(p, _)| *p == norm) {
            return Ok(k.clone());
        }
        let key = match DecryptionKey::load(path) {
            Ok(k) => Some(Held::Loaded(Rc::new(k))),
            Err(Error::KeyNotFound { .. }) => None,
            Err(Error::KeyRead { source, .. })
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        self.loaded.borrow_mut().push((norm, key.clone()));
        Ok(key)
    }

    /// The start-up lookup (`crate::fs::keyring::decryption_key_for`) for
    /// key `id` from the key file `path`, in this view.
    fn find(&self, path: &Path, id: KeyId) -> Result<Found<'k>> {
        let main = self.key_at(path)?;
        if let Some(k) = main.as_ref().filter(|k| k.id() == id) {
            return Ok(Found::Key(k.clone(), path.to_path_buf()));
        }
        for named in [staged_path(path, id), retired_path(path, id)] {
            if let Some(k) = self.key_at(&named)?.filter(|k| k.id() == id) {
                return Ok(Found::Key(k, named));
            }
        }
        match main {
            Some(k) => Ok(Found::Key(k, path.to_path_buf())),
            None if self.strict => Err(Error::KeyNotFound {
                path: path.to_path_buf(),
                fix: "the server would find no private key there: name the key this run uses in `decryption-key`",
            }),
            None => Ok(Found::Unknown),
        }
    }
}

impl KeyView<'_> {
    /// Whether the start-up lookup from `path` finds key `id`: `None` when
    /// this host cannot tell (no key file there, and the view not strict).
    ///
    /// # Errors
    /// Those of loading a key file that is there.
    pub(crate) fn finds(&self, path: &Path, id: KeyId) -> Result<Option<bool>> {
        Ok(match self.find(path, id)? {
            Found::Key(k, _) => Some(k.id() == id),
            Found::Unknown => None,
        })
    }
}

/// One password as a server section reads it at start-up.
enum Read {
    /// Plain, or decrypted: the password.
    Known(SecretString),
    /// Encrypted for a key that is not on this host.
    Unknown,
}

impl Read {
    fn same(&self, other: &Read) -> bool {
        match (self, other) {
            (Read::Known(a), Read::Known(b)) => a.expose_secret() == b.expose_secret(),
            _ => true,
        }
    }
}

/// What a server section reads at start-up: its password and, during a
/// rotation, its previous one.
struct Reads {
    current: Read,
    previous: Option<Read>,
}

/// The start-up call and the candidates call of the server section
/// `layout`, with the keys of `keys`.
fn reads(file: &ConfigFile, layout: &Layout, keys: &KeyView<'_>) -> Result<Reads> {
    let decrypt = |v: &crate::crypto::value::EncryptedValue| -> Result<Read> {
        match keys.find(&server_key_path(file, layout)?, v.key_id())? {
            Found::Key(k, from) => decrypt_in(file, layout, v, &k, &from).map(Read::Known),
            Found::Unknown => Ok(Read::Unknown),
        }
    };
    let current = match layout.stored(file)? {
        Stored::Encrypted(v) => decrypt(&v)?,
        Stored::Plain(_) => Read::Known(password_in(file, layout)?),
    };
    let previous = match layout.stored_previous(file)? {
        None | Some(Stored::Plain("")) => None,
        Some(Stored::Plain(p)) => Some(Read::Known(SecretString::from(p.to_owned()))),
        Some(Stored::Encrypted(v)) => Some(decrypt(&v).map_err(|e| in_previous(e, file, layout))?),
    };
    Ok(Reads { current, previous })
}

/// Refuses the edit `old` → `new` when a server section that starts before
/// it (with the keys of `before`) would not start after it (with those of
/// `after`), or would read another password, unless its database section is
/// one of `changed` (whose values the edit sets, and checks itself). Each
/// of `paths` is a path the server may be given (the file's own, a
/// symbolic link to it): every one is checked.
pub(crate) fn keep_every_server(
    old: &ConfigFile,
    new: &[u8],
    paths: &[&Path],
    changed: &[&str],
    before: &KeyView<'_>,
    after: &KeyView<'_>,
) -> Result<()> {
    for path in paths {
        let old_f = ConfigFile::parse(*path, old.bytes().to_vec());
        let new_f = ConfigFile::parse(*path, new.to_vec());
        for server in servers(&old_f) {
            let Ok(layout) = &server.layout else {
                continue;
            };
            let Ok(was) = reads(&old_f, layout, before) else {
                continue;
            };
            let refuse = |reason: String| Error::ServerLeftBehind {
                path: old.path().to_path_buf(),
                section: server.name.clone(),
                reason,
            };
            let now = Layout::locate(&new_f, &server.name, None)
                .and_then(|l| reads(&new_f, &l, after))
                .map_err(|e| refuse(e.to_string()))?;
            if changed
                .iter()
                .any(|db| names_match(layout.db_name.as_bytes(), db))
            {
                continue;
            }
            let same_previous = match (&was.previous, &now.previous) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same(b),
                _ => false,
            };
            if !was.current.same(&now.current) || !same_previous {
                return Err(refuse(format!(
                    "it would read another password from [{}] than before",
                    layout.db_name
                )));
            }
        }
    }
    Ok(())
}

/// A decryption error of `password`'s kind, said of `previous-password`.
pub(crate) fn in_previous(e: Error, file: &ConfigFile, layout: &Layout) -> Error {
    let (reason, category) = match e {
        Error::WrongKey {
            value_id,
            key,
            key_id,
            ..
        } => (
            format!(
                "was encrypted for key id {value_id}, but key file {} has key id {key_id}: use the key file that matches {value_id}",
                key.display()
            ),
            Category::Key,
        ),
        Error::DecryptFailed { key, .. } => (
            format!(
                "does not decrypt with {}: the ciphertext is corrupted or was not made for this key; once the database has the current password, remove it with `confpass --forget-previous`",
                key.display()
            ),
            Category::Decrypt,
        ),
        Error::BadPlaintext { key, reason, .. } => (
            format!(
                "decrypts with {} to {reason}, which is no password confpass would store",
                key.display()
            ),
            Category::Decrypt,
        ),
        Error::MalformedValue { reason, .. } => (
            format!("malformed encrypted value: {reason}"),
            Category::Config,
        ),
        other => return other,
    };
    Error::PreviousPassword {
        path: file.path().to_path_buf(),
        section: layout.db_name.clone(),
        reason,
        category,
    }
}
