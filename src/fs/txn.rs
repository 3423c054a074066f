//! The transaction every writing mode runs: locks, the configuration file as
//! read, the prepared replacement, the one commit, and the undo of what a run
//! created before it failed.
//!
//! ARCHITECTURE.md, "Transactions", is the protocol; this module is its
//! mechanics. [`lock_for`] takes the directory locks (the configuration
//! file's directory and the key files' directories, always in one global
//! order) and reads under them. [`Source`] is the configuration file as read:
//! its target, identity and bytes. [`Source::prepare`] writes the replacement
//! beside it as the temporary `.<name>.confpass-XXXXXX.tmp`
//! (`files::temp_beside`: the marker tells a later run's sweep that the file
//! is confpass's), with the original's owner, group, mode and extended
//! attributes; [`Source::commit`] checks that the path still names the file
//! read and renames the replacement over it: the commit point. [`Created`]
//! removes, on a failure before the commit, the files a run created, newest
//! first.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fault::{self, io_point};
use crate::fs::files::{self, parent_dir, without_temp_path};
use crate::fs::platform::{self, Dir, FileId, Owner};

/// How long a run waits for another run before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Directory locks held by this run; released on drop.
pub(crate) struct Locks {
    dirs: Vec<(FileId, Dir)>,
}

impl Locks {
    /// Locks `dirs` (each once, in the order of their identity), waiting for
    /// other runs; `for_file` names the configuration file in messages.
    fn acquire(dirs: &[PathBuf], for_file: &Path) -> Result<Locks> {
        let mut opened: Vec<(FileId, Dir)> = Vec::new();
        for dir in dirs {
            let access = |e| Error::DirAccess {
                path: dir.clone(),
                source: e,
            };
            let d = Dir::open(dir).map_err(access)?;
            let id = d.id().map_err(access)?;
            if !opened.iter().any(|(seen, _)| *seen == id) {
                opened.push((id, d));
            }
        }
        opened.sort_by_key(|(id, _)| *id);
        let started = Instant::now();
        let mut told = false;
        for (_, dir) in &opened {
            loop {
                let locked = dir.try_lock().map_err(|e| Error::DirAccess {
                    path: dir.path().to_path_buf(),
                    source: e,
                })?;
                if locked {
                    break;
                }
                if !told {
                    fault::lock_waiting();
                    told = true;
                }
                if started.elapsed() > LOCK_WAIT {
                    return Err(Error::Locked {
                        path: for_file.to_path_buf(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(Locks { dirs: opened })
    }

    /// Whether the directory `dir` is one of the locked ones.
    fn covers(&self, dir: &Path) -> bool {
        Dir::open(dir)
            .and_then(|d| d.id())
            .is_ok_and(|id| self.dirs.iter().any(|(held, _)| *held == id))
    }

    /// Flushes the directory `dir` (the step `dirsync:<role>`), through the
    /// handle held since it was locked when it is one of the locked ones.
    pub(crate) fn sync(&self, dir: &Path, role: &str) -> std::io::Result<()> {
        let canonical = fs::canonicalize(dir)?;
        match self.dirs.iter().find(|(_, d)| d.path() == canonical) {
            Some((_, held)) => {
                io_point(&format!("dirsync:{role}"))?;
                held.sync()
            }
            None => files::sync_dir(dir, role),
        }
    }
}

/// Locks the directory of every file in `configs`, reads under the locks
/// with `read`, which also says which further directories (the key files')
/// the run needs locked; if one of those is not held yet, lets go of every
/// lock and starts again with all of them, in one global order, so that two
/// runs never wait on each other in a circle.
pub(crate) fn lock_for<T>(
    configs: &[&Path],
    mut read: impl FnMut() -> Result<(T, Vec<PathBuf>)>,
) -> Result<(Locks, T)> {
    let mut extra: Vec<PathBuf> = Vec::new();
    for _ in 0..8 {
        let mut dirs = Vec::new();
        for config in configs {
            dirs.push(parent_dir(&canonical_target(config)?).to_path_buf());
        }
        dirs.extend(extra.iter().cloned());
        let locks = Locks::acquire(&dirs, configs.first().copied().unwrap_or(Path::new(".")))?;
        let (value, needed) = read()?;
        let missing: Vec<PathBuf> = needed
            .into_iter()
            .filter(|d| d.is_dir() && !locks.covers(d))
            .collect();
        if missing.is_empty() {
            return Ok((locks, value));
        }
        extra.extend(missing);
    }
    Err(Error::Locked {
        path: configs.first().map(|p| p.to_path_buf()).unwrap_or_default(),
    })
}

/// The file a configuration path names (a symlink's target).
fn canonical_target(path: &Path) -> Result<PathBuf> {
    fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::ConfigNotFound {
            path: path.to_path_buf(),
        },
        _ => Error::ConfigRead {
            path: path.to_path_buf(),
            source: e,
        },
    })
}

/// The configuration file as a writing run read it.
pub(crate) struct Source {
    /// The path as given (for messages).
    path: PathBuf,
    /// The file the path resolves to (a symlink's target).
    target: PathBuf,
    id: FileId,
    owner: Owner,
    links: u64,
}

impl Source {
    /// Opens and reads the configuration file; only a regular file is read,
    /// and only up to [`crate::ini::MAX_CONFIG_SIZE`], its size checked
    /// before a byte is read.
    ///
    /// # Errors
    /// [`Error::ConfigNotFound`], [`Error::ConfigNotAFile`],
    /// [`Error::ConfigTooLarge`], [`Error::ConfigRead`].
    pub(crate) fn open(path: &Path) -> Result<(Source, Zeroizing<Vec<u8>>)> {
        let read_err = |e: std::io::Error| {
            if platform::is_not_regular(&e) {
                Error::ConfigNotAFile {
                    path: path.to_path_buf(),
                }
            } else {
                Error::ConfigRead {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        };
        let target = canonical_target(path)?;
        let file = platform::open_regular(&target).map_err(read_err)?;
        let (id, links) = platform::identity(&file).map_err(read_err)?;
        let owner = Owner::of(&file).map_err(read_err)?;
        let bytes = crate::fs::read::read_capped(&file, path)?;
        // Not held open: Windows cannot replace a file this run holds open.
        drop(file);
        Ok((
            Source {
                path: path.to_path_buf(),
                target,
                id,
                owner,
                links,
            },
            bytes,
        ))
    }

    /// The file the path resolves to.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// The owner and group of the configuration file.
    pub(crate) fn owner(&self) -> Owner {
        self.owner.clone()
    }

    /// What the user should know before this file is rewritten.
    pub(crate) fn warnings(&self) -> Vec<String> {
        if self.links > 1 {
            vec![format!(
                "{} has {} hard links: confpass replaces this name only, and the other names keep the old content (the plain password, if it was plain): remove them (`find / -samefile {}`)",
                self.path.display(),
                self.links,
                self.target.display()
            )]
        } else {
            Vec::new()
        }
    }

    /// Checks, without changing anything, that a replacement can be made
    /// beside the file: done before any key is generated.
    ///
    /// # Errors
    /// [`Error::ConfigNotWritable`].
    pub(crate) fn check_writable(&self) -> Result<()> {
        let err = |e| Error::ConfigNotWritable {
            path: self.path.clone(),
            source: e,
        };
        fs::OpenOptions::new()
            .append(true)
            .open(&self.target)
            .map_err(err)?;
        files::temp_beside(&self.target)
            .map_err(err)?
            .close()
            .map_err(err)
    }

    /// Writes the replacement beside the file (the temporary
    /// `.<name>.confpass-XXXXXX.tmp`), with the original's owner, group,
    /// extended attributes and mode, and flushes it.
    ///
    /// # Errors
    /// [`Error::ConfigNotWritable`], [`Error::CannotKeepAttributes`],
    /// [`Error::Write`]; nothing is left behind.
    pub(crate) fn prepare(&self, bytes: &[u8]) -> Result<Prepared> {
        let mut temp = files::temp_beside(&self.target).map_err(|e| Error::ConfigNotWritable {
            path: self.path.clone(),
            source: e,
        })?;
        let cannot_keep = |what| Error::CannotKeepAttributes {
            path: self.path.clone(),
            what,
        };
        // The file read, opened again: should another hand have replaced it
        // meanwhile, the commit finds it changed.
        let original = platform::open_regular(&self.target)
            .map_err(|e| cannot_keep(format!("its attributes ({e})")))?;
        platform::keep_attributes(&original, temp.as_file()).map_err(cannot_keep)?;
        drop(original);
        let write_err = |e| Error::Write {
            path: self.path.clone(),
            source: without_temp_path(e),
        };
        io_point("write:config").map_err(write_err)?;
        temp.as_file_mut().write_all(bytes).map_err(write_err)?;
        io_point("sync:config").map_err(write_err)?;
        temp.as_file().sync_all().map_err(write_err)?;
        fault::pause_point("temp-written");
        Ok(Prepared { temp })
    }

    /// The commit point: checks that the path still names the file this run
    /// read (the same file, the same bytes), then renames the replacement
    /// over it.
    ///
    /// # Errors
    /// [`Error::ConfigChanged`] when another hand replaced or edited the file
    /// meanwhile, [`Error::Write`] when the rename fails; the file is then as
    /// it was.
    pub(crate) fn commit(&self, prepared: Prepared, read: &[u8]) -> Result<()> {
        let changed = || Error::ConfigChanged {
            path: self.path.clone(),
        };
        let now = fs::canonicalize(&self.path).map_err(|_| changed())?;
        if now != self.target {
            return Err(changed());
        }
        let current = platform::open_regular(&self.target).map_err(|_| changed())?;
        let (id, _) = platform::identity(&current).map_err(|_| changed())?;
        let bytes = crate::fs::read::read_capped(&current, &self.path).map_err(|_| changed())?;
        drop(current);
        if id != self.id || bytes.as_slice() != read {
            return Err(changed());
        }
        let write_err = |e| Error::Write {
            path: self.path.clone(),
            source: without_temp_path(e),
        };
        io_point("rename:config").map_err(write_err)?;
        // This run holds no handle to the file now; a server reading it at
        // this moment makes Windows refuse for as long as it reads, which
        // `platform::replace` waits out (rename(2) on Unix).
        let temp = prepared.temp.into_temp_path();
        platform::replace(&temp, &self.target).map_err(write_err)?;
        // Renamed: nothing is left at the temporary name to remove.
        let _ = temp.keep();
        fault::pause_point("renamed");
        Ok(())
    }

    /// After the commit: flushes the directory. A failure is reported as
    /// [`Error::Committed`].
    pub(crate) fn sync_after_commit(&self, locks: &Locks) -> Result<()> {
        let dir = parent_dir(&self.target);
        locks.sync(dir, "config").map_err(|e| {
            self.committed(
                "flushing its directory",
                Error::Write {
                    path: dir.to_path_buf(),
                    source: e,
                },
            )
        })
    }

    /// The error for a step after the commit that failed.
    pub(crate) fn committed(&self, what: &str, source: Error) -> Error {
        Error::Committed {
            path: self.path.clone(),
            what: what.to_owned(),
            source: Box::new(source),
        }
    }
}

/// A replacement written and flushed beside the configuration file; removed
/// again if dropped without a commit.
pub(crate) struct Prepared {
    temp: tempfile::NamedTempFile,
}

/// Files a run created before its commit, with their roles; removed again,
/// newest first, on drop unless kept. A removal that fails stops the undo,
/// so the older files (a private key before its public key) stay.
#[derive(Default)]
pub(crate) struct Created(Vec<(PathBuf, &'static str)>);

impl Created {
    /// Records a file this run created.
    pub(crate) fn push(&mut self, path: PathBuf, role: &'static str) {
        self.0.push((path, role));
    }

    /// The commit happened: keep every file; returns their paths.
    pub(crate) fn keep(mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.0)
            .into_iter()
            .map(|(p, _)| p)
            .collect()
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        while let Some((path, role)) = self.0.pop() {
            if files::remove(&path, role).is_err() {
                return;
            }
            if role == "enc" {
                fault::pause_point("cleanup-enc-removed");
            }
        }
    }
}
