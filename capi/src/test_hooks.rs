//! A hook for the C test of wiping (capi/tests/c/wipe.c), built only with the
//! `test-hooks` feature, never in a release: it is called with a secret's
//! buffer after the wipe and before the buffer is freed, so the test sees
//! the bytes without reading freed memory.

use std::sync::atomic::{AtomicPtr, Ordering};

/// The hook's type: the buffer (the password's bytes and the NUL) and its
/// length.
pub type WipeHook = extern "C" fn(bytes: *const u8, len: usize);

static HOOK: AtomicPtr<()> = AtomicPtr::new(std::ptr::null_mut());

/// Sets (or, with NULL, clears) the hook. Test builds only.
#[unsafe(no_mangle)]
pub extern "C" fn confpass_test_set_wipe_hook(hook: Option<WipeHook>) {
    let raw = hook.map_or(std::ptr::null_mut(), |h| h as *mut ());
    HOOK.store(raw, Ordering::SeqCst);
}

/// Calls the hook, if set, with the wiped buffer.
pub(crate) fn wiped(bytes: &[u8]) {
    let raw = HOOK.load(Ordering::SeqCst);
    if raw.is_null() {
        return;
    }
    // SAFETY: only `confpass_test_set_wipe_hook` stores a non-NULL value,
    // and it stores a `WipeHook` function pointer.
    let hook: WipeHook = unsafe { std::mem::transmute::<*mut (), WipeHook>(raw) };
    hook(bytes.as_ptr(), bytes.len());
}
