//! Crash safety, concurrent runs and I/O faults (PRODUCT §5.6-5.7,
//! ARCHITECTURE.md "Transactions"). The real binary is stopped by SIGKILL at
//! every pause step of `-p` and `--rotate-keys`; eight runs race on one file;
//! ENOSPC and EIO are injected at every I/O point that `-p` (fresh pair,
//! existing keys, public key only) and `--rotate-keys` reach. After each, the
//! documented exit code, and either every file byte-identical with its mode
//! (exit 6) or the new value committed and decryptable (exit 7) with a rerun
//! of the same command completing what is left. Failing `rename:config` and
//! anything before it is the first kind, anything after it the second.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use confpass::fault::{ROTATION_STEPS, STEPS};
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, ExposeSecret};
use serde_json::Value;

const NEW_PASSWORD: &str = "r0tated;#=\\ \"pw\"";
const CONFIG: &str = "confserv.conf";

/// The `-p` pause steps, in order (CONTEXT / ARCHITECTURE "Test hooks").
const P_STEPS: [&str; 6] = [
    "locked",
    "keys-generated",
    "temp-written",
    "dec-written",
    "enc-written",
    "renamed",
];
/// The `--rotate-keys` pause steps, in order.
const ROTATE_STEPS: [&str; 8] = [
    "locked",
    "temp-written",
    "rotate-retired",
    "rotate-staged-dec",
    "rotate-staged-enc",
    "renamed",
    "rotate-promoted-dec",
    "rotate-promoted-enc",
];

type Snapshot = BTreeMap<PathBuf, (Vec<u8>, u32)>;

// ---------------------------------------------------------------- processes

/// The real binary in `s`'s directory with `args`, `stdin` (or none) and
/// extra environment variables ([`Run`]).
fn confpass(s: &Scratch, args: &[&str], stdin: Option<&str>, env: &[(&str, String)]) -> Run {
    let mut run = Run::new(s, args);
    if let Some(text) = stdin {
        run = run.stdin(text);
    }
    for (name, value) in env {
        run = run.env(name, value);
    }
    run
}

/// One run to its end.
fn run(s: &Scratch, args: &[&str], stdin: Option<&str>, env: &[(&str, String)]) -> Output {
    confpass(s, args, stdin, env).spawn().finish()
}

/// Starts a run that pauses at `step`. `Err` holds the output of a run that
/// ended without reaching the step.
fn pause_at(
    s: &Scratch,
    args: &[&str],
    stdin: Option<&str>,
    step: &str,
    env: &[(&str, String)],
) -> Result<Paused, Output> {
    confpass(s, args, stdin, env).try_paused_at(step)
}

/// Runs until `step` and SIGKILLs the run there. Returns false if a run
/// (which must then succeed) ended without reaching the step.
fn kill_at(s: &Scratch, args: &[&str], stdin: Option<&str>, step: &str) -> bool {
    match pause_at(s, args, stdin, step, &[]) {
        Ok(paused) => {
            paused.kill();
            true
        }
        Err(out) => {
            assert_exit(&out, 0);
            false
        }
    }
}

/// The `action` of a successful `--json` run.
fn action(out: &Output) -> String {
    json(out)["action"]
        .as_str()
        .unwrap_or_else(|| panic!("no action in {}", stdout(out)))
        .to_owned()
}

// ------------------------------------------------------------------- files

/// A fresh scratch directory holding exactly the files of `snap`, modes
/// included (on Windows, which has no modes, the templates hold no read-only
/// file, which is all [`file_mode`] could tell).
fn restore(snap: &Snapshot) -> Scratch {
    let s = Scratch::new();
    for (path, (bytes, mode)) in snap {
        s.write(&path.to_string_lossy(), bytes);
        #[cfg(unix)]
        set_mode(&s.path(&path.to_string_lossy()), *mode);
        #[cfg(not(unix))]
        assert_eq!(*mode, 0o666, "{}: a read-only file", path.display());
    }
    s
}

/// Panics unless `s` holds exactly the files `expected`.
fn assert_files(s: &Scratch, expected: &[String], ctx: &str) {
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(names(s), expected, "{ctx}: the files in the directory");
}

/// Panics unless `after` is `before`, file for file, byte for byte, mode for
/// mode. Names the files that differ, never their bytes.
fn assert_same(before: &Snapshot, after: &Snapshot, ctx: &str) {
    let mut differ = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            None => differ.push(format!("{} removed", path.display())),
            Some(new) if new.0 != old.0 => differ.push(format!("{} bytes", path.display())),
            Some(new) if new.1 != old.1 => differ.push(format!(
                "{} mode {:o} -> {:o}",
                path.display(),
                old.1,
                new.1
            )),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        differ.push(format!("{} created", path.display()));
    }
    assert!(differ.is_empty(), "{ctx}: files changed: {differ:?}");
}

/// Panics if a temporary file is left in `s`.
fn assert_no_tmp(s: &Scratch, ctx: &str) {
    let left: Vec<_> = names(s)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{ctx}: temporary files left: {left:?}");
}

fn holds(bytes: &[u8], password: &str) -> bool {
    bytes
        .windows(password.len())
        .any(|w| w == password.as_bytes())
}

/// No file holds any of `passwords` in plain text, but an unchanged
/// configuration file (`original`) that held it before.
fn assert_no_plain(s: &Scratch, original: &[u8], passwords: &[&str], ctx: &str) {
    for (path, (bytes, _)) in s.snapshot() {
        if path == Path::new(CONFIG) && bytes == original {
            continue;
        }
        for password in passwords {
            assert!(
                !holds(&bytes, password),
                "{ctx}: {} holds a plain password",
                path.display()
            );
        }
    }
}

/// Panics if any of `passwords` appears in the run's output.
fn assert_quiet(out: &Output, passwords: &[&str]) {
    for password in passwords {
        assert_no_password(out, password);
    }
}

/// Every private key file (`dec.*`, and a temporary `.dec.*`) is mode 0600.
/// Unix-only: Windows has no modes (a DACL protects the key there), so this
/// checks nothing on Windows.
fn assert_private_modes(s: &Scratch, ctx: &str) {
    if cfg!(not(unix)) {
        return;
    }
    for (path, (_, mode)) in s.snapshot() {
        let name = path.to_string_lossy();
        if name.starts_with("dec.") || name.starts_with(".dec.") {
            assert_eq!(mode, 0o600, "{ctx}: mode of {name}");
        }
    }
}

// -------------------------------------------------------------------- keys

/// The key id the configuration's value names.
fn value_kid(s: &Scratch) -> String {
    let value = value_of(&s.read_str(CONFIG), "password").expect("a password line");
    EncryptedValue::parse(&value)
        .unwrap_or_else(|e| panic!("the value is not an encrypted value: {e}"))
        .key_id()
        .to_string()
}

/// The key id of the private key file `name` in `s`.
fn dec_kid(s: &Scratch, name: &str) -> String {
    DecryptionKey::load(&s.path(name))
        .unwrap_or_else(|e| panic!("{name} is not a private key: {e}"))
        .id()
        .to_string()
}

/// The key id of the public key file `name` in `s`.
fn enc_kid(s: &Scratch, name: &str) -> String {
    EncryptionKey::load(&s.path(name))
        .unwrap_or_else(|e| panic!("{name} is not a public key: {e}"))
        .id()
        .to_string()
}

/// `dec.pem` and `enc.pem` are one pair, the one the value names; `dec.pem` is 0600.
fn assert_current_pair(s: &Scratch, ctx: &str) -> String {
    let kid = value_kid(s);
    assert_eq!(
        dec_kid(s, "dec.pem"),
        kid,
        "{ctx}: dec.pem is the value's key"
    );
    assert_eq!(
        enc_kid(s, "enc.pem"),
        kid,
        "{ctx}: enc.pem is the value's key"
    );
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("dec.pem"), 0o600, "{ctx}: mode of dec.pem");
    kid
}

/// A copy of the test private key outside any scratch directory (mode 0600),
/// for the configurations whose directory holds only `enc.pem`.
fn private_key_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dec.pem");
    fs::copy(testdata("keys/test-dec.pem"), &path).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&path, 0o600);
    (dir, path)
}

/// What the server's start-up call returns: the library call, or, with `key`
/// (a private key kept elsewhere), `--reveal` with `CONFPASS_DECRYPTION_KEY`.
fn startup(s: &Scratch, key: Option<&Path>) -> Result<String, String> {
    match key {
        None => confpass::database_password(s.path(CONFIG), "confserv")
            .map(|p| p.expose_secret().to_owned())
            .map_err(|e| e.to_string()),
        Some(key) => {
            let env = [("CONFPASS_DECRYPTION_KEY", key.display().to_string())];
            let out = run(s, &["--reveal", "-c", CONF], None, &env);
            if out.status.success() {
                let text = stdout(&out);
                Ok(text.strip_suffix('\n').unwrap_or(&text).to_owned())
            } else {
                Err(stderr(&out))
            }
        }
    }
}

/// The start-up call returns `expected` (compared, never printed).
fn assert_startup(s: &Scratch, key: Option<&Path>, expected: &str, ctx: &str) {
    match startup(s, key) {
        Ok(got) => assert!(
            got == expected,
            "{ctx}: the start-up call returns another password"
        ),
        Err(e) => panic!("{ctx}: the start-up call fails: {e}"),
    }
}

/// Stock OpenSSL decrypts the value with `dec.pem` to `expected`.
fn assert_openssl_decrypts(s: &Scratch, expected: &str, ctx: &str) {
    let value = value_of(&s.read_str(CONFIG), "password").unwrap();
    assert!(
        openssl_decrypt(&value, &s.path("dec.pem")) == expected,
        "{ctx}: openssl decrypts the value to another password"
    );
}

/// The staged key files in `s` (`dec.staged-*`, `enc.staged-*`).
fn staged_files(s: &Scratch) -> Snapshot {
    s.snapshot()
        .into_iter()
        .filter(|(p, _)| {
            let name = p.to_string_lossy();
            name.starts_with("dec.staged-") || name.starts_with("enc.staged-")
        })
        .collect()
}

/// The key id a staged or retired file name says it holds.
fn kid_in_name(name: &str) -> &str {
    let rest = name.split_once('-').expect("dec.<what>-<kid>.pem").1;
    rest.strip_suffix(".pem").expect(".pem")
}

/// What a rerun of `--rotate-keys` does from the files on disk (ARCHITECTURE.md,
/// "--rotate-keys", "What a rerun does").
fn rotation_rerun_action(s: &Scratch, ctx: &str) -> &'static str {
    let value = value_kid(s);
    let dec = dec_kid(s, "dec.pem");
    let enc = enc_kid(s, "enc.pem");
    if value == dec && enc == dec {
        "rotated"
    } else if s.exists(&format!("dec.staged-{value}.pem"))
        || (value == dec && s.exists(&format!("enc.staged-{value}.pem")))
    {
        // The value names a staged key, or dec.pem is promoted and enc.pem is not.
        "rotation-completed"
    } else {
        panic!("{ctx}: a state outside the protocol: value {value}, dec.pem {dec}, enc.pem {enc}")
    }
}

/// The current pair's key id and bytes.
fn current_pair(s: &Scratch) -> (String, Vec<u8>, Vec<u8>) {
    (dec_kid(s, "dec.pem"), s.read("dec.pem"), s.read("enc.pem"))
}

/// The test pair as installed by `install_keys("test")`.
fn test_pair() -> (String, Vec<u8>, Vec<u8>) {
    (
        TEST_KID.to_owned(),
        fs::read(testdata("keys/test-dec.pem")).unwrap(),
        fs::read(testdata("keys/test-enc.pem")).unwrap(),
    )
}

/// Reruns `--rotate-keys` on a state a kill or a fault left, and checks the
/// outcome: the action the protocol table gives for the state; then the value
/// names `dec.pem`/`enc.pem`, a new pair; every pair that was current before
/// is retired byte for byte; `kept` (staged files of a killed pre-commit run)
/// remain untouched and never promoted; nothing else is in the directory.
fn rerun_rotation(s: &Scratch, args: &[&str], kept: &Snapshot, ctx: &str) {
    let expected = rotation_rerun_action(s, ctx);
    let committed = value_kid(s);
    let before = current_pair(s);
    let out = run(s, args, None, &[]);
    assert_exit(&out, 0);
    assert_quiet(&out, &[SAMPLE_PASSWORD]);
    assert_eq!(action(&out), expected, "{ctx}: the rerun's action");
    let kid = assert_current_pair(s, ctx);
    assert_eq!(
        json(&out)["key_id"].as_str(),
        Some(kid.as_str()),
        "{ctx}: the rerun's key_id"
    );
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("enc.pem"), 0o644, "{ctx}: mode of enc.pem");
    let mut retired = vec![test_pair()];
    if expected == "rotated" {
        assert_ne!(kid, committed, "{ctx}: a fresh rotation makes a new key");
        if before.0 != TEST_KID {
            retired.push(before);
        }
    } else {
        assert_eq!(
            kid, committed,
            "{ctx}: the rerun promotes the committed key"
        );
    }
    let mut expected_files = vec![CONFIG.to_owned(), "dec.pem".into(), "enc.pem".into()];
    for (old, dec, enc) in &retired {
        assert_ne!(&kid, old, "{ctx}: the new key is not a retired one");
        let (dec_name, enc_name) = (
            format!("dec.retired-{old}.pem"),
            format!("enc.retired-{old}.pem"),
        );
        assert!(
            s.exists(&dec_name) && s.read(&dec_name) == *dec,
            "{ctx}: {dec_name} holds the old private key"
        );
        assert!(
            s.exists(&enc_name) && s.read(&enc_name) == *enc,
            "{ctx}: {enc_name} holds the old public key"
        );
        expected_files.extend([dec_name, enc_name]);
    }
    assert_same(kept, &staged_files(s), &format!("{ctx}: staged files"));
    for path in kept.keys() {
        let name = path.to_string_lossy();
        let staged = kid_in_name(&name);
        assert_ne!(staged, kid, "{ctx}: {name} was promoted");
        let held = if name.starts_with("dec.") {
            dec_kid(s, &name)
        } else {
            enc_kid(s, &name)
        };
        assert_eq!(held, staged, "{ctx}: {name} holds the key its name says");
        expected_files.push(name.into_owned());
    }
    assert_private_modes(s, ctx);
    assert_files(s, &expected_files, ctx);
    assert_startup(s, None, SAMPLE_PASSWORD, ctx);
    assert_openssl_decrypts(s, SAMPLE_PASSWORD, ctx);
}

/// A sample configuration encrypted with the test pair by `-p`.
fn encrypted_with_test_keys() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = run(&s, &["-p"], None, &[]);
    assert_exit(&out, 0);
    assert_eq!(value_kid(&s), TEST_KID);
    s
}

// ------------------------------------------------------------- kill tests

#[test]
fn pause_steps_are_the_protocol_steps() {
    assert_eq!(STEPS.as_slice(), P_STEPS.as_slice());
    assert_eq!(ROTATION_STEPS.as_slice(), ROTATE_STEPS.as_slice());
}

/// What must hold after a kill of `-p` at any step: key files none, a
/// whole pair, or `dec.pem` alone (never `enc.pem` alone); the configuration
/// old, or new and decryptable; no file holds a plain password but the
/// unchanged original. Returns whether the new value was committed.
fn assert_p_killed_state(s: &Scratch, original: &[u8], password: &str, ctx: &str) -> bool {
    let has_dec = s.exists("dec.pem");
    let has_enc = s.exists("enc.pem");
    assert!(!has_enc || has_dec, "{ctx}: enc.pem without dec.pem");
    if has_dec {
        let dec = dec_kid(s, "dec.pem");
        if has_enc {
            assert_eq!(enc_kid(s, "enc.pem"), dec, "{ctx}: one pair");
        }
    }
    assert_private_modes(s, ctx);
    let committed = s.read(CONFIG) != original;
    if committed {
        assert_startup(s, None, password, ctx);
    }
    assert_no_plain(s, original, &[SAMPLE_PASSWORD, password], ctx);
    committed
}

/// The rerun of `-p` after a kill: exit 0 with `expected_action`, the value
/// for the key pair it found (if any), no temporary file, exactly the
/// configuration and one pair, and the start-up call returns `password`.
fn rerun_p(
    s: &Scratch,
    args: &[&str],
    stdin: Option<&str>,
    password: &str,
    expected_action: &str,
    ctx: &str,
) {
    let found = s.exists("dec.pem").then(|| dec_kid(s, "dec.pem"));
    let out = run(s, args, stdin, &[]);
    assert_exit(&out, 0);
    assert_quiet(&out, &[SAMPLE_PASSWORD, password]);
    assert_eq!(action(&out), expected_action, "{ctx}: the rerun's action");
    let kid = assert_current_pair(s, ctx);
    if let Some(found) = found {
        assert_eq!(kid, found, "{ctx}: the rerun uses the key it found");
    }
    assert_no_tmp(s, ctx);
    assert_files(s, &[CONFIG.into(), "dec.pem".into(), "enc.pem".into()], ctx);
    assert_startup(s, None, password, ctx);
    assert_openssl_decrypts(s, password, ctx);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn kill_at_every_step_of_a_fresh_install_leaves_a_recoverable_state() {
    let args = ["-p", "--bits", "2048", "--json"];
    let mut killed = 0;
    for step in STEPS {
        let ctx = format!("fresh install killed at {step}");
        let s = Scratch::sample();
        let original = s.read(CONFIG);
        assert!(kill_at(&s, &args, None, step), "{ctx}: step not reached");
        killed += 1;
        let committed = assert_p_killed_state(&s, &original, SAMPLE_PASSWORD, &ctx);
        assert_eq!(committed, step == "renamed", "{ctx}: committed");
        let expected = if committed { "unchanged" } else { "encrypted" };
        rerun_p(&s, &args, None, SAMPLE_PASSWORD, expected, &ctx);
        #[cfg(unix)] // Unix-only: file modes.
        assert_eq!(s.mode("enc.pem"), 0o644, "{ctx}: mode of enc.pem");
    }
    println!(
        "fresh install: {killed} kill points exercised ({})",
        STEPS.join(", ")
    );
    assert_eq!(killed, STEPS.len());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn kill_at_every_step_of_a_password_rotation_leaves_a_recoverable_state() {
    let args = ["-p", "--password-stdin", "--json"];
    let input = format!("{NEW_PASSWORD}\n");
    let template = encrypted_with_test_keys().snapshot();
    let mut reached = Vec::new();
    for step in STEPS {
        let ctx = format!("password rotation killed at {step}");
        let s = restore(&template);
        let original = s.read(CONFIG);
        if !kill_at(&s, &args, Some(&input), step) {
            continue; // no keys are made when both exist
        }
        reached.push(step);
        let committed = assert_p_killed_state(&s, &original, NEW_PASSWORD, &ctx);
        assert_eq!(committed, step == "renamed", "{ctx}: committed");
        if !committed {
            // The old password stays readable until the new one is committed.
            assert_startup(&s, None, SAMPLE_PASSWORD, &ctx);
        }
        let expected = if committed { "unchanged" } else { "encrypted" };
        rerun_p(&s, &args, Some(&input), NEW_PASSWORD, expected, &ctx);
        assert_eq!(value_kid(&s), TEST_KID, "{ctx}: the existing pair is used");
        for name in ["dec.pem", "enc.pem"] {
            assert!(
                s.read(name) == template[Path::new(name)].0,
                "{ctx}: {name} unchanged"
            );
        }
    }
    println!(
        "password rotation: {} kill points exercised ({})",
        reached.len(),
        reached.join(", ")
    );
    assert_eq!(reached, ["locked", "temp-written", "renamed"]);
}

#[test]
fn eight_concurrent_runs_on_one_file_leave_exactly_one_password() {
    let s = Scratch::sample();
    let original = s.read_str(CONFIG);
    let passwords: Vec<String> = (0..8).map(|i| format!("concurrent-{i}-;#pw")).collect();
    let runs: Vec<Running> = passwords
        .iter()
        .map(|pw| {
            confpass(
                &s,
                &["-p", "--password-stdin", "--bits", "2048"],
                Some(&format!("{pw}\n")),
                &[],
            )
            .spawn()
        })
        .collect();
    for run in runs {
        let out = run.finish();
        assert_exit(&out, 0);
        let all: Vec<&str> = passwords.iter().map(String::as_str).collect();
        assert_quiet(&out, &all);
    }
    let got = startup(&s, None).expect("the start-up call");
    let winners = passwords.iter().filter(|p| **p == got).count();
    assert_eq!(winners, 1, "the file holds one of the eight passwords");

    // Byte for byte outside the password line: only `encryption` changed.
    let after = s.read_str(CONFIG);
    let strip = |text: &str| -> Vec<String> {
        text.split_inclusive('\n')
            .filter(|l| !l.trim_start().starts_with("password"))
            .map(|l| l.replace("encryption = false", "encryption = true"))
            .collect()
    };
    assert_eq!(strip(&after), strip(&original));
    assert_eq!(after.matches("password = ENC[").count(), 1);
    // One key pair, made once, and nothing else (no lock file) in the directory.
    assert_current_pair(&s, "after eight runs");
    assert_files(
        &s,
        &[CONFIG.into(), "dec.pem".into(), "enc.pem".into()],
        "after eight runs",
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn kill_at_every_step_of_a_key_rotation_keeps_the_server_startable() {
    let args = ["--rotate-keys", "--bits", "2048", "--json"];
    let template = encrypted_with_test_keys().snapshot();
    let commit = ROTATION_STEPS
        .iter()
        .position(|s| *s == "renamed")
        .expect("renamed is a rotation step");
    let mut killed = 0;
    for (i, step) in ROTATION_STEPS.iter().enumerate() {
        let ctx = format!("key rotation killed at {step}");
        let s = restore(&template);
        assert!(kill_at(&s, &args, None, step), "{ctx}: step not reached");
        killed += 1;

        // The intermediate state: the server starts, no file holds the plain
        // password, every private key file is 0600.
        assert_startup(&s, None, SAMPLE_PASSWORD, &ctx);
        let check = run(&s, &["--check"], None, &[]);
        assert_exit(&check, 0);
        assert_no_plain(&s, &[], &[SAMPLE_PASSWORD], &ctx);
        assert_private_modes(&s, &ctx);
        let committed = i >= commit;
        assert_eq!(
            value_kid(&s) != TEST_KID,
            committed,
            "{ctx}: the value names the new key exactly after the commit"
        );
        let expected = rotation_rerun_action(&s, &ctx);
        match *step {
            "renamed" | "rotate-promoted-dec" => assert_eq!(expected, "rotation-completed"),
            _ => assert_eq!(expected, "rotated", "{ctx}"),
        }
        // A staged pair of a killed pre-commit run stays, never promoted.
        let kept = if committed {
            Snapshot::new()
        } else {
            staged_files(&s)
        };
        rerun_rotation(&s, &args, &kept, &ctx);
    }
    println!(
        "key rotation: {killed} kill points exercised ({})",
        ROTATION_STEPS.join(", ")
    );
    assert_eq!(killed, ROTATION_STEPS.len());
}

// ----------------------------------------------------------- fault points

/// The four situations whose every I/O point gets ENOSPC and EIO.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Situation {
    /// `-p`, no key files: a new pair.
    FreshInstall,
    /// `-p --password-stdin`, `dec.pem` and `enc.pem` exist.
    ExistingKeys,
    /// `-p --password-stdin`, only `enc.pem` exists.
    PublicKeyOnly,
    /// `--rotate-keys`.
    RotateKeys,
}

use Situation::*;

impl Situation {
    fn args(self) -> &'static [&'static str] {
        match self {
            FreshInstall => &["-p", "--bits", "2048", "--json"],
            ExistingKeys | PublicKeyOnly => &["-p", "--password-stdin", "--json"],
            RotateKeys => &["--rotate-keys", "--bits", "2048", "--json"],
        }
    }

    fn stdin(self) -> Option<String> {
        matches!(self, ExistingKeys | PublicKeyOnly).then(|| format!("{NEW_PASSWORD}\n"))
    }

    /// The password the start-up call returns once the run committed.
    fn password(self) -> &'static str {
        match self {
            FreshInstall | RotateKeys => SAMPLE_PASSWORD,
            ExistingKeys | PublicKeyOnly => NEW_PASSWORD,
        }
    }

    /// The files before the run.
    fn template(self) -> Snapshot {
        match self {
            FreshInstall => Scratch::sample().snapshot(),
            ExistingKeys | RotateKeys => encrypted_with_test_keys().snapshot(),
            PublicKeyOnly => {
                let s = Scratch::sample();
                s.install_key("test-enc.pem", "enc.pem");
                #[cfg(unix)] // Unix-only: file modes.
                set_mode(&s.path("enc.pem"), 0o644);
                s.snapshot()
            }
        }
    }

    /// The roles the points before the commit must name, in this order of
    /// first appearance (keys are written before the file that needs them,
    /// the private half first; a rotation retires, then stages).
    fn key_roles(self) -> &'static [&'static str] {
        match self {
            FreshInstall => &["dec", "enc"],
            ExistingKeys | PublicKeyOnly => &[],
            RotateKeys => &["retired-dec", "staged-dec", "staged-enc"],
        }
    }
}

/// The I/O points one successful run reaches, in order (CONFPASS_TEST_TRACE).
fn trace(situation: Situation, template: &Snapshot) -> Vec<String> {
    let s = restore(template);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace");
    let env = [("CONFPASS_TEST_TRACE", file.display().to_string())];
    let out = run(&s, situation.args(), situation.stdin().as_deref(), &env);
    assert_exit(&out, 0);
    fs::read_to_string(&file)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The role of a point `<op>:<role>`.
fn role(point: &str) -> &str {
    point.split_once(':').map_or("", |(_, role)| role)
}

/// Checks the shape of the trace: `rename:config` exactly once, the key
/// roles the situation writes before it, and none after it but the
/// promotion's. Returns the index of the commit.
fn check_trace(situation: Situation, points: &[String]) -> usize {
    assert!(!points.is_empty(), "{situation:?}: no I/O point traced");
    let commits: Vec<usize> = (0..points.len())
        .filter(|&i| points[i] == "rename:config")
        .collect();
    assert_eq!(
        commits.len(),
        1,
        "{situation:?}: one commit (rename:config) in {points:?}"
    );
    let commit = commits[0];
    let first = |role_name: &str| points[..commit].iter().position(|p| role(p) == role_name);
    let order: Vec<usize> = situation
        .key_roles()
        .iter()
        .map(|r| {
            first(r).unwrap_or_else(|| {
                panic!("{situation:?}: no {r} point before the commit in {points:?}")
            })
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{situation:?}: key roles {:?} out of order in {points:?}",
        situation.key_roles()
    );
    if matches!(situation, ExistingKeys | PublicKeyOnly) {
        assert!(
            points.iter().all(|p| role(p) == "config"),
            "{situation:?}: no key file is written: {points:?}"
        );
    }
    commit
}

/// A fault before or at the commit: exit 6, JSON `"committed": false`, every
/// file as before.
fn assert_nothing_changed(s: &Scratch, out: &Output, before: &Snapshot, ctx: &str) {
    assert_exit(out, 6);
    assert_eq!(
        json(out)["committed"],
        Value::Bool(false),
        "{ctx}: {}",
        stdout(out)
    );
    assert_eq!(json(out)["exit_code"], Value::from(6), "{ctx}");
    assert_same(before, &s.snapshot(), ctx);
}

/// A fault after the commit: exit 7, JSON `"committed": true`, the new value
/// in place and decryptable; then the rerun exits 0 and completes.
fn assert_committed_and_completed(
    situation: Situation,
    s: &Scratch,
    out: &Output,
    before: &Snapshot,
    key: &Path,
    ctx: &str,
) {
    assert_exit(out, 7);
    assert_eq!(
        json(out)["committed"],
        Value::Bool(true),
        "{ctx}: {}",
        stdout(out)
    );
    assert_eq!(json(out)["exit_code"], Value::from(7), "{ctx}");
    let original = &before[Path::new(CONFIG)].0;
    assert!(s.read(CONFIG) != *original, "{ctx}: the file was committed");
    let key = (situation == PublicKeyOnly).then_some(key);
    assert_startup(s, key, situation.password(), ctx);
    assert_private_modes(s, ctx);
    let rerun_ctx = format!("{ctx}, rerun");
    match situation {
        FreshInstall | ExistingKeys => {
            let kid = assert_current_pair(s, ctx);
            if situation == ExistingKeys {
                assert_eq!(kid, TEST_KID, "{ctx}: the existing pair is used");
            }
            // The rerun finds the value stored and writes nothing.
            let after_fault = s.snapshot();
            let out = run(s, situation.args(), situation.stdin().as_deref(), &[]);
            assert_exit(&out, 0);
            assert_quiet(&out, &[SAMPLE_PASSWORD, NEW_PASSWORD]);
            assert_eq!(action(&out), "unchanged", "{rerun_ctx}: action");
            assert_same(&after_fault, &s.snapshot(), &rerun_ctx);
            assert_files(
                s,
                &[CONFIG.into(), "dec.pem".into(), "enc.pem".into()],
                &rerun_ctx,
            );
            #[cfg(unix)] // Unix-only: file modes.
            if situation == FreshInstall {
                assert_eq!(s.mode("enc.pem"), 0o644, "{rerun_ctx}: mode of enc.pem");
            }
            assert_openssl_decrypts(s, situation.password(), &rerun_ctx);
        }
        PublicKeyOnly => {
            assert_eq!(value_kid(s), TEST_KID, "{ctx}: encrypted with enc.pem");
            // Without the private key the rerun cannot tell the stored
            // password from the new one: it encrypts again (ARCHITECTURE.md,
            // "-p": "nothing" only with the private key at hand).
            let out = run(s, situation.args(), situation.stdin().as_deref(), &[]);
            assert_exit(&out, 0);
            assert_quiet(&out, &[SAMPLE_PASSWORD, NEW_PASSWORD]);
            assert_eq!(action(&out), "encrypted", "{rerun_ctx}: action");
            assert_files(s, &[CONFIG.into(), "enc.pem".into()], &rerun_ctx);
            let enc = &before[Path::new("enc.pem")];
            assert!(
                s.read("enc.pem") == enc.0 && s.mode("enc.pem") == enc.1,
                "{rerun_ctx}: enc.pem unchanged"
            );
            assert_startup(s, key, NEW_PASSWORD, &rerun_ctx);
        }
        RotateKeys => {
            let value = value_kid(s);
            assert_ne!(value, TEST_KID, "{ctx}: the value names the new key");
            rerun_rotation(s, situation.args(), &Snapshot::new(), &rerun_ctx);
        }
    }
    assert_no_tmp(s, &rerun_ctx);
    assert_no_plain(s, &[], &[SAMPLE_PASSWORD, NEW_PASSWORD], &rerun_ctx);
}

/// ENOSPC and EIO at every I/O point the situation reaches, each occurrence.
fn fail_at_every_point(situation: Situation) {
    let template = situation.template();
    let (_keys, key) = private_key_copy();
    let points = trace(situation, &template);
    let commit = check_trace(situation, &points);
    let stdin = situation.stdin();
    let mut runs = 0;
    for (i, point) in points.iter().enumerate() {
        let nth = points[..=i].iter().filter(|p| *p == point).count();
        let repeats = points.iter().filter(|p| *p == point).count() > 1;
        for errno in ["ENOSPC", "EIO"] {
            let fault = if repeats {
                format!("{point}:{errno}:{nth}")
            } else {
                format!("{point}:{errno}")
            };
            let ctx = format!("{situation:?} with {fault}");
            let s = restore(&template);
            let before = s.snapshot();
            let env = [("CONFPASS_TEST_FAIL_AT", fault.clone())];
            let out = run(&s, situation.args(), stdin.as_deref(), &env);
            assert_quiet(&out, &[SAMPLE_PASSWORD, NEW_PASSWORD]);
            let original = &before[Path::new(CONFIG)].0;
            assert_no_plain(&s, original, &[SAMPLE_PASSWORD, NEW_PASSWORD], &ctx);
            if i <= commit {
                assert_nothing_changed(&s, &out, &before, &ctx);
            } else {
                assert_committed_and_completed(situation, &s, &out, &before, &key, &ctx);
            }
            runs += 1;
        }
    }
    println!(
        "{situation:?}: {} points x 2 errors = {runs} faulted runs, {} before or at the commit ({})",
        points.len(),
        commit + 1,
        points.join(", ")
    );
    assert_eq!(runs, points.len() * 2);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_enospc_and_eio_at_every_point_of_a_fresh_install() {
    fail_at_every_point(FreshInstall);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_enospc_and_eio_at_every_point_of_a_password_change_with_existing_keys() {
    fail_at_every_point(ExistingKeys);
}

#[test]
fn fail_enospc_and_eio_at_every_point_of_a_password_change_with_the_public_key_only() {
    fail_at_every_point(PublicKeyOnly);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_enospc_and_eio_at_every_point_of_a_key_rotation() {
    fail_at_every_point(RotateKeys);
}

// ------------------------------------------------- a kill during a cleanup

/// A fresh install whose commit fails (EIO on `rename:config`), held in its
/// cleanup after it removed `enc.pem` and before `dec.pem`. Checks the
/// hidden state (`dec.pem` alone, never `enc.pem` alone) and returns the run.
fn paused_in_cleanup(s: &Scratch, args: &[&str]) -> Paused {
    let original = s.read(CONFIG);
    let env = [("CONFPASS_TEST_FAIL_AT", "rename:config:EIO".to_owned())];
    let paused = pause_at(s, args, None, "cleanup-enc-removed", &env)
        .unwrap_or_else(|out| panic!("cleanup-enc-removed not reached: {}", all_output(&out)));
    let ctx = "in the cleanup of a failed fresh install";
    assert!(
        s.exists("dec.pem") && !s.exists("enc.pem"),
        "{ctx}: dec.pem alone remains, files: {:?}",
        names(s)
    );
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("dec.pem"), 0o600, "{ctx}: mode of dec.pem");
    dec_kid(s, "dec.pem");
    assert!(s.read(CONFIG) == original, "{ctx}: the file is unchanged");
    assert_no_plain(s, &original, &[SAMPLE_PASSWORD], ctx);
    paused
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_kill_in_the_cleanup_of_a_failed_fresh_install_leaves_dec_pem_alone_and_the_rerun_completes()
{
    let args = ["-p", "--bits", "2048", "--json"];
    let s = Scratch::sample();
    let original = s.read(CONFIG);
    paused_in_cleanup(&s, &args).kill();
    let ctx = "killed in the cleanup of a failed fresh install";
    assert!(!assert_p_killed_state(&s, &original, SAMPLE_PASSWORD, ctx));
    rerun_p(&s, &args, None, SAMPLE_PASSWORD, "encrypted", ctx);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("enc.pem"), 0o644, "{ctx}: mode of enc.pem");
}

#[test]
fn fail_commit_of_a_fresh_install_resumed_in_its_cleanup_changes_nothing() {
    let args = ["-p", "--bits", "2048", "--json"];
    let s = Scratch::sample();
    let before = s.snapshot();
    let out = paused_in_cleanup(&s, &args).resume().finish();
    assert_quiet(&out, &[SAMPLE_PASSWORD]);
    assert_nothing_changed(&s, &out, &before, "a failed fresh install, resumed");
}

#[test]
fn fail_point_occurrence_suffix_selects_the_nth_operation() {
    // No point repeats in the traced runs, so the `:<n>` form is checked
    // here: `:1` is the default, and an occurrence that never comes fails nothing.
    let template = ExistingKeys.template();
    let stdin = ExistingKeys.stdin();
    for (fault, code) in [("rename:config:EIO:1", 6), ("rename:config:EIO:2", 0)] {
        let s = restore(&template);
        let before = s.snapshot();
        let env = [("CONFPASS_TEST_FAIL_AT", fault.to_owned())];
        let out = run(&s, ExistingKeys.args(), stdin.as_deref(), &env);
        if code == 6 {
            assert_nothing_changed(&s, &out, &before, fault);
        } else {
            assert_exit(&out, 0);
            assert_startup(&s, None, NEW_PASSWORD, fault);
        }
    }
}
