//! Everything that differs between operating systems, in one place.
//!
//! Opening only regular files (without blocking on a FIFO), a file's identity,
//! keeping a file's owner, group, mode and extended attributes (POSIX ACLs and
//! SELinux labels are extended attributes) on its replacement, the owner of
//! new key files, the mode check of a private key, the directory handle that
//! is locked and flushed, and switching core dumps off. Unix goes through
//! `rustix` (safe system calls); no other module holds `cfg(unix)` or
//! `cfg(windows)`. What Windows cannot do yet is said in SECURITY.md.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

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
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(
            (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32,
        );
    }
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        FileId(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        // Windows: std exposes no stable file index yet; the size and the
        // last write time stand in, and the bytes are compared as well.
        let t = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        FileId(meta.len(), t)
    }
}

/// How many names (hard links) the file has.
pub(crate) fn link_count(meta: &Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// The owner and group a file has, to give to the files made for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    #[cfg(unix)]
    uid: u32,
    #[cfg(unix)]
    gid: u32,
}

impl Owner {
    /// The owner of a file, from its metadata.
    pub(crate) fn of(meta: &Metadata) -> Owner {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Owner {
                uid: meta.uid(),
                gid: meta.gid(),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Owner {}
        }
    }
}

/// Gives a new file (a key, a lock) the configuration file's owner and group
/// when running as root; anyone else makes files of their own, which is then
/// the owner already or the only owner they can give.
pub(crate) fn give_new_file(file: &File, owner: Owner) -> io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::fs::{Gid, Uid, fchown};
        if rustix::process::geteuid().is_root() {
            fchown(
                file,
                Some(Uid::from_raw(owner.uid)),
                Some(Gid::from_raw(owner.gid)),
            )?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = (file, owner);
        Ok(())
    }
}

/// Sets a file's permission bits (Unix); Windows keeps the directory's ACL.
pub(crate) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// The permission bits of a private key file that group or others can use,
/// if any (Unix); `None` when only its owner can.
pub(crate) fn private_key_exposure(meta: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Gives `temp` everything of `original` that a replacement must keep: owner,
/// group, extended attributes (POSIX ACLs, SELinux label) and mode, then
/// checks that it has them. An error names what cannot be kept.
pub(crate) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
    #[cfg(unix)]
    {
        unix::keep_attributes(original, temp)
    }
    #[cfg(not(unix))]
    {
        let meta = original.metadata().map_err(|e| e.to_string())?;
        temp.set_permissions(meta.permissions())
            .map_err(|e| format!("its attributes: {e}"))
    }
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
        #[cfg(unix)]
        let handle = File::open(path)?;
        #[cfg(not(unix))]
        let handle = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(".confpass.lock"))?;
        Ok(Dir {
            handle,
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
        #[cfg(unix)]
        {
            self.handle.sync_all()
        }
        #[cfg(not(unix))]
        {
            Ok(())
        }
    }
}

/// Flushes a directory's entries to disk (Unix); see [`Dir::sync`] for Windows.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(path)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// Switches core dumps off for this process, so that a crash while it holds
/// a password writes no core file: the core size limit goes to 0 (soft and
/// hard) and, on Linux, the process is marked not dumpable (which also keeps
/// other users' tools out of its memory).
pub fn disable_core_dumps() -> io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        // Windows writes no core file of its own; Windows Error Reporting's
        // local dumps are a machine setting (SECURITY.md).
        Ok(())
    }
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::os::unix::fs::MetadataExt;

    use rustix::fs::{
        Gid, Uid, XattrFlags, fchown, fgetxattr, fgetxattr_query, flistxattr, flistxattr_query,
        fremovexattr, fsetxattr,
    };
    use rustix::io::Errno;

    /// Name → value of every extended attribute of a file.
    type Attrs = Vec<(Vec<u8>, Vec<u8>)>;

    fn attrs(file: &File) -> Result<Attrs, Errno> {
        let size = match flistxattr_query(file) {
            Ok(n) => n,
            Err(Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = vec![0u8; size];
        let n = flistxattr(file, &mut names[..])?;
        names.truncate(n);
        let mut out = Vec::new();
        for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            let name_str = std::str::from_utf8(name).map_err(|_| Errno::INVAL)?;
            let len = fgetxattr_query(file, name_str)?;
            let mut value = vec![0u8; len];
            let got = fgetxattr(file, name_str, &mut value[..])?;
            value.truncate(got);
            out.push((name.to_vec(), value));
        }
        out.sort();
        Ok(out)
    }

    pub(super) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
        let meta = original.metadata().map_err(|e| e.to_string())?;
        let (uid, gid, mode) = (meta.uid(), meta.gid(), meta.mode() & 0o7777);
        let temp_meta = temp.metadata().map_err(|e| e.to_string())?;
        if (temp_meta.uid(), temp_meta.gid()) != (uid, gid) {
            fchown(temp, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid))).map_err(|e| {
                format!(
                    "its owner and group {uid}:{gid} ({e}); run confpass as the file's owner or as root"
                )
            })?;
        }
        let wanted = attrs(original).map_err(|e| format!("its extended attributes ({e})"))?;
        let present = attrs(temp).map_err(|e| format!("its extended attributes ({e})"))?;
        for (name, _) in present
            .iter()
            .filter(|(n, _)| !wanted.iter().any(|(w, _)| w == n))
        {
            let text = String::from_utf8_lossy(name);
            fremovexattr(temp, text.as_ref())
                .map_err(|e| format!("its extended attributes (cannot drop {text}: {e})"))?;
        }
        for (name, value) in wanted.iter().filter(|a| !present.contains(a)) {
            let text = String::from_utf8_lossy(name);
            fsetxattr(temp, text.as_ref(), value, XattrFlags::empty())
                .map_err(|e| format!("its extended attribute {text} ({e})"))?;
        }
        // The mode last: setting an ACL rewrites the group bits.
        super::set_mode(temp, mode).map_err(|e| format!("its mode {mode:o} ({e})"))?;
        let after = temp.metadata().map_err(|e| e.to_string())?;
        if (after.uid(), after.gid(), after.mode() & 0o7777) != (uid, gid, mode) {
            return Err(format!("its owner, group and mode {uid}:{gid} {mode:o}"));
        }
        if attrs(temp).map_err(|e| e.to_string())? != wanted {
            return Err("its extended attributes (they read back differently)".into());
        }
        Ok(())
    }
}
