//! The C API called from Rust, through the same `extern "C"` functions a C
//! program links, on every platform the suite runs on (under wine too,
//! where the C tests of `.ci/capi-test` do not run): the start-up call on a
//! plain and an encrypted file, the candidates call, the check, the error
//! object of each kind of failure a caller meets first, and NULL arguments.
//! The C tests cover the rest under the sanitizers.

use std::ffi::{CStr, CString, c_char};
use std::path::Path;
use std::ptr;

use confpass_capi::*;

/// A scratch directory with the sample configuration in it (plain text:
/// `encryption` is not set).
fn sample() -> (tempfile::TempDir, CString) {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sample/confserv.conf");
    let path = dir.path().join("confserv.conf");
    std::fs::copy(sample, &path).unwrap();
    let c = CString::new(path.to_str().unwrap()).unwrap();
    (dir, c)
}

/// The password the sample holds.
const SAMPLE_PASSWORD: &[u8] = b"S3cret!pass";

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: a NUL-terminated string the library gave, still alive.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

/// The error's message, after checking that its category is the result.
fn message(rc: confpass_result, error: *mut confpass_error) -> String {
    // SAFETY: an error object the failing call wrote, freed once here.
    unsafe {
        assert_eq!(confpass_error_category(error), rc);
        let m = text(confpass_error_message(error));
        confpass_error_free(error);
        m
    }
}

#[test]
fn the_start_up_call_gives_the_plain_password_in_a_secret() {
    let (_dir, path) = sample();
    let mut secret = ptr::null_mut();
    let mut error = ptr::null_mut();
    let section = CString::new("confserv").unwrap();
    // SAFETY: valid strings and out-parameters; the secret is freed once.
    unsafe {
        let rc =
            confpass_database_password(path.as_ptr(), section.as_ptr(), &mut secret, &mut error);
        assert_eq!(rc, confpass_result::Ok);
        assert!(error.is_null(), "an error was written on success");
        let len = confpass_secret_len(secret);
        let bytes = std::slice::from_raw_parts(confpass_secret_bytes(secret), len);
        assert_eq!(bytes, SAMPLE_PASSWORD);
        assert_eq!(
            CStr::from_ptr(confpass_secret_str(secret)).to_bytes(),
            SAMPLE_PASSWORD
        );
        assert_eq!(confpass_secret_which(secret), confpass_which::Current);
        confpass_secret_free(secret);
    }
}

#[test]
fn candidates_and_check_on_a_plain_file() {
    let (_dir, path) = sample();
    let mut list = ptr::null_mut();
    let mut report = ptr::null_mut();
    let mut error = ptr::null_mut();
    // SAFETY: valid strings and out-parameters; each object freed once.
    unsafe {
        let rc = confpass_database_password_candidates(
            path.as_ptr(),
            ptr::null(),
            &mut list,
            &mut error,
        );
        assert_eq!(rc, confpass_result::Ok);
        assert_eq!(confpass_candidates_len(list), 1);
        let first = confpass_candidates_get(list, 0);
        assert_eq!(confpass_secret_len(first), SAMPLE_PASSWORD.len());
        assert!(confpass_candidates_get(list, 1).is_null());
        confpass_candidates_free(list);

        let rc = confpass_check(path.as_ptr(), ptr::null(), &mut report, &mut error);
        assert_eq!(rc, confpass_result::Ok);
        assert_eq!(text(confpass_report_server_section(report)), "confserv");
        assert_eq!(text(confpass_report_db_section(report)), "dbserver");
        let current = confpass_report_current(report);
        assert_eq!(confpass_value_state(current), confpass_state::Plain);
        assert!(confpass_value_key_id(current).is_null());
        assert!(confpass_report_previous(report).is_null());
        confpass_report_free(report);
    }
}

#[test]
fn each_failure_is_an_error_object_with_its_category_and_the_out_parameter_untouched() {
    let (dir, path) = sample();
    let sentinel = ptr::dangling_mut::<confpass_secret>();
    let missing = CString::new(dir.path().join("nope.conf").to_str().unwrap()).unwrap();
    let no_section = CString::new("backup").unwrap();
    let not_utf8 = CString::new(vec![b'a', 0xff, b'b']).unwrap();
    let cases: [(&str, *const c_char, *const c_char, confpass_result, &str); 3] = [
        (
            "a missing file",
            missing.as_ptr(),
            ptr::null(),
            confpass_result::Config,
            "nope.conf",
        ),
        (
            "a missing section",
            path.as_ptr(),
            no_section.as_ptr(),
            confpass_result::Config,
            "backup",
        ),
        (
            "a path that is not UTF-8",
            not_utf8.as_ptr(),
            ptr::null(),
            confpass_result::Usage,
            "config_path is not UTF-8",
        ),
    ];
    for (what, file, section, expected, named) in cases {
        let mut secret = sentinel;
        let mut error = ptr::null_mut();
        // SAFETY: valid strings and out-parameters.
        let rc = unsafe { confpass_database_password(file, section, &mut secret, &mut error) };
        assert_eq!(rc, expected, "{what}");
        assert_eq!(
            secret, sentinel,
            "{what}: the out-parameter was written on failure"
        );
        let m = message(rc, error);
        assert!(
            m.contains(named),
            "{what}: the message does not name {named}: {m}"
        );
    }
    // A NULL out-parameter is a usage error naming it; a NULL error_out
    // still gives the result code.
    let mut error = ptr::null_mut();
    // SAFETY: NULL out-parameters are part of the contract.
    unsafe {
        let rc =
            confpass_database_password(path.as_ptr(), ptr::null(), ptr::null_mut(), &mut error);
        assert!(message(rc, error).contains("secret_out is NULL"));
        assert_eq!(rc, confpass_result::Usage);
        let rc = confpass_check(
            missing.as_ptr(),
            ptr::null(),
            &mut ptr::null_mut(),
            ptr::null_mut(),
        );
        assert_eq!(rc, confpass_result::Config);
    }
}

#[test]
fn every_accessor_and_free_function_takes_null() {
    // SAFETY: NULL is part of every accessor's and free function's contract.
    unsafe {
        assert_eq!(confpass_error_category(ptr::null()), confpass_result::Ok);
        assert!(confpass_error_message(ptr::null()).is_null());
        assert!(confpass_secret_bytes(ptr::null()).is_null());
        assert_eq!(confpass_secret_len(ptr::null()), 0);
        assert!(confpass_secret_str(ptr::null()).is_null());
        assert_eq!(confpass_candidates_len(ptr::null()), 0);
        assert!(confpass_candidates_get(ptr::null(), 0).is_null());
        assert!(confpass_report_current(ptr::null()).is_null());
        assert!(confpass_report_file(ptr::null()).is_null());
        assert_eq!(confpass_value_state(ptr::null()), confpass_state::Corrupt);
        assert!(confpass_value_reason(ptr::null()).is_null());
        confpass_error_free(ptr::null_mut());
        confpass_secret_free(ptr::null_mut());
        confpass_candidates_free(ptr::null_mut());
        confpass_report_free(ptr::null_mut());
    }
    assert_eq!(text(confpass_version()), env!("CARGO_PKG_VERSION"));
}

#[test]
fn the_crypto_backend_is_named_as_confpass_version_names_it() {
    let backend = confpass_crypto_backend();
    assert_eq!(text(backend), confpass::crypto_backend().to_string());
    assert!(text(backend).contains(", FIPS mode "), "{}", text(backend));
    assert_eq!(confpass_crypto_backend(), backend, "one static string");
}

#[test]
fn a_path_with_non_ascii_characters_is_passed_as_utf8_on_every_platform() {
    // On Windows the library turns UTF-8 into the wide-character path the
    // system takes (README.md, "Using confpass from C and C++").
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Konfiguration-Zürich-東京");
    std::fs::create_dir(&folder).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/sample/confserv.conf");
    let file = folder.join("confserv.conf");
    std::fs::copy(sample, &file).unwrap();
    let path = CString::new(file.to_str().unwrap()).unwrap();
    let mut secret = ptr::null_mut();
    // SAFETY: valid strings and out-parameters; the secret is freed once.
    unsafe {
        let rc =
            confpass_database_password(path.as_ptr(), ptr::null(), &mut secret, ptr::null_mut());
        assert_eq!(rc, confpass_result::Ok);
        assert_eq!(confpass_secret_len(secret), SAMPLE_PASSWORD.len());
        confpass_secret_free(secret);
    }
}
