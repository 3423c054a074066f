//! `--prune-keys`: the one way staged and retired key files are removed
//! (ARCHITECTURE.md, "Transactions", "--prune-keys").
//!
//! A rotation never deletes a private key: it keeps the old pair under its
//! retired names, because another value, in this file or in another file
//! sharing the pair, may still name it. [`prune_keys`] takes every
//! configuration file that uses the pairs, locks them all, and keeps every
//! key that any `ENC[…]` value of any of them names (every section,
//! `password` and `previous-password`: PRODUCT.md §12). It removes the other
//! staged and retired key files beside the pairs (the key files of every
//! server section, or the pair `-keys` names, which one of them must use).
//! Named ones are kept and listed; a file whose content is not the key its
//! name says is not confpass's, and is left alone. Removal is truthful:
//! what cannot be removed is refused before anything is, and a failure
//! half-way names every file already gone ([`Error::PruneIncomplete`]).

use std::path::{Path, PathBuf};

use crate::crypto::keys::{DecryptionKey, EncryptionKey, KeyId};
use crate::error::{Error, Result};
use crate::fault;
use crate::fs::files::{self, parent_dir};
use crate::fs::keyring::{self, Kind};
use crate::fs::platform;
use crate::fs::txn::{Locks, Source, lock_for};
use crate::ini::ConfigFile;
use crate::ops::confserv::Layout;
use crate::ops::keyfiles::{KeyFiles, enc_beside, normalize};
use crate::ops::servers::{key_ids_in_use, servers};
use crate::ops::startup::server_key_path;

/// What `--prune-keys` did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pruned {
    /// Files removed (in a dry run: that would be removed).
    pub removed: Vec<PathBuf>,
    /// Files kept because a value of a given configuration file names their key.
    pub kept: Vec<PathBuf>,
    /// Files at staged or retired names that do not hold the key their name
    /// says: not confpass's, left alone.
    pub foreign: Vec<PathBuf>,
    /// Whether this was a dry run (nothing was removed).
    pub dry_run: bool,
}

/// What the configuration files say, read under their locks.
struct Reading {
    /// The key ids that some value of some file names.
    named: Vec<KeyId>,
    /// The key pairs to prune: (public, private) key file.
    pairs: Vec<(PathBuf, PathBuf)>,
}

/// Removes the staged and retired key files that no value of `configs`
/// names, beside the key files of every server section of every file (each
/// section's `decryption-key`, or `CONFPASS_DECRYPTION_KEY`, else `dec.pem`
/// beside the file, with its public half beside it), or beside the pair
/// `keys` names when it is [`KeyFiles::Explicit`].
///
/// `server_section` is kept for compatibility: which values count and which
/// key files are pruned no longer depend on it. It only names the section
/// looked for in a file that has no server section at all (that error is
/// the start-up call's for it).
///
/// # Errors
/// The errors of reading the configuration files; [`Error::KeysNotUsed`]
/// when `keys` names a pair in a directory no server section of `configs`
/// reads its private key from; [`Error::Write`] when a directory holding a
/// file to remove is not writable, or the first removal fails (nothing was
/// removed); [`Error::PruneIncomplete`] when a later removal, or the flush
/// of the directories after them, fails: it names every file removed.
pub fn prune_keys(
    configs: &[PathBuf],
    server_section: &str,
    keys: &KeyFiles,
    dry_run: bool,
) -> Result<Pruned> {
    let paths: Vec<&Path> = configs.iter().map(PathBuf::as_path).collect();
    let (locks, reading) = lock_for(&paths, || {
        let reading = read_configs(configs, server_section, keys)?;
        let dirs = reading
            .pairs
            .iter()
            .flat_map(|(enc, dec)| [enc, dec])
            .filter(|p| !crate::fs::token::is_token(p))
            .filter_map(|p| std::fs::canonicalize(parent_dir(p)).ok())
            .collect();
        Ok((reading, dirs))
    })?;
    fault::pause_point("locked");
    let mut out = Pruned {
        removed: Vec::new(),
        kept: Vec::new(),
        foreign: Vec::new(),
        dry_run,
    };
    let doomed = sort_files(&reading, &mut out)?;
    let on_token =
        crate::ops::prune_token::sort_keys(&reading.pairs, &reading.named, &mut out.kept)?;
    // What can never succeed is refused while nothing is removed yet, and
    // a dry run says so too.
    let dirs = writable_dirs(&doomed)?;
    if dry_run {
        out.removed = doomed.into_iter().map(|(path, _)| path).collect();
        out.removed
            .extend(on_token.iter().map(crate::ops::prune_token::place));
        return Ok(out);
    }
    remove_all(&locks, doomed, &dirs, &mut out)?;
    crate::ops::prune_token::destroy_all(on_token, &mut out.removed)?;
    Ok(out)
}

/// Reads every configuration file: the key ids their values name, and the
/// key pairs to prune.
fn read_configs(configs: &[PathBuf], server_section: &str, keys: &KeyFiles) -> Result<Reading> {
    let mut named: Vec<KeyId> = Vec::new();
    // The private key file of every server section, with its public key
    // file (for a key on a token, enc.pem beside the configuration file).
    let mut used: Vec<PathBuf> = Vec::new();
    let mut encs: Vec<PathBuf> = Vec::new();
    for config in configs {
        let (_, mut bytes) = Source::open(config)?;
        let file = ConfigFile::parse(config, std::mem::take(&mut *bytes));
        for id in key_ids_in_use(&file) {
            if !named.contains(&id) {
                named.push(id);
            }
        }
        let mut layouts: Vec<Layout> = servers(&file)
            .into_iter()
            .filter_map(|s| s.layout.ok())
            .collect();
        if layouts.is_empty() {
            // No server section: the start-up call's error for `-s`.
            layouts.push(Layout::locate(&file, server_section, None)?);
        }
        for layout in &layouts {
            let key = server_key_path(&file, layout)?;
            if !used.contains(&key) {
                encs.push(if crate::fs::token::is_token(&key) {
                    crate::crypto::keys::default_paths(parent_dir(config)).0
                } else {
                    enc_beside(&key)
                });
                used.push(key);
            }
        }
    }
    let pairs = match keys {
        KeyFiles::Explicit { enc, dec } => {
            let dir = key_dir(dec);
            if !used.iter().any(|key| key_dir(key) == dir) {
                return Err(not_used(dec, configs, &used));
            }
            vec![(enc.clone(), dec.clone())]
        }
        KeyFiles::Default => {
            let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
            for (dec, enc) in used.into_iter().zip(encs) {
                if !pairs.iter().any(|(_, d)| normalize(d) == normalize(&dec)) {
                    pairs.push((enc, dec));
                }
            }
            pairs
        }
    };
    Ok(Reading { named, pairs })
}

/// The directory of a key file, made absolute with its symlinks resolved.
fn key_dir(key: &Path) -> PathBuf {
    parent_dir(&normalize(key)).to_path_buf()
}

/// The refusal of `-keys ENC DEC` when no server section of the given
/// files reads its private key from DEC's directory.
fn not_used(dec: &Path, configs: &[PathBuf], used: &[PathBuf]) -> Error {
    let list = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Error::KeysNotUsed {
        path: dec.to_path_buf(),
        reason: format!(
            "is not beside the private key of any server section of {} (they use {}): give with -c every configuration file that uses this key pair, so that every value naming one of its keys is read; nothing was removed",
            list(configs),
            list(used)
        ),
    }
}

/// Sorts the staged and retired files beside every pair into kept, foreign
/// (both recorded in `out`) and the ones to remove, returned with their
/// I/O roles: public halves first, so a private key never goes before its
/// public half.
fn sort_files(reading: &Reading, out: &mut Pruned) -> Result<Vec<(PathBuf, &'static str)>> {
    let mut doomed = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for private in [false, true] {
        for (enc, dec) in &reading.pairs {
            if private && crate::fs::token::is_token(dec) {
                continue; // the token's keys: crate::ops::prune_token
            }
            let key = if private { dec } else { enc };
            let current = pair_ids(enc, dec);
            for (path, kind, id) in managed_files(key)? {
                let same = normalize(&path);
                if seen.contains(&same) {
                    continue;
                }
                seen.push(same);
                // A key of the pair itself: the other half of a promotion a
                // killed rotation left pending (dec.pem already the new key,
                // enc.staged-<new> not yet renamed over enc.pem) is kept, or
                // the pair would never be whole again.
                let pending = match &current {
                    Some(ids) => ids.contains(&id),
                    None => kind == Kind::Staged,
                };
                if reading.named.contains(&id) || pending {
                    out.kept.push(path);
                } else if !holds(&path, id, private) {
                    out.foreign.push(path);
                } else {
                    doomed.push((path, role(kind, private)));
                }
            }
        }
    }
    Ok(doomed)
}

/// The directories of `doomed`, each once however the paths spell it, once
/// each is found writable: a removal that can never succeed is refused
/// ([`Error::Write`]) before anything is removed.
fn writable_dirs(doomed: &[(PathBuf, &'static str)]) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (path, _) in doomed {
        let dir = parent_dir(path);
        let same = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !seen.contains(&same) {
            seen.push(same);
            dirs.push(dir.to_path_buf());
        }
    }
    for dir in &dirs {
        platform::dir_writable(dir).map_err(|e| Error::Write {
            path: dir.clone(),
            source: e,
        })?;
    }
    Ok(dirs)
}

/// The key ids of the pair's own files, `dec.pem` and `enc.pem` (either
/// may be missing); `None` when one is there but cannot be read, so that
/// no staged key, which a pending promotion may need, is removed.
fn pair_ids(enc: &Path, dec: &Path) -> Option<Vec<KeyId>> {
    let mut ids = Vec::new();
    for (path, private) in [(dec, true), (enc, false)] {
        if !path.exists() {
            continue;
        }
        let id = if private {
            DecryptionKey::load(path).map(|k| k.id())
        } else {
            EncryptionKey::load(path).map(|k| k.id())
        };
        ids.push(id.ok()?);
    }
    Some(ids)
}

/// The I/O point role of a staged or retired key file.
fn role(kind: Kind, private: bool) -> &'static str {
    match (kind, private) {
        (Kind::Staged, false) => "staged-enc",
        (Kind::Staged, true) => "staged-dec",
        (Kind::Retired, false) => "retired-enc",
        (Kind::Retired, true) => "retired-dec",
    }
}

/// Removes `doomed` in order, recording each removal in `out`, then flushes
/// `dirs`, their directories ([`writable_dirs`]); a failure after the first
/// removal names every file removed.
fn remove_all(
    locks: &Locks,
    doomed: Vec<(PathBuf, &'static str)>,
    dirs: &[PathBuf],
    out: &mut Pruned,
) -> Result<()> {
    for (path, role) in doomed {
        if let Err(e) = files::remove(&path, role) {
            return Err(if out.removed.is_empty() {
                Error::Write { path, source: e }
            } else {
                Error::PruneIncomplete {
                    removed: std::mem::take(&mut out.removed),
                    what: format!("removing {}", path.display()),
                    source: e,
                }
            });
        }
        out.removed.push(path);
        fault::pause_point("pruned-one");
    }
    for dir in dirs {
        locks
            .sync(dir, "prune")
            .map_err(|e| Error::PruneIncomplete {
                removed: std::mem::take(&mut out.removed),
                what: format!("flushing directory {}", dir.display()),
                source: e,
            })?;
    }
    Ok(())
}

/// The staged and retired files beside the key file `key`, with their kind
/// and key id; none when its directory does not exist.
fn managed_files(key: &Path) -> Result<Vec<(PathBuf, Kind, KeyId)>> {
    let dir = parent_dir(key);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::KeyRead {
                path: dir.to_path_buf(),
                source: e,
            });
        }
    };
    let mut found: Vec<(PathBuf, Kind, KeyId)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let (kind, id) = keyring::parse_name(key, &name)?;
            Some((e.path(), kind, id))
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
