//! The Unix side of `crate::fs::platform`, through `rustix` (safe system calls):
//! `O_NONBLOCK` opens, device and inode, new files created with mode 0600,
//! owners given with `fchown`, modes,
//! extended attributes (POSIX ACLs, SELinux labels) copied and read back,
//! directories locked with `flock`, flushed with `fsync` and asked whether
//! they can be written with `access`, and core dumps
//! switched off with `setrlimit` and `PR_SET_DUMPABLE`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{
    Gid, Uid, XattrFlags, fchown, fgetxattr, fgetxattr_query, flistxattr, flistxattr_query,
    fremovexattr, fsetxattr,
};
use rustix::io::Errno;

use super::Exposure;

/// Opens without blocking on a FIFO and without taking a controlling terminal.
pub(super) fn no_blocking_open(options: &mut OpenOptions) {
    options.custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32);
}

/// Device, inode and number of links.
pub(super) fn identity(file: &File) -> io::Result<(u64, u64, u64)> {
    let meta = file.metadata()?;
    Ok((meta.dev(), meta.ino(), meta.nlink()))
}

/// User and group ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    uid: u32,
    gid: u32,
}

impl Owner {
    pub(super) fn of(file: &File) -> io::Result<Owner> {
        let meta = file.metadata()?;
        Ok(Owner {
            uid: meta.uid(),
            gid: meta.gid(),
        })
    }
}

/// `O_EXCL` with mode 0600 (what tempfile does), then `fchmod` to `mode`:
/// the umask cannot widen it, and a public key gets its 0644 whatever the
/// umask.
pub(super) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    set_mode(&file, mode)?;
    Ok(file)
}

/// `fchown` to the configuration file's owner and group, as root only.
pub(super) fn give_new_file(file: &File, owner: &Owner, mode: u32) -> io::Result<()> {
    let _ = mode;
    if rustix::process::geteuid().is_root() {
        fchown(
            file,
            Some(Uid::from_raw(owner.uid)),
            Some(Gid::from_raw(owner.gid)),
        )?;
    }
    Ok(())
}

fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(mode))
}

/// The mode, when group or others have any bit of it.
pub(super) fn private_key_exposure(path: &Path) -> io::Result<Option<Exposure>> {
    let mode = fs::metadata(path)?.permissions().mode() & 0o777;
    Ok((mode & 0o077 != 0).then_some(Exposure::Mode(mode)))
}

/// The directory itself, opened for reading: it can be locked and flushed.
pub(super) struct DirHandle(File);

impl DirHandle {
    pub(super) fn open(path: &Path) -> io::Result<DirHandle> {
        File::open(path).map(DirHandle)
    }

    /// Device and inode.
    pub(super) fn id(&self) -> io::Result<(u64, u64)> {
        let meta = self.0.metadata()?;
        Ok((meta.dev(), meta.ino()))
    }

    /// `flock(LOCK_EX | LOCK_NB)` on the directory.
    pub(super) fn try_lock(&self) -> io::Result<bool> {
        match self.0.try_lock() {
            Ok(()) => Ok(true),
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// `fsync` on the handle held since the lock.
    pub(super) fn sync(&self, path: &Path) -> io::Result<()> {
        let _ = path;
        self.0.sync_all()
    }
}

pub(super) fn replace(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

pub(super) fn dir_writable(dir: &Path) -> io::Result<()> {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).map_err(io::Error::from)
}

pub(super) fn disable_core_dumps() -> io::Result<()> {
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
    set_mode(temp, mode).map_err(|e| format!("its mode {mode:o} ({e})"))?;
    let after = temp.metadata().map_err(|e| e.to_string())?;
    if (after.uid(), after.gid(), after.mode() & 0o7777) != (uid, gid, mode) {
        return Err(format!("its owner, group and mode {uid}:{gid} {mode:o}"));
    }
    if attrs(temp).map_err(|e| e.to_string())? != wanted {
        return Err("its extended attributes (they read back differently)".into());
    }
    Ok(())
}
