//! The Windows side of `crate::platform`, through std alone for now. Several
//! functions are stand-ins that keep today's behaviour until the Win32
//! security calls are added (issue 10): each one says what is missing, and
//! SECURITY.md ("Files", the Windows paragraph) lists them for users. The
//! evaluation those calls will feed, a DACL to a verdict, is already in
//! `dacl.rs`.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// A FIFO cannot be created on NTFS; the open needs no flag.
pub(super) fn no_blocking_open(options: &mut OpenOptions) {
    let _ = options;
}

/// The size and the last write time.
pub(super) fn file_id(meta: &Metadata) -> (u64, u64) {
    // Windows: no volume serial number and file index (std exposes no stable
    // file index yet); the size and the last write time stand in, and the
    // bytes are compared as well, see SECURITY.md.
    let t = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    (meta.len(), t)
}

pub(super) fn link_count(meta: &Metadata) -> u64 {
    // Windows: the number of links (GetFileInformationByHandle) is not read,
    // so a hard-linked configuration file is not warned about, see SECURITY.md.
    let _ = meta;
    1
}

/// Nothing yet: the owner's SID is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {}

impl Owner {
    pub(super) fn of(meta: &Metadata) -> Owner {
        let _ = meta;
        Owner {}
    }
}

pub(super) fn give_new_file(file: &File, owner: Owner) -> io::Result<()> {
    // Windows: the configuration file's owner SID is neither read nor given
    // to new key files (SetSecurityInfo with OWNER_SECURITY_INFORMATION); a
    // new file belongs to the account that runs confpass, see SECURITY.md.
    let _ = (file, owner);
    Ok(())
}

pub(super) fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    // Windows: a private key is not given the protected DACL (owner, SYSTEM,
    // Administrators; `dacl::protected_key_sddl`) before its bytes are
    // written; it keeps its directory's inherited ACL, see SECURITY.md.
    let _ = (file, mode);
    Ok(())
}

pub(super) fn private_key_exposure(meta: &Metadata) -> Option<u32> {
    // Windows: the private key's DACL is not read (GetSecurityInfo) nor
    // evaluated (`dacl::evaluate`), so a key that others can read is not
    // refused, see SECURITY.md.
    let _ = meta;
    None
}

/// A `.confpass.lock` file in the directory: a directory handle can be
/// neither locked nor flushed through std.
pub(super) fn open_dir_handle(path: &Path) -> io::Result<File> {
    // Windows: the lock is a file in the directory, not the directory itself
    // (LockFileEx on a directory handle), and it stays there after the run,
    // see SECURITY.md.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path.join(".confpass.lock"))
}

pub(super) fn sync_dir_handle(handle: &File) -> io::Result<()> {
    // Windows: the directory's entries are not flushed (FlushFileBuffers on a
    // handle opened with FILE_FLAG_BACKUP_SEMANTICS); NTFS journals the
    // rename, see SECURITY.md.
    let _ = handle;
    Ok(())
}

pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    // Windows: as `sync_dir_handle`, the directory is not flushed, see
    // SECURITY.md.
    let _ = path;
    Ok(())
}

pub(super) fn disable_core_dumps() -> io::Result<()> {
    // Windows: no core file of its own; Windows Error Reporting's local dumps
    // (LocalDumps) are a machine setting that confpass does not turn off for
    // itself (WerAddExcludedApplication / SetErrorMode), see SECURITY.md.
    Ok(())
}

/// Only the read-only attribute is copied.
pub(super) fn keep_attributes(original: &File, temp: &File) -> Result<(), String> {
    // Windows: the owner, the DACL and alternate data streams are not copied
    // to the replacement; it takes its directory's inherited ACL, see
    // SECURITY.md.
    let meta = original.metadata().map_err(|e| e.to_string())?;
    temp.set_permissions(meta.permissions())
        .map_err(|e| format!("its attributes: {e}"))
}
