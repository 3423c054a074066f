//! `--prune-keys`: the one way staged and retired key files are removed.
//!
//! A rotation never deletes a private key (ARCHITECTURE.md, "Transactions"):
//! it keeps the old pair under its retired names, because another
//! configuration file sharing the pair may still name it. [`prune_keys`]
//! takes every configuration file that uses the pair, locks them all, and
//! removes the staged and retired key files beside the pair that none of
//! them names. Named ones are kept and listed; a file whose content is not
//! the key its name says is not confpass's, and is left alone.

use std::path::{Path, PathBuf};

use crate::crypto::keys::{DecryptionKey, EncryptionKey, KeyId};
use crate::error::{Error, Result};
use crate::fs::files::{self, parent_dir};
use crate::fs::keyring::{self, Kind};
use crate::fs::txn::{Source, lock_for};
use crate::ini::ConfigFile;
use crate::ops::confserv::{Layout, Stored};
use crate::ops::keyfiles::{KeyFiles, key_paths, normalize};

/// What `--prune-keys` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pruned {
    /// Files removed (in a dry run: that would be removed).
    pub removed: Vec<PathBuf>,
    /// Files kept because a given configuration file names their key.
    pub kept: Vec<PathBuf>,
    /// Files at staged or retired names that do not hold the key their name
    /// says: not confpass's, left alone.
    pub foreign: Vec<PathBuf>,
    /// Whether this was a dry run (nothing was removed).
    pub dry_run: bool,
}

/// Removes the staged and retired key files of the pair that `configs` use
/// (`keys`, else each file's own key files, which must be one pair) that none
/// of them names.
///
/// # Errors
/// The errors of reading the configuration files; [`Error::BadValue`] when
/// they use different key files; [`Error::Write`] when a removal fails.
pub fn prune_keys(
    configs: &[PathBuf],
    server_section: &str,
    keys: &KeyFiles,
    dry_run: bool,
) -> Result<Pruned> {
    let paths: Vec<&Path> = configs.iter().map(PathBuf::as_path).collect();
    let (_locks, (pair, named)) = lock_for(&paths, || {
        let mut pair: Option<(PathBuf, PathBuf)> = None;
        let mut named: Vec<KeyId> = Vec::new();
        for config in configs {
            let (_, mut bytes) = Source::open(config)?;
            let file = ConfigFile::parse(config, std::mem::take(&mut *bytes));
            let layout = Layout::locate(&file, server_section, None)?;
            let (enc, dec) = key_paths(&file, &layout, keys)?;
            if let Stored::Encrypted(value) = layout.stored(&file)? {
                named.push(value.key_id());
            }
            // A rotation's previous password names a key as well.
            if let Some(Stored::Encrypted(value)) = layout.stored_previous(&file)? {
                named.push(value.key_id());
            }
            match &pair {
                Some((_, first)) if normalize(first) != normalize(&dec) => {
                    return Err(Error::BadValue {
                        path: config.clone(),
                        section: layout.server_name.clone(),
                        option: crate::ops::confserv::DECRYPTION_KEY_OPTION.into(),
                        reason: format!(
                            "uses key file {}, but {} uses {}: prune each key pair with the configuration files that use it",
                            dec.display(),
                            configs[0].display(),
                            first.display()
                        ),
                    });
                }
                Some(_) => {}
                None => pair = Some((enc, dec)),
            }
        }
        let (enc, dec) = pair.ok_or_else(|| Error::ConfigNotFound {
            path: PathBuf::from(crate::ops::confserv::DEFAULT_CONFIG_FILE),
        })?;
        let dirs = [&enc, &dec]
            .iter()
            .filter_map(|p| std::fs::canonicalize(parent_dir(p)).ok())
            .collect();
        Ok((((enc, dec), named), dirs))
    })?;
    let (enc, dec) = pair;
    let mut out = Pruned {
        removed: Vec::new(),
        kept: Vec::new(),
        foreign: Vec::new(),
        dry_run,
    };
    // Public halves first: a private key never goes before its public half.
    for (key, private) in [(&enc, false), (&dec, true)] {
        for (path, id) in managed_files(key)? {
            if named.contains(&id) {
                out.kept.push(path);
            } else if !holds(&path, id, private) {
                out.foreign.push(path);
            } else {
                if !dry_run {
                    let role = if private {
                        "retired-dec"
                    } else {
                        "retired-enc"
                    };
                    files::remove(&path, role).map_err(|e| Error::Write {
                        path: path.clone(),
                        source: e,
                    })?;
                }
                out.removed.push(path);
            }
        }
    }
    if !dry_run && !out.removed.is_empty() {
        for dir in [parent_dir(&dec), parent_dir(&enc)] {
            files::sync_dir(dir, "prune").map_err(|e| Error::Write {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
    }
    Ok(out)
}

/// The staged and retired files beside the key file `key`, with their key ids.
fn managed_files(key: &Path) -> Result<Vec<(PathBuf, KeyId)>> {
    let dir = parent_dir(key);
    let entries = std::fs::read_dir(dir).map_err(|e| Error::KeyRead {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut found: Vec<(PathBuf, KeyId)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let (kind, id) = keyring::parse_name(key, &name)?;
            matches!(kind, Kind::Staged | Kind::Retired).then(|| (e.path(), id))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// Whether the file holds the key `id` (private or public, as its name says).
fn holds(path: &Path, id: KeyId, private: bool) -> bool {
    if private {
        DecryptionKey::load(path).is_ok_and(|k| k.id() == id)
    } else {
        EncryptionKey::load(path).is_ok_and(|k| k.id() == id)
    }
}
