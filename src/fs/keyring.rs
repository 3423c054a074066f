//! The key files beside a pair, by key id: staged and retired keys, and the
//! lookup that finds the private key a value names.
//!
//! A rotation writes its new pair as `dec.staged-<kid>.pem` /
//! `enc.staged-<kid>.pem` and, before replacing `dec.pem` / `enc.pem`, keeps
//! the current pair as `dec.retired-<kid>.pem` / `enc.retired-<kid>.pem` (a
//! hard link to the same file, or a copy). [`decryption_key_for`] finds the
//! private key for a key id among the key file and those names, so no value a
//! configuration file holds ever names a key that cannot be found. A file at
//! one of these names that does not hold the key its name says is never used,
//! replaced or removed ([`Error::KeyNameTaken`]). See ARCHITECTURE.md,
//! "Key files and their names".

use std::path::{Path, PathBuf};

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{DecryptionKey, EncryptionKey, KeyId};
use crate::error::{Error, Result};
use crate::fs::files;
use crate::fs::platform::Owner;

/// What a key file beside the pair is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A rotation's new key, before it becomes the key file.
    Staged,
    /// A key that was the key file before a rotation.
    Retired,
}

impl Kind {
    fn infix(self) -> &'static str {
        match self {
            Kind::Staged => "staged",
            Kind::Retired => "retired",
        }
    }
}

fn stem_ext(path: &Path) -> (String, String) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (stem, ext)
}

/// The name of key `id` of `kind` beside the key file `path`:
/// `dec.pem` → `dec.staged-<id>.pem` or `dec.retired-<id>.pem`.
pub fn named_path(path: &Path, kind: Kind, id: KeyId) -> PathBuf {
    let (stem, ext) = stem_ext(path);
    path.with_file_name(format!("{stem}.{}-{id}{ext}", kind.infix()))
}

/// Where a rotation stages key `id` until it becomes the key file `path`.
pub fn staged_path(path: &Path, id: KeyId) -> PathBuf {
    named_path(path, Kind::Staged, id)
}

/// Where the key `id` is kept once retired from the key file `path`.
pub fn retired_path(path: &Path, id: KeyId) -> PathBuf {
    named_path(path, Kind::Retired, id)
}

/// If `name` is a staged or retired name of the key file `path`, its kind and key id.
pub fn parse_name(path: &Path, name: &str) -> Option<(Kind, KeyId)> {
    let (stem, ext) = stem_ext(path);
    let middle = name.strip_prefix(&format!("{stem}."))?.strip_suffix(&ext)?;
    [Kind::Staged, Kind::Retired].into_iter().find_map(|kind| {
        let hex = middle.strip_prefix(&format!("{}-", kind.infix()))?;
        KeyId::from_hex(hex).map(|id| (kind, id))
    })
}

/// Whether a file name belongs to the key pair `enc`/`dec`: the key files
/// themselves or their staged and retired names.
pub(crate) fn belongs_to_pair(name: &str, enc: &Path, dec: &Path) -> bool {
    [enc, dec]
        .iter()
        .any(|key| key.file_name().is_some_and(|n| n == name) || parse_name(key, name).is_some())
}

/// Whether a key file exists; an error says why it cannot be told. A
/// symbolic link to nothing is neither: confpass would create the key
/// through it, so it is refused, said for what it is.
pub(crate) fn exists(p: &Path) -> Result<bool> {
    let there = p.try_exists().map_err(|e| Error::KeyRead {
        path: p.to_path_buf(),
        source: e,
    })?;
    if !there && let Ok(target) = std::fs::read_link(p) {
        return Err(Error::BadKey {
            path: p.to_path_buf(),
            reason: format!(
                "is a symbolic link to {}, which does not exist: put the key there, or remove the link so that confpass can make the key at this path",
                target.display()
            ),
        });
    }
    Ok(there)
}

/// The private key at a staged or retired name, if the file is there; it
/// must hold key `id`.
///
/// # Errors
/// The errors of [`DecryptionKey::load`], and [`Error::KeyNameTaken`] when
/// the file holds another key.
pub(crate) fn private_named(path: &Path, id: KeyId) -> Result<Option<DecryptionKey>> {
    named(path, id, DecryptionKey::load, DecryptionKey::id)
}

/// The public key at a staged or retired name, if the file is there; it
/// must hold key `id`.
///
/// # Errors
/// As [`private_named`].
pub(crate) fn public_named(path: &Path, id: KeyId) -> Result<Option<EncryptionKey>> {
    named(path, id, EncryptionKey::load, EncryptionKey::id)
}

/// The key at `path`, loaded with `load`, if the file is there; it must be key `id`.
fn named<K>(
    path: &Path,
    id: KeyId,
    load: fn(&Path) -> Result<K>,
    key_id: fn(&K) -> KeyId,
) -> Result<Option<K>> {
    if !exists(path)? {
        return Ok(None);
    }
    let key = load(path)?;
    let holds = key_id(&key);
    if holds != id {
        return Err(Error::KeyNameTaken {
            path: path.to_path_buf(),
            id,
            holds: format!("key id {holds}"),
        });
    }
    Ok(Some(key))
}

/// The private key for a value made for `id`: the key file at `path` if it
/// is that key, else `dec.staged-<id>.pem`, else `dec.retired-<id>.pem`
/// beside it. Returns the key and the file it came from; when none matches,
/// the key file itself, so that decrypting names both key ids.
///
/// # Errors
/// The errors of [`DecryptionKey::load`] for the key file.
pub fn decryption_key_for(path: &Path, id: KeyId) -> Result<(DecryptionKey, PathBuf)> {
    let main = DecryptionKey::load(path)?;
    if main.id() != id {
        for candidate in [staged_path(path, id), retired_path(path, id)] {
            if let Ok(Some(key)) = private_named(&candidate, id) {
                return Ok((key, candidate));
            }
        }
    }
    Ok((main, path.to_path_buf()))
}

/// The private key for a value made for `id`, wherever `place` says it
/// lives: on a PKCS#11 token ([`crate::fs::token::key_for`]: the token's key
/// with that CKA_ID, else the object the URI names) or in a key file
/// ([`decryption_key_for`]). Returns it with where it was found.
///
/// # Errors
/// Those of the token, or of the key file.
pub fn decryptor_for(place: &Path, id: KeyId) -> Result<(Box<dyn Decryptor>, PathBuf)> {
    if crate::fs::token::is_token(place) {
        let key = crate::fs::token::key_for(place, Some(id))?;
        let from = PathBuf::from(key.uri().to_string());
        return Ok((Box::new(key), from));
    }
    let (key, from) = decryption_key_for(place, id)?;
    Ok((Box::new(key), from))
}

/// Keeps the key file `path`, which holds key `id`, under its retired name
/// before it is replaced. Nothing is done when the retired name already
/// holds that key. Returns the file created, if any.
///
/// # Errors
/// [`Error::KeyNameTaken`] when the retired name holds something else, and
/// the errors of writing.
pub(crate) fn retire(
    path: &Path,
    id: KeyId,
    private: bool,
    owner: &Owner,
) -> Result<Option<PathBuf>> {
    let to = retired_path(path, id);
    let (mode, role) = if private {
        (0o600, "retired-dec")
    } else {
        (0o644, "retired-enc")
    };
    let present = if private {
        private_named(&to, id)?.is_some()
    } else {
        public_named(&to, id)?.is_some()
    };
    if present {
        return Ok(None);
    }
    files::link_or_copy(path, &to, mode, Some(owner), role)?;
    Ok(Some(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: KeyId = KeyId([0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65]);

    #[test]
    fn names_carry_the_kind_and_the_key_id() {
        let dec = Path::new("/k/dec.pem");
        assert_eq!(
            staged_path(dec, ID),
            Path::new("/k/dec.staged-9f86d081884c7d65.pem")
        );
        assert_eq!(
            retired_path(dec, ID),
            Path::new("/k/dec.retired-9f86d081884c7d65.pem")
        );
        assert_eq!(
            parse_name(dec, "dec.retired-9f86d081884c7d65.pem"),
            Some((Kind::Retired, ID))
        );
        assert_eq!(
            parse_name(Path::new("key"), "key.staged-9f86d081884c7d65"),
            Some((Kind::Staged, ID))
        );
    }

    #[test]
    fn fail_an_administrators_backup_name_is_not_a_managed_name() {
        let dec = Path::new("dec.pem");
        for name in [
            "dec.9f86d081884c7d65.pem",
            "dec.pem",
            "dec.retired-9F86D081884C7D65.pem",
            "dec.retired-9f86d081884c7d6.pem",
            "enc.retired-9f86d081884c7d65.pem",
            "dec.old-9f86d081884c7d65.pem",
        ] {
            assert_eq!(parse_name(dec, name), None, "{name}");
        }
    }
}
