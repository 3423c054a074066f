//! The Unix side of `crate::platform`, through `rustix` (safe system calls):
//! `O_NONBLOCK` opens, device and inode, owners given with `fchown`, modes,
//! extended attributes (POSIX ACLs, SELinux labels) copied and read back,
//! directories locked with `flock` and flushed with `fsync`, and core dumps
//! switched off with `setrlimit` and `PR_SET_DUMPABLE`.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{
    Gid, Uid, XattrFlags, fchown, fgetxattr, fgetxattr_query, flistxattr, flistxattr_query,
    fremovexattr, fsetxattr,
};
use rustix::io::Errno;

/// Opens without blocking on a FIFO and without taking a controlling terminal.
pub(super) fn no_blocking_open(options: &mut OpenOptions) {
    options.custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32);
}

/// Device and inode.
pub(super) fn file_id(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

pub(super) fn link_count(meta: &Metadata) -> u64 {
    meta.nlink()
}

/// User and group ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    uid: u32,
    gid: u32,
}

impl Owner {
    pub(super) fn of(meta: &Metadata) -> Owner {
        Owner {
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }
}

pub(super) fn give_new_file(file: &File, owner: Owner) -> io::Result<()> {
    if rustix::process::geteuid().is_root() {
        fchown(
            file,
            Some(Uid::from_raw(owner.uid)),
            Some(Gid::from_raw(owner.gid)),
        )?;
    }
    Ok(())
}

pub(super) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(mode))
}

/// The mode, when group or others have any bit of it.
pub(super) fn private_key_exposure(meta: &Metadata) -> Option<u32> {
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// The directory itself: it can be locked and flushed.
pub(super) fn open_dir_handle(path: &Path) -> io::Result<File> {
    File::open(path)
}

pub(super) fn sync_dir_handle(handle: &File) -> io::Result<()> {
    handle.sync_all()
}

pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
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
