//! File-system steps: reading regular files, new files created whole, renames
//! and hard links that are flushed, and the removal of what killed runs left.
//!
//! Every file confpass writes is first written in full to a temporary file
//! `.<name>.XXXXXX.tmp` in the same directory (mode 0600, `O_EXCL`), flushed,
//! and only then given its name: a new key file by a link that never replaces
//! an existing file, the configuration file by one rename (`crate::fs::txn`).
//! Each write, flush, link, rename and removal passes a named test hook
//! (`crate::fault::io_point`) so that the fault tests can fail exactly that
//! step. The platform differences are in `crate::fs::platform`.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::fault::io_point;
use crate::fs::platform::{self, Owner};

/// The largest key file confpass reads: a 16384-bit RSA private key in PEM
/// is about 13 KB, so anything near this is not a key.
pub(crate) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Reads a whole regular key file of at most [`MAX_KEY_FILE`] bytes; a FIFO,
/// device or directory is refused (`platform::is_not_regular`) without
/// blocking, and a larger file before it is read.
pub(crate) fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = platform::open_regular(path)?;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {MAX_KEY_FILE} bytes, which no key file is"),
        )
    };
    let len = file.metadata()?.len();
    if len > MAX_KEY_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_KEY_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The directory a file lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries, as the step `dirsync:<role>`.
pub(crate) fn sync_dir(dir: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("dirsync:{role}"))?;
    platform::sync_dir(dir)
}

/// A new temporary file `.<name>.XXXXXX.tmp` in `path`'s directory, that
/// only its owner can use (`platform::create_new` with mode 0600).
pub(crate) fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    temp_with_mode(path, 0o600)
}

/// As [`temp_beside`], protected as `mode` says from its first moment
/// (`platform::create_new`).
fn temp_with_mode(path: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .rand_bytes(6)
        .make_in(parent_dir(path), |p| platform::create_new(p, mode))
        .map_err(without_temp_path)
}

/// tempfile adds the random temporary path to its errors (`… at path "…"`),
/// and keeps the original error only as text. Messages name the file the user
/// knows instead, so keep only what the operating system said.
pub(crate) fn without_temp_path(e: io::Error) -> io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((os_said, _)) => io::Error::new(e.kind(), os_said.to_owned()),
        None => e,
    }
}

/// Removes the temporary files (`.<name>.XXXXXX.tmp`, as [`temp_beside`]
/// names them) that killed runs left in `dir` for a target name `wanted`
/// accepts. Called with the directory locked, which every run that writes
/// such files holds too. Best effort: a file that cannot be removed is left.
pub(crate) fn remove_stale_temps(dir: &Path, wanted: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let target = n
            .strip_prefix('.')
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.rsplit_once('.'))
            .filter(|(_, random)| {
                random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .map(|(target, _)| target);
        if target.is_some_and(&wanted) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` as a new file at `path` with permission bits `mode` from
/// creation on, owned like the configuration file when run as root: written
/// to a temporary file, flushed, then linked into place only if nothing is
/// there yet, then the directory flushed. On an error nothing is left.
///
/// # Errors
/// [`Error::KeyExists`] when `path` exists, [`Error::Write`] otherwise.
pub(crate) fn create_new_file(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<&Owner>,
    role: &str,
) -> Result<()> {
    let write_err = |e| Error::Write {
        path: path.to_path_buf(),
        source: without_temp_path(e),
    };
    // Created new (never an existing file), protected as `mode` says from
    // its first moment (mode 0600, or a protected DACL on Windows): a private
    // key is never readable by others, not even while it is empty.
    let mut temp = temp_with_mode(path, mode).map_err(write_err)?;
    if let Some(owner) = owner {
        platform::give_new_file(temp.as_file(), owner, mode).map_err(write_err)?;
    }
    io_point(&format!("write:{role}")).map_err(write_err)?;
    temp.as_file_mut().write_all(bytes).map_err(write_err)?;
    io_point(&format!("sync:{role}")).map_err(write_err)?;
    temp.as_file().sync_all().map_err(write_err)?;
    io_point(&format!("link:{role}")).map_err(write_err)?;
    temp.persist_noclobber(path)
        .map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => Error::KeyExists {
                path: path.to_path_buf(),
            },
            _ => write_err(e.error),
        })?;
    if let Err(e) = sync_dir(parent_dir(path), role) {
        let _ = fs::remove_file(path);
        return Err(write_err(e));
    }
    Ok(())
}

/// Gives the file at `from` a second name `to` (a hard link), or, where the
/// file system has none, writes a copy as a new file: either way `to` is new
/// and `from` stays as it is.
///
/// # Errors
/// [`Error::KeyExists`] when `to` exists, [`Error::Write`] otherwise.
pub(crate) fn link_or_copy(
    from: &Path,
    to: &Path,
    mode: u32,
    owner: Option<&Owner>,
    role: &str,
) -> Result<()> {
    let write_err = |e| Error::Write {
        path: to.to_path_buf(),
        source: e,
    };
    io_point(&format!("link:{role}")).map_err(write_err)?;
    match fs::hard_link(from, to) {
        Ok(()) => {
            if let Err(e) = sync_dir(parent_dir(to), role) {
                let _ = fs::remove_file(to);
                return Err(write_err(e));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::KeyExists {
            path: to.to_path_buf(),
        }),
        Err(_) => {
            let bytes = zeroize::Zeroizing::new(read_file(from).map_err(write_err)?);
            create_new_file(to, &bytes, mode, owner, role)
        }
    }
}

/// Renames `from` over `to` and flushes the directory.
pub(crate) fn rename_synced(from: &Path, to: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("rename:{role}"))?;
    platform::replace(from, to)?;
    sync_dir(parent_dir(to), role)
}

/// Removes a file this run created, as the step `remove:<role>`.
pub(crate) fn remove(path: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("remove:{role}"))?;
    fs::remove_file(path)
}
