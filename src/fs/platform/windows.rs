//! The Windows side of `crate::fs::platform`: new private keys created with a
//! protected DACL (owner, SYSTEM, Administrators) before a byte is written,
//! private keys checked by reading their DACL and evaluating it
//! (`dacl::evaluate`), the owner and DACL of a configuration file kept on
//! its replacement and read back, file identity from the volume serial
//! number and file index, directories locked with a named mutex (no file is
//! left behind) and flushed where the file system allows, and Windows Error
//! Reporting kept away from the heap. The Win32 calls are in `win32.rs`,
//! the one module with `unsafe`; what Windows cannot do as Unix does is
//! listed in SECURITY.md ("Windows").

use std::cell::OnceCell;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::path::Path;

use super::Exposure;
use super::dacl::{self, Descriptor, Sid, Verdict};

mod win32;

/// `FILE_FLAG_BACKUP_SEMANTICS`: what lets `CreateFileW` open a directory.
const BACKUP_SEMANTICS: u32 = 0x0200_0000;

/// The descriptor of a directory's lock mutex: SYSTEM and Administrators
/// control it, any signed-in account may wait on it and take it (as any
/// account that can open a directory may `flock` it on Unix).
const MUTEX_SDDL: &str = "D:(A;;0x1F0001;;;SY)(A;;0x1F0001;;;BA)(A;;0x100001;;;AU)";

/// Win32 errors that mean a directory cannot be flushed on this file
/// system (`ERROR_INVALID_FUNCTION`, `ERROR_ACCESS_DENIED` for a directory
/// handle opened for writing, `ERROR_NOT_SUPPORTED`, `ERROR_INVALID_PARAMETER`).
const NO_DIRECTORY_FLUSH: [i32; 5] = [1, 5, 32, 50, 87];

/// Named pipes are not in the file namespace and NTFS has no FIFOs: the
/// open needs no flag, and `open_regular` still refuses what is not a file.
pub(super) fn no_blocking_open(options: &mut OpenOptions) {
    let _ = options;
}

/// Volume serial number, file index and number of links.
pub(super) fn identity(file: &File) -> io::Result<(u64, u64, u64)> {
    let (volume, index, links) = win32::file_info(file)?;
    Ok((u64::from(volume), index, u64::from(links)))
}

/// The owner's SID (`None` when it is a domain alias confpass cannot
/// resolve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Owner {
    sid: Option<Sid>,
}

impl Owner {
    pub(super) fn of(file: &File) -> io::Result<Owner> {
        Ok(Owner {
            sid: descriptor(file)?.owner_sid(),
        })
    }
}

/// The security descriptor of an open file.
fn descriptor(file: &File) -> io::Result<Descriptor> {
    Descriptor::parse(&win32::file_sddl(file)?).map_err(io::Error::other)
}

/// The SID of the account this process runs as, and of the default owner of
/// what it creates (itself, or Administrators when elevated).
fn process_sids() -> io::Result<(Sid, Sid)> {
    let (user, owner) = win32::process_sids()?;
    let parse = |s: String| Sid::parse(&s).map_err(io::Error::other);
    Ok((parse(user)?, parse(owner)?))
}

/// A private file (`mode` giving group and others nothing) gets the
/// protected DACL `dacl::protected_key_sddl` for its default owner in the
/// same call that creates it; any other file inherits its folder's ACL.
pub(super) fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    if mode & 0o077 != 0 {
        return win32::create_new(path, None);
    }
    let (_, owner) = process_sids()?;
    win32::create_new(path, Some(&dacl::protected_key_sddl(&owner)))
}

/// Sets an owner (and DACL) from SDDL; when Windows refuses the owner,
/// enables `SeRestorePrivilege` (held by administrators, off by default)
/// and tries once more.
fn set_with_owner(file: &File, sddl: &str, with_dacl: bool) -> io::Result<()> {
    match win32::set_file_sddl(file, sddl, true, with_dacl) {
        Err(_) if win32::enable_privilege("SeRestorePrivilege").is_ok() => {
            win32::set_file_sddl(file, sddl, true, with_dacl)
        }
        other => other,
    }
}

/// Gives the new key the configuration file's owner, and a private key the
/// protected DACL for that owner, when it is someone other than SYSTEM,
/// Administrators or this run's account: a server running as that account
/// can then read it. Setting another owner needs `SeRestorePrivilege`; a
/// run without it keeps the key its own, still protected (SECURITY.md).
pub(super) fn give_new_file(file: &File, owner: &Owner, mode: u32) -> io::Result<()> {
    let Some(sid) = &owner.sid else {
        return Ok(());
    };
    let (_, default_owner) = process_sids()?;
    if sid.is_builtin_trusted() || *sid == default_owner {
        return Ok(());
    }
    let private = mode & 0o077 == 0;
    let sddl = if private {
        format!("O:{sid}{}", dacl::protected_key_sddl(sid))
    } else {
        format!("O:{sid}")
    };
    match set_with_owner(file, &sddl, private) {
        Err(e) if !owner_refused(&e) => Err(e),
        _ => Ok(()),
    }
}

/// Windows refused to make another account the owner: this run lacks the
/// right (`ERROR_ACCESS_DENIED`, `ERROR_INVALID_OWNER`,
/// `ERROR_PRIVILEGE_NOT_HELD`). Any other failure stops the run.
fn owner_refused(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(5 | 1307 | 1314))
}

/// Reads the key's descriptor and evaluates it (`dacl::evaluate`), trusting
/// the key's owner, SYSTEM and Administrators, as Win32-OpenSSH does.
pub(super) fn private_key_exposure(path: &Path) -> io::Result<Option<Exposure>> {
    let file = File::open(path)?;
    let sddl = win32::file_sddl(&file)?;
    let shown = path.display().to_string();
    let descriptor = match Descriptor::parse(&sddl) {
        Ok(d) => d,
        Err(e) => {
            let (user, _) = process_sids()?;
            return Ok(Some(Exposure::Acl {
                who: format!("whoever its DACL lets in (confpass cannot read it: {e})"),
                fix: dacl::icacls_fix(&shown, &user, &[]),
            }));
        }
    };
    let owner = match descriptor.owner_sid() {
        Some(sid) => sid,
        None => process_sids()?.0,
    };
    let names = |who: &[String]| {
        who.iter()
            .map(|w| dacl::describe(w))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if crate::fault::acls_unenforced() {
        return Ok(None);
    }
    let who = match descriptor.verdict(&owner) {
        Verdict::Protected => return Ok(None),
        Verdict::Exposed { who } => names(&who),
        Verdict::Unprotected { who } if who.is_empty() => {
            "whoever its folder's permissions let in (it inherits them)".to_owned()
        }
        Verdict::Unprotected { who } => format!(
            "{}, and whoever its folder's permissions let in (it inherits them)",
            names(&who)
        ),
    };
    Ok(Some(Exposure::Acl {
        who,
        fix: descriptor.icacls_fix(&shown, &owner).join("`, then `"),
    }))
}

/// The directory opened with `FILE_FLAG_BACKUP_SEMANTICS` (for its
/// identity), and the lock once taken.
pub(super) struct DirHandle {
    handle: File,
    lock: OnceCell<win32::HeldMutex>,
}

impl DirHandle {
    pub(super) fn open(path: &Path) -> io::Result<DirHandle> {
        let handle = OpenOptions::new()
            .read(true)
            .custom_flags(BACKUP_SEMANTICS)
            .open(path)?;
        Ok(DirHandle {
            handle,
            lock: OnceCell::new(),
        })
    }

    /// Volume serial number and file index.
    pub(super) fn id(&self) -> io::Result<(u64, u64)> {
        let (volume, index, _) = win32::file_info(&self.handle)?;
        Ok((u64::from(volume), index))
    }

    /// The mutex `Global\confpass-dir-<volume>-<index>`: named for the
    /// directory's identity, so every path to it (and every session) meets
    /// the same lock, and nothing is written into the directory.
    pub(super) fn try_lock(&self) -> io::Result<bool> {
        if self.lock.get().is_some() {
            return Ok(true);
        }
        let (volume, index) = self.id()?;
        let name = format!("Global\\confpass-dir-{volume:08x}-{index:016x}");
        match win32::try_lock_mutex(&name, MUTEX_SDDL)? {
            Some(held) => {
                let _ = self.lock.set(held);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub(super) fn sync(&self, path: &Path) -> io::Result<()> {
        sync_dir(path)
    }
}

/// `FlushFileBuffers` on a directory handle opened for writing; a file
/// system that cannot flush a directory (the errors in
/// [`NO_DIRECTORY_FLUSH`]) leaves the rename to its journal, as SECURITY.md
/// says.
pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    let flushed = OpenOptions::new()
        .write(true)
        .custom_flags(BACKUP_SEMANTICS)
        .open(path)
        .and_then(|dir| dir.sync_all());
    match flushed {
        Err(e)
            if e.raw_os_error()
                .is_some_and(|c| NO_DIRECTORY_FLUSH.contains(&c)) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// How long a rename waits for a reader to close the file.
const REPLACE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// `ERROR_ACCESS_DENIED` and `ERROR_SHARING_VIOLATION`: what a rename over
/// a file that another process holds open gives.
const HELD_OPEN: [i32; 2] = [5, 32];

/// std's rename (POSIX semantics where Windows has them, which replace a
/// file even while it is open; `MoveFileExW` otherwise), tried again while
/// a reader holds the target open.
pub(super) fn replace(from: &Path, to: &Path) -> io::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match std::fs::rename(from, to) {
            Err(e)
                if e.raw_os_error().is_some_and(|c| HELD_OPEN.contains(&c))
                    && started.elapsed() < REPLACE_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Always yes: NTFS ACLs are judged by the removal itself (a folder's ACL
/// can let a file be deleted that its own write right would not, and the
/// other way round), so nothing is refused in advance.
pub(super) fn dir_writable(dir: &Path) -> io::Result<()> {
    let _ = dir;
    Ok(())
}

pub(super) fn disable_core_dumps() -> io::Result<()> {
    win32::limit_crash_reports()
}

/// The owner and DACL (protected or inheriting, explicit ACEs) and the
/// read-only attribute, then read back.
pub(super) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
    let sddl = win32::file_sddl(original).map_err(|e| format!("its owner and DACL ({e})"))?;
    let wanted = Descriptor::parse(&sddl).map_err(|e| format!("its owner and DACL ({e})"))?;
    let present = descriptor(temp).map_err(|e| format!("its owner and DACL ({e})"))?;
    if wanted.owner_sid() != present.owner_sid() {
        set_with_owner(temp, &sddl, true).map_err(|e| {
            let owner = wanted
                .owner_sid()
                .map_or_else(|| "of the file".to_owned(), |s| s.to_string());
            format!(
                "its owner {owner} ({e}); run confpass as the file's owner or as an administrator"
            )
        })?;
    } else {
        win32::set_file_sddl(temp, &sddl, false, true).map_err(|e| format!("its DACL ({e})"))?;
    }
    let after = descriptor(temp).map_err(|e| format!("its owner and DACL ({e})"))?;
    if !wanted.same_explicit_access(&after) {
        return Err("its owner and DACL (they read back differently)".into());
    }
    let meta = original.metadata().map_err(|e| e.to_string())?;
    temp.set_permissions(meta.permissions())
        .map_err(|e| format!("its attributes ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_windows_refusals_to_change_the_owner_are_tolerated() {
        for code in [5, 1307, 1314] {
            assert!(owner_refused(&io::Error::from_raw_os_error(code)), "{code}");
        }
        // ERROR_FILE_NOT_FOUND, ERROR_DISK_FULL, ERROR_INVALID_HANDLE.
        for code in [2, 112, 6] {
            assert!(
                !owner_refused(&io::Error::from_raw_os_error(code)),
                "{code}"
            );
        }
    }
}
