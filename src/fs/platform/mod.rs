//! Everything that differs between operating systems, in one place.
//!
//! Opening only regular files (without blocking on a FIFO), a file's identity,
//! new files protected from their first moment (mode 0600, or a protected
//! DACL), keeping a file's owner, group, mode, ACLs and extended attributes
//! (POSIX ACLs and SELinux labels are extended attributes) on its
//! replacement, the owner of new key files, the protection check of a
//! private key, directory locks and flushes, whether a directory can be
//! written, and switching core dumps off.
//! This file is the portable API the rest of the crate calls; `unix.rs`
//! implements it through `rustix` (safe system calls), `windows.rs` through
//! std and `windows/win32.rs` (the crate's only `unsafe`, Windows only).
//! `dacl.rs` is the pure evaluation of a Windows DACL, compiled and tested on
//! every OS. No other module holds `cfg(unix)` or `cfg(windows)`.

use std::fs::{File, OpenOptions};
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
    let file = match options.open(path) {
        Ok(file) => file,
        // Windows refuses to open a directory as a file ("access denied"):
        // say what it is instead.
        Err(e) if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) => {
            let _ = e;
            return Err(io::Error::other(NotRegular));
        }
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(NotRegular));
    }
    Ok(file)
}

/// What identifies a file across renames: device and inode on Unix, volume
/// serial number and file index on Windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FileId(u64, u64);

/// The identity of an open file and how many names (hard links) it has.
pub(crate) fn identity(file: &File) -> io::Result<(FileId, u64)> {
    let (a, b, links) = sys::identity(file)?;
    Ok((FileId(a, b), links))
}

/// The owner (and, on Unix, the group) a file has, to give to the files made
/// for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner(sys::Owner);

impl Owner {
    /// The owner of an open file.
    pub(crate) fn of(file: &File) -> io::Result<Owner> {
        sys::Owner::of(file).map(Owner)
    }
}

/// Creates a new file at `path` (never an existing one), protected from its
/// first moment: only its owner can use it when `mode` gives group and others
/// nothing (Unix mode 0600; on Windows a protected DACL for the owner, SYSTEM
/// and Administrators), otherwise readable as `mode` says (on Windows, the
/// folder's inherited ACL).
pub(crate) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    sys::create_new(path, mode)
}

/// Gives a new key file the configuration file's owner (and group), as root
/// on Unix and as an administrator on Windows, so that the server running as
/// that account can read it; a run without that right leaves the file its
/// own, protected as [`create_new`] made it.
pub(crate) fn give_new_file(file: &File, owner: &Owner, mode: u32) -> io::Result<()> {
    sys::give_new_file(file, &owner.0, mode)
}

/// Why a private key file is not protected, for [`crate::Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exposure {
    /// Unix: the permission bits that give group or others access.
    #[cfg_attr(windows, allow(dead_code, reason = "made on Unix only"))]
    Mode(u32),
    /// Windows: who else can use the file, and the `icacls` command(s) that
    /// protect it.
    #[cfg_attr(not(windows), allow(dead_code, reason = "made on Windows only"))]
    Acl {
        /// The other trustees, or what keeps the DACL from protecting it.
        who: String,
        /// The command that fixes it.
        fix: String,
    },
}

/// Whether anyone but the owner (and, on Windows, SYSTEM and
/// Administrators) can use the private key file at `path`; `None` when
/// nobody else can.
pub(crate) fn private_key_exposure(path: &Path) -> io::Result<Option<Exposure>> {
    sys::private_key_exposure(path)
}

/// Gives `temp` everything of `original` that a replacement must keep: owner,
/// group, extended attributes (POSIX ACLs, SELinux label) and mode on Unix;
/// owner, DACL and the read-only attribute on Windows; then checks that it
/// has them. An error names what cannot be kept.
pub(crate) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
    sys::keep_attributes(original, temp)
}

/// Renames `from` over `to` (the commit of a replacement, the promotion of
/// a key): `rename(2)` on Unix. On Windows, which refuses to replace a file
/// some process holds open without sharing its deletion (a server reading
/// the configuration file with the C runtime's `fopen`), the rename is
/// tried again for up to two seconds, then the refusal is returned.
pub(crate) fn replace(from: &Path, to: &Path) -> io::Result<()> {
    sys::replace(from, to)
}

/// A directory held open: what a run locks, and what it flushes after a rename.
pub(crate) struct Dir {
    handle: sys::DirHandle,
    path: PathBuf,
}

impl Dir {
    /// Opens a directory.
    pub(crate) fn open(path: &Path) -> io::Result<Dir> {
        Ok(Dir {
            handle: sys::DirHandle::open(path)?,
            path: path.to_path_buf(),
        })
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's identity, for the order in which two are locked.
    pub(crate) fn id(&self) -> io::Result<FileId> {
        let (a, b) = self.handle.id()?;
        Ok(FileId(a, b))
    }

    /// Tries to take the exclusive lock of the directory (Unix: `flock` on
    /// it; Windows: a named mutex for its volume and file index); `Ok(false)`
    /// when another run holds it. Held until the `Dir` is dropped, or the
    /// process ends.
    pub(crate) fn try_lock(&self) -> io::Result<bool> {
        self.handle.try_lock()
    }

    /// Flushes the directory's entries to disk.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.handle.sync(&self.path)
    }
}

/// Flushes a directory's entries to disk (Unix: `fsync`; Windows:
/// `FlushFileBuffers` on the directory, where its file system allows it).
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    sys::sync_dir(path)
}

/// Whether this process may remove entries of the directory `dir`; an
/// error says why not (Unix: `access(2)` with `W_OK`, which also reports a
/// read-only file system). Asked before a run removes its first file, so
/// that what can never succeed is refused while nothing is removed yet. On
/// Windows the answer is always yes: NTFS ACLs (a delete right on the file,
/// or delete-child on the folder) are judged by the removal itself.
pub(crate) fn dir_writable(dir: &Path) -> io::Result<()> {
    sys::dir_writable(dir)
}

/// Switches core dumps off for this process, so that a crash while it holds
/// a password writes no core file: the core size limit goes to 0 (soft and
/// hard) and, on Linux, the process is marked not dumpable (which also keeps
/// other users' tools out of its memory). On Windows, which writes no core
/// file of its own, it shows no fault dialog and asks Windows Error
/// Reporting to leave the heap out of its reports (SECURITY.md says what a
/// machine's own dump settings can still do).
pub fn disable_core_dumps() -> io::Result<()> {
    sys::disable_core_dumps()
}
