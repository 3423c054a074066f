//! libconfpass: the C API of confpass, for Configuration Servers written in C
//! and C++ (`confpass.h`, PRODUCT.md §4).
//!
//! A thin layer over the library's public API and nothing else: the start-up
//! call (`confpass_database_password`), the candidates call of a rotation
//! (`confpass_database_password_candidates`), `--check`'s report without
//! the password (`confpass_check`), core dumps off
//! (`confpass_disable_core_dumps`) and the version (`confpass_version`).
//!
//! The shape follows rustls-ffi: opaque objects the library creates and the
//! caller frees with the matching `_free` function; every fallible call
//! returns a `confpass_result` and writes its out-parameter only on success
//! (and its error out-parameter only on failure); panics are caught at the
//! boundary (`boundary.rs`) and become [`confpass_result::Internal`]. No call
//! keeps state between calls: every object is the caller's, and an object is
//! never changed after it is made, so several threads may read one at once.
//!
//! The password lives in exactly one buffer the library allocated for it,
//! sized once, and wiped when the caller frees it (`secret.rs`). The library
//! never prints.

// Every `unsafe` block says why it is sound (`// SAFETY:`); the C API crate
// and the Windows platform module are the only places confpass allows it.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]
#![deny(missing_docs)]
// The C names are the API: `confpass_secret`, not `ConfpassSecret`.
#![allow(non_camel_case_types)]

mod boundary;
mod calls;
mod error;
mod report;
mod secret;
#[cfg(feature = "test-hooks")]
mod test_hooks;

use std::ffi::c_char;

pub use calls::{
    confpass_check, confpass_database_password, confpass_database_password_candidates,
    confpass_disable_core_dumps,
};
pub use error::{
    confpass_error, confpass_error_category, confpass_error_free, confpass_error_message,
};
pub use report::{
    confpass_report, confpass_report_current, confpass_report_db_section, confpass_report_file,
    confpass_report_free, confpass_report_previous, confpass_report_server_section, confpass_state,
    confpass_value_key_file, confpass_value_key_file_id, confpass_value_key_id,
    confpass_value_reason, confpass_value_report, confpass_value_state,
};
pub use secret::{
    confpass_candidates, confpass_candidates_free, confpass_candidates_get,
    confpass_candidates_len, confpass_secret, confpass_secret_bytes, confpass_secret_free,
    confpass_secret_len, confpass_secret_str, confpass_secret_which, confpass_which,
};
#[cfg(feature = "test-hooks")]
pub use test_hooks::confpass_test_set_wipe_hook;

/// The result of every fallible call. The numbers are confpass's exit codes
/// (README.md, "Exit codes"), so a C program and the command line report a
/// failure the same way.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum confpass_result {
    /// Success: the out-parameter is set.
    Ok = 0,
    /// A check confpass makes on itself failed, or a panic was caught at the
    /// boundary: a bug to report.
    Internal = 1,
    /// The request is wrong: an argument (a NULL out-parameter, a path that
    /// is not UTF-8).
    Usage = 2,
    /// The configuration file is missing or its content is wrong.
    Config = 3,
    /// A key file is missing, malformed, unprotected, or the wrong key.
    Key = 4,
    /// The stored value could not be decrypted with the key at hand.
    Decrypt = 5,
    /// The operating system refused or failed a read.
    Io = 6,
    /// A writing run committed but did not finish (never returned by the
    /// calls of this API, which only read; listed so that the numbers match
    /// the exit codes).
    Committed = 7,
}

impl From<confpass::Category> for confpass_result {
    fn from(category: confpass::Category) -> Self {
        use confpass::Category;
        match category {
            Category::Usage => Self::Usage,
            Category::Config => Self::Config,
            Category::Key => Self::Key,
            Category::Decrypt => Self::Decrypt,
            Category::Io => Self::Io,
            Category::Committed => Self::Committed,
            _ => Self::Internal,
        }
    }
}

/// The library's version, as `"MAJOR.MINOR.PATCH"`: a static NUL-terminated
/// string, never NULL, never to be freed. Which cryptographic backend this
/// build uses, and whether it runs in FIPS mode, is
/// `confpass_crypto_backend()`.
#[unsafe(no_mangle)]
pub extern "C" fn confpass_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// The cryptographic backend this build of the library uses and whether it
/// runs in FIPS mode, as `confpass --version` prints it after `crypto: `:
/// `"rsa 0.10 (RustCrypto), FIPS mode off"`, `"AWS-LC 5.12.0 (aws-lc-rs),
/// FIPS mode off"` (the release libraries) or, for the FIPS build,
/// `"AWS-LC FIPS 4.2.0 (aws-lc-rs), FIPS mode on"`. A static NUL-terminated
/// string, the same pointer on every call, never NULL, never to be freed;
/// log it at start-up where an audit needs to see which module decrypted.
#[unsafe(no_mangle)]
pub extern "C" fn confpass_crypto_backend() -> *const c_char {
    static TEXT: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();
    boundary::guard(c"unknown".as_ptr(), || {
        TEXT.get_or_init(|| {
            // The text has no NUL byte; should it ever, the C caller still
            // gets a string.
            std::ffi::CString::new(confpass::crypto_backend().to_string()).unwrap_or_default()
        })
        .as_ptr()
    })
}
