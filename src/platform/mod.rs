//! Everything that differs between operating systems, in one place.
//!
//! Opening only regular files (without blocking on a FIFO), a file's identity,
//! keeping a file's owner, group, mode and extended attributes (POSIX ACLs and
//! SELinux labels are extended attributes) on its replacement, the owner of
//! new key files, the permission check of a private key, the directory handle
//! that is locked and flushed, and switching core dumps off. This file is the
//! portable API the rest of the crate calls; `unix.rs` implements it through
//! `rustix` (safe system calls) and `windows.rs` through std alone, with the
//! stand-ins SECURITY.md lists. `dacl.rs` is the pure evaluation of a Windows
//! DACL, compiled and tested on every OS. No other module holds `cfg(unix)` or
//! `cfg(windows)`.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

pub(crate) mod dacl;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

#[cfg(not(any(unix, windows)))]
compile_error!("confpass supports Unix and Windows only");

/// The error behind [`open_regular`] refusing a FIFO, device, socket or directory.
#[derive(Debug)]
pub(crate) struct NotRegular;

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a regular file")
    }
}

impl std::error::Error for NotRegular {}

/// Whether `e` is [`open_regular`]'s refusal of a non-regular file.
pub(crate) fn is_not_regular(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NotRegular>())
}

/// Opens `path` for reading, refusing anything but a regular file before a
/// byte is read: a FIFO is opened without blocking and then refused.
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    sys::no_blocking_open(&mut options);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(NotRegular));
    }
    Ok(file)
}

/// What identifies a file across renames: device and inode on Unix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FileId(u64, u64);

/// The identity of a file from its metadata.
pub(crate) fn file_id(meta: &Metadata) -> FileId {
    let (a, b) = sys::file_id(meta);
    FileId(a, b)
}

/// How many names (hard links) the file has.
pub(crate) fn link_count(meta: &Metadata) -> u64 {
    sys::link_count(meta)
}

/// The owner and group a file has, to give to the files made for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner(sys::Owner);

impl Owner {
    /// The owner of a file, from its metadata.
    pub(crate) fn of(meta: &Metadata) -> Owner {
        Owner(sys::Owner::of(meta))
    }
}

/// Gives a new file (a key, a lock) the configuration file's owner and group
/// when running as root; anyone else makes files of their own, which is then
/// the owner already or the only owner they can give.
pub(crate) fn give_new_file(file: &File, owner: Owner) -> io::Result<()> {
    sys::give_new_file(file, owner.0)
}

/// Sets a file's permission bits (Unix); Windows keeps the directory's ACL.
pub(crate) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    sys::set_mode(file, mode)
}

/// The permission bits of a private key file that group or others can use,
/// if any (Unix); `None` when only its owner can.
pub(crate) fn private_key_exposure(meta: &Metadata) -> Option<u32> {
    sys::private_key_exposure(meta)
}

/// Gives `temp` everything of `original` that a replacement must keep: owner,
/// group, extended attributes (POSIX ACLs, SELinux label) and mode, then
/// checks that it has them. An error names what cannot be kept.
pub(crate) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
    sys::keep_attributes(original, temp)
}

/// A directory held open: what a run locks, and what it flushes after a rename.
pub(crate) struct Dir {
    handle: File,
    path: PathBuf,
}

impl Dir {
    /// Opens a directory (Unix) or its `.confpass.lock` file (Windows, where a
    /// directory handle can be neither locked nor flushed).
    pub(crate) fn open(path: &Path) -> io::Result<Dir> {
        Ok(Dir {
            handle: sys::open_dir_handle(path)?,
            path: path.to_path_buf(),
        })
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's identity, for the order in which two are locked.
    pub(crate) fn id(&self) -> io::Result<FileId> {
        self.handle.metadata().map(|m| file_id(&m))
    }

    /// Tries to take the exclusive lock; `Ok(false)` when another run holds it.
    pub(crate) fn try_lock(&self) -> io::Result<bool> {
        match self.handle.try_lock() {
            Ok(()) => Ok(true),
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Flushes the directory's entries to disk (Unix). On Windows a rename
    /// is made durable by the file system itself (NTFS journals metadata).
    pub(crate) fn sync(&self) -> io::Result<()> {
        sys::sync_dir_handle(&self.handle)
    }
}

/// Flushes a directory's entries to disk (Unix); see [`Dir::sync`] for Windows.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    sys::sync_dir(path)
}

/// Switches core dumps off for this process, so that a crash while it holds
/// a password writes no core file: the core size limit goes to 0 (soft and
/// hard) and, on Linux, the process is marked not dumpable (which also keeps
/// other users' tools out of its memory).
pub fn disable_core_dumps() -> io::Result<()> {
    sys::disable_core_dumps()
}
