//! The error object: the message confpass gives everywhere else (it names the
//! file, section, option or key file and says what to do; it never holds the
//! password) and its category, which is a `confpass_result` with the
//! command line's exit code. Nothing else.

use std::ffi::{CString, c_char};

use crate::boundary::{free, with};
use crate::confpass_result;

/// A failure of a fallible call: made by the library, freed by the caller
/// with `confpass_error_free`. Never changed after it is made.
pub struct confpass_error {
    code: confpass_result,
    message: CString,
}

impl confpass_error {
    /// An error with this code and message (a NUL inside the message, which
    /// C could not show, is written `\0`).
    pub(crate) fn new(code: confpass_result, message: String) -> Self {
        let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
        confpass_error { code, message }
    }

    /// The error of a library call, with the library's message and category.
    pub(crate) fn from_library(error: &confpass::Error) -> Self {
        Self::new(error.category().into(), error.to_string())
    }

    /// Its result code.
    pub(crate) fn code(&self) -> confpass_result {
        self.code
    }
}

/// The category of `error`: the result code its call returned, never
/// `CONFPASS_RESULT_OK` for an error object; `CONFPASS_RESULT_OK` when
/// `error` is NULL (no error).
///
/// # Safety
/// `error` is NULL or an error object not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_error_category(error: *const confpass_error) -> confpass_result {
    // SAFETY: NULL or a live error, by this function's contract.
    unsafe { with(error, confpass_result::Ok, |e| e.code) }
}

/// The message of `error`: one line of UTF-8, NUL-terminated, owned by the
/// error object and valid until it is freed; NULL when `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error object not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_error_message(error: *const confpass_error) -> *const c_char {
    // SAFETY: NULL or a live error, by this function's contract.
    unsafe { with(error, std::ptr::null(), |e| e.message.as_ptr()) }
}

/// Frees `error` (NULL is a no-op). Its message pointer is invalid after.
///
/// # Safety
/// `error` is NULL or an error object not yet freed; it is not used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_error_free(error: *mut confpass_error) {
    // SAFETY: NULL or a live error made by the library, by this contract.
    unsafe { free(error) }
}
