//! The calls a Configuration Server makes: the start-up call, the candidates
//! call of a rotation, the check, and core dumps off. Each one reads the
//! configuration file afresh through the library's public API and keeps
//! nothing once it returns.

use std::ffi::c_char;

use confpass::confserv::{DEFAULT_CONFIG_FILE, DEFAULT_SERVER_SECTION};

use crate::boundary::{call, put, required, text_arg};
use crate::confpass_result;
use crate::error::confpass_error;
use crate::report::confpass_report;
use crate::secret::{confpass_candidates, confpass_secret, confpass_which};

/// The configuration path and the server section of a call, NULL meaning
/// the command line's defaults.
///
/// # Safety
/// Each is NULL or a NUL-terminated string valid during the call.
unsafe fn location(
    function: &str,
    config_path: *const c_char,
    server_section: *const c_char,
) -> Result<(String, String), confpass_error> {
    // SAFETY: the caller's contract, passed on.
    let path = unsafe { text_arg(function, "config_path", config_path, DEFAULT_CONFIG_FILE) }?;
    // SAFETY: the caller's contract, passed on.
    let section = unsafe {
        text_arg(
            function,
            "server_section",
            server_section,
            DEFAULT_SERVER_SECTION,
        )
    }?;
    Ok((path, section))
}

/// One reading call: checks the out-parameter, takes the location, runs
/// `read` on it and writes what `make` makes of the result to `*out`, or
/// the library's error to `*error_out`.
///
/// # Safety
/// As for the exported calls: `config_path` and `server_section` are NULL
/// or NUL-terminated strings, `out` and `error_out` NULL or valid for
/// writing one pointer.
#[allow(
    clippy::too_many_arguments,
    reason = "the exported calls' own arguments, passed on"
)]
unsafe fn read_call<R, T>(
    function: &str,
    out_name: &str,
    config_path: *const c_char,
    server_section: *const c_char,
    out: *mut *mut T,
    error_out: *mut *mut confpass_error,
    read: impl FnOnce(&str, &str) -> confpass::Result<R>,
    make: impl FnOnce(R) -> T,
) -> confpass_result {
    call(function, error_out, || {
        required(function, out_name, out)?;
        // SAFETY: the caller's contract, passed on.
        let (path, section) = unsafe { location(function, config_path, server_section) }?;
        let result = read(&path, &section).map_err(|e| confpass_error::from_library(&e))?;
        // SAFETY: checked not NULL above; valid for a write by the contract.
        unsafe { put(out, make(result)) };
        Ok(())
    })
}

/// The start-up call: the database password of the server section
/// `server_section` of the configuration file `config_path`, decrypted with
/// the key the section names (`decryption-key`, else `dec.pem` beside the
/// file) when `encryption = true`, else the plain value.
///
/// `config_path` is a UTF-8 path (NULL: `confserv.conf` in the current
/// directory, `confserv.cfg` on Windows); `server_section` is UTF-8 (NULL:
/// `confserv`). Neither is kept after the call.
///
/// On success, returns `CONFPASS_RESULT_OK` and writes a new secret to
/// `*secret_out`, which the caller frees with `confpass_secret_free` (that
/// wipes it). On failure, returns the error's category, leaves `*secret_out`
/// untouched, and, when `error_out` is not NULL, writes a new error to
/// `*error_out`, which the caller frees with `confpass_error_free`.
/// `secret_out` NULL is `CONFPASS_RESULT_USAGE`.
///
/// # Safety
/// `config_path` and `server_section` are NULL or NUL-terminated strings;
/// `secret_out` and `error_out` are NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_database_password(
    config_path: *const c_char,
    server_section: *const c_char,
    secret_out: *mut *mut confpass_secret,
    error_out: *mut *mut confpass_error,
) -> confpass_result {
    // SAFETY: this function's contract is read_call's.
    unsafe {
        read_call(
            "confpass_database_password",
            "secret_out",
            config_path,
            server_section,
            secret_out,
            error_out,
            |path, section| confpass::database_password(path, section),
            |password| confpass_secret::new(password, confpass_which::Current),
        )
    }
}

/// The candidates call, for a server that may start while a rotation across
/// a primary/backup pair is under way: the current password, then the
/// previous one when the file keeps it (`previous-password`), from one
/// reading of the file. Connect with the first the database accepts.
///
/// Arguments, results and errors as for `confpass_database_password`; on
/// success `*list_out` is a new list the caller frees with
/// `confpass_candidates_free`. A `previous-password` that is there but
/// unusable is an error, so a damaged file is found at the first start-up.
///
/// # Safety
/// As for `confpass_database_password`, with `list_out` for `secret_out`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_database_password_candidates(
    config_path: *const c_char,
    server_section: *const c_char,
    list_out: *mut *mut confpass_candidates,
    error_out: *mut *mut confpass_error,
) -> confpass_result {
    // SAFETY: this function's contract is read_call's.
    unsafe {
        read_call(
            "confpass_database_password_candidates",
            "list_out",
            config_path,
            server_section,
            list_out,
            error_out,
            |path, section| confpass::database_password_candidates(path, section),
            |candidates| {
                let secrets = candidates
                    .into_iter()
                    .map(|c| confpass_secret::new(c.password, c.which.into()))
                    .collect();
                confpass_candidates::new(secrets)
            },
        )
    }
}

/// `confpass --check`: whether the stored password (and any previous one)
/// decrypts with the key the server would use, without ever decrypting it
/// into the result. Arguments and errors as for
/// `confpass_database_password`; on success `*report_out` is a new report
/// the caller frees with `confpass_report_free`. A value that is malformed
/// or undecryptable is a report (`CONFPASS_STATE_CORRUPT`), not an error;
/// errors are what stops the check itself (the file, its sections, the key
/// file).
///
/// # Safety
/// As for `confpass_database_password`, with `report_out` for
/// `secret_out`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_check(
    config_path: *const c_char,
    server_section: *const c_char,
    report_out: *mut *mut confpass_report,
    error_out: *mut *mut confpass_error,
) -> confpass_result {
    // SAFETY: this function's contract is read_call's.
    unsafe {
        read_call(
            "confpass_check",
            "report_out",
            config_path,
            server_section,
            report_out,
            error_out,
            |path, section| confpass::check(path, section),
            |report| confpass_report::new(&report),
        )
    }
}

/// Switches core dumps off for the whole process, so that a crash while it
/// holds the password writes no core file (on Linux the process is also
/// marked not dumpable; on Windows, no fault dialog and no heap in Windows
/// Error Reporting's dumps: SECURITY.md). Call it first, before any
/// password is read. Process-wide by nature, and harmless to call twice.
///
/// Returns `CONFPASS_RESULT_OK`, or `CONFPASS_RESULT_IO` with an error in
/// `*error_out` (when not NULL) if the system refused.
///
/// # Safety
/// `error_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_disable_core_dumps(
    error_out: *mut *mut confpass_error,
) -> confpass_result {
    const NAME: &str = "confpass_disable_core_dumps";
    call(NAME, error_out, || {
        confpass::disable_core_dumps().map_err(|e| {
            confpass_error::new(
                confpass_result::Io,
                format!(
                    "could not switch core dumps off: {e}; a crash could write the password \
                     to a core file: check the process's limits (ulimit -c) and privileges"
                ),
            )
        })
    })
}
