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

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{DecryptionKey, KeyId};
use crate::crypto::value::EncryptedValue;
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
    Loaded(Rc<dyn Decryptor>),
}

impl Deref for Held<'_> {
    type Target = dyn Decryptor + 'static;
    fn deref(&self) -> &(dyn Decryptor + 'static) {
        match self {
            Held::Borrowed(k) => *k,
            Held::Loaded(k) => &**k,
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
        if crate::fs::token::is_token(path) {
            // A token keeps every key by its CKA_ID: the lookup is the token's.
            let key = crate::fs::token::key_for(path, Some(id))?;
            return Ok(Found::Key(Held::Loaded(Rc::new(key)), path.to_path_buf()));
        }
        let main = self.key_at(path)?;
        if let Some(k) = main.as_ref().filter(|k| k.key_id() == id) {
            return Ok(Found::Key(k.clone(), path.to_path_buf()));
        }
        for named in [staged_path(path, id), retired_path(path, id)] {
            if let Some(k) = self.key_at(&named)?.filter(|k| k.key_id() == id) {
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
            Found::Key(k, _) => Some(k.key_id() == id),
            Found::Unknown => None,
        })
    }
}

/// One password as a server section reads it at start-up: plain, or an
/// encrypted value with the key the lookup found for it (`None`: not on
/// this host). Decrypting waits until a comparison needs it.
enum Read<'k> {
    Plain(SecretString),
    Sealed {
        value: EncryptedValue,
        key: Option<(Held<'k>, PathBuf)>,
    },
}

impl Read<'_> {
    /// The password, where this host can tell it.
    fn open(&self, file: &ConfigFile, layout: &Layout) -> Result<Option<SecretString>> {
        match self {
            Read::Plain(p) => Ok(Some(p.clone())),
            Read::Sealed {
                value,
                key: Some((k, from)),
            } => decrypt_in(file, layout, value, &**k, from).map(Some),
            Read::Sealed { key: None, .. } => Ok(None),
        }
    }
}

/// Whether `a` (in `old`) and `b` (in `new`) give the same password: the
/// same value found under the same key id does without decrypting; a value
/// this host cannot open is taken on trust.
fn same(
    a: &Read<'_>,
    b: &Read<'_>,
    old: (&ConfigFile, &Layout),
    new: (&ConfigFile, &Layout),
) -> Result<bool> {
    if let (
        Read::Sealed {
            value: va,
            key: Some((ka, _)),
        },
        Read::Sealed {
            value: vb,
            key: Some((kb, _)),
        },
    ) = (a, b)
        && va == vb
        && ka.key_id() == kb.key_id()
    {
        return Ok(true);
    }
    Ok(match (a.open(old.0, old.1)?, b.open(new.0, new.1)?) {
        (Some(x), Some(y)) => x.expose_secret() == y.expose_secret(),
        _ => true,
    })
}

/// What a server section reads at start-up: its password and, during a
/// rotation, its previous one.
struct Reads<'k> {
    current: Read<'k>,
    previous: Option<Read<'k>>,
}

/// The start-up call and the candidates call of the server section
/// `layout`, with the keys of `keys`, up to the decryption: the errors they
/// would meet but for a corrupted ciphertext.
fn reads<'k>(file: &ConfigFile, layout: &Layout, keys: &KeyView<'k>) -> Result<Reads<'k>> {
    let key_path = server_key_path(file, layout)?;
    let seal = |value: EncryptedValue| -> Result<Read<'k>> {
        let key = match keys.find(&key_path, value.key_id())? {
            Found::Key(k, from) if k.key_id() == value.key_id() => Some((k, from)),
            Found::Key(k, from) => {
                return Err(Error::WrongKey {
                    path: file.path().to_path_buf(),
                    section: layout.db_name.clone(),
                    value_id: value.key_id(),
                    key: from,
                    key_id: k.key_id(),
                });
            }
            Found::Unknown => None,
        };
        Ok(Read::Sealed { value, key })
    };
    let current = match layout.stored(file)? {
        Stored::Encrypted(v) => seal(v)?,
        Stored::Plain(_) => Read::Plain(password_in(file, layout)?),
    };
    let previous = match layout.stored_previous(file)? {
        None | Some(Stored::Plain("")) => None,
        Some(Stored::Plain(p)) => Some(Read::Plain(SecretString::from(p.to_owned()))),
        Some(Stored::Encrypted(v)) => Some(seal(v).map_err(|e| in_previous(e, file, layout))?),
    };
    Ok(Reads { current, previous })
}

/// Refuses the edit `old` → `new` when a server section that starts before
/// it (with the keys of `before`) would not start after it (with those of
/// `after`), or would read another password, unless its database section is
/// one of `changed` (whose values the edit sets, and checks itself). Each
/// of `paths` is a path the server may be given (the file's own, a
/// symbolic link to it): every one is checked. A value decrypts only where
/// it changed, or the key it is found under did.
pub(crate) fn keep_every_server(
    old: &ConfigFile,
    new: &ConfigFile,
    paths: &[&Path],
    changed: &[&str],
    before: &KeyView<'_>,
    after: &KeyView<'_>,
) -> Result<()> {
    for path in paths {
        // The file as a server given `path` reads it: a copy only for a
        // path other than the one read (a link from another directory).
        let copies;
        let (old_f, new_f) = if *path == old.path() {
            (old, new)
        } else {
            copies = (
                ConfigFile::parse(*path, old.bytes().to_vec()),
                ConfigFile::parse(*path, new.bytes().to_vec()),
            );
            (&copies.0, &copies.1)
        };
        for server in servers(old_f) {
            let Ok(layout) = &server.layout else {
                continue;
            };
            let Ok(was) = reads(old_f, layout, before) else {
                continue;
            };
            let refuse = |reason: String| Error::ServerLeftBehind {
                path: old.path().to_path_buf(),
                section: server.name.clone(),
                reason,
            };
            let now_layout =
                Layout::locate(new_f, &server.name, None).map_err(|e| refuse(e.to_string()))?;
            let now = reads(new_f, &now_layout, after).map_err(|e| refuse(e.to_string()))?;
            if changed
                .iter()
                .any(|db| names_match(layout.db_name.as_bytes(), db))
            {
                continue;
            }
            let (o, n) = ((old_f, layout), (new_f, &now_layout));
            let refused = |e: Error| refuse(e.to_string());
            let same_previous = match (&was.previous, &now.previous) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b, o, n).map_err(refused)?,
                _ => false,
            };
            if !same(&was.current, &now.current, o, n).map_err(refused)? || !same_previous {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A primary and a backup reading their own database sections, both
    /// encrypted for `dec.pem` in a new directory; the key, the directory
    /// and the file's text.
    fn two_servers() -> (DecryptionKey, tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let key = DecryptionKey::generate(2048).unwrap();
        key.save(&dir.path().join("dec.pem")).unwrap();
        let enc = |p: &str| EncryptedValue::encrypt(key.public(), &SecretString::from(p)).unwrap();
        let text = format!(
            "[confserv]\nserver = db\nencryption = true\n[confserv_backup]\nserver = db_backup\nencryption = true\n\
             [db]\npassword = {}\n[db_backup]\npassword = {}\n",
            enc("primary"),
            enc("backup")
        );
        (key, dir, text)
    }

    fn check(
        dir: &Path,
        old: &str,
        new: &str,
        changed: &[&str],
        after: &KeyView<'_>,
    ) -> Result<()> {
        let path = dir.join("c.conf");
        let old = ConfigFile::parse(&path, old.as_bytes().to_vec());
        keep_every_server(
            &old,
            &ConfigFile::parse(&path, new.as_bytes().to_vec()),
            &[path.as_path()],
            changed,
            &KeyView::disk(true),
            after,
        )
    }

    fn refused_section(r: Result<()>) -> String {
        match r {
            Err(Error::ServerLeftBehind { section, .. }) => section,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn an_edit_that_leaves_every_server_as_it_was_passes() {
        let (_key, dir, text) = two_servers();
        let new = text.replace("[confserv]\n", "[confserv]\nport = 2020\n");
        check(dir.path(), &text, &new, &[], &KeyView::disk(true)).unwrap();
    }

    #[test]
    fn fail_a_backup_left_unmarked_is_refused_by_name() {
        let (_key, dir, text) = two_servers();
        let new = text.replacen("encryption = true\n[db]", "encryption = false\n[db]", 1);
        let r = check(dir.path(), &text, &new, &["db"], &KeyView::disk(true));
        assert_eq!(refused_section(r), "confserv_backup");
    }

    #[test]
    fn fail_a_value_moved_to_a_key_the_server_will_not_find_is_refused() {
        let (key, dir, text) = two_servers();
        let other = DecryptionKey::generate(2048).unwrap();
        let backup = text
            .lines()
            .last()
            .unwrap()
            .trim_start_matches("password = ")
            .to_owned();
        let moved = EncryptedValue::encrypt(other.public(), &SecretString::from("backup")).unwrap();
        let new = text.replace(&backup, &moved.to_string());
        let r = check(dir.path(), &text, &new, &[], &KeyView::disk(true));
        assert_eq!(refused_section(r), "confserv_backup");
        // Once the run leaves that key where the backup looks, it passes;
        // the old key kept under its retired name serves nothing else here.
        let dec = dir.path().join("dec.pem");
        let retired = crate::fs::keyring::retired_path(&dec, key.id());
        let after = KeyView::disk(true)
            .with(&dec, Some(&other))
            .with(&retired, Some(&key));
        let primary = text
            .lines()
            .nth(7)
            .unwrap()
            .trim_start_matches("password = ")
            .to_owned();
        let moved_primary =
            EncryptedValue::encrypt(other.public(), &SecretString::from("primary")).unwrap();
        let new = new.replace(&primary, &moved_primary.to_string());
        check(dir.path(), &text, &new, &[], &after).unwrap();
    }

    #[test]
    fn fail_a_value_that_would_decrypt_to_another_password_is_refused() {
        let (key, dir, text) = two_servers();
        let backup = text
            .lines()
            .last()
            .unwrap()
            .trim_start_matches("password = ")
            .to_owned();
        let other =
            EncryptedValue::encrypt(key.public(), &SecretString::from("not the backup's")).unwrap();
        let new = text.replace(&backup, &other.to_string());
        let r = check(dir.path(), &text, &new, &[], &KeyView::disk(true));
        assert_eq!(refused_section(r), "confserv_backup");
        // Unless the edit means to change that database section's password.
        check(
            dir.path(),
            &text,
            &new,
            &["db_backup"],
            &KeyView::disk(true),
        )
        .unwrap();
    }
}
