//! The automation modes (issue 4), end to end with the real binary:
//! `--check`, `--rotate-keys`, `-p --password-stdin --json`, `--reveal`,
//! `--dry-run`, and the `CONFPASS_DECRYPTION_KEY` override. Each mode's
//! success and failure states, their exit codes and JSON fields; the
//! password appears in no output but `--reveal`'s stdout. The error texts
//! pinned whole are snapshot files under `tests/snapshots/automation/`
//! (`SNAPSHOTS=overwrite cargo test --test automation` rewrites them).

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, ExposeSecret, SecretString};
use serde_json::Value;

// ---------------------------------------------------------------- helpers

/// A second password, distinctive, so any leak of it is caught too.
const NEW_PASSWORD: &str = "Nw7-rotated;#pw";

/// `confpass ARGS` in the scratch directory; no password may appear in the output.
fn run(s: &Scratch, args: &[&str]) -> Output {
    let out = s.confpass().args(args).output().unwrap();
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_no_password(&out, NEW_PASSWORD);
    assert!(!stderr(&out).contains("panicked"), "{}", all_output(&out));
    out
}

/// As [`run`], with `stdin` written to the process.
fn run_stdin(s: &Scratch, args: &[&str], stdin: &str) -> Output {
    let out = s.confpass().args(args).write_stdin(stdin).output().unwrap();
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_no_password(&out, NEW_PASSWORD);
    assert!(!stderr(&out).contains("panicked"), "{}", all_output(&out));
    out
}

/// A run that must fail with `code` and change nothing, with nothing on stdout.
fn fail(s: &Scratch, args: &[&str], code: i32) -> String {
    let before = s.snapshot();
    let out = run(s, args);
    assert_exit(&out, code);
    assert!(out.stdout.is_empty(), "stdout on failure: {}", stdout(&out));
    assert!(s.snapshot() == before, "a failed run changed files");
    stderr(&out)
}

/// A `--json` run that must fail with `code` and `category` and change
/// nothing: stdout is the error object, stderr the same message.
fn fail_json(s: &Scratch, args: &[&str], stdin: Option<&str>, code: i32, category: &str) -> Value {
    let before = s.snapshot();
    let out = match stdin {
        Some(text) => run_stdin(s, args, text),
        None => run(s, args),
    };
    assert_exit(&out, code);
    assert!(s.snapshot() == before, "a failed run changed files");
    let v = json(&out);
    let fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 4, "{v}");
    assert_eq!(v["committed"], false, "a failure before the commit: {v}");
    assert_eq!(v["category"], category, "{v}");
    assert_eq!(v["exit_code"], code, "{v}");
    let message = v["error"].as_str().expect("error is a string");
    assert!(!message.is_empty());
    assert!(
        stderr(&out).starts_with(&format!("confpass: error: {message}\n")),
        "stderr does not carry the message:\n{}",
        stderr(&out)
    );
    v
}

/// The sample file with the test key pair installed, not yet encrypted.
fn sample_with_keys() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    s
}

/// The sample file encrypted for the test key pair by `confpass -p`.
fn encrypted() -> Scratch {
    let s = sample_with_keys();
    let out = run(&s, &["-p"]);
    assert_exit(&out, 0);
    assert_eq!(key_id_in(&s), TEST_KID);
    s
}

/// The stored `password` value.
fn stored_value(s: &Scratch) -> String {
    value_of(&s.read_str("confserv.conf"), "password").expect("a password option")
}

/// The key id named in the stored `ENC[...]` value.
fn key_id_in(s: &Scratch) -> String {
    let value = stored_value(s);
    EncryptedValue::parse(&value)
        .unwrap_or_else(|e| panic!("not an encrypted value ({e}): {value}"))
        .key_id()
        .to_string()
}

/// Replaces the stored `password` value with `value`.
fn set_value(s: &Scratch, value: &str) {
    let text = s.read_str("confserv.conf");
    let old = stored_value(s);
    s.write(
        "confserv.conf",
        text.replace(&format!("password = {old}"), &format!("password = {value}"))
            .as_bytes(),
    );
}

/// `confpass::database_password` on the scratch file, with the default environment.
fn startup(s: &Scratch) -> String {
    confpass::database_password(s.path("confserv.conf"), "confserv")
        .expect("the start-up call succeeds")
        .expose_secret()
        .to_owned()
}

fn abs(s: &Scratch, rel: &str) -> String {
    s.path(rel).display().to_string()
}

// ---------------------------------------------------------------- --check

#[test]
fn check_plain_is_exit_10_with_state_plain() {
    let s = sample_with_keys();
    let before = s.snapshot();
    let out = run(&s, &["--check"]);
    assert_exit(&out, 10);
    assert_eq!(
        stdout(&out),
        "confserv.conf: the password in [dbserver] is plain text; encrypt it with `confpass -p`\n"
    );
    let out = run(&s, &["--check", "--json"]);
    assert_exit(&out, 10);
    let v = json(&out);
    assert_eq!(v["file"], "confserv.conf");
    assert_eq!(v["server_section"], "confserv");
    assert_eq!(v["db_section"], "dbserver");
    assert_eq!(v["state"], "plain");
    for absent in ["key_id", "value_key_id", "key_file", "reason"] {
        assert!(v.get(absent).is_none(), "{absent} in {v}");
    }
    assert!(s.snapshot() == before, "--check wrote something");
}

#[test]
fn check_plain_needs_no_key_file() {
    let s = Scratch::sample();
    assert_exit(&run(&s, &["--check"]), 10);
    assert_eq!(names(&s), ["confserv.conf"]);
}

#[test]
fn check_decryptable_is_exit_0_and_names_the_key() {
    let s = encrypted();
    let before = s.snapshot();
    let conf = abs(&s, "confserv.conf");
    let out = run(&s, &["--check", "-c", &conf]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        format!(
            "{}: the password in [dbserver] is encrypted and decrypts with key {TEST_KID} ({})\n",
            shown(&s.path("confserv.conf")),
            abs(&s, "dec.pem")
        )
    );
    let out = run(&s, &["--check", "--json", "-c", &conf, "-s", "confserv"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["file"], shown(&s.path("confserv.conf")));
    assert_eq!(v["server_section"], "confserv");
    assert_eq!(v["db_section"], "dbserver");
    assert_eq!(v["state"], "decryptable");
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(v["value_key_id"], TEST_KID);
    assert_eq!(v["key_file"], abs(&s, "dec.pem").as_str());
    assert!(v.get("reason").is_none(), "{v}");
    assert!(s.snapshot() == before, "--check wrote something");
}

#[test]
fn check_other_key_is_exit_11_and_names_both_ids() {
    let s = encrypted();
    s.install_keys("other");
    let out = run(&s, &["--check"]);
    assert_exit(&out, 11);
    let text = stdout(&out);
    assert!(
        text.contains(TEST_KID) && text.contains(OTHER_KID),
        "both ids: {text}"
    );
    let v = json(&run(&s, &["--check", "--json"]));
    assert_eq!(v["state"], "other-key");
    assert_eq!(v["key_id"], OTHER_KID);
    assert_eq!(v["value_key_id"], TEST_KID);
    assert_eq!(v["key_file"], "./dec.pem");
    assert_exit(&run(&s, &["--check", "--json"]), 11);
}

#[test]
fn check_undecryptable_ciphertext_is_exit_12_corrupt() {
    let s = encrypted();
    let value = EncryptedValue::parse(&stored_value(&s)).unwrap();
    let mut cipher = value.ciphertext().to_vec();
    cipher[10] ^= 0x55;
    let altered = EncryptedValue::from_parts(value.key_id(), cipher).to_string();
    set_value(&s, &altered);
    let before = s.snapshot();
    let out = run(&s, &["--check"]);
    assert_exit(&out, 12);
    assert!(stdout(&out).contains("corrupt"), "{}", stdout(&out));
    let out = run(&s, &["--check", "--json"]);
    assert_exit(&out, 12);
    let v = json(&out);
    assert_eq!(v["state"], "corrupt");
    assert!(
        v["reason"].as_str().unwrap().contains("does not decrypt"),
        "{v}"
    );
    assert!(v.get("key_id").is_none(), "{v}");
    assert!(s.snapshot() == before);
}

#[test]
fn check_malformed_value_is_exit_12_corrupt() {
    let s = encrypted();
    set_value(&s, &format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:@@@]"));
    let out = run(&s, &["--check", "--json"]);
    assert_exit(&out, 12);
    let v = json(&out);
    assert_eq!(v["state"], "corrupt");
    assert!(v["reason"].as_str().unwrap().contains("base64"), "{v}");

    // Truncated ciphertext: well-formed base64, too short for the key.
    let s = encrypted();
    let value = EncryptedValue::parse(&stored_value(&s)).unwrap();
    let short = EncryptedValue::from_parts(value.key_id(), value.ciphertext()[..100].to_vec());
    set_value(&s, &short.to_string());
    let out = run(&s, &["--check", "--json"]);
    assert_exit(&out, 12);
    assert_eq!(json(&out)["state"], "corrupt");
}

#[test]
fn check_missing_key_is_exit_4() {
    let s = encrypted();
    std::fs::remove_file(s.path("dec.pem")).unwrap();
    let err = fail(&s, &["--check"], 4);
    assert!(err.contains("./dec.pem does not exist"), "{err}");
    let v = fail_json(&s, &["--check", "--json"], None, 4, "key");
    assert!(v["error"].as_str().unwrap().contains("dec.pem"), "{v}");
}

// Unix-only: file modes (on Windows a DACL protects the key instead).
#[cfg(unix)]
#[test]
fn check_unprotected_key_is_exit_4_with_the_chmod_fix() {
    let s = encrypted();
    set_mode(&s.path("dec.pem"), 0o644);
    let err = fail(&s, &["--check"], 4);
    assert_snapshot(&err, "automation/check_unprotected_key.stderr");
    fail_json(&s, &["--check", "--json"], None, 4, "key");
}

#[test]
fn check_file_problems_are_exit_3() {
    let s = encrypted();
    let err = fail(&s, &["--check", "-c", "missing.conf"], 3);
    assert!(err.contains("missing.conf"), "{err}");
    let err = fail(&s, &["--check", "-s", "nosuchserver"], 3);
    assert!(err.contains("nosuchserver"), "{err}");
    fail_json(
        &s,
        &["--check", "--json", "-s", "nosuch"],
        None,
        3,
        "config",
    );
}

#[test]
fn check_refuses_dry_run_keys_and_password_stdin() {
    let s = encrypted();
    let err = fail(&s, &["--check", "--dry-run"], 2);
    assert_snapshot(&err, "automation/check_dry_run.stderr");
    fail(&s, &["--check", "-keys", "enc.pem", "dec.pem"], 2);
    fail(&s, &["--check", "--password-stdin"], 2);
    fail(&s, &["--check", "--reveal"], 2);
    fail(&s, &["--check", "-p"], 2);
}

// ---------------------------------------------------------------- --rotate-keys

/// Checks a completed rotation away from `old_kid` in `dir` ("" or "keys/"):
/// the new pair and the old one retired beside it (nothing staged or
/// temporary), dec.pem 0600 and enc.pem one pair with it, the value made for
/// them and decrypting with stock OpenSSL, the old id only in the retired
/// files. Returns the new id.
fn assert_rotated_in(s: &Scratch, dir: &str, old_kid: &str, earlier: &[&str]) -> String {
    let retired_dec = format!("{dir}dec.retired-{old_kid}.pem");
    let retired_enc = format!("{dir}enc.retired-{old_kid}.pem");
    let mut expected = vec![
        "confserv.conf".to_owned(),
        format!("{dir}dec.pem"),
        retired_dec.clone(),
        format!("{dir}enc.pem"),
        retired_enc.clone(),
    ];
    for kid in earlier {
        expected.push(format!("{dir}dec.retired-{kid}.pem"));
        expected.push(format!("{dir}enc.retired-{kid}.pem"));
    }
    expected.sort();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(names(s), expected, "no staged or temporary file is left");
    let retired = DecryptionKey::load(&s.path(&retired_dec)).unwrap();
    assert_eq!(
        retired.id().to_string(),
        old_kid,
        "the old key is retired, not destroyed"
    );
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode(&retired_dec), 0o600);
    assert_eq!(enc_key_id(&s.path(&retired_enc)), old_kid);
    let (dec_file, enc_file) = (format!("{dir}dec.pem"), format!("{dir}enc.pem"));
    let dec = DecryptionKey::load(&s.path(&dec_file)).unwrap();
    let enc = EncryptionKey::load(&s.path(&enc_file)).unwrap();
    let kid = dec.id().to_string();
    assert_eq!(enc.id(), dec.id(), "enc.pem and dec.pem are one pair");
    assert_eq!(enc_key_id(&s.path(&enc_file)), kid);
    assert_ne!(kid, old_kid, "a new key");
    #[cfg(unix)] // Unix-only: file modes.
    {
        assert_eq!(s.mode(&dec_file), 0o600);
        assert_eq!(s.mode(&enc_file), 0o644);
    }
    assert_eq!(key_id_in(s), kid, "the value names the new key");
    // Stock OpenSSL where it runs (not under wine); the start-up call on
    // every platform.
    if !cfg!(windows) {
        assert_eq!(
            openssl_decrypt(&stored_value(s), &s.path(&dec_file)),
            SAMPLE_PASSWORD
        );
    }
    assert_eq!(startup(s), SAMPLE_PASSWORD);
    for (path, (bytes, _)) in s.snapshot() {
        if path.to_string_lossy().contains(".retired-") {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains(old_kid),
            "{} mentions the old key id",
            path.display()
        );
    }
    kid
}

/// The key id of the public key file `enc` as stock OpenSSL computes it
/// (PRODUCT.md §3); under wine, which cannot run OpenSSL, as the library
/// reads it (the Linux run holds the two equal).
fn enc_key_id(enc: &Path) -> String {
    if cfg!(windows) {
        EncryptionKey::load(enc).unwrap().id().to_string()
    } else {
        openssl_key_id(enc)
    }
}

/// [`assert_rotated_in`] for the default key files beside the configuration.
fn assert_rotated(s: &Scratch, old_kid: &str) -> String {
    assert_rotated_in(s, "", old_kid, &[])
}

#[test]
fn rotate_keys_makes_a_new_pair_and_retires_the_old_one() {
    let s = encrypted();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("confserv.conf"), 0o640);
    let before = s.read_str("confserv.conf");
    let out = run(&s, &["--rotate-keys", "--bits", "2048", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    let kid = assert_rotated(&s, TEST_KID);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("confserv.conf"), 0o640, "the file's mode is kept");
    assert_eq!(v["file"], "confserv.conf");
    assert_eq!(v["server_section"], "confserv");
    assert_eq!(v["db_section"], "dbserver");
    assert_eq!(v["key_id"], kid.as_str());
    assert_eq!(v["changed"], true);
    assert_eq!(v["action"], "rotated");
    assert_eq!(v["created"], serde_json::json!([]));
    assert_eq!(v["dry_run"], false);
    assert!(v.get("diff").is_none(), "{v}");
    assert_eq!(
        DecryptionKey::load(&s.path("dec.pem"))
            .unwrap()
            .public()
            .bits(),
        2048
    );

    // Only the password line changed.
    let after = s.read_str("confserv.conf");
    let others = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with("password"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(others(&after), others(&before));

    // --check agrees, and a second rotation retires this key in turn.
    assert_exit(&run(&s, &["--check"]), 0);
    let out = run(&s, &["--rotate-keys", "--bits", "2048"]);
    assert_exit(&out, 0);
    let third = assert_rotated_in(&s, "", &kid, &[TEST_KID]);
    assert_ne!(third, TEST_KID);
    assert_eq!(
        stdout(&out),
        format!(
            "confserv.conf: rotated keys; the password in [dbserver] is now encrypted with key {third}\n"
        )
    );
}

#[test]
fn rotate_keys_with_explicit_key_files_rotates_them_in_place() {
    let s = Scratch::sample();
    std::fs::create_dir(s.path("keys")).unwrap();
    s.install_key("test-dec.pem", "keys/dec.pem");
    s.install_key("test-enc.pem", "keys/enc.pem");
    let keys = ["-keys", "keys/enc.pem", "keys/dec.pem"];
    assert_exit(&run(&s, &[&["-p"][..], &keys].concat()), 0);
    let with_option = s.read_str("confserv.conf");
    assert_eq!(
        value_of(&with_option, "decryption-key").as_deref(),
        Some(abs(&s, "keys/dec.pem").as_str())
    );
    let out = run(
        &s,
        &[&["--rotate-keys", "--bits", "2048", "--json"][..], &keys].concat(),
    );
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["action"], "rotated");
    let kid = v["key_id"].as_str().unwrap().to_owned();
    assert_eq!(assert_rotated_in(&s, "keys/", TEST_KID, &[]), kid);
}

#[test]
fn rotate_keys_on_a_plain_file_is_exit_3() {
    let s = sample_with_keys();
    let err = fail(&s, &["--rotate-keys", "--bits", "2048"], 3);
    assert!(err.contains("is not encrypted"), "{err}");
    assert!(err.contains("confpass -p"), "{err}");
    fail_json(
        &s,
        &["--rotate-keys", "--bits", "2048", "--json"],
        None,
        3,
        "config",
    );
}

#[test]
fn rotate_keys_without_the_private_key_is_exit_4() {
    let s = encrypted();
    std::fs::remove_file(s.path("dec.pem")).unwrap();
    let err = fail(&s, &["--rotate-keys", "--bits", "2048"], 4);
    assert!(err.contains("./dec.pem does not exist"), "{err}");
    assert!(err.contains("private key"), "{err}");
    fail_json(
        &s,
        &["--rotate-keys", "--bits", "2048", "--json"],
        None,
        4,
        "key",
    );
}

#[test]
fn rotate_keys_refuses_small_keys_and_a_password() {
    let s = encrypted();
    fail(&s, &["--rotate-keys", "--bits", "1024"], 2);
    fail(&s, &["--rotate-keys", "--password-stdin"], 2);
    fail(
        &s,
        &["--rotate-keys", "--bits", "2048", "-keys", "enc.pem"],
        2,
    );
}

#[test]
fn rotate_keys_with_the_wrong_private_key_is_exit_4() {
    let s = encrypted();
    s.install_keys("other");
    let err = fail(&s, &["--rotate-keys", "--bits", "2048"], 4);
    assert!(err.contains(TEST_KID) && err.contains(OTHER_KID), "{err}");
}

#[test]
fn rotate_keys_rerun_after_the_commit_completes_the_rotation() {
    // The state a rotation killed after its commit leaves: the value names a
    // new key that is still staged beside the old dec.pem / enc.pem.
    let (s, new) = interrupted_after_commit();
    let kid = new.id().to_string();
    assert!(
        s.exists(&format!("dec.staged-{kid}.pem")) && s.exists(&format!("enc.staged-{kid}.pem"))
    );

    // The server can start, and --check finds the staged key.
    assert_eq!(startup(&s), SAMPLE_PASSWORD);
    let v = json(&run(&s, &["--check", "--json"]));
    assert_eq!(v["state"], "decryptable");
    assert_eq!(v["key_id"], kid.as_str());
    assert_eq!(v["key_file"], format!("./dec.staged-{kid}.pem").as_str());

    let out = run(&s, &["--rotate-keys", "--bits", "2048", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["action"], "rotation-completed");
    assert_eq!(v["key_id"], kid.as_str());
    assert_eq!(
        assert_rotated(&s, TEST_KID),
        kid,
        "the committed key, not another"
    );
    assert_eq!(
        DecryptionKey::load(&s.path("dec.pem")).unwrap().id(),
        new.id()
    );
}

#[test]
fn rotate_keys_rerun_before_the_commit_leaves_the_unnamed_staged_pair_to_prune_keys() {
    // A rotation killed before its commit: a staged pair nobody names.
    let s = encrypted();
    let abandoned = DecryptionKey::generate(2048).unwrap();
    let old_staged = abandoned.id().to_string();
    abandoned
        .save(&confpass::keyfiles::staged_path(
            &s.path("dec.pem"),
            abandoned.id(),
        ))
        .unwrap();
    abandoned
        .public()
        .save(&confpass::keyfiles::staged_path(
            &s.path("enc.pem"),
            abandoned.id(),
        ))
        .unwrap();
    assert_eq!(startup(&s), SAMPLE_PASSWORD);
    let staged = [
        format!("dec.staged-{old_staged}.pem"),
        format!("enc.staged-{old_staged}.pem"),
    ];
    let abandoned_bytes: Vec<Vec<u8>> = staged.iter().map(|n| s.read(n)).collect();
    let out = run(&s, &["--rotate-keys", "--bits", "2048", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["action"], "rotated");
    assert_ne!(
        key_id_in(&s),
        old_staged,
        "a fresh key, not the abandoned one"
    );
    // No private key is destroyed implicitly: the abandoned pair is still
    // there, untouched, until --prune-keys is asked to remove it.
    for (name, bytes) in staged.iter().zip(&abandoned_bytes) {
        assert_eq!(&s.read(name), bytes, "{name} untouched");
    }
    let out = run(&s, &["--prune-keys", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    let removed: Vec<&str> = v["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        removed.len(),
        4,
        "the abandoned staged pair and the retired pair: {v}"
    );
    assert_eq!(v["kept"], serde_json::json!([]), "{v}");
    assert_eq!(names(&s), ["confserv.conf", "dec.pem", "enc.pem"]);
    assert_eq!(startup(&s), SAMPLE_PASSWORD);
}

// ---------------------------------------------------------------- -p --json

#[test]
fn p_json_encrypts_then_reports_unchanged() {
    let s = sample_with_keys();
    let out = run(&s, &["-p", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["file"], "confserv.conf");
    assert_eq!(v["server_section"], "confserv");
    assert_eq!(v["db_section"], "dbserver");
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(v["changed"], true);
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["created"], serde_json::json!([]));
    assert_eq!(v["dry_run"], false);
    assert!(v.get("diff").is_none(), "{v}");
    let fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields.len(), 10, "{v}");
    assert_eq!(v["warnings"], serde_json::json!([]));
    assert_eq!(v["keeps_previous"], false);
    assert_eq!(startup(&s), SAMPLE_PASSWORD);

    let before = s.snapshot();
    let out = run(&s, &["-p", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["changed"], false);
    assert_eq!(v["action"], "unchanged");
    assert_eq!(v["key_id"], TEST_KID);
    assert!(s.snapshot() == before, "an unchanged run wrote something");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn p_json_on_a_fresh_install_lists_the_created_keys() {
    let s = Scratch::sample();
    let out = run(&s, &["-p", "--bits", "2048", "--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["created"], serde_json::json!(["./dec.pem", "./enc.pem"]));
    assert_eq!(v["key_id"], openssl_key_id(&s.path("enc.pem")).as_str());
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("dec.pem"), 0o600);
}

#[test]
fn p_password_stdin_json_rotates_the_password_and_is_idempotent() {
    let s = encrypted();
    let input = format!("{NEW_PASSWORD}\n");
    let args = ["-p", "--password-stdin", "--json"];
    let out = run_stdin(&s, &args, &input);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["changed"], true);
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(startup(&s), NEW_PASSWORD);

    let before = s.snapshot();
    let out = run_stdin(&s, &args, &input);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["changed"], false);
    assert_eq!(v["action"], "unchanged");
    assert!(s.snapshot() == before, "the same password rewrote the file");

    // And back: the old password is a change again.
    let out = run_stdin(&s, &args, &format!("{SAMPLE_PASSWORD}\n"));
    assert_exit(&out, 0);
    assert_eq!(json(&out)["changed"], true);
    assert_eq!(startup(&s), SAMPLE_PASSWORD);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn p_password_stdin_json_on_a_host_with_only_the_public_key() {
    let s = encrypted();
    std::fs::remove_file(s.path("dec.pem")).unwrap();
    let args = ["-p", "--password-stdin", "--json"];
    let input = format!("{NEW_PASSWORD}\n");
    for _ in 0..2 {
        let out = run_stdin(&s, &args, &input);
        assert_exit(&out, 0);
        let v = json(&out);
        assert_eq!(v["key_id"], TEST_KID);
        // OAEP is randomised: without the private key the run cannot tell
        // the same password, so it re-encrypts (README, Automation).
        assert_eq!(v["changed"], true);
        assert_eq!(v["action"], "encrypted");
        assert_eq!(v["created"], serde_json::json!([]));
        assert_eq!(names(&s), ["confserv.conf", "enc.pem"]);
        assert_eq!(
            openssl_decrypt(&stored_value(&s), &testdata("keys/test-dec.pem")),
            NEW_PASSWORD
        );
    }
}

#[test]
fn p_json_errors_print_an_error_object() {
    // Configuration file missing: 3.
    let s = sample_with_keys();
    let v = fail_json(
        &s,
        &["-p", "--json", "-c", "missing.conf"],
        None,
        3,
        "config",
    );
    assert!(v["error"].as_str().unwrap().contains("missing.conf"), "{v}");

    // An empty password on stdin: 2.
    fail_json(
        &s,
        &["-p", "--password-stdin", "--json"],
        Some("\n"),
        2,
        "usage",
    );

    // Key files that are not one pair: 4.
    let s = Scratch::sample();
    s.install_key("test-dec.pem", "dec.pem");
    s.install_key("other-enc.pem", "enc.pem");
    let v = fail_json(
        &s,
        &["-p", "--password-stdin", "--json"],
        Some(&format!("{NEW_PASSWORD}\n")),
        4,
        "key",
    );
    let message = v["error"].as_str().unwrap();
    assert!(
        message.contains(TEST_KID) && message.contains(OTHER_KID),
        "{v}"
    );

    // A value that does not decrypt with the key at hand: 5.
    let s = encrypted();
    let value = EncryptedValue::parse(&stored_value(&s)).unwrap();
    let mut cipher = value.ciphertext().to_vec();
    cipher[0] ^= 1;
    set_value(
        &s,
        &EncryptedValue::from_parts(value.key_id(), cipher).to_string(),
    );
    fail_json(&s, &["-p", "--json"], None, 5, "decrypt");
}

// ---------------------------------------------------------------- --reveal

#[test]
fn reveal_prints_the_password_alone_with_a_warning() {
    let s = encrypted();
    let before = s.snapshot();
    let out = s.confpass().arg("--reveal").output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), format!("{SAMPLE_PASSWORD}\n"));
    let err = stderr(&out);
    assert!(err.contains("warning"), "{err}");
    assert!(!err.contains(SAMPLE_PASSWORD), "password on stderr: {err}");
    assert!(s.snapshot() == before, "--reveal wrote something");

    // A plain file: the plain value, likewise.
    let s = Scratch::sample();
    let out = s.confpass().arg("--reveal").output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), format!("{SAMPLE_PASSWORD}\n"));
    assert!(!stderr(&out).contains(SAMPLE_PASSWORD));
}

#[test]
fn reveal_only_by_its_full_name_and_without_json_or_dry_run() {
    let s = encrypted();
    let before = s.snapshot();
    let out = run(&s, &["--reveal", "--json"]);
    assert_exit(&out, 2);
    assert_snapshot(&stderr(&out), "automation/reveal_json.stderr");
    // Asked for JSON, a usage error is a JSON object too; never the password.
    let v = json(&out);
    assert_eq!(v["category"], "usage");
    assert_eq!(v["exit_code"], 2);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(s.snapshot() == before);
    fail(&s, &["--reveal", "--dry-run"], 2);
    fail(&s, &["--reveal", "-keys", "enc.pem", "dec.pem"], 2);
    for abbreviation in ["--rev", "--reveal=yes", "--REVEAL", "-reveal", "--r"] {
        fail(&s, &[abbreviation], 2);
    }
}

#[test]
fn reveal_failures_print_nothing_on_stdout() {
    let s = encrypted();
    s.install_keys("other");
    let err = fail(&s, &["--reveal"], 4);
    assert!(err.contains(TEST_KID) && err.contains(OTHER_KID), "{err}");

    let s = encrypted();
    std::fs::remove_file(s.path("dec.pem")).unwrap();
    fail(&s, &["--reveal"], 4);

    // Unix-only: file modes (on Windows a DACL protects the key instead).
    #[cfg(unix)]
    {
        let s = encrypted();
        set_mode(&s.path("dec.pem"), 0o640);
        let err = fail(&s, &["--reveal"], 4);
        assert!(err.contains("chmod 600"), "{err}");
    }

    let s = encrypted();
    let value = EncryptedValue::parse(&stored_value(&s)).unwrap();
    let mut cipher = value.ciphertext().to_vec();
    cipher[5] ^= 0x80;
    set_value(
        &s,
        &EncryptedValue::from_parts(value.key_id(), cipher).to_string(),
    );
    fail(&s, &["--reveal"], 5);

    let s = encrypted();
    set_value(&s, &format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:@@@]"));
    fail(&s, &["--reveal"], 3);
}

// ---------------------------------------------------------------- --dry-run

#[test]
fn dry_run_on_a_fresh_install_writes_nothing_and_masks_the_password() {
    let s = Scratch::sample();
    let before = s.snapshot();
    let out = run(&s, &["-p", "--bits", "2048", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    assert_eq!(names(&s), ["confserv.conf"], "no key files");
    let text = stdout(&out);
    assert!(
        text.starts_with("--- confserv.conf\n+++ confserv.conf (after)\n"),
        "{text}"
    );
    let lines = changed_lines(&text);
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "-encryption = false");
    assert_eq!(lines[1], "+encryption = true");
    assert_eq!(lines[2], "-password = ********");
    let new_value = lines[3]
        .strip_prefix("+password = ")
        .expect("new password line");
    assert!(EncryptedValue::parse(new_value).is_ok(), "{text}");
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(text.contains("would create ./dec.pem, ./enc.pem"), "{text}");

    let out = run(&s, &["-p", "--bits", "2048", "--dry-run", "--json"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["changed"], true);
    assert_eq!(v["action"], "encrypted");
    assert_eq!(v["created"], serde_json::json!(["./dec.pem", "./enc.pem"]));
    let diff = v["diff"].as_str().unwrap();
    assert!(diff.starts_with("--- confserv.conf\n+++ confserv.conf (after)\n"));
    assert!(diff.contains("\n-password = ********\n"), "{diff}");
}

#[test]
fn dry_run_with_a_new_password_on_stdin_writes_nothing() {
    let s = encrypted();
    let old_value = stored_value(&s);
    let before = s.snapshot();
    let out = run_stdin(
        &s,
        &["-p", "--password-stdin", "--dry-run", "--json"],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["created"], serde_json::json!([]));
    let diff = v["diff"].as_str().unwrap();
    let lines = changed_lines(diff);
    assert_eq!(lines.len(), 2, "{diff}");
    assert_eq!(lines[0], format!("-password = {old_value}"));
    assert!(lines[1].starts_with(&format!("+password = ENC[RSA-OAEP-SHA256,kid:{TEST_KID},")));

    // A plain file with a new password: the old plain one is masked.
    let s = sample_with_keys();
    let out = run_stdin(
        &s,
        &["-p", "--password-stdin", "--dry-run"],
        &format!("{NEW_PASSWORD}\n"),
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("\n-password = ********\n"));
    assert_eq!(
        s.read_str("confserv.conf"),
        Scratch::sample().read_str("confserv.conf")
    );
}

#[test]
fn dry_run_of_a_rotation_writes_nothing() {
    let s = encrypted();
    let old_value = stored_value(&s);
    let before = s.snapshot();
    let out = run(&s, &["--rotate-keys", "--bits", "2048", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let text = stdout(&out);
    assert!(
        text.starts_with("--- confserv.conf\n+++ confserv.conf (after)\n"),
        "{text}"
    );
    let lines = changed_lines(&text);
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], format!("-password = {old_value}"));
    let new_value = lines[1].strip_prefix("+password = ").unwrap();
    let new_kid = EncryptedValue::parse(new_value)
        .unwrap()
        .key_id()
        .to_string();
    assert_ne!(new_kid, TEST_KID);

    let out = run(
        &s,
        &["--rotate-keys", "--bits", "2048", "--dry-run", "--json"],
    );
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["action"], "rotated");
    assert_ne!(v["key_id"], TEST_KID);
    assert!(v["diff"].as_str().unwrap().contains(&old_value));
}

/// The committed-but-not-promoted state of an interrupted rotation: the value
/// names a new key that is still staged as `dec.<id>.pem` / `enc.<id>.pem`.
fn interrupted_after_commit() -> (Scratch, DecryptionKey) {
    let s = encrypted();
    let new = DecryptionKey::generate(2048).unwrap();
    new.save(&confpass::keyfiles::staged_path(
        &s.path("dec.pem"),
        new.id(),
    ))
    .unwrap();
    new.public()
        .save(&confpass::keyfiles::staged_path(
            &s.path("enc.pem"),
            new.id(),
        ))
        .unwrap();
    let value =
        EncryptedValue::encrypt(new.public(), &SecretString::from(SAMPLE_PASSWORD)).unwrap();
    set_value(&s, &value.to_string());
    (s, new)
}

#[test]
fn dry_run_that_would_change_nothing_still_says_dry_run() {
    // -p on a file already encrypted: nothing to do, and a dry run says so.
    let s = encrypted();
    let before = s.snapshot();
    let out = run(&s, &["-p", "--dry-run", "--json"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["action"], "unchanged");
    assert_eq!(v["changed"], false);
    assert_eq!(v["dry_run"], true, "a --dry-run reports dry_run: {v}");
}

#[test]
fn dry_run_of_an_interrupted_rotation_writes_nothing_and_says_so() {
    let (s, new) = interrupted_after_commit();
    let before = s.snapshot();
    let out = run(&s, &["--rotate-keys", "--dry-run", "--json"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let v = json(&out);
    assert_eq!(v["action"], "rotation-completed");
    assert_eq!(v["key_id"], new.id().to_string().as_str());
    assert_eq!(v["dry_run"], true, "a --dry-run reports dry_run: {v}");

    let out = run(&s, &["--rotate-keys", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(s.snapshot() == before, "a dry run wrote something");
    let text = stdout(&out);
    assert!(
        text.contains("dry run, nothing written"),
        "a dry run must not claim to have finished the rotation: {text}"
    );
}

#[test]
fn dry_run_failures_are_the_real_runs_failures() {
    let s = sample_with_keys();
    fail(&s, &["--rotate-keys", "--dry-run"], 3);
    let s = Scratch::sample();
    s.install_key("test-dec.pem", "dec.pem");
    s.install_key("other-enc.pem", "enc.pem");
    fail(&s, &["-p", "--dry-run"], 4);
    fail(&s, &["--dry-run"], 2);
}

// ---------------------------------------------------------------- CONFPASS_DECRYPTION_KEY

const ENV: &str = "CONFPASS_DECRYPTION_KEY";

/// An encrypted sample whose private key lives only in `secrets/dec.pem`,
/// as a container mounts it; nothing at the default place.
fn key_elsewhere() -> Scratch {
    let s = encrypted();
    std::fs::create_dir(s.path("secrets")).unwrap();
    std::fs::rename(s.path("dec.pem"), s.path("secrets/dec.pem")).unwrap();
    s
}

/// Runs the start-up call in a child process of this test binary with `env`
/// set (so no other test in this process sees the variable), and returns its
/// result: `Ok(password)` or `Err(message)`.
fn startup_in_child(s: &Scratch, env: &str) -> Result<String, String> {
    let result = s.path("child-result");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "startup_call_child", "--ignored", "--quiet"])
        .env(ENV, env)
        .env("CONFPASS_TEST_CHILD_CONFIG", s.path("confserv.conf"))
        .env("CONFPASS_TEST_CHILD_RESULT", &result)
        .output()
        .unwrap();
    assert!(out.status.success(), "child: {}", all_output(&out));
    let text = std::fs::read_to_string(&result).expect("the child ran");
    std::fs::remove_file(&result).unwrap();
    match text.split_once(':') {
        Some(("ok", pw)) => Ok(pw.to_owned()),
        Some(("err", e)) => Err(e.to_owned()),
        _ => panic!("child result: {text}"),
    }
}

/// Not a test on its own: the child process of [`startup_in_child`].
#[test]
#[ignore = "run by startup_in_child in a child process"]
fn startup_call_child() {
    let (Some(config), Some(result)) = (
        std::env::var_os("CONFPASS_TEST_CHILD_CONFIG"),
        std::env::var_os("CONFPASS_TEST_CHILD_RESULT"),
    ) else {
        return;
    };
    let text = match confpass::database_password(Path::new(&config), "confserv") {
        Ok(pw) => format!("ok:{}", pw.expose_secret()),
        Err(e) => format!("err:{e}"),
    };
    std::fs::write(result, text).unwrap();
}

#[test]
fn env_overrides_the_key_for_the_startup_call() {
    let s = key_elsewhere();
    // Without it, the key is looked for beside the file.
    let err = startup_in_child(&s, "").unwrap_err();
    assert!(err.contains("dec.pem does not exist"), "{err}");
    assert_eq!(
        startup_in_child(&s, &abs(&s, "secrets/dec.pem")),
        Ok(SAMPLE_PASSWORD.to_owned())
    );
    // It wins over a key at the default place, and over `decryption-key`.
    s.install_keys("other");
    let text = s.read_str("confserv.conf").replace(
        "encryption = true",
        &format!("encryption = true\ndecryption-key = {}", abs(&s, "dec.pem")),
    );
    s.write("confserv.conf", text.as_bytes());
    assert_eq!(
        startup_in_child(&s, &abs(&s, "secrets/dec.pem")),
        Ok(SAMPLE_PASSWORD.to_owned())
    );
    // A missing or unprotected key there is an error naming it.
    let err = startup_in_child(&s, &abs(&s, "secrets/none.pem")).unwrap_err();
    assert!(err.contains(&abs(&s, "secrets/none.pem")), "{err}");
    // Unix-only: file modes (on Windows a DACL protects the key instead).
    #[cfg(unix)]
    {
        set_mode(&s.path("secrets/dec.pem"), 0o644);
        let err = startup_in_child(&s, &abs(&s, "secrets/dec.pem")).unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[test]
fn env_overrides_the_key_for_check_and_reveal() {
    let s = key_elsewhere();
    let key = abs(&s, "secrets/dec.pem");
    fail(&s, &["--check"], 4);
    fail(&s, &["--reveal"], 4);

    let out = s
        .confpass()
        .args(["--check", "--json"])
        .env(ENV, &key)
        .output()
        .unwrap();
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["state"], "decryptable");
    assert_eq!(v["key_id"], TEST_KID);
    assert_eq!(v["key_file"], key.as_str());

    let out = s
        .confpass()
        .arg("--reveal")
        .env(ENV, &key)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), format!("{SAMPLE_PASSWORD}\n"));
    assert!(!stderr(&out).contains(SAMPLE_PASSWORD));

    // Another key there: --check says so, naming both ids; --reveal fails.
    s.install_key("other-dec.pem", "secrets/other.pem");
    let other = abs(&s, "secrets/other.pem");
    let out = s
        .confpass()
        .args(["--check", "--json"])
        .env(ENV, &other)
        .output()
        .unwrap();
    assert_exit(&out, 11);
    let v = json(&out);
    assert_eq!(v["key_id"], OTHER_KID);
    assert_eq!(v["value_key_id"], TEST_KID);
    assert_eq!(v["key_file"], other.as_str());
    let out = s
        .confpass()
        .arg("--reveal")
        .env(ENV, &other)
        .output()
        .unwrap();
    assert_exit(&out, 4);
    assert!(out.stdout.is_empty());
    assert_no_password(&out, SAMPLE_PASSWORD);

    // A missing key there: 4, naming it.
    let missing = abs(&s, "secrets/missing.pem");
    let out = s
        .confpass()
        .arg("--check")
        .env(ENV, &missing)
        .output()
        .unwrap();
    assert_exit(&out, 4);
    assert!(stderr(&out).contains(&missing), "{}", stderr(&out));
}

#[test]
fn env_set_empty_is_ignored_and_env_is_the_key_p_uses() {
    let s = encrypted();
    let out = s.confpass().arg("--check").env(ENV, "").output().unwrap();
    assert_exit(&out, 0);
    // Set, it is the key a server started in this environment reads, so -p
    // uses that key (PRODUCT.md §12): nothing is made beside the file.
    let s = Scratch::sample();
    std::fs::create_dir(s.path("secrets")).unwrap();
    s.install_key("other-dec.pem", "secrets/dec.pem");
    s.install_key("other-enc.pem", "secrets/enc.pem");
    let out = s
        .confpass()
        .args(["-p", "--json"])
        .env(ENV, s.path("secrets/dec.pem"))
        .output()
        .unwrap();
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["key_id"], OTHER_KID);
    assert_eq!(
        names(&s),
        ["confserv.conf", "secrets/dec.pem", "secrets/enc.pem"]
    );
    assert_eq!(
        startup_in_child(&s, &abs(&s, "secrets/dec.pem")),
        Ok(SAMPLE_PASSWORD.to_owned())
    );
}
