//! Test-only hooks for the crash, fault and concurrency tests.
//!
//! In debug builds (the ones `cargo test` makes) the environment can:
//! - pause a run at a step (`CONFPASS_TEST_PAUSE_AT=<step>:<marker>`): the run
//!   writes the marker file and waits while it exists, so a test can SIGKILL
//!   it there, or resume it by removing the marker;
//! - fail the n-th I/O operation at a named point
//!   (`CONFPASS_TEST_FAIL_AT=<point>:<ENOSPC|EIO>[:<n>]`), as a full disk or
//!   a failing device would;
//! - list the I/O points a run reaches (`CONFPASS_TEST_TRACE=<file>`);
//! - say when a run finds a lock held (`CONFPASS_TEST_LOCK_WAIT=<marker>`);
//! - under wine, leave a key's DACL verdict unacted on
//!   (`CONFPASS_TEST_ACLS_UNENFORCED=1`, `acls_unenforced`).
//!
//! I/O points are named `<op>:<role>` (ARCHITECTURE.md, "Test hooks").
//! Release builds compile every hook to nothing.

use std::io;

/// The steps of `-p` at which a test can stop the process, in order.
pub const STEPS: [&str; 6] = [
    "locked",
    "keys-generated",
    "temp-written",
    "dec-written",
    "enc-written",
    "renamed",
];

/// The steps of a rotation at which a test can stop the process, in order.
pub const ROTATION_STEPS: [&str; 8] = [
    "locked",
    "temp-written",
    "rotate-retired",
    "rotate-staged-dec",
    "rotate-staged-enc",
    "renamed",
    "rotate-promoted-dec",
    "rotate-promoted-enc",
];

/// Pauses here if the test environment asks for `step`: see the module docs.
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
        while std::path::Path::new(marker).exists() {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Release builds: no pause points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn pause_point(_step: &str) {}

/// An I/O point: records it in the trace, and fails it if the test
/// environment asks for it. Call it just before the operation it names.
#[cfg(debug_assertions)]
pub(crate) fn io_point(point: &str) -> io::Result<()> {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let count = match SEEN.lock() {
        Ok(mut seen) => {
            seen.push(point.to_owned());
            seen.iter().filter(|p| *p == point).count()
        }
        Err(_) => 1,
    };
    if let Some(trace) = std::env::var_os("CONFPASS_TEST_TRACE") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(trace)
        {
            let _ = writeln!(f, "{point}");
        }
    }
    let Some(spec) = std::env::var_os("CONFPASS_TEST_FAIL_AT") else {
        return Ok(());
    };
    let spec = spec.to_string_lossy();
    // `<op>:<role>:<ERR>` or `<op>:<role>:<ERR>:<n>`.
    let fields: Vec<&str> = spec.split(':').collect();
    let (name, errno, nth) = match fields.as_slice() {
        [op, role, err] => (format!("{op}:{role}"), *err, 1),
        [op, role, err, n] => (format!("{op}:{role}"), *err, n.parse().unwrap_or(0)),
        _ => return Ok(()),
    };
    if name != point || count != nth {
        return Ok(());
    }
    let code = match errno {
        "ENOSPC" => 28,
        "EIO" => 5,
        _ => return Ok(()),
    };
    Err(io::Error::from_raw_os_error(code))
}

/// Release builds: no I/O points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn io_point(_point: &str) -> io::Result<()> {
    Ok(())
}

/// Tells a waiting test that this run found a lock held.
#[cfg(debug_assertions)]
pub(crate) fn lock_waiting() {
    if let Some(marker) = std::env::var_os("CONFPASS_TEST_LOCK_WAIT") {
        let _ = std::fs::write(marker, "waiting");
    }
}

/// Release builds: no marker.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn lock_waiting() {}

/// Whether the test environment says that this file system does not
/// enforce Windows DACLs (`CONFPASS_TEST_ACLS_UNENFORCED=1`): under wine,
/// which makes a file's DACL up from its Unix mode and stores none that is
/// set, every key would read back as inheriting and be refused. The DACL is
/// still set and read; only the verdict is not acted on. The verdict itself
/// is unit-tested (`platform::dacl`), and one test under wine runs without
/// this hook to show that the check refuses such a key.
#[cfg(debug_assertions)]
#[allow(dead_code, reason = "called by platform::windows only")]
pub(crate) fn acls_unenforced() -> bool {
    std::env::var_os("CONFPASS_TEST_ACLS_UNENFORCED").is_some_and(|v| v == "1")
}

/// Release builds: every verdict is acted on.
#[cfg(not(debug_assertions))]
#[inline(always)]
#[allow(dead_code, reason = "called by platform::windows only")]
pub(crate) fn acls_unenforced() -> bool {
    false
}
