//! The password in C's hands: a `confpass_secret` holds it in one buffer
//! the library sized once (no reallocation leaves a copy behind), followed by
//! a NUL so that C can use it as a string, and wipes it when the caller frees
//! the secret. `confpass_candidates` is the candidates call's list of
//! secrets, current first.

use std::ffi::c_char;

use confpass::{ExposeSecret, SecretString, Which};
use zeroize::Zeroize;

use crate::boundary::{free, with};

/// Which stored value a secret is.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum confpass_which {
    /// `password`: the one to try first.
    Current = 0,
    /// `previous-password`: the one a rotation in progress keeps.
    Previous = 1,
}

/// A password: made by the library, freed by the caller with
/// `confpass_secret_free`, which wipes it. Never changed after it is made.
pub struct confpass_secret {
    /// The password's bytes, then one NUL; wiped on drop.
    bytes: Box<[u8]>,
    which: confpass_which,
}

impl confpass_secret {
    /// Moves the password into a buffer of exactly its length plus the NUL;
    /// `password` itself is wiped when it drops here.
    pub(crate) fn new(password: SecretString, which: confpass_which) -> Self {
        let text = password.expose_secret().as_bytes();
        let mut buffer = Vec::with_capacity(text.len() + 1);
        buffer.extend_from_slice(text);
        buffer.push(0);
        confpass_secret {
            bytes: buffer.into_boxed_slice(),
            which,
        }
    }

    /// The password, without the NUL.
    fn password(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - 1]
    }
}

impl Drop for confpass_secret {
    fn drop(&mut self) {
        self.bytes.zeroize();
        #[cfg(feature = "test-hooks")]
        crate::test_hooks::wiped(&self.bytes);
    }
}

impl From<Which> for confpass_which {
    fn from(which: Which) -> Self {
        match which {
            Which::Previous => confpass_which::Previous,
            _ => confpass_which::Current,
        }
    }
}

/// The password's bytes (not NUL-terminated as far as the length goes, but
/// followed by a NUL), owned by `secret` and valid until it is freed; NULL
/// when `secret` is NULL. Pass them to the database driver; do not copy them
/// into memory nobody wipes.
///
/// # Safety
/// `secret` is NULL or a secret not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_secret_bytes(secret: *const confpass_secret) -> *const u8 {
    // SAFETY: NULL or a live secret, by this function's contract.
    unsafe { with(secret, std::ptr::null(), |s| s.bytes.as_ptr()) }
}

/// The password's length in bytes, without the NUL; 0 when `secret` is NULL.
///
/// # Safety
/// `secret` is NULL or a secret not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_secret_len(secret: *const confpass_secret) -> usize {
    // SAFETY: NULL or a live secret, by this function's contract.
    unsafe { with(secret, 0, |s| s.password().len()) }
}

/// The password as a NUL-terminated string (UTF-8), owned by `secret` and
/// valid until it is freed, for APIs that take a C string (libpq's
/// `PQconnectdbParams`). NULL when `secret` is NULL, or when the password
/// itself holds a NUL byte, which a C string would cut short: then use
/// `confpass_secret_bytes` and `confpass_secret_len`.
///
/// # Safety
/// `secret` is NULL or a secret not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_secret_str(secret: *const confpass_secret) -> *const c_char {
    // SAFETY: NULL or a live secret, by this function's contract.
    unsafe {
        with(secret, std::ptr::null(), |s| {
            if s.password().contains(&0) {
                std::ptr::null()
            } else {
                s.bytes.as_ptr().cast()
            }
        })
    }
}

/// Which stored value `secret` is: `CONFPASS_WHICH_CURRENT` for the start-up
/// call's secret and for NULL.
///
/// # Safety
/// `secret` is NULL or a secret not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_secret_which(secret: *const confpass_secret) -> confpass_which {
    // SAFETY: NULL or a live secret, by this function's contract.
    unsafe { with(secret, confpass_which::Current, |s| s.which) }
}

/// Wipes the password and frees `secret` (NULL is a no-op). Every pointer
/// the accessors gave is invalid after.
///
/// # Safety
/// `secret` is NULL or a secret from `confpass_database_password`
/// not yet freed (never one from `confpass_candidates_get`, which the list
/// owns); it is not used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_secret_free(secret: *mut confpass_secret) {
    // SAFETY: NULL or a live secret made by the library, by this contract.
    unsafe { free(secret) }
}

/// The passwords a server should try at start-up, in order: made by the
/// library, freed by the caller with `confpass_candidates_free`, which
/// wipes every one. Never changed after it is made.
pub struct confpass_candidates {
    secrets: Vec<confpass_secret>,
}

impl confpass_candidates {
    /// The list, in the library's order (current first).
    pub(crate) fn new(secrets: Vec<confpass_secret>) -> Self {
        confpass_candidates { secrets }
    }
}

/// How many candidates `list` holds: 1 or 2 (0 when `list` is NULL).
///
/// # Safety
/// `list` is NULL or a list not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_candidates_len(list: *const confpass_candidates) -> usize {
    // SAFETY: NULL or a live list, by this function's contract.
    unsafe { with(list, 0, |l| l.secrets.len()) }
}

/// The candidate at `index` (0 is the current password, then the previous
/// one), owned by `list` and valid until the list is freed: never free it
/// with `confpass_secret_free`. NULL when `list` is NULL or `index` is out
/// of range.
///
/// # Safety
/// `list` is NULL or a list not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_candidates_get(
    list: *const confpass_candidates,
    index: usize,
) -> *const confpass_secret {
    // SAFETY: NULL or a live list, by this function's contract.
    unsafe {
        with(list, std::ptr::null(), |l| {
            l.secrets
                .get(index)
                .map_or(std::ptr::null(), |s| s as *const confpass_secret)
        })
    }
}

/// Wipes every password in `list` and frees it (NULL is a no-op). The
/// secrets `confpass_candidates_get` gave are invalid after.
///
/// # Safety
/// `list` is NULL or a list not yet freed; it is not used after.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn confpass_candidates_free(list: *mut confpass_candidates) {
    // SAFETY: NULL or a live list made by the library, by this contract.
    unsafe { free(list) }
}
