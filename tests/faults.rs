//! Crash safety and concurrent runs (PRODUCT §5): the real binary is stopped
//! by SIGKILL at every step of `-p`, and eight runs race on one file.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use confpass::fault::STEPS;
use confpass::{DecryptionKey, ExposeSecret};

const NEW_PASSWORD: &str = "r0tated;#=\\ \"pw\"";

fn spawn(
    s: &Scratch,
    args: &[&str],
    pause_at: Option<(&str, &Path)>,
    stdin: Option<&str>,
) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_confpass"));
    cmd.current_dir(s.dir.path())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((step, marker)) = pause_at {
        cmd.env(
            "CONFPASS_TEST_PAUSE_AT",
            format!("{step}:{}", marker.display()),
        );
    }
    let mut child = cmd.spawn().expect("spawn confpass");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    child
}

/// Runs `-p` until it reaches `step`, then SIGKILLs it. Returns false if the
/// run ended without reaching the step (the step does not occur in this scenario).
fn kill_at(s: &Scratch, args: &[&str], step: &str, stdin: Option<&str>) -> bool {
    let markers = tempfile::tempdir().unwrap();
    let marker = markers.path().join("reached");
    let mut child = spawn(s, args, Some((step, &marker)), stdin);
    // A bounded wait for the pause point; no assertion on how long it took.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if marker.exists() {
            child.kill().expect("SIGKILL");
            let status = child.wait().unwrap();
            assert!(!status.success(), "killed run reported success");
            return true;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "run failed before {step}: {}",
                all_output(&out)
            );
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "confpass neither reached {step} nor ended"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// What must hold after a kill at any step.
fn assert_consistent(s: &Scratch, original: &[u8], password: &str) {
    let conf = s.read("confserv.conf");
    let has_dec = s.exists("dec.pem");
    let has_enc = s.exists("enc.pem");
    // Key files: none, or a complete pair, or the private key alone (written
    // first), from which the rerun derives enc.pem. Never a lone enc.pem,
    // which would lose the private key.
    assert!(!has_enc || has_dec, "enc.pem without dec.pem");
    let dec =
        has_dec.then(|| DecryptionKey::load(&s.path("dec.pem")).expect("dec.pem is complete"));
    if has_enc {
        let enc = confpass::EncryptionKey::load(&s.path("enc.pem")).expect("enc.pem is complete");
        assert_eq!(
            enc.id(),
            dec.as_ref().unwrap().id(),
            "enc.pem and dec.pem are one pair"
        );
    }
    if has_dec {
        assert_eq!(s.mode("dec.pem"), 0o600);
    }
    // The configuration: the old bytes, or complete new ones that decrypt.
    if conf != original {
        let got = confpass::database_password(s.path("confserv.conf"), "confserv")
            .expect("new file is complete");
        assert_eq!(got.expose_secret(), password);
    }
    // No file anywhere holds the plain password, but an unchanged plain original.
    for (path, (bytes, _)) in s.snapshot() {
        let holds = bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes());
        let allowed = path == Path::new("confserv.conf") && conf == original;
        assert!(
            !holds || allowed,
            "{} holds the plain password",
            path.display()
        );
    }
}

/// After the kill, a plain rerun finishes, leaves no temporary file, and the
/// start-up call returns the password.
fn assert_rerun_completes(s: &Scratch, args: &[&str], stdin: Option<&str>, password: &str) {
    let out = spawn(s, args, None, stdin).wait_with_output().unwrap();
    assert!(out.status.success(), "rerun failed: {}", all_output(&out));
    assert_no_password(&out, password);
    let got = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), password);
    let leftovers: Vec<_> = s
        .snapshot()
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert!(s.exists("enc.pem") && s.exists("dec.pem"));
}

#[test]
fn kill_at_every_step_of_a_fresh_install_leaves_a_recoverable_state() {
    let args = ["-p", "--bits", "2048"];
    let mut killed = 0;
    for step in STEPS {
        let s = Scratch::sample();
        let original = s.read("confserv.conf");
        assert!(
            kill_at(&s, &args, step, None),
            "a fresh install passes {step}"
        );
        killed += 1;
        assert_consistent(&s, &original, SAMPLE_PASSWORD);
        assert_rerun_completes(&s, &args, None, SAMPLE_PASSWORD);
    }
    println!(
        "fresh install: {killed} kill points exercised ({})",
        STEPS.join(", ")
    );
    assert_eq!(killed, 5);
}

#[test]
fn kill_at_every_step_of_a_password_rotation_leaves_a_recoverable_state() {
    let args = ["-p", "--password-stdin"];
    let input = format!("{NEW_PASSWORD}\n");
    let mut killed = 0;
    for step in STEPS {
        let s = Scratch::sample();
        s.install_keys("test");
        let first = s.confpass().arg("-p").output().unwrap();
        assert!(first.status.success(), "{}", all_output(&first));
        let original = s.read("confserv.conf");
        if !kill_at(&s, &args, step, Some(&input)) {
            continue; // no keys are made in a rotation with existing keys
        }
        killed += 1;
        // The old password stays readable until the new one is committed.
        let now = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
        let expected = if s.read("confserv.conf") == original {
            SAMPLE_PASSWORD
        } else {
            NEW_PASSWORD
        };
        assert_eq!(now.expose_secret(), expected);
        assert_consistent(&s, &original, NEW_PASSWORD);
        assert_rerun_completes(&s, &args, Some(&input), NEW_PASSWORD);
    }
    println!("rotation: {killed} kill points exercised (temp-written, renamed)");
    assert_eq!(killed, 2);
}

#[test]
fn eight_concurrent_runs_on_one_file_leave_exactly_one_password() {
    let s = Scratch::sample();
    let original = s.read_str("confserv.conf");
    let passwords: Vec<String> = (0..8).map(|i| format!("concurrent-{i}-;#pw")).collect();
    let children: Vec<Child> = passwords
        .iter()
        .map(|pw| {
            spawn(
                &s,
                &["-p", "--password-stdin", "--bits", "2048"],
                None,
                Some(&format!("{pw}\n")),
            )
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent run failed: {}",
            all_output(&out)
        );
    }
    let got = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    let winners: Vec<_> = passwords
        .iter()
        .filter(|p| p.as_str() == got.expose_secret())
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "the file holds one of the eight passwords"
    );

    // Byte for byte outside the password line: only `encryption` changed.
    let after = s.read_str("confserv.conf");
    let strip = |text: &str| -> Vec<String> {
        text.split_inclusive('\n')
            .filter(|l| !l.trim_start().starts_with("password"))
            .map(|l| l.replace("encryption = false", "encryption = true"))
            .collect()
    };
    assert_eq!(strip(&after), strip(&original));
    assert_eq!(after.matches("password = ENC[").count(), 1);
    // One key pair, made once, and nothing else left in the directory.
    let names: Vec<_> = s.snapshot().into_keys().collect();
    assert_eq!(
        names,
        [
            Path::new("confserv.conf"),
            Path::new("dec.pem"),
            Path::new("enc.pem")
        ]
    );
}

/// Whether a file name is a private key file: `dec.pem` or a staged `dec.<id>.pem`.
fn is_dec_file(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.starts_with("dec.") && name.ends_with(".pem")
}

#[test]
fn kill_at_every_step_of_a_key_rotation_keeps_the_server_startable() {
    let args = ["--rotate-keys", "--bits", "2048"];
    let mut killed = 0;
    for step in confpass::fault::ROTATION_STEPS {
        let s = Scratch::sample();
        s.install_keys("test");
        let first = s.confpass().arg("-p").output().unwrap();
        assert!(first.status.success(), "{}", all_output(&first));
        assert!(kill_at(&s, &args, step, None), "a rotation passes {step}");
        killed += 1;

        // The intermediate state: the server starts, no file holds the plain
        // password, every private key file is 0600.
        let got = confpass::database_password(s.path("confserv.conf"), "confserv")
            .unwrap_or_else(|e| panic!("start-up call after a kill at {step}: {e}"));
        assert_eq!(
            got.expose_secret(),
            SAMPLE_PASSWORD,
            "after a kill at {step}"
        );
        let check = s.confpass().arg("--check").output().unwrap();
        assert_eq!(
            check.status.code(),
            Some(0),
            "--check after a kill at {step}: {}",
            all_output(&check)
        );
        let committed_kid = confpass::EncryptedValue::parse(
            &value_of(&s.read_str("confserv.conf"), "password").unwrap(),
        )
        .unwrap()
        .key_id();
        for (path, (bytes, mode)) in s.snapshot() {
            let holds = bytes
                .windows(SAMPLE_PASSWORD.len())
                .any(|w| w == SAMPLE_PASSWORD.as_bytes());
            assert!(
                !holds,
                "{} holds the plain password after a kill at {step}",
                path.display()
            );
            if is_dec_file(&path) {
                assert_eq!(mode, 0o600, "{} after a kill at {step}", path.display());
            }
        }

        // The rerun completes the rotation.
        let out = spawn(&s, &[&args[..], &["--json"]].concat(), None, None)
            .wait_with_output()
            .unwrap();
        assert!(
            out.status.success(),
            "rerun after a kill at {step} failed: {}",
            all_output(&out)
        );
        assert_no_password(&out, SAMPLE_PASSWORD);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // Before the commit the value still names the old key and the rerun
        // rotates afresh; after it the rerun finishes that rotation, with the
        // committed key; after the last step there was nothing left to finish.
        let committed = committed_kid.to_string();
        let (before_commit, action) = match step {
            "rotate-staged-dec" | "rotate-staged-enc" | "temp-written" => (true, "rotated"),
            "renamed" | "rotate-promoted-dec" => (false, "rotation-completed"),
            _ => (false, "rotated"),
        };
        assert_eq!(
            committed == TEST_KID,
            before_commit,
            "value's key id after a kill at {step}"
        );
        assert!(
            text.contains(&format!("\"action\":\"{action}\"")),
            "after a kill at {step}: {text}"
        );
        if action == "rotation-completed" {
            assert!(
                text.contains(&format!("\"key_id\":\"{committed}\"")),
                "after a kill at {step}: {text}"
            );
        }
        let got = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
        assert_eq!(
            got.expose_secret(),
            SAMPLE_PASSWORD,
            "after the rerun ({step})"
        );
        let names: Vec<_> = s.snapshot().into_keys().collect();
        assert_eq!(
            names,
            [
                Path::new("confserv.conf"),
                Path::new("dec.pem"),
                Path::new("enc.pem")
            ],
            "files left after the rerun ({step})"
        );
        let dec = DecryptionKey::load(&s.path("dec.pem")).unwrap();
        let enc = confpass::EncryptionKey::load(&s.path("enc.pem")).unwrap();
        assert_eq!(
            enc.id(),
            dec.id(),
            "enc.pem and dec.pem are one pair ({step})"
        );
        assert_eq!(s.mode("dec.pem"), 0o600);
        let value = value_of(&s.read_str("confserv.conf"), "password").unwrap();
        let kid = confpass::EncryptedValue::parse(&value).unwrap().key_id();
        assert_eq!(kid, dec.id(), "the value names the key pair ({step})");
        assert_ne!(kid.to_string(), TEST_KID, "the key was rotated ({step})");
        assert_eq!(openssl_decrypt(&value, &s.path("dec.pem")), SAMPLE_PASSWORD);
    }
    println!(
        "key rotation: {killed} kill points exercised ({})",
        confpass::fault::ROTATION_STEPS.join(", ")
    );
    assert_eq!(killed, 6);
}
