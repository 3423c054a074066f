//! A `pkcs11:` URI where a private key file can be named, on every platform
//! (this file also runs in the Windows build under wine, which cannot show
//! a real token): the refusals that come before any token is reached, and a
//! library that is no PKCS#11 module, loaded the platform's way (dlopen, or
//! LoadLibrary for a vendor's DLL). Each leaves every file byte-identical.
//! The token itself: `tests/pkcs11.rs`.

mod common;

use common::*;

/// `-p -keys enc.pem URI` in the sample's directory: its exit code must be
/// `code`, its files unchanged; returns confpass's message.
fn refused(s: &Scratch, uri: &str, code: i32) -> String {
    let before = s.snapshot();
    let out = Run::new(s, &["-p", "-keys", "enc.pem", uri]).exit(code);
    assert!(s.snapshot() == before, "a refused run changed files");
    stderr(&out)
}

/// The sample with a PIN file only its owner can read.
fn sample_with_pin() -> (Scratch, String) {
    let s = Scratch::sample();
    s.write("pin", b"1234\n");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("pin"), 0o600);
    let pin = s.path("pin").display().to_string().replace('\\', "/");
    (s, pin)
}

#[test]
fn fail_a_pin_in_the_uri_is_refused_and_never_repeated() {
    let s = Scratch::sample();
    let err = refused(&s, "pkcs11:token=t;object=k?pin-value=73519-secret", 4);
    assert!(err.contains("has the PIN in clear (pin-value)"), "{err}");
    assert!(!err.contains("73519-secret"), "{err}");
}

#[test]
fn fail_a_uri_without_a_pin_source_or_with_a_relative_module_says_what_to_add() {
    let s = Scratch::sample();
    let err = refused(&s, "pkcs11:token=t;object=k?module-path=/opt/p11.so", 4);
    assert!(err.contains("gives no pin-source"), "{err}");
    let err = refused(
        &s,
        "pkcs11:token=t;object=k?module-path=p11.so&pin-source=file:/x",
        4,
    );
    assert!(err.contains("module-path"), "{err}");
}

#[test]
fn fail_a_missing_pin_file_is_named() {
    let s = Scratch::sample();
    let missing = s.path("no-pin").display().to_string().replace('\\', "/");
    let uri = format!("pkcs11:token=t;object=k?module-path=/opt/p11.so&pin-source=file:{missing}");
    let err = refused(&s, &uri, 4);
    assert!(
        err.contains("PIN file") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn fail_a_missing_module_is_named_with_what_to_do() {
    let (s, pin) = sample_with_pin();
    let uri = format!(
        "pkcs11:token=t;object=k?module-path=/nonexistent/p11-module&pin-source=file:{pin}"
    );
    let err = refused(&s, &uri, 4);
    assert!(
        err.contains("PKCS#11 module /nonexistent/p11-module")
            && err.contains("does not exist: install the token's PKCS#11 module"),
        "{err}"
    );
}

#[test]
fn fail_a_library_that_is_no_pkcs11_module_is_loaded_and_refused() {
    // A library every host has, that has no C_GetFunctionList.
    let library = if cfg!(windows) {
        "C:/windows/system32/kernel32.dll"
    } else if std::path::Path::new("/lib/x86_64-linux-gnu/libm.so.6").exists() {
        "/lib/x86_64-linux-gnu/libm.so.6"
    } else {
        "/lib64/libm.so.6"
    };
    let (s, pin) = sample_with_pin();
    let uri = format!("pkcs11:token=t;object=k?module-path={library}&pin-source=file:{pin}");
    let err = refused(&s, &uri, 4);
    assert!(
        err.contains(&format!("PKCS#11 module {library}")) && err.contains("cannot be loaded"),
        "{err}"
    );
}
