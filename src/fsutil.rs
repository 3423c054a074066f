//! Safe file writing: the lock, atomic replacement, and new key files.
//!
//! Every file confpass writes is first written in full to a temporary file in
//! the same directory, flushed to disk, and only then moved into place with one
//! rename, after which the directory itself is flushed. A configuration file
//! keeps its permissions (and its owner where the process may set it), and a
//! symlinked one is replaced at its target so the link stays. A key file is
//! created with its final mode from the start and never replaces an existing
//! file. An error at any step removes the temporary file and leaves every
//! existing file as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a run waits for another run on the same file before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// Reads a whole file.
pub(crate) fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The directory a file lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A configuration file opened for editing and locked against other runs.
///
/// The lock is an exclusive advisory lock on the file itself; it is released
/// when this value is dropped. Another confpass run on the same file waits
/// for it.
pub struct LockedFile {
    /// The path as given (for messages).
    path: PathBuf,
    /// The file the path resolves to (a symlink's target).
    target: PathBuf,
    file: File,
}

impl LockedFile {
    /// Opens `path`, waits for the lock, and checks that the file is still the
    /// one the path names (another run may have replaced it while this one waited).
    ///
    /// # Errors
    /// [`Error::ConfigNotFound`], [`Error::ConfigNotAFile`], [`Error::ConfigRead`],
    /// and [`Error::Locked`] after waiting too long.
    pub fn open(path: &Path) -> Result<Self> {
        let read_err = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => Error::ConfigNotFound {
                path: path.to_path_buf(),
            },
            _ => Error::ConfigRead {
                path: path.to_path_buf(),
                source: e,
            },
        };
        let started = Instant::now();
        loop {
            let target = fs::canonicalize(path).map_err(read_err)?;
            if !fs::metadata(&target).map_err(read_err)?.is_file() {
                return Err(Error::ConfigNotAFile {
                    path: path.to_path_buf(),
                });
            }
            let file = File::open(&target).map_err(read_err)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    if started.elapsed() > LOCK_WAIT {
                        return Err(Error::Locked {
                            path: path.to_path_buf(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(fs::TryLockError::Error(e)) => return Err(read_err(e)),
            }
            if same_file(&file, &target) {
                return Ok(LockedFile {
                    path: path.to_path_buf(),
                    target,
                    file,
                });
            }
        }
    }

    /// The file the path resolves to (a symlink's target).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Reads the whole locked file.
    ///
    /// # Errors
    /// [`Error::ConfigRead`].
    pub fn read(&mut self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.file
            .read_to_end(&mut bytes)
            .map_err(|e| Error::ConfigRead {
                path: self.path.clone(),
                source: e,
            })?;
        Ok(bytes)
    }

    /// Checks, without changing anything, that the file and its directory can
    /// be written: done before any key is generated, so that a read-only file
    /// never leaves orphan keys behind.
    ///
    /// # Errors
    /// [`Error::ConfigNotWritable`].
    pub fn check_writable(&self) -> Result<()> {
        let err = |e| Error::ConfigNotWritable {
            path: self.path.clone(),
            source: e,
        };
        OpenOptions::new()
            .append(true)
            .open(&self.target)
            .map_err(err)?;
        let probe = temp_beside(&self.target).map_err(err)?;
        probe.close().map_err(err)
    }

    /// Replaces the file's content atomically with `bytes`, keeping its mode
    /// (and owner where permitted); the lock is held throughout.
    ///
    /// # Errors
    /// [`Error::ConfigNotWritable`] or [`Error::Write`]; the file is then unchanged.
    pub fn replace(&self, bytes: &[u8]) -> Result<()> {
        let meta = self.file.metadata().map_err(|e| Error::ConfigRead {
            path: self.path.clone(),
            source: e,
        })?;
        let dir = parent_dir(&self.target);
        let mut temp = temp_beside(&self.target).map_err(|e| Error::ConfigNotWritable {
            path: self.path.clone(),
            source: e,
        })?;
        let write_err = |e| Error::Write {
            path: self.path.clone(),
            source: without_temp_path(e),
        };
        keep_owner(temp.as_file(), &meta);
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(write_err)?;
        temp.as_file_mut().write_all(bytes).map_err(write_err)?;
        temp.as_file().sync_all().map_err(write_err)?;
        crate::fault::pause_point("temp-written");
        temp.persist(&self.target).map_err(|e| write_err(e.error))?;
        crate::fault::pause_point("renamed");
        sync_dir(dir).map_err(|e| Error::Write {
            path: dir.to_path_buf(),
            source: e,
        })
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, _path: &Path) -> bool {
    true
}

#[cfg(unix)]
fn keep_owner(file: &File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    // Only root (or a process with CAP_CHOWN) may give a file away; anyone
    // else gets their own file, which is then the same owner anyway.
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(not(unix))]
fn keep_owner(_file: &File, _meta: &fs::Metadata) {}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// A new temporary file `.<name>.XXXXXX.tmp` in `path`'s directory, mode 0600.
fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .rand_bytes(6)
        .tempfile_in(parent_dir(path))
        .map_err(without_temp_path)
}

/// tempfile adds the random temporary path to its errors (`… at path "…"`),
/// and keeps the original error only as text. Messages name the file the user
/// knows instead, so keep only what the operating system said.
fn without_temp_path(e: io::Error) -> io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((os_said, _)) => io::Error::new(e.kind(), os_said.to_owned()),
        None => e,
    }
}

/// Removes temporary files that a killed run left beside `path`
/// (`.<name>.XXXXXX.tmp`, as [`LockedFile::replace`] and [`create_new_file`]
/// name them). Called with the configuration file's lock held, which every
/// run that writes these files holds too. Best effort: a file that cannot be
/// removed is left.
pub(crate) fn remove_stale_temps(path: &Path) {
    let (Some(name), dir) = (path.file_name(), parent_dir(path)) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let n = file_name.to_string_lossy();
        let is_temp = n.len() == prefix.len() + 6 + ".tmp".len()
            && n.starts_with(&prefix)
            && n.ends_with(".tmp");
        if is_temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` as a new file at `path` with permission bits `mode`, from
/// creation on: written to a temporary file, flushed, then linked into place
/// only if nothing is there yet.
///
/// # Errors
/// [`Error::KeyExists`] when `path` exists, [`Error::Write`] otherwise.
pub(crate) fn create_new_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = parent_dir(path);
    let write_err = |e| Error::Write {
        path: path.to_path_buf(),
        source: without_temp_path(e),
    };
    // tempfile creates the file with mode 0600 (O_EXCL, so never an existing
    // file): a private key is never readable by others, not even for a moment.
    let mut temp = temp_beside(path).map_err(write_err)?;
    // Then exactly the mode asked for, whatever the umask.
    set_mode(temp.as_file(), mode).map_err(write_err)?;
    temp.as_file_mut().write_all(bytes).map_err(write_err)?;
    temp.as_file().sync_all().map_err(write_err)?;
    temp.persist_noclobber(path)
        .map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => Error::KeyExists {
                path: path.to_path_buf(),
            },
            _ => write_err(e.error),
        })?;
    sync_dir(dir).map_err(write_err)
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    // Windows has no mode bits: the file takes its directory's ACL.
    Ok(())
}
