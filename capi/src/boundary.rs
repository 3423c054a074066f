//! The boundary between C and Rust: every exported function runs its body
//! through [`guard`] or [`call`], so a panic never unwinds into C; C strings
//! become Rust strings in [`text_arg`]; results reach the caller through
//! [`put`], only on success, and errors through [`call`], only on failure.

use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::confpass_result;
use crate::error::confpass_error;

/// Runs `body`, giving `fallback` if it panics. For the calls that cannot
/// fail (accessors and `_free` functions), whose panics would be bugs.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Runs a fallible call: its result code, and on failure its error written
/// to `*error_out` when `error_out` is not NULL. A panic becomes
/// [`confpass_result::Internal`] with a message saying so.
pub(crate) fn call(
    function: &str,
    error_out: *mut *mut confpass_error,
    body: impl FnOnce() -> Result<(), confpass_error>,
) -> confpass_result {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(confpass_error::new(
            confpass_result::Internal,
            format!(
                "internal error: {function} stopped on a bug (a Rust panic, caught at the C \
                 boundary); please report it, with the call made (never the password)"
            ),
        ))
    });
    match outcome {
        Ok(()) => confpass_result::Ok,
        Err(error) => {
            let code = error.code();
            // SAFETY: the caller passes NULL or a valid `confpass_error **`
            // (documented on every fallible function); `put` checks NULL.
            unsafe { put(error_out, error) };
            code
        }
    }
}

/// Moves `value` to the heap and writes the pointer to `*out`, unless `out`
/// is NULL (then `value` is dropped, and a secret in it wiped).
///
/// # Safety
/// `out` is NULL or valid for a write of one pointer.
pub(crate) unsafe fn put<T>(out: *mut *mut T, value: T) {
    if out.is_null() {
        return;
    }
    // SAFETY: not NULL, and valid for writes by the caller's contract.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Checks an out-parameter before any work is done, so that a NULL one is a
/// usage error naming it rather than a result thrown away.
pub(crate) fn required<T>(
    function: &str,
    name: &str,
    out: *mut *mut T,
) -> Result<(), confpass_error> {
    if out.is_null() {
        return Err(confpass_error::new(
            confpass_result::Usage,
            format!(
                "{function}: {name} is NULL: pass the address of a pointer for the result \
                 (the result is the only way to free it)"
            ),
        ));
    }
    Ok(())
}

/// A C string argument as UTF-8 text, or `default` when it is NULL.
///
/// # Safety
/// `arg` is NULL or points to a NUL-terminated string that stays valid and
/// unchanged during the call.
pub(crate) unsafe fn text_arg(
    function: &str,
    name: &str,
    arg: *const c_char,
    default: &str,
) -> Result<String, confpass_error> {
    if arg.is_null() {
        return Ok(default.to_owned());
    }
    // SAFETY: not NULL, and NUL-terminated and valid during the call by the
    // caller's contract.
    let bytes = unsafe { CStr::from_ptr(arg) }.to_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(_) => Err(confpass_error::new(
            confpass_result::Usage,
            format!(
                "{function}: {name} is not UTF-8: pass it as UTF-8 on every platform (on \
                 Windows, convert wide-character text with WideCharToMultiByte(CP_UTF8, ...), \
                 not to the ANSI code page)"
            ),
        )),
    }
}

/// Runs `read` on the object behind `ptr`, or gives `fallback` when it is
/// NULL (or when `read` panics).
///
/// # Safety
/// `ptr` is NULL or points to a live `T` the library made.
pub(crate) unsafe fn with<T, R>(ptr: *const T, fallback: R, read: impl FnOnce(&T) -> R) -> R {
    // SAFETY: NULL or a live object, by the caller's contract.
    match unsafe { ptr.as_ref() } {
        None => fallback,
        Some(object) => catch_unwind(AssertUnwindSafe(|| read(object))).unwrap_or(fallback),
    }
}

/// Frees an object the library made with [`put`] (NULL is a no-op).
///
/// # Safety
/// `ptr` is NULL or came from [`put`] for this `T` and was not freed.
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: made by Box::into_raw in `put` and not freed before, by the
    // caller's contract; dropping it runs T's Drop (which wipes a secret).
    let object = unsafe { Box::from_raw(ptr) };
    guard((), move || drop(object));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_naming_the_function_and_no_out_parameter() {
        let mut error: *mut confpass_error = std::ptr::null_mut();
        let rc = call("confpass_example", &mut error, || panic!("a bug"));
        assert_eq!(rc, confpass_result::Internal);
        // SAFETY: `call` wrote a live error; it is read, then freed once.
        unsafe {
            let e = &*error;
            assert_eq!(e.code(), confpass_result::Internal);
            let message = crate::confpass_error_message(error);
            let text = CStr::from_ptr(message).to_str().unwrap();
            assert!(text.contains("confpass_example") && text.contains("please report it"));
            free(error);
        }
        assert_eq!(guard(7, || panic!("a bug")), 7);
    }

    #[test]
    fn a_null_out_parameter_is_a_usage_error_naming_it() {
        let e = required::<u8>("confpass_example", "thing_out", std::ptr::null_mut()).unwrap_err();
        assert_eq!(e.code(), confpass_result::Usage);
    }
}
