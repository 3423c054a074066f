//! `--check`'s report in C: the state of `password` and of any
//! `previous-password`, with the key id and the key file, never the
//! password. `confpass_report` owns every string it gives out.

use std::ffi::{CString, c_char};
use std::path::Path;

use confpass::{Report, State};

use crate::boundary::{free, with};

/// The state of a stored value, as `confpass --check` reports it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum confpass_state {
    /// Stored in plain text (`encryption = false`).
    Plain = 0,
    /// Encrypted, and it decrypts with the key the server would use.
    Decryptable = 1,
    /// Encrypted for another key than the one the server would use.
    OtherKey = 2,
    /// Encrypted, but malformed or undecryptable (`confpass_value_reason`
    /// says why).
    Corrupt = 3,
}

/// What the check found of one stored value. Owned by its
/// `confpass_report`; never freed on its own.
pub struct confpass_value_report {
    state: confpass_state,
    key_id: Option<CString>,
    key_file: Option<CString>,
    key_file_id: Option<CString>,
    reason: Option<CString>,
}

/// The report of `confpass_check`: made by the library, freed by the
/// caller with `confpass_report_free`. Never changed after it is made.
pub struct confpass_report {
    file: CString,
    server_section: CString,
    db_section: CString,
    current: confpass_value_report,
    previous: Option<confpass_value_report>,
}

/// A C string of `text`, with any NUL (which C cannot hold) written `\0`.
fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\\0")).unwrap_or_default()
}

/// A C string of a path, as UTF-8 (bytes that are not are shown as U+FFFD).
fn c_path(path: &Path) -> CString {
    c_text(&path.to_string_lossy())
}

impl confpass_value_report {
    fn new(state: &State) -> Self {
        let mut out = confpass_value_report {
            state: confpass_state::Corrupt,
            key_id: None,
            key_file: None,
            key_file_id: None,
            reason: None,
        };
        match state {
            State::Plain => out.state = confpass_state::Plain,
            State::Decryptable { key_id, key } => {
                out.state = confpass_state::Decryptable;
                out.key_id = Some(c_text(&key_id.to_string()));
                out.key_file_id = out.key_id.clone();
                out.key_file = Some(c_path(key));
            }
            State::OtherKey {
                value_id,
                key_id,
                key,
            } => {
                out.state = confpass_state::OtherKey;
                out.key_id = Some(c_text(&value_id.to_string()));
                out.key_file_id = Some(c_text(&key_id.to_string()));
                out.key_file = Some(c_path(key));
            }
            State::Corrupt { reason } => out.reason = Some(c_text(reason)),
            // A state a later library adds: reported as corrupt, with its
            // description, rather than as something it is not.
            other => out.reason = Some(c_text(&format!("{other:?}"))),
        }
        out
    }
}

impl confpass_report {
    /// The C form of the library's report.
    pub(crate) fn new(report: &Report) -> Self {
        confpass_report {
            file: c_path(&report.file),
            server_section: c_text(&report.server_section),
            db_section: c_text(&report.db_section),
            current: confpass_value_report::new(&report.state),
            previous: report.previous.as_ref().map(confpass_value_report::new),
        }
    }
}

/// A string of the report, or NULL.
fn ptr(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), |t| t.as_ptr())
}

/// What the check found of `password`; owned by `report`, valid until it is
/// freed. NULL when `report` is NULL.
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_current(
    report: *const confpass_report,
) -> *const confpass_value_report {
    // SAFETY: NULL or a live report, by this function's contract.
    unsafe { with(report, std::ptr::null(), |r| &r.current as *const _) }
}

/// What the check found of `previous-password`, which a rotation keeps;
/// owned by `report`, valid until it is freed. NULL when the file has no
/// `previous-password`, or when `report` is NULL.
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_previous(
    report: *const confpass_report,
) -> *const confpass_value_report {
    // SAFETY: NULL or a live report, by this function's contract.
    unsafe {
        with(report, std::ptr::null(), |r| {
            r.previous
                .as_ref()
                .map_or(std::ptr::null(), |p| p as *const _)
        })
    }
}

/// The configuration file checked, as given; owned by `report` (NULL when
/// `report` is NULL).
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_file(report: *const confpass_report) -> *const c_char {
    // SAFETY: NULL or a live report, by this function's contract.
    unsafe { with(report, std::ptr::null(), |r| r.file.as_ptr()) }
}

/// The server section, as spelled in the file; owned by `report` (NULL when
/// `report` is NULL).
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_server_section(
    report: *const confpass_report,
) -> *const c_char {
    // SAFETY: NULL or a live report, by this function's contract.
    unsafe { with(report, std::ptr::null(), |r| r.server_section.as_ptr()) }
}

/// The database section the server section names, as spelled in the file;
/// owned by `report` (NULL when `report` is NULL).
///
/// # Safety
/// `report` is NULL or a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_db_section(
    report: *const confpass_report,
) -> *const c_char {
    // SAFETY: NULL or a live report, by this function's contract.
    unsafe { with(report, std::ptr::null(), |r| r.db_section.as_ptr()) }
}

/// Frees `report` and every value report and string it gave (NULL is a
/// no-op).
///
/// # Safety
/// `report` is NULL or a report not yet freed; it is not used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_report_free(report: *mut confpass_report) {
    // SAFETY: NULL or a live report made by the library, by this contract.
    unsafe { free(report) }
}

/// The state of the value; `CONFPASS_STATE_CORRUPT` when `value` is NULL.
///
/// # Safety
/// `value` is NULL or came from a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_value_state(
    value: *const confpass_value_report,
) -> confpass_state {
    // SAFETY: NULL or part of a live report, by this function's contract.
    unsafe { with(value, confpass_state::Corrupt, |v| v.state) }
}

/// The key id the encrypted value names (16 hex digits, the `kid:` of the value), for
/// `CONFPASS_STATE_DECRYPTABLE` and `CONFPASS_STATE_OTHER_KEY`; NULL
/// otherwise. Owned by the report.
///
/// # Safety
/// `value` is NULL or came from a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_value_key_id(
    value: *const confpass_value_report,
) -> *const c_char {
    // SAFETY: NULL or part of a live report, by this function's contract.
    unsafe { with(value, std::ptr::null(), |v| ptr(&v.key_id)) }
}

/// The private key file the server would use for the value, for
/// `CONFPASS_STATE_DECRYPTABLE` and `CONFPASS_STATE_OTHER_KEY`; NULL
/// otherwise. Owned by the report.
///
/// # Safety
/// `value` is NULL or came from a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_value_key_file(
    value: *const confpass_value_report,
) -> *const c_char {
    // SAFETY: NULL or part of a live report, by this function's contract.
    unsafe { with(value, std::ptr::null(), |v| ptr(&v.key_file)) }
}

/// The key id of that key file: the value's own for
/// `CONFPASS_STATE_DECRYPTABLE`, another for `CONFPASS_STATE_OTHER_KEY`;
/// NULL otherwise. Owned by the report.
///
/// # Safety
/// `value` is NULL or came from a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_value_key_file_id(
    value: *const confpass_value_report,
) -> *const c_char {
    // SAFETY: NULL or part of a live report, by this function's contract.
    unsafe { with(value, std::ptr::null(), |v| ptr(&v.key_file_id)) }
}

/// Why the value is `CONFPASS_STATE_CORRUPT` (never the password); NULL for
/// the other states. Owned by the report.
///
/// # Safety
/// `value` is NULL or came from a report not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_value_reason(
    value: *const confpass_value_report,
) -> *const c_char {
    // SAFETY: NULL or part of a live report, by this function's contract.
    unsafe { with(value, std::ptr::null(), |v| ptr(&v.reason)) }
}
