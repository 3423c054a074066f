//! Test-only pause points, for the crash-safety tests.
//!
//! In debug builds (the ones `cargo test` makes), a run started with
//! `CONFPASS_TEST_PAUSE_AT=<step>:<marker file>` writes the marker file when
//! it reaches `<step>` and then waits forever, so that a test can SIGKILL the
//! real process at exactly that point and inspect what it left behind.
//! Release builds compile every pause point to nothing.

/// The steps of `-p` at which a test can stop the process, in order.
pub const STEPS: [&str; 5] = [
    "keys-generated",
    "dec-written",
    "enc-written",
    "temp-written",
    "renamed",
];

/// The steps of a rotation at which a test can stop the process, in order.
pub const ROTATION_STEPS: [&str; 6] = [
    "rotate-staged-dec",
    "rotate-staged-enc",
    "temp-written",
    "renamed",
    "rotate-promoted-dec",
    "rotate-promoted-enc",
];

/// Pauses here for good if the test environment asks for `step`.
#[cfg(debug_assertions)]
pub(crate) fn pause_point(step: &str) {
    let Some(spec) = std::env::var_os("CONFPASS_TEST_PAUSE_AT") else {
        return;
    };
    let spec = spec.to_string_lossy();
    let Some((want, marker)) = spec.split_once(':') else {
        return;
    };
    if want != step {
        return;
    }
    if std::fs::write(marker, step).is_ok() {
        loop {
            std::thread::park();
        }
    }
}

/// Release builds: no pause points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn pause_point(_step: &str) {}
