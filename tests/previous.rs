//! `previous-password` (issue 12, PRODUCT.md §10), end to end with the real
//! binary on real files: `-p --password-stdin --keep-previous` stages a new
//! password and keeps the value it replaces verbatim, `--forget-previous`
//! ends the rotation byte for byte, `--check` reports both values, and the
//! start-up call `confpass::database_password_candidates` offers current then
//! previous. Idempotence, the public-key-only host, a second rotation while
//! one is in progress, `--dry-run` and `--json`, `--rotate-keys`, a plain
//! `-p` running at the same time, and a SIGKILL at every step of both
//! commands and of a key rotation. No password ever appears in any run's
//! output.
//!
//! The refusal of a second rotation is pinned in
//! `tests/snapshots/previous/` (`SNAPSHOTS=overwrite cargo test --test
//! previous` rewrites it).
//!
//! The runs that use stock `openssl` are skipped on Windows (wine cannot run
//! it with its exit status); every other test runs there too.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::*;
use confpass::fault::{ROTATION_STEPS, STEPS};
use confpass::{EncryptedValue, EncryptionKey, ExposeSecret, SecretString, Which};
use serde_json::Value;

/// The password the sample holds, the one a rotation replaces.
const OLD: &str = SAMPLE_PASSWORD;
/// The password a rotation stages (`--keep-previous`).
const NEW: &str = "N3w-staged;#= pw A";
/// Another new password: a second rotation, or a plain `-p` at the same time.
const OTHER: &str = "0ther-rot;#= pw B";
/// Every password of these tests: none may appear in any output.
const PASSWORDS: [&str; 3] = [OLD, NEW, OTHER];
/// `-p` with a new password on stdin, keeping the one it replaces.
const KEEP: [&str; 4] = ["-p", "--password-stdin", "--keep-previous", "--json"];
/// `-p` with a new password on stdin, without `--keep-previous`.
const PLAIN_P: [&str; 3] = ["-p", "--password-stdin", "--json"];
/// `--forget-previous`.
const FORGET: [&str; 2] = ["--forget-previous", "--json"];

// ------------------------------------------------------------------ runs

/// `confpass ARGS` in `s`'s directory ([`Run::new`]); none of
/// [`PASSWORDS`] may appear in its output.
fn confpass(s: &Scratch, args: &[&str]) -> Run {
    Run::new(s, args).never_showing(&PASSWORDS)
}

/// `confpass ARGS` to its end, with `password` on stdin if given.
fn run(s: &Scratch, args: &[&str], password: Option<&str>) -> Output {
    let run = confpass(s, args);
    match password {
        Some(p) => run.password(p),
        None => run,
    }
    .spawn()
    .finish()
}

/// `-p --password-stdin --keep-previous --json` with `password`; exit 0; its JSON.
fn keep(s: &Scratch, password: &str) -> Value {
    json(&confpass(s, &KEEP).password(password).exit(0))
}

/// `--forget-previous --json`; exit 0; its JSON.
fn forget(s: &Scratch) -> Value {
    json(&confpass(s, &FORGET).exit(0))
}

/// The names of a JSON object's fields, sorted.
fn fields(v: &Value) -> Vec<String> {
    let mut names: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

/// A run that must fail with `code` and change no file; its stderr.
fn refused(s: &Scratch, args: &[&str], password: Option<&str>, code: i32) -> String {
    let before = s.snapshot();
    let out = run(s, args, password);
    assert_exit(&out, code);
    assert!(
        s.snapshot() == before,
        "a refused run ({args:?}) changed files"
    );
    stderr(&out)
}

// ----------------------------------------------------------------- files

/// The sample with the test key pair, encrypted for it by `-p` (holding
/// [`OLD`]).
fn encrypted() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    confpass(&s, &["-p"]).exit(0);
    s
}

/// [`encrypted`], then a rotation to [`NEW`] staged with `--keep-previous`.
fn staged() -> Scratch {
    let s = encrypted();
    keep(&s, NEW);
    s
}

/// The configuration file's text.
fn conf(s: &Scratch) -> String {
    s.read_str("confserv.conf")
}

/// The value of `option` in the configuration file.
fn value(s: &Scratch, option: &str) -> Option<String> {
    value_of(&conf(s), option)
}

/// The key id an `ENC[...]` value names.
fn kid_of(value: &str) -> String {
    EncryptedValue::parse(value)
        .unwrap_or_else(|e| panic!("not an encrypted value ({e}): {value}"))
        .key_id()
        .to_string()
}

/// The configuration file with `option`'s value (on the line that sets
/// it) replaced by `new`, the rest of the line kept.
fn set_option(s: &Scratch, option: &str, new: &str) {
    let text = conf(s);
    let mut found = false;
    let out: String = text
        .split_inclusive('\n')
        .map(|line| match line.split_once('=') {
            Some((name, rest)) if name.trim() == option => {
                found = true;
                let old = rest.trim();
                let end = &rest[rest.find(old).unwrap() + old.len()..];
                format!("{name}= {new}{end}")
            }
            _ => line.to_owned(),
        })
        .collect();
    assert!(found, "no {option} line");
    s.write("confserv.conf", out.as_bytes());
}

/// `value` with one base64 character of its data, in the middle, changed:
/// still well-formed, the same length, but no longer a valid ciphertext.
fn flipped(value: &str) -> String {
    let at = value.find("data:").expect("data:") + 5 + 100;
    let old = value.as_bytes()[at];
    let new = if old == b'A' { 'B' } else { 'A' };
    let mut out = value.to_owned();
    out.replace_range(at..=at, &new.to_string());
    out
}

/// Exactly the configuration and the key pair, no temporary file.
fn assert_only_conf_and_pair(s: &Scratch, ctx: &str) {
    assert_eq!(
        names(s),
        ["confserv.conf", "dec.pem", "enc.pem"],
        "{ctx}: the files in the directory"
    );
}

// -------------------------------------------------------- start-up call

/// A name for a password in assertion messages (which never print one).
fn label(password: &str) -> &'static str {
    match password {
        p if p == OLD => "OLD",
        p if p == NEW => "NEW",
        p if p == OTHER => "OTHER",
        _ => "another password",
    }
}

/// What `database_password_candidates` returns: which value, and the
/// password's label ([`label`]); or the error's message.
fn candidates(s: &Scratch) -> Result<Vec<(Which, &'static str)>, String> {
    confpass::database_password_candidates(s.path("confserv.conf"), "confserv")
        .map(|list| {
            list.iter()
                .map(|c| (c.which, label(c.password.expose_secret())))
                .collect()
        })
        .map_err(|e| e.to_string())
}

/// The start-up call returns exactly `expected` (passwords, by label).
fn assert_candidates(s: &Scratch, expected: &[(Which, &str)], ctx: &str) {
    let expected: Vec<(Which, &str)> = expected.iter().map(|(w, p)| (*w, label(p))).collect();
    match candidates(s) {
        Ok(got) => assert_eq!(got, expected, "{ctx}: the start-up candidates"),
        Err(e) => panic!("{ctx}: the start-up candidates call fails: {e}"),
    }
}

/// `database_password` returns `expected`.
fn assert_current(s: &Scratch, expected: &str, ctx: &str) {
    let got = confpass::database_password(s.path("confserv.conf"), "confserv")
        .unwrap_or_else(|e| panic!("{ctx}: database_password fails: {e}"));
    assert_eq!(
        label(got.expose_secret()),
        label(expected),
        "{ctx}: database_password"
    );
}

/// Stock OpenSSL decrypts `option`'s value with the private key `dec` to
/// `expected`.
fn assert_openssl(s: &Scratch, option: &str, dec: &Path, expected: &str) {
    let value = value(s, option).unwrap_or_else(|| panic!("no {option}"));
    let got = openssl_decrypt(&value, dec);
    assert_eq!(
        label(&got),
        label(expected),
        "openssl decrypts {option} with {}",
        dec.display()
    );
}

// ------------------------------------------- 1. bytes kept, then given back

/// A configuration to rotate: its plain text, the `password` line's text
/// before the value, the `previous-password` line that must follow it (the
/// same style), and the file's line end.
struct Variant {
    name: &'static str,
    plain: Vec<u8>,
    password_prefix: &'static str,
    previous_prefix: &'static str,
    eol: &'static str,
}

fn variants() -> Vec<Variant> {
    let lf = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    assert!(
        lf.ends_with(&format!("password = {OLD}\n")),
        "the sample ends with its password"
    );
    let crlf = lf.replace('\n', "\r\n");
    let sample = |name, text: &str, eol| Variant {
        name,
        plain: text.as_bytes().to_vec(),
        password_prefix: "password = ",
        previous_prefix: "previous-password = ",
        eol,
    };
    vec![
        sample("the sample (LF)", &lf, "\n"),
        sample("the sample with CRLF", &crlf, "\r\n"),
        sample(
            "the sample without a final newline",
            lf.strip_suffix('\n').unwrap(),
            "\n",
        ),
        sample(
            "the sample with CRLF and without a final line end",
            crlf.strip_suffix("\r\n").unwrap(),
            "\r\n",
        ),
        Variant {
            name: "an indented password with tabs, mid-section, CRLF",
            plain: format!(
                "; rotation\r\n[confserv]\r\nserver = main_db\r\nencryption = false\r\n\r\n[main_db]\r\nhost = db1\r\n\t password\t=  {OLD}\r\nusername = genesys\r\n\r\n[log]\r\nall = stderr\r\n"
            )
            .into_bytes(),
            password_prefix: "\t password\t=  ",
            previous_prefix: "\t previous-password\t=  ",
            eol: "\r\n",
        },
        Variant {
            name: "a password without spaces around =, before a comment",
            plain: format!(
                "[confserv]\nserver = dbserver\n\n[dbserver]\npassword={OLD}\n; the password above\nusername = u\n"
            )
            .into_bytes(),
            password_prefix: "password=",
            previous_prefix: "previous-password=",
            eol: "\n",
        },
    ]
}

#[test]
fn keep_previous_adds_the_old_value_verbatim_after_password_and_forget_gives_the_bytes_back() {
    for v in variants() {
        let ctx = v.name;
        let s = Scratch::with_config(&v.plain);
        s.install_keys("test");
        confpass(&s, &["-p"]).exit(0);
        let original = conf(&s);
        let old = value(&s, "password").unwrap();
        assert!(
            original.contains(&format!("{}{old}", v.password_prefix)),
            "{ctx}: -p kept the password line's style"
        );
        let keys = (s.read("dec.pem"), s.read("enc.pem"));
        #[cfg(unix)] // Unix-only: file modes.
        set_mode(&s.path("confserv.conf"), 0o640);

        let out = keep(&s, NEW);
        assert_eq!(out["action"], "encrypted", "{ctx}");
        assert_eq!(out["keeps_previous"], true, "{ctx}");
        let kept = conf(&s);
        let new = value(&s, "password").unwrap();
        assert_ne!(new, old, "{ctx}: a new value");
        assert_eq!(kid_of(&new), TEST_KID, "{ctx}");
        // Every byte but the password's value is as it was; the new line
        // right after it holds exactly the old value's bytes.
        let expected_kept = original.replacen(
            &format!("{}{old}", v.password_prefix),
            &format!(
                "{}{new}{}{}{old}",
                v.password_prefix, v.eol, v.previous_prefix
            ),
            1,
        );
        assert!(
            kept == expected_kept,
            "{ctx}: the file after --keep-previous:\n{kept:?}\nexpected:\n{expected_kept:?}"
        );
        assert_eq!(
            value(&s, "previous-password").as_deref(),
            Some(old.as_str()),
            "{ctx}"
        );
        assert_candidates(&s, &[(Which::Current, NEW), (Which::Previous, OLD)], ctx);
        assert!(
            (s.read("dec.pem"), s.read("enc.pem")) == keys,
            "{ctx}: the key files are untouched"
        );
        assert_only_conf_and_pair(&s, ctx);

        // --forget-previous: the file as it is with just the new password.
        let out = forget(&s);
        assert_eq!(out["action"], "previous-forgotten", "{ctx}");
        let forgotten = conf(&s);
        let with_new_only = original.replacen(
            &format!("{}{old}", v.password_prefix),
            &format!("{}{new}", v.password_prefix),
            1,
        );
        assert!(
            forgotten == with_new_only,
            "{ctx}: the file after --forget-previous:\n{forgotten:?}\nexpected:\n{with_new_only:?}"
        );
        let line = format!("{}{old}", v.previous_prefix);
        let one_line_less = kept.replacen(&format!("{}{line}", v.eol), "", 1).replacen(
            &format!("{line}{}", v.eol),
            "",
            1,
        );
        assert!(
            forgotten == one_line_less,
            "{ctx}: the kept file minus one line"
        );
        assert_eq!(
            forgotten.matches("\r\n").count(),
            original.matches("\r\n").count(),
            "{ctx}: CRLF line ends kept"
        );
        assert_eq!(forgotten.ends_with('\n'), original.ends_with('\n'), "{ctx}");
        assert_candidates(&s, &[(Which::Current, NEW)], ctx);
        assert_only_conf_and_pair(&s, ctx);
        #[cfg(unix)] // Unix-only: file modes.
        assert_eq!(
            s.mode("confserv.conf"),
            0o640,
            "{ctx}: the file's mode is kept"
        );
    }
}

#[test]
fn keep_previous_on_a_plain_file_encrypts_the_old_password_into_previous_password() {
    let s = Scratch::sample();
    s.install_keys("test");
    let original = conf(&s);
    let out = keep(&s, NEW);
    assert_eq!(out["action"], "encrypted");
    assert_eq!(out["keeps_previous"], true);
    let text = conf(&s);
    assert!(
        !text.contains(OLD),
        "the old password is no longer in plain text"
    );
    let (new, previous) = (
        value(&s, "password").unwrap(),
        value(&s, "previous-password").unwrap(),
    );
    assert_eq!(
        (kid_of(&new), kid_of(&previous)),
        (TEST_KID.into(), TEST_KID.into())
    );
    // Only `encryption` and the password changed; previous-password follows it.
    let expected = original
        .replace("encryption = false", "encryption = true")
        .replace(
            &format!("password = {OLD}\n"),
            &format!("password = {new}\nprevious-password = {previous}\n"),
        );
    assert!(text == expected, "the file:\n{text}");
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "plain file",
    );
    assert_exit(&run(&s, &["--check"], None), 0);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn keep_previous_values_decrypt_with_stock_openssl() {
    let dec = testdata("keys/test-dec.pem");
    for s in [staged(), {
        let s = Scratch::sample();
        s.install_keys("test");
        keep(&s, NEW);
        s
    }] {
        assert_openssl(&s, "password", &dec, NEW);
        assert_openssl(&s, "previous-password", &dec, OLD);
    }
}

// ------------------------------------------------------------ 2. idempotence

#[test]
fn keep_previous_again_with_the_same_password_changes_nothing() {
    for (start, s) in [
        ("an encrypted file", encrypted()),
        ("a plain file", {
            let s = Scratch::sample();
            s.install_keys("test");
            s
        }),
    ] {
        keep(&s, NEW);
        let before = s.snapshot();
        for _ in 0..2 {
            let v = keep(&s, NEW);
            assert_eq!(v["action"], "unchanged", "{start}: {v}");
            assert_eq!(v["changed"], false, "{start}: {v}");
            assert_eq!(v["keeps_previous"], true, "{start}: {v}");
            assert_eq!(v["key_id"], TEST_KID, "{start}: {v}");
            assert!(s.snapshot() == before, "{start}: the rerun changed files");
        }
        let out = confpass(&s, &["-p", "--password-stdin", "--keep-previous"])
            .password(NEW)
            .exit(0);
        assert_eq!(
            stdout(&out),
            format!(
                "confserv.conf: the password in [dbserver] is already encrypted with key {TEST_KID}; nothing changed; previous-password is kept\n"
            ),
            "{start}"
        );
        assert!(s.snapshot() == before, "{start}: the rerun changed files");
        assert_candidates(&s, &[(Which::Current, NEW), (Which::Previous, OLD)], start);
    }
}

#[test]
fn forget_previous_twice_the_second_changes_nothing() {
    let s = staged();
    let out = confpass(&s, &["--forget-previous"]).exit(0);
    assert_eq!(
        stdout(&out),
        format!(
            "confserv.conf: removed previous-password from [dbserver]; the password is encrypted with key {TEST_KID}\n"
        )
    );
    let before = s.snapshot();
    let out = confpass(&s, &["--forget-previous"]).exit(0);
    assert_eq!(
        stdout(&out),
        "confserv.conf: there is no previous-password in [dbserver]; nothing changed\n"
    );
    let v = forget(&s);
    assert_eq!(v["action"], "unchanged", "{v}");
    assert_eq!(v["changed"], false, "{v}");
    assert_eq!(v["keeps_previous"], false, "{v}");
    assert!(
        s.snapshot() == before,
        "a second --forget-previous changed files"
    );
    assert_candidates(
        &s,
        &[(Which::Current, NEW)],
        "after --forget-previous twice",
    );
}

#[test]
fn p_without_keep_previous_during_a_rotation_keeps_previous_password_verbatim() {
    let s = staged();
    let previous = value(&s, "previous-password").unwrap();
    let v = json(&confpass(&s, &PLAIN_P).password(OTHER).exit(0));
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["keeps_previous"], true);
    assert_eq!(value(&s, "previous-password"), Some(previous));
    assert_candidates(
        &s,
        &[(Which::Current, OTHER), (Which::Previous, OLD)],
        "plain -p",
    );
}

// ------------------------------------------------ 3. public-key-only host

/// The encrypted sample with only `enc.pem` beside it (`dec.pem` removed).
fn public_key_only() -> Scratch {
    let s = encrypted();
    fs::remove_file(s.path("dec.pem")).unwrap();
    s
}

#[test]
fn keep_previous_on_a_public_key_only_host_copies_the_old_value() {
    let s = public_key_only();
    let original = conf(&s);
    let old = value(&s, "password").unwrap();
    let v = keep(&s, NEW);
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["keeps_previous"], true);
    assert_eq!(v["key_id"], TEST_KID);
    let new = value(&s, "password").unwrap();
    assert_eq!(
        conf(&s),
        original.replace(
            &format!("password = {old}\n"),
            &format!("password = {new}\nprevious-password = {old}\n")
        )
    );
    assert_eq!(names(&s), ["confserv.conf", "enc.pem"], "no key file made");
    // Where the private key is, the server reads both.
    s.install_key("test-dec.pem", "dec.pem");
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "public key only",
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn keep_previous_on_a_public_key_only_host_decrypts_with_stock_openssl() {
    let s = public_key_only();
    keep(&s, NEW);
    let dec = testdata("keys/test-dec.pem");
    assert_openssl(&s, "password", &dec, NEW);
    assert_openssl(&s, "previous-password", &dec, OLD);
}

#[test]
fn fail_keep_previous_again_on_a_public_key_only_host_is_refused_with_exit_4() {
    let s = public_key_only();
    keep(&s, NEW);
    // Without dec.pem confpass cannot tell a rerun from another rotation.
    for password in [NEW, OTHER] {
        let err = refused(
            &s,
            &["-p", "--password-stdin", "--keep-previous"],
            Some(password),
            4,
        );
        assert!(err.contains("`previous-password`"), "{err}");
        assert!(err.contains("private key"), "{err}");
        assert!(err.contains("--forget-previous"), "{err}");
    }
    s.install_key("test-dec.pem", "dec.pem");
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "after exit 4",
    );
}

#[test]
fn forget_previous_on_a_public_key_only_host_removes_the_line() {
    let s = public_key_only();
    let original = conf(&s);
    let old = value(&s, "password").unwrap();
    keep(&s, NEW);
    let new = value(&s, "password").unwrap();
    assert_eq!(forget(&s)["action"], "previous-forgotten");
    assert_eq!(conf(&s), original.replace(&old, &new));
}

// ------------------------------------------- 4. a second rotation refused

#[test]
fn fail_a_second_rotation_while_one_is_in_progress_is_refused_with_exit_3() {
    let s = staged();
    let err = refused(
        &s,
        &["-p", "--password-stdin", "--keep-previous"],
        Some(OTHER),
        3,
    );
    assert_snapshot(&err, "previous/second_rotation.stderr");

    let before = s.snapshot();
    let out = confpass(&s, &KEEP).password(OTHER).exit(3);
    assert!(s.snapshot() == before, "a refused run changed files");
    let v = json(&out);
    assert_eq!(v["category"], "config", "{v}");
    assert_eq!(v["exit_code"], 3, "{v}");
    assert_eq!(v["committed"], false, "{v}");
    let message = v["error"].as_str().unwrap();
    assert!(message.contains("previous-password") && message.contains("--forget-previous"));
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "refused",
    );

    // Once forgotten, the next rotation goes ahead.
    forget(&s);
    keep(&s, OTHER);
    assert_candidates(
        &s,
        &[(Which::Current, OTHER), (Which::Previous, NEW)],
        "next rotation",
    );
}

#[test]
fn fail_keep_previous_without_a_new_password_is_a_usage_error() {
    let s = encrypted();
    for args in [
        &["-p", "--keep-previous"][..],
        &["-p", "--keep-previous", "--json"],
        &["--check", "--keep-previous"],
        &["--forget-previous", "--keep-previous"],
        &["--rotate-keys", "--keep-previous"],
        &["--forget-previous", "--password-stdin"],
        &["--check", "--forget-previous"],
    ] {
        let err = refused(&s, args, None, 2);
        assert!(err.starts_with("confpass: error: "), "{args:?}: {err}");
        assert!(
            err.contains("hint: run `confpass --help` for the usage"),
            "{args:?}: {err}"
        );
    }
    let err = refused(&s, &["-p", "--keep-previous"], None, 2);
    assert!(
        err.contains("--keep-previous goes with -p and a new password"),
        "{err}"
    );
}

#[test]
fn fail_forget_previous_on_a_plain_password_is_refused() {
    let s = Scratch::sample();
    s.install_keys("test");
    let err = refused(&s, &["--forget-previous"], None, 3);
    assert!(err.contains("is not encrypted"), "{err}");
    assert!(err.contains("confpass -p"), "{err}");
}

#[test]
fn fail_forget_previous_refuses_while_the_current_value_does_not_decrypt() {
    let s = staged();
    let current = value(&s, "password").unwrap();
    set_option(&s, "password", &flipped(&current));
    let err = refused(&s, &["--forget-previous"], None, 5);
    assert!(err.contains("does not decrypt"), "{err}");
    // --check tells which value is the damaged one.
    let v = json(&confpass(&s, &["--check", "--json"]).exit(12));
    assert_eq!(v["state"], "corrupt", "{v}");
    assert_eq!(v["previous"]["state"], "decryptable", "{v}");
}

#[test]
fn fail_keep_previous_over_a_value_that_does_not_decrypt_is_refused() {
    // With the private key at hand confpass can tell that the value it
    // would keep is unusable; kept, it would make every start-up call fail
    // (`database_password_candidates` checks both values), and the library
    // says confpass never writes such a previous-password.
    let s = encrypted();
    let current = value(&s, "password").unwrap();
    set_option(&s, "password", &flipped(&current));
    let err = refused(
        &s,
        &["-p", "--password-stdin", "--keep-previous"],
        Some(NEW),
        5,
    );
    assert!(err.contains("does not decrypt"), "{err}");
    // A plain -p replaces the damaged value, keeping nothing.
    let v = json(&confpass(&s, &PLAIN_P).password(NEW).exit(0));
    assert_eq!(v["keeps_previous"], false, "{v}");
    assert_candidates(&s, &[(Which::Current, NEW)], "after a plain -p");
}

// --------------------------------------------------------------- 5. dry run

#[test]
fn dry_run_of_keep_previous_writes_nothing_and_shows_the_added_line() {
    let s = encrypted();
    let old = value(&s, "password").unwrap();
    let before = s.snapshot();
    let out = confpass(
        &s,
        &["-p", "--password-stdin", "--keep-previous", "--dry-run"],
    )
    .password(NEW)
    .exit(0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let text = stdout(&out);
    assert!(
        text.starts_with("--- confserv.conf\n+++ confserv.conf (after)\n"),
        "{text}"
    );
    let lines = changed_lines(&text);
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], format!("-password = {old}"));
    let new = lines[1].strip_prefix("+password = ").expect("+password");
    assert_eq!(kid_of(new), TEST_KID);
    assert_eq!(lines[2], format!("+previous-password = {old}"));
    assert!(
        text.ends_with(&format!(
            "dry run, nothing written: confserv.conf: encrypted the password in [dbserver] with key {TEST_KID}; previous-password is kept\n"
        )),
        "{text}"
    );

    let out = confpass(
        &s,
        &[
            "-p",
            "--password-stdin",
            "--keep-previous",
            "--dry-run",
            "--json",
        ],
    )
    .password(NEW)
    .exit(0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["action"], "encrypted", "{v}");
    assert_eq!(v["keeps_previous"], true, "{v}");
    assert_eq!(v["created"], serde_json::json!([]), "{v}");
    let diff = v["diff"].as_str().expect("a diff");
    assert_eq!(
        changed_lines(diff)[2],
        format!("+previous-password = {old}")
    );
    assert_candidates(&s, &[(Which::Current, OLD)], "after the dry runs");

    // From a plain file: the old password is masked, and only its
    // encryption appears.
    let s = Scratch::sample();
    s.install_keys("test");
    let before = s.snapshot();
    let out = confpass(
        &s,
        &["-p", "--password-stdin", "--keep-previous", "--dry-run"],
    )
    .password(NEW)
    .exit(0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let text = stdout(&out);
    let lines = changed_lines(&text);
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(lines[2], "-password = ********");
    assert!(lines[3].starts_with("+password = ENC["), "{text}");
    assert!(lines[4].starts_with("+previous-password = ENC["), "{text}");
}

#[test]
fn dry_run_of_forget_previous_writes_nothing_and_shows_the_removed_line() {
    let s = staged();
    let previous = value(&s, "previous-password").unwrap();
    let current = value(&s, "password").unwrap();
    let before = s.snapshot();
    let out = confpass(&s, &["--forget-previous", "--dry-run"]).exit(0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let text = stdout(&out);
    assert_eq!(
        text,
        format!(
            "--- confserv.conf\n+++ confserv.conf (after)\n@@ -20,2 +20 @@\n password = {current}\n-previous-password = {previous}\ndry run, nothing written: confserv.conf: removed previous-password from [dbserver]; the password is encrypted with key {TEST_KID}\n"
        )
    );
    let v = json(&confpass(&s, &["--forget-previous", "--dry-run", "--json"]).exit(0));
    assert!(s.snapshot() == before, "a dry run wrote something");
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["action"], "previous-forgotten", "{v}");
    assert_eq!(v["keeps_previous"], false, "{v}");
    assert_eq!(
        changed_lines(v["diff"].as_str().unwrap()),
        [format!("-previous-password = {previous}")]
    );
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "dry run",
    );

    // Nothing to forget: a dry run says so.
    forget(&s);
    let before = s.snapshot();
    let out = confpass(&s, &["--forget-previous", "--dry-run"]).exit(0);
    assert_eq!(
        stdout(&out),
        "dry run, nothing written: confserv.conf: there is no previous-password in [dbserver]; nothing changed\n"
    );
    assert!(s.snapshot() == before);
}

#[test]
fn dry_run_of_p_masks_a_plain_previous_password() {
    // A plain file may keep a plain previous-password (encryption = false):
    // `-p` encrypts it along with the password, and its dry run shows
    // neither in plain text ([`Running::finish`] looks for every password).
    let mut text = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    text.push_str(&format!("previous-password = {OTHER}\n"));
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let before = s.snapshot();
    let out = confpass(&s, &["-p", "--dry-run"]).exit(0);
    let text = stdout(&out);
    let lines = changed_lines(&text);
    assert_eq!(lines.len(), 6, "{text}");
    // One hunk replaces both lines: the old ones, then the new ones.
    assert_eq!(lines[2], "-password = ********", "{text}");
    assert_eq!(lines[3], "-previous-password = ********", "{text}");
    assert!(lines[4].starts_with("+password = ENC["), "{text}");
    assert!(lines[5].starts_with("+previous-password = ENC["), "{text}");
    let v = json(&confpass(&s, &["-p", "--dry-run", "--json"]).exit(0));
    assert!(
        changed_lines(v["diff"].as_str().unwrap()).contains(&"-previous-password = ********"),
        "{v}"
    );
    assert!(s.snapshot() == before, "a dry run wrote something");
    // The real run encrypts both.
    confpass(&s, &["-p"]).exit(0);
    assert!(!conf(&s).contains(OTHER));
    assert_eq!(kid_of(&value(&s, "previous-password").unwrap()), TEST_KID);
    assert_candidates(
        &s,
        &[(Which::Current, OLD), (Which::Previous, OTHER)],
        "both encrypted",
    );
}

// ------------------------------------------------------------------ 6. JSON

#[test]
fn json_of_keep_previous_and_forget_previous_names_the_outcome() {
    let s = encrypted();
    let file = s.path("confserv.conf").display().to_string();
    let expected_fields = [
        "action",
        "changed",
        "created",
        "db_section",
        "dry_run",
        "file",
        "keeps_previous",
        "key_id",
        "server_section",
        "warnings",
    ];
    let args = [
        "-p",
        "--password-stdin",
        "--keep-previous",
        "--json",
        "-c",
        &file,
        "-s",
        "confserv",
    ];
    let v = json(&confpass(&s, &args).password(NEW).exit(0));
    assert_eq!(fields(&v), expected_fields, "{v}");
    assert_eq!(v["file"], shown(&s.path("confserv.conf")));
    assert_eq!(v["server_section"], "confserv");
    assert_eq!(v["db_section"], "dbserver");
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["changed"], true);
    assert_eq!(v["keeps_previous"], true);
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(v["created"], serde_json::json!([]));
    assert_eq!(v["dry_run"], false);
    assert_eq!(v["warnings"], serde_json::json!([]));

    let args = [
        "--forget-previous",
        "--json",
        "-c",
        &file,
        "-s",
        "confserv",
        "-keys",
    ];
    let v = json(&confpass(&s, &args).exit(0));
    assert_eq!(fields(&v), expected_fields, "{v}");
    assert_eq!(v["file"], shown(&s.path("confserv.conf")));
    assert_eq!(v["action"], "previous-forgotten");
    assert_eq!(v["changed"], true);
    assert_eq!(v["keeps_previous"], false);
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(v["dry_run"], false);
    assert_candidates(&s, &[(Which::Current, NEW)], "after the JSON runs");
}

// ----------------------------------------------------------------- 7. check

#[test]
fn check_reports_the_password_and_the_previous_password() {
    let s = encrypted();
    let out = confpass(&s, &["--check", "--json"]).exit(0);
    assert!(
        json(&out).get("previous").is_none(),
        "no previous before a rotation"
    );
    assert_eq!(
        stdout(&confpass(&s, &["--check"]).exit(0)).lines().count(),
        1
    );

    keep(&s, NEW);
    let before = s.snapshot();
    let out = confpass(&s, &["--check"]).exit(0);
    assert_eq!(
        stdout(&out),
        format!(
            "confserv.conf: the password in [dbserver] is encrypted and decrypts with key {TEST_KID} (./dec.pem)\n\
             confserv.conf: the previous-password in [dbserver] is encrypted and decrypts with key {TEST_KID} (./dec.pem)\n"
        )
    );
    let v = json(&confpass(&s, &["--check", "--json"]).exit(0));
    assert_eq!(v["state"], "decryptable", "{v}");
    assert_eq!(v["key_id"], TEST_KID, "{v}");
    let previous = &v["previous"];
    assert_eq!(
        fields(previous),
        ["key_file", "key_id", "state", "value_key_id"],
        "{v}"
    );
    assert_eq!(previous["state"], "decryptable", "{v}");
    assert_eq!(previous["key_id"], TEST_KID, "{v}");
    assert_eq!(previous["value_key_id"], TEST_KID, "{v}");
    assert_eq!(previous["key_file"], "./dec.pem", "{v}");
    assert!(s.snapshot() == before, "--check wrote something");
}

#[test]
fn fail_a_corrupted_previous_password_makes_check_exit_12_and_the_candidates_call_fail() {
    let s = staged();
    let previous = value(&s, "previous-password").unwrap();
    set_option(&s, "previous-password", &flipped(&previous));
    let before = s.snapshot();

    let out = confpass(&s, &["--check"]).exit(12);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains("the password in [dbserver] is encrypted and decrypts"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("confserv.conf: the previous-password in [dbserver] is corrupt: "),
        "{text}"
    );
    let v = json(&confpass(&s, &["--check", "--json"]).exit(12));
    assert_eq!(v["state"], "decryptable", "{v}");
    assert_eq!(v["previous"]["state"], "corrupt", "{v}");
    assert!(
        v["previous"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{v}"
    );
    assert!(s.snapshot() == before, "--check wrote something");

    // The start-up call finds it at once, naming the option; the current
    // password alone still reads.
    let err = candidates(&s).expect_err("the candidates call fails");
    assert!(err.contains("previous-password"), "{err}");
    assert!(err.contains("--forget-previous"), "{err}");
    assert_current(&s, NEW, "a corrupt previous-password");

    // --forget-previous clears it.
    assert_eq!(forget(&s)["action"], "previous-forgotten");
    assert_candidates(
        &s,
        &[(Which::Current, NEW)],
        "after forgetting a corrupt value",
    );
    assert_exit(&run(&s, &["--check"], None), 0);
}

#[test]
fn fail_a_previous_password_for_another_key_makes_check_exit_11() {
    let s = staged();
    let other = EncryptionKey::load(&testdata("keys/other-enc.pem")).unwrap();
    let value = EncryptedValue::encrypt(&other, &SecretString::from(OLD.to_owned())).unwrap();
    set_option(&s, "previous-password", &value.to_string());

    let v = json(&confpass(&s, &["--check", "--json"]).exit(11));
    assert_eq!(v["state"], "decryptable", "{v}");
    assert_eq!(v["previous"]["state"], "other-key", "{v}");
    assert_eq!(v["previous"]["value_key_id"], OTHER_KID, "{v}");
    assert_eq!(v["previous"]["key_id"], TEST_KID, "{v}");
    let err = candidates(&s).expect_err("the candidates call fails");
    assert!(err.contains("previous-password"), "{err}");
    assert!(err.contains(OTHER_KID), "{err}");
    assert_current(&s, NEW, "a previous-password for another key");
}

// --------------------------------------------------------------- 8. library

#[test]
fn candidates_are_current_then_previous_during_a_rotation_and_current_alone_otherwise() {
    let s = Scratch::sample();
    s.install_keys("test");
    assert_candidates(&s, &[(Which::Current, OLD)], "a plain file");
    confpass(&s, &["-p"]).exit(0);
    assert_candidates(&s, &[(Which::Current, OLD)], "encrypted");
    keep(&s, NEW);
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "staged",
    );
    assert_current(&s, NEW, "staged");
    assert_eq!(Which::Current.option(), "password");
    assert_eq!(Which::Previous.option(), "previous-password");
    forget(&s);
    assert_candidates(&s, &[(Which::Current, NEW)], "forgotten");
    assert_current(&s, NEW, "forgotten");

    // A plain file may keep a plain previous password (encryption = false).
    let mut text = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    text.push_str(&format!("previous-password = {OTHER}\n"));
    let s = Scratch::with_config(text.as_bytes());
    assert_candidates(
        &s,
        &[(Which::Current, OLD), (Which::Previous, OTHER)],
        "a plain previous-password",
    );
    assert_current(&s, OLD, "a plain previous-password");
    let out = confpass(&s, &["--check"]).exit(10);
    assert_eq!(
        stdout(&out),
        "confserv.conf: the password in [dbserver] is plain text; encrypt it with `confpass -p`\n\
         confserv.conf: the previous-password in [dbserver] is plain text; encrypt it with `confpass -p`\n"
    );
}

// ---------------------------------------------------------- 9. rotate-keys

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn rotate_keys_re_encrypts_previous_password_under_the_new_key() {
    let s = staged();
    let previous = value(&s, "previous-password").unwrap();
    let v = json(&confpass(&s, &["--rotate-keys", "--bits", "2048", "--json"]).exit(0));
    assert_eq!(v["action"], "rotated", "{v}");
    assert_eq!(v["keeps_previous"], true, "{v}");
    let kid = v["key_id"].as_str().unwrap().to_owned();
    assert_ne!(kid, TEST_KID);
    assert_eq!(openssl_key_id(&s.path("enc.pem")), kid);
    let (current, now) = (
        value(&s, "password").unwrap(),
        value(&s, "previous-password").unwrap(),
    );
    assert_eq!((kid_of(&current), kid_of(&now)), (kid.clone(), kid.clone()));
    assert_ne!(now, previous, "re-encrypted");
    let dec = s.path("dec.pem");
    assert_openssl(&s, "password", &dec, NEW);
    assert_openssl(&s, "previous-password", &dec, OLD);
    assert_candidates(
        &s,
        &[(Which::Current, NEW), (Which::Previous, OLD)],
        "rotated",
    );
    let v = json(&confpass(&s, &["--check", "--json"]).exit(0));
    assert_eq!(v["previous"]["key_id"], kid.as_str(), "{v}");
    assert!(s.exists(&format!("dec.retired-{TEST_KID}.pem")));
}

// ---------------------------------------------- 10. a plain -p at the same time

/// The two serial outcomes of `--keep-previous` with [`NEW`] and a plain
/// `-p` with [`OTHER`] on a file holding [`OLD`].
const KEEP_THEN_PLAIN: [(Which, &str); 2] = [(Which::Current, OTHER), (Which::Previous, OLD)];
const PLAIN_THEN_KEEP: [(Which, &str); 2] = [(Which::Current, NEW), (Which::Previous, OTHER)];

/// The outcome of a race: one of the serial ones, the file well-formed.
fn serial_order(s: &Scratch, ctx: &str) -> &'static str {
    let got = candidates(s).unwrap_or_else(|e| panic!("{ctx}: the start-up call fails: {e}"));
    let label_all = |l: &[(Which, &str)]| l.iter().map(|(w, p)| (*w, label(p))).collect::<Vec<_>>();
    let text = conf(s);
    assert_eq!(text.matches("\npassword = ENC[").count(), 1, "{ctx}");
    assert_eq!(
        text.matches("\nprevious-password = ENC[").count(),
        1,
        "{ctx}"
    );
    assert_only_conf_and_pair(s, ctx);
    if got == label_all(&KEEP_THEN_PLAIN) {
        "keep then plain"
    } else if got == label_all(&PLAIN_THEN_KEEP) {
        "plain then keep"
    } else {
        panic!("{ctx}: a lost update: the file holds {got:?}")
    }
}

#[test]
fn keep_previous_and_a_plain_p_at_once_end_as_one_of_the_serial_orders() {
    let mut seen = Vec::new();
    for round in 0..5 {
        let ctx = format!("round {round}");
        let s = encrypted();
        let a = confpass(&s, &KEEP).password(NEW).spawn();
        let b = confpass(&s, &PLAIN_P).password(OTHER).spawn();
        let (a, b) = (json(&a.exit(0)), json(&b.exit(0)));
        let order = serial_order(&s, &ctx);
        assert_eq!(a["action"], "encrypted", "{ctx}: {a}");
        assert_eq!(b["action"], "encrypted", "{ctx}: {b}");
        assert_eq!(a["keeps_previous"], true, "{ctx}: {a}");
        // The plain -p finds a previous password only after the other run.
        assert_eq!(
            b["keeps_previous"],
            order == "keep then plain",
            "{ctx}: {b}"
        );
        seen.push(order);
    }
    println!("orders seen: {seen:?}");
}

#[test]
fn keep_previous_and_a_plain_p_serialise_on_the_lock_in_either_order() {
    for keep_first in [true, false] {
        let s = encrypted();
        let (first, second) = if keep_first {
            (
                confpass(&s, &KEEP).password(NEW),
                confpass(&s, &PLAIN_P).password(OTHER),
            )
        } else {
            (
                confpass(&s, &PLAIN_P).password(OTHER),
                confpass(&s, &KEEP).password(NEW),
            )
        };
        let first = first.paused_at("locked");
        let second = second.waiting_on_lock();
        let first = first.resume().exit(0);
        let second = second.exit(0);
        let (keep_out, plain_out) = if keep_first {
            (first, second)
        } else {
            (second, first)
        };
        assert_eq!(json(&keep_out)["action"], "encrypted");
        assert_eq!(json(&plain_out)["action"], "encrypted");
        assert_eq!(json(&plain_out)["keeps_previous"], keep_first);
        let expected = if keep_first {
            "keep then plain"
        } else {
            "plain then keep"
        };
        assert_eq!(serial_order(&s, expected), expected);
    }
}

// ------------------------------------------------------- 11. a kill at each step

/// Runs `args` (with `password`, if any) on a fresh copy made by `setup`,
/// killed at each `-p` step it reaches; `check` judges the state left and
/// returns whether the change was committed; then the same command again
/// must succeed (`unchanged` if committed, else `action`). Returns the
/// steps reached.
fn kill_at_every_step(
    setup: fn() -> Scratch,
    args: &[&str],
    password: Option<&str>,
    action: &str,
    check: impl Fn(&Scratch, &str, &str) -> bool,
    converged: impl Fn(&Scratch, &str),
) -> Vec<&'static str> {
    let mut reached = Vec::new();
    for step in STEPS {
        let ctx = format!("{args:?} killed at {step}");
        let s = setup();
        let original = conf(&s);
        let keys = (s.read("dec.pem"), s.read("enc.pem"));
        let mut run = confpass(&s, args);
        if let Some(p) = password {
            run = run.password(p);
        }
        match run.try_paused_at(step) {
            Ok(paused) => {
                paused.kill();
            }
            Err(out) => {
                // Not a step of this run: it went through.
                assert_exit(&out, 0);
                continue;
            }
        }
        reached.push(step);
        let committed = check(&s, &original, &ctx);
        assert_eq!(committed, step == "renamed", "{ctx}: committed");
        assert!(
            (s.read("dec.pem"), s.read("enc.pem")) == keys,
            "{ctx}: the key files are untouched"
        );

        let mut rerun = confpass(&s, args);
        if let Some(p) = password {
            rerun = rerun.password(p);
        }
        let v = json(&rerun.exit(0));
        let expected = if committed { "unchanged" } else { action };
        assert_eq!(v["action"], expected, "{ctx}: the rerun: {v}");
        assert_only_conf_and_pair(&s, &ctx);
        converged(&s, &ctx);
        // And once more: nothing left to do.
        let before = s.snapshot();
        let mut again = confpass(&s, args);
        if let Some(p) = password {
            again = again.password(p);
        }
        assert_eq!(json(&again.exit(0))["action"], "unchanged", "{ctx}");
        assert!(s.snapshot() == before, "{ctx}: the third run changed files");
    }
    reached
}

#[test]
fn kill_at_every_step_of_keep_previous_leaves_a_working_start_up_and_the_rerun_converges() {
    let reached = kill_at_every_step(
        encrypted,
        &KEEP,
        Some(NEW),
        "encrypted",
        |s, original, ctx| match candidates(s) {
            Ok(got) if got == [(Which::Current, "OLD")] => {
                assert!(conf(s) == original, "{ctx}: the file is untouched");
                false
            }
            Ok(got) if got == [(Which::Current, "NEW"), (Which::Previous, "OLD")] => {
                let old = value_of(original, "password").unwrap();
                assert_eq!(value(s, "previous-password"), Some(old), "{ctx}: verbatim");
                true
            }
            Ok(got) => panic!("{ctx}: the start-up call returns {got:?}"),
            Err(e) => panic!("{ctx}: the start-up call fails: {e}"),
        },
        |s, ctx| assert_candidates(s, &[(Which::Current, NEW), (Which::Previous, OLD)], ctx),
    );
    assert_eq!(reached, ["locked", "temp-written", "renamed"]);
}

#[test]
fn kill_at_every_step_of_forget_previous_leaves_a_working_start_up_and_the_rerun_converges() {
    let reached = kill_at_every_step(
        staged,
        &FORGET,
        None,
        "previous-forgotten",
        |s, original, ctx| match candidates(s) {
            Ok(got) if got == [(Which::Current, "NEW"), (Which::Previous, "OLD")] => {
                assert!(conf(s) == original, "{ctx}: the file is untouched");
                false
            }
            Ok(got) if got == [(Which::Current, "NEW")] => {
                assert!(!conf(s).contains("previous-password"), "{ctx}");
                true
            }
            Ok(got) => panic!("{ctx}: the start-up call returns {got:?}"),
            Err(e) => panic!("{ctx}: the start-up call fails: {e}"),
        },
        |s, ctx| assert_candidates(s, &[(Which::Current, NEW)], ctx),
    );
    assert_eq!(reached, ["locked", "temp-written", "renamed"]);
}

#[test]
fn kill_at_every_step_of_a_key_rotation_keeps_both_candidates() {
    let args = ["--rotate-keys", "--bits", "2048", "--json"];
    let mut reached = Vec::new();
    for step in ROTATION_STEPS {
        let ctx = format!("--rotate-keys killed at {step}");
        let s = staged();
        match confpass(&s, &args).try_paused_at(step) {
            Ok(paused) => {
                paused.kill();
            }
            Err(out) => panic!("{ctx}: the step was not reached:\n{}", all_output(&out)),
        }
        reached.push(step);
        assert_candidates(&s, &[(Which::Current, NEW), (Which::Previous, OLD)], &ctx);
        let v = json(&confpass(&s, &args).exit(0));
        assert_eq!(v["keeps_previous"], true, "{ctx}: {v}");
        let kid = v["key_id"].as_str().unwrap().to_owned();
        for option in ["password", "previous-password"] {
            assert_eq!(kid_of(&value(&s, option).unwrap()), kid, "{ctx}: {option}");
        }
        assert_candidates(&s, &[(Which::Current, NEW), (Which::Previous, OLD)], &ctx);
        assert_exit(&run(&s, &["--check"], None), 0);
    }
    assert_eq!(reached, ROTATION_STEPS);
}
