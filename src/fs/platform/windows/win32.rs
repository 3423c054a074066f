//! The Win32 calls behind `platform::windows`, each wrapped in a safe
//! function: security descriptors read as SDDL text and set from it, files
//! created with a descriptor, a file's volume and index, a named mutex that
//! locks a directory, the account a run belongs to, and Windows Error
//! Reporting told to leave the heap out of its reports.
//!
//! This is the one module of confpass that holds `unsafe` code, and only on
//! Windows: `windows-sys` (maintained by Microsoft) declares the functions,
//! and no maintained crate offers a safe API for file security descriptors
//! (SECURITY.md, "Unsafe code", says why these calls and not a wrapper).
//! Every block states, in its `// SAFETY:` comment, why its pointers are
//! valid; every buffer a call allocates is freed by [`Local`], every handle
//! it opens is owned by an `OwnedHandle`.

#![allow(
    unsafe_code,
    reason = "Win32 security calls through windows-sys; see the module documentation"
)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::path::Path;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_NOT_ALL_ASSIGNED, ERROR_SUCCESS, GENERIC_READ, GENERIC_WRITE, GetLastError, HANDLE,
    INVALID_HANDLE_VALUE, LUID, LocalFree, WAIT_ABANDONED, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo, SDDL_REVISION_1,
    SE_FILE_OBJECT, SetSecurityInfo,
};
use windows_sys::Win32::Security::{
    ACL, AdjustTokenPrivileges, DACL_SECURITY_INFORMATION, GROUP_SECURITY_INFORMATION,
    GetSecurityDescriptorControl, GetSecurityDescriptorDacl, GetSecurityDescriptorOwner,
    GetTokenInformation, LUID_AND_ATTRIBUTES, LookupPrivilegeValueW, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SE_DACL_PROTECTED,
    SE_PRIVILEGE_ENABLED, SECURITY_ATTRIBUTES, TOKEN_ADJUST_PRIVILEGES, TOKEN_INFORMATION_CLASS,
    TOKEN_OWNER, TOKEN_PRIVILEGES, TOKEN_QUERY, TOKEN_USER, TokenOwner, TokenUser,
    UNPROTECTED_DACL_SECURITY_INFORMATION,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, CREATE_NEW, CreateFileW, DELETE, FILE_ATTRIBUTE_NORMAL,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, GetFileInformationByHandle, READ_CONTROL,
    SYNCHRONIZE, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::Diagnostics::Debug::{
    SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX, SetErrorMode,
};
use windows_sys::Win32::System::ErrorReporting::{WER_FAULT_REPORTING_FLAG_NOHEAP, WerSetFlags};
use windows_sys::Win32::System::Threading::{
    CreateMutexExW, GetCurrentProcess, MUTEX_MODIFY_STATE, OpenProcessToken, ReleaseMutex,
    WaitForSingleObject,
};

/// Memory a Win32 call allocated with `LocalAlloc`, freed once on drop.
struct Local(*mut c_void);

impl Drop for Local {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a call documented to allocate it
            // with LocalAlloc, and this is its only owner.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// `text` as a NUL-terminated UTF-16 string.
fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

/// The text of a NUL-terminated UTF-16 string a call returned.
///
/// # Safety
/// `p` is null or points to a NUL-terminated UTF-16 string.
unsafe fn from_wide(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut n = 0;
    // SAFETY: the string is NUL-terminated (the caller's promise), so every
    // index up to and including the NUL is inside it.
    while unsafe { *p.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: the `n` units before the NUL were just read.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, n) })
}

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

fn raw(file: &impl AsRawHandle) -> HANDLE {
    file.as_raw_handle() as HANDLE
}

/// A security descriptor parsed from SDDL text.
struct Descriptor(Local);

impl Descriptor {
    fn from_sddl(sddl: &str) -> io::Result<Descriptor> {
        let text = wide(std::ffi::OsStr::new(sddl));
        let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and lives across the call; `sd`
        // receives a LocalAlloc'd descriptor that `Local` frees.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(last_error());
        }
        Ok(Descriptor(Local(sd)))
    }
}

/// The owner, group and DACL of an open file, as SDDL text. The handle
/// needs `READ_CONTROL`, which every handle std opens for reading has.
pub(crate) fn file_sddl(file: &File) -> io::Result<String> {
    let info = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: the handle is open for the duration of the call; the four
    // optional out-pointers are null (not wanted) and `sd` receives a
    // LocalAlloc'd descriptor that `Local` frees.
    let rc = unsafe {
        GetSecurityInfo(
            raw(file),
            SE_FILE_OBJECT,
            info,
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
            &mut sd,
        )
    };
    if rc != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    let sd = Local(sd);
    let mut text: *mut u16 = ptr::null_mut();
    // SAFETY: `sd.0` is the valid descriptor just read; `text` receives a
    // LocalAlloc'd string that `Local` frees; the length is not wanted.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            sd.0,
            SDDL_REVISION_1,
            info,
            &mut text,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(last_error());
    }
    let text = Local(text.cast());
    // SAFETY: the call returned a NUL-terminated string.
    Ok(unsafe { from_wide(text.0.cast()) })
}

/// Sets, from SDDL text, a file's owner (`O:`) when `with_owner` and its
/// DACL (protected or inheriting, as `sddl` says with or without `D:P`) when
/// `with_dacl`. The handle needs `WRITE_OWNER` and `WRITE_DAC`, which
/// [`create_new`] gives.
pub(crate) fn set_file_sddl(
    file: &File,
    sddl: &str,
    with_owner: bool,
    with_dacl: bool,
) -> io::Result<()> {
    let sd = Descriptor::from_sddl(sddl)?;
    let (mut present, mut defaulted) = (0, 0);
    let mut dacl: *mut ACL = ptr::null_mut();
    let mut owner: PSID = ptr::null_mut();
    let (mut control, mut revision) = (0u16, 0u32);
    // SAFETY: `sd.0` is a valid descriptor that outlives the pointers these
    // three calls return into it (`dacl`, `owner`), which are used only
    // below, while `sd` is alive.
    let ok = unsafe {
        GetSecurityDescriptorDacl(sd.0.0, &mut present, &mut dacl, &mut defaulted) != 0
            && GetSecurityDescriptorOwner(sd.0.0, &mut owner, &mut defaulted) != 0
            && GetSecurityDescriptorControl(sd.0.0, &mut control, &mut revision) != 0
    };
    if !ok {
        return Err(last_error());
    }
    let mut info = 0;
    if with_dacl && present != 0 {
        info |= DACL_SECURITY_INFORMATION
            | if control & SE_DACL_PROTECTED != 0 {
                PROTECTED_DACL_SECURITY_INFORMATION
            } else {
                UNPROTECTED_DACL_SECURITY_INFORMATION
            };
    }
    if with_owner && !owner.is_null() {
        info |= OWNER_SECURITY_INFORMATION;
    }
    if info == 0 {
        return Err(io::Error::other("the descriptor has nothing to set"));
    }
    // SAFETY: the handle is open; `owner` and `dacl` point into `sd`, alive
    // until the end of this function; the group and SACL are not set.
    let rc = unsafe {
        SetSecurityInfo(
            raw(file),
            SE_FILE_OBJECT,
            info,
            owner,
            ptr::null_mut(),
            dacl,
            ptr::null(),
        )
    };
    if rc != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    Ok(())
}

/// Creates a new file (never an existing one: `CREATE_NEW`) with the DACL
/// of `sddl` from its first moment, or the one it inherits from its folder
/// when `sddl` is `None`. The handle can read, write, delete (rename) and
/// change the file's DACL and owner; others may share all of it, as std's
/// own handles do.
pub(crate) fn create_new(path: &Path, sddl: Option<&str>) -> io::Result<File> {
    let sd = sddl.map(Descriptor::from_sddl).transpose()?;
    let attributes = sd.as_ref().map(|sd| SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd.0.0,
        bInheritHandle: 0,
    });
    let name = wide(path.as_os_str());
    // SAFETY: `name` is NUL-terminated; `attributes`, when given, points to
    // a SECURITY_ATTRIBUTES whose descriptor (`sd`) is alive for the call.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            GENERIC_READ | GENERIC_WRITE | DELETE | READ_CONTROL | WRITE_DAC | WRITE_OWNER,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            attributes.as_ref().map_or(ptr::null(), |a| a as *const _),
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL,
            ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(last_error());
    }
    // SAFETY: a valid handle, just opened, owned by nothing else.
    Ok(File::from(unsafe {
        OwnedHandle::from_raw_handle(handle as RawHandle)
    }))
}

/// What `GetFileInformationByHandle` says of an open file (or directory):
/// its volume serial number, its 64-bit file index, its number of links.
pub(crate) fn file_info(file: &File) -> io::Result<(u32, u64, u32)> {
    let mut info = BY_HANDLE_FILE_INFORMATION::default();
    // SAFETY: the handle is open and `info` is a writable struct of the
    // type the call fills.
    if unsafe { GetFileInformationByHandle(raw(file), &mut info) } == 0 {
        return Err(last_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok((info.dwVolumeSerialNumber, index, info.nNumberOfLinks))
}

/// The SID as text (`S-1-5-…`) of a SID a call returned.
///
/// # Safety
/// `sid` points to a valid SID.
unsafe fn sid_text(sid: PSID) -> io::Result<String> {
    let mut text: *mut u16 = ptr::null_mut();
    // SAFETY: `sid` is valid (the caller's promise); `text` receives a
    // LocalAlloc'd string that `Local` frees.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
        return Err(last_error());
    }
    let text = Local(text.cast());
    // SAFETY: the call returned a NUL-terminated string.
    Ok(unsafe { from_wide(text.0.cast()) })
}

/// This process's access token.
fn process_token(access: u32) -> io::Result<OwnedHandle> {
    let mut token: HANDLE = ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle needing no close;
    // `token` receives a new handle that `OwnedHandle` closes.
    if unsafe { OpenProcessToken(GetCurrentProcess(), access, &mut token) } == 0 {
        return Err(last_error());
    }
    // SAFETY: a valid handle, just opened, owned by nothing else.
    Ok(unsafe { OwnedHandle::from_raw_handle(token as RawHandle) })
}

/// One piece of information of the process token, in a buffer aligned for
/// the structures it holds.
fn token_information(class: TOKEN_INFORMATION_CLASS) -> io::Result<Vec<u64>> {
    let token = process_token(TOKEN_QUERY)?;
    let mut needed = 0u32;
    // SAFETY: a size query: no buffer, `needed` receives the size in bytes.
    unsafe { GetTokenInformation(raw(&token), class, ptr::null_mut(), 0, &mut needed) };
    let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
    let size = (buffer.len() * 8) as u32;
    // SAFETY: `buffer` is writable for `size` bytes and 8-byte aligned.
    let ok = unsafe {
        GetTokenInformation(
            raw(&token),
            class,
            buffer.as_mut_ptr().cast(),
            size,
            &mut needed,
        )
    };
    if ok == 0 {
        return Err(last_error());
    }
    Ok(buffer)
}

/// The SIDs of the account this process runs as and of the default owner of
/// the objects it creates (the account itself, or the Administrators group
/// for an elevated administrator).
pub(crate) fn process_sids() -> io::Result<(String, String)> {
    let user = token_information(TokenUser)?;
    let owner = token_information(TokenOwner)?;
    // SAFETY: GetTokenInformation filled each buffer with a TOKEN_USER and a
    // TOKEN_OWNER (and the SIDs they point to, inside the same buffers,
    // which are alive while the SIDs are read); both are 8-byte aligned.
    unsafe {
        let user_sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        let owner_sid = (*owner.as_ptr().cast::<TOKEN_OWNER>()).Owner;
        Ok((sid_text(user_sid)?, sid_text(owner_sid)?))
    }
}

/// Enables a privilege the process holds but has not enabled (for example
/// `SeRestorePrivilege`, which lets an administrator give a file to another
/// owner); an error when the account does not hold it.
pub(crate) fn enable_privilege(name: &str) -> io::Result<()> {
    let token = process_token(TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY)?;
    let name = wide(std::ffi::OsStr::new(name));
    let mut luid = LUID::default();
    // SAFETY: `name` is NUL-terminated; `luid` is writable.
    if unsafe { LookupPrivilegeValueW(ptr::null(), name.as_ptr(), &mut luid) } == 0 {
        return Err(last_error());
    }
    let wanted = TOKEN_PRIVILEGES {
        PrivilegeCount: 1,
        Privileges: [LUID_AND_ATTRIBUTES {
            Luid: luid,
            Attributes: SE_PRIVILEGE_ENABLED,
        }],
    };
    // SAFETY: the token is open with TOKEN_ADJUST_PRIVILEGES; `wanted` is a
    // complete TOKEN_PRIVILEGES; the previous state is not wanted.
    let ok = unsafe {
        AdjustTokenPrivileges(raw(&token), 0, &wanted, 0, ptr::null_mut(), ptr::null_mut())
    };
    // SAFETY: reads this thread's last error, set by the call above.
    if ok == 0 || unsafe { GetLastError() } == ERROR_NOT_ALL_ASSIGNED {
        return Err(io::Error::from_raw_os_error(ERROR_NOT_ALL_ASSIGNED as i32));
    }
    Ok(())
}

/// A named mutex held by this thread: what locks a directory on Windows.
/// Released when dropped; Windows releases it (abandoned) if the process
/// dies holding it.
pub(crate) struct HeldMutex(OwnedHandle, std::marker::PhantomData<*const ()>);

impl Drop for HeldMutex {
    fn drop(&mut self) {
        // SAFETY: the handle is open and this thread owns the mutex (it was
        // acquired by `try_lock_mutex` on this thread, and a `HeldMutex` is
        // not Send).
        unsafe { ReleaseMutex(raw(&self.0)) };
    }
}

/// Creates or opens the mutex `name` (`Global\…`, shared by every session)
/// with the descriptor `sddl` and tries to take it without waiting:
/// `Ok(None)` when another thread or process holds it.
pub(crate) fn try_lock_mutex(name: &str, sddl: &str) -> io::Result<Option<HeldMutex>> {
    let sd = Descriptor::from_sddl(sddl)?;
    let attributes = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd.0.0,
        bInheritHandle: 0,
    };
    let name = wide(std::ffi::OsStr::new(name));
    // SAFETY: `name` is NUL-terminated; `attributes` and its descriptor are
    // alive for the call; the new handle is owned below.
    let handle = unsafe {
        CreateMutexExW(
            &attributes,
            name.as_ptr(),
            0,
            SYNCHRONIZE | MUTEX_MODIFY_STATE,
        )
    };
    if handle.is_null() {
        return Err(last_error());
    }
    // SAFETY: a valid handle, just opened, owned by nothing else.
    let handle = unsafe { OwnedHandle::from_raw_handle(handle as RawHandle) };
    // SAFETY: the handle is open with SYNCHRONIZE; a zero timeout only polls.
    match unsafe { WaitForSingleObject(raw(&handle), 0) } {
        // Abandoned: a run died holding it, and this one has it now.
        WAIT_OBJECT_0 | WAIT_ABANDONED => Ok(Some(HeldMutex(handle, std::marker::PhantomData))),
        WAIT_TIMEOUT => Ok(None),
        _ => Err(last_error()),
    }
}

/// Shows no fault dialog and asks Windows Error Reporting to leave the heap
/// (where the password lives) out of any report of this process.
pub(crate) fn limit_crash_reports() -> io::Result<()> {
    // SAFETY: sets a flag word of this process; no pointers.
    unsafe { SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX) };
    // SAFETY: sets a flag word of this process; no pointers.
    let hr = unsafe { WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP) };
    if hr < 0 {
        return Err(io::Error::other(format!(
            "WerSetFlags failed (HRESULT {hr:#010x})"
        )));
    }
    Ok(())
}
