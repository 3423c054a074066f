//! What every writing operation starts from ([`Opened`]): the directory
//! locks taken, the configuration file read and its password located, the
//! key files named, and what killed runs left removed; then the one way it
//! writes, prepare, key files, commit, flush (ARCHITECTURE.md,
//! "Transactions").

use std::path::{Path, PathBuf};

use crate::crypto::keys::{self, KeyId};
use crate::error::{Error, Result};
use crate::fault;
use crate::fs::files::{TempOf, parent_dir, remove_stale_temps};
use crate::fs::keyring;
use crate::fs::platform::Owner;
use crate::fs::txn::{Created, Locks, Source, lock_for};
use crate::ini::ConfigFile;
use crate::ops::confserv::{self, Layout};
use crate::ops::keyfiles::key_paths;
use crate::ops::request::{Action, Outcome, Preview, Request};

/// What every writing operation starts from: the locks taken, the file read,
/// the password located, the key files named, and what killed runs left
/// removed (ARCHITECTURE.md, "Transactions").
pub(crate) struct Opened {
    pub(crate) locks: Locks,
    pub(crate) source: Source,
    pub(crate) file: ConfigFile,
    pub(crate) layout: Layout,
    pub(crate) enc_path: PathBuf,
    pub(crate) dec_path: PathBuf,
    pub(crate) owner: Owner,
    /// The paths a server may be given for this file: the path as given,
    /// and the file's own path when that stands in another directory (the
    /// path given is a symbolic link), where a relative key path reads
    /// differently.
    pub(crate) paths: Vec<PathBuf>,
}

impl Opened {
    pub(crate) fn open(req: &Request<'_>) -> Result<Opened> {
        keys::check_bits(req.bits)?;
        let (locks, (source, file, layout, enc_path, dec_path)) =
            lock_for(&[req.config.as_path()], || {
                let (source, mut bytes) = Source::open(&req.config)?;
                let file = ConfigFile::parse(&req.config, std::mem::take(&mut *bytes));
                let layout = Layout::locate(&file, &req.server_section, req.db_section.as_deref())?;
                startup_reads_the_same_section(&file, &layout, req)?;
                let (enc_path, dec_path) = key_paths(&file, &layout, &req.keys)?;
                // A key on a token has no directory to lock: the token is its own.
                let dirs = [&enc_path, &dec_path]
                    .iter()
                    .filter(|p| !crate::fs::token::is_token(p))
                    .filter_map(|p| std::fs::canonicalize(parent_dir(p)).ok())
                    .collect();
                Ok(((source, file, layout, enc_path, dec_path), dirs))
            })?;
        let owner = source.owner();
        let mut paths = vec![req.config.clone()];
        let dir = |p: &Path| std::fs::canonicalize(parent_dir(p)).ok();
        if dir(source.target()) != dir(&req.config) {
            paths.push(source.target().to_path_buf());
        }
        let name = source.target().file_name().map(|n| n.to_owned());
        remove_stale_temps(parent_dir(source.target()), TempOf::Config, |t| {
            name.as_deref().is_some_and(|n| n == t)
        });
        let (enc_dir, dec_dir) = (parent_dir(&enc_path), parent_dir(&dec_path));
        let key_dirs: &[&Path] = if crate::fs::token::is_token(&dec_path) {
            &[enc_dir]
        } else if enc_dir == dec_dir {
            &[dec_dir]
        } else {
            &[enc_dir, dec_dir]
        };
        for dir in key_dirs {
            remove_stale_temps(dir, TempOf::Key, |t| {
                keyring::belongs_to_pair(t, &enc_path, &dec_path)
            });
        }
        fault::pause_point("locked");
        Ok(Opened {
            locks,
            source,
            file,
            layout,
            enc_path,
            dec_path,
            owner,
            paths,
        })
    }

    /// The paths a server may be given, for [`crate::ops::check::Whole`].
    pub(crate) fn path_refs(&self) -> Vec<&Path> {
        self.paths.iter().map(PathBuf::as_path).collect()
    }

    pub(crate) fn outcome(
        &self,
        req: &Request<'_>,
        key_id: KeyId,
        action: Action,
        created: Vec<PathBuf>,
        preview: Option<Preview>,
    ) -> Outcome {
        Outcome {
            file: req.config.clone(),
            server_section: self.layout.server_name.clone(),
            db_section: self.layout.db_name.clone(),
            key_id,
            changed: action != Action::Unchanged,
            created,
            action,
            preview,
            dry_run: req.dry_run,
            warnings: if action == Action::Unchanged {
                Vec::new()
            } else {
                self.source.warnings()
            },
            keeps_previous: self.layout.previous.is_some(),
            marked: Vec::new(),
        }
    }

    /// Writes the new file: prepares the replacement, creates the key files
    /// `write_keys` makes (recorded in `created`), checks and commits, then
    /// flushes the directory. Before the commit a failure removes what was
    /// created; after it nothing is undone ([`Error::Committed`]).
    pub(crate) fn write(
        &self,
        new_bytes: &[u8],
        write_keys: impl FnOnce(&mut Created) -> Result<()>,
    ) -> Result<Vec<PathBuf>> {
        let prepared = self.source.prepare(new_bytes)?;
        let mut created = Created::default();
        write_keys(&mut created)?;
        self.source.commit(prepared, self.file.bytes())?;
        let created = created.keep();
        self.source.sync_after_commit(&self.locks)?;
        Ok(created)
    }
}

/// `-p DBSECTION` must name the section the server reads at start-up (its
/// `server` option), or the file would say `encryption = true` over a
/// password the server never sees decrypted.
fn startup_reads_the_same_section(
    file: &ConfigFile,
    layout: &Layout,
    req: &Request<'_>,
) -> Result<()> {
    let Some(given) = req.db_section.as_deref() else {
        return Ok(());
    };
    let startup = match Layout::locate(file, &req.server_section, None) {
        Ok(l) => l,
        Err(Error::OptionMissing {
            path,
            section,
            option,
            ..
        }) => {
            return Err(Error::BadValue {
                reason: format!(
                    "is missing, and the server reads the password of the section it names at start-up: add `{option} = {given}` to [{section}]"
                ),
                path,
                section,
                option,
            });
        }
        Err(e) => return Err(e),
    };
    if startup.db != layout.db {
        return Err(Error::BadValue {
            path: file.path().to_path_buf(),
            section: layout.server_name.clone(),
            option: confserv::SERVER_OPTION.into(),
            reason: format!(
                "names [{}], but -p was given [{given}]: the server reads the password of [{}] at start-up; set `server = {given}`, or run -p without a section",
                startup.db_name, startup.db_name
            ),
        });
    }
    Ok(())
}

/// Nothing to change: the directory is flushed all the same, which completes
/// a run whose flush after its commit failed.
pub(crate) fn unchanged(opened: &Opened, req: &Request<'_>, key_id: KeyId) -> Result<Outcome> {
    if !req.dry_run {
        let dir = parent_dir(opened.source.target());
        opened.locks.sync(dir, "config").map_err(|e| Error::Write {
            path: dir.to_path_buf(),
            source: e,
        })?;
    }
    Ok(opened.outcome(req, key_id, Action::Unchanged, Vec::new(), None))
}
