//! The Ansible example (`examples/ansible/rotate-db-password.yml`) run for
//! real with `ansible-playbook` against localhost on a temporary
//! configuration: the first run changes the file, a second run with the same
//! password changes nothing, the start-up call returns the new password, and
//! the password never shows in Ansible's output.
//!
//! Where `ansible-playbook` is found: `tests/support/ansible.rs`.
//!
//! Unix-only: Ansible's control node (`ansible-playbook`) does not run on
//! Windows.
#![cfg(unix)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::path::PathBuf;
use std::process::Output;
use std::time::Instant;

use common::*;
use confpass::ExposeSecret;
use support::ansible::{ansible_playbook_or_skip, hermetic, write_private, yaml_quote};

const PLAYBOOK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/ansible/rotate-db-password.yml"
);

/// Characters a shell, YAML or INI file would trip on, to prove the password
/// reaches confpass verbatim.
const NEW_PASSWORD: &str = "N3w pa$$ 'q\" #;x{{ y }}";

/// A scratch configuration with the test keys, an inventory that puts
/// localhost in the play's group, and the new password in an extra-vars file.
struct Setup {
    scratch: Scratch,
    ansible: PathBuf,
}

impl Setup {
    fn new(ansible: PathBuf, password: &str) -> Self {
        let scratch = Scratch::sample();
        scratch.install_keys("test");
        let inventory = format!(
            "confserv_hosts:\n  hosts:\n    localhost:\n      ansible_connection: local\n      \
             confpass_bin: {}\n      confserv_conf: {}\n",
            yaml_quote(env!("CARGO_BIN_EXE_confpass")),
            yaml_quote(&scratch.path("confserv.conf").display().to_string()),
        );
        scratch.write("inventory.yml", inventory.as_bytes());
        // As a vaulted file would hold it; !unsafe: Ansible must not template it.
        write_private(
            &scratch.path("vars.yml"),
            &format!("new_db_password: !unsafe {}\n", yaml_quote(password)),
        );
        Setup { scratch, ansible }
    }

    /// `ansible-playbook` on the example, hermetic ([`hermetic`]): HOME and
    /// temp dirs inside the scratch dir.
    fn run(&self, extra: &[&str]) -> Output {
        let s = &self.scratch;
        let mut cmd = hermetic(&self.ansible, s.dir.path());
        cmd.arg("-i")
            .arg(s.path("inventory.yml"))
            .args(["-c", "local", "-e"])
            .arg(format!("@{}", s.path("vars.yml").display()))
            .args(extra)
            .arg(PLAYBOOK);
        let start = Instant::now();
        let out = cmd.output().expect("run ansible-playbook");
        eprintln!(
            "ansible-playbook {extra:?}: {:?} in {:.1?}",
            out.status,
            start.elapsed()
        );
        out
    }

    /// The scratch directory's own files (not Ansible's home and temp dirs).
    fn top_files(&self) -> Vec<(PathBuf, (Vec<u8>, u32))> {
        let mut files = self.scratch.snapshot();
        files.retain(|p, _| p.components().count() == 1);
        files.into_iter().collect()
    }

    fn password(&self) -> String {
        confpass::database_password(self.scratch.path("confserv.conf"), "confserv")
            .unwrap()
            .expose_secret()
            .to_owned()
    }
}

/// The `changed=N` count of localhost in the play recap.
fn recap_changed(out: &Output) -> u32 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .find(|l| l.starts_with("localhost"))
        .and_then(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("changed="))
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recap line for localhost:\n{}", all_output(out)))
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "ansible-playbook failed ({:?}):\n{}",
        out.status,
        all_output(out)
    );
}

#[test]
fn playbook_rotates_the_password_once_then_reports_no_change() {
    let Some(ansible) = ansible_playbook_or_skip() else {
        return;
    };
    let setup = Setup::new(ansible, NEW_PASSWORD);
    assert_eq!(setup.scratch.mode("vars.yml"), 0o600);

    // Check mode (confpass --dry-run) says it would change, and writes nothing.
    let before = setup.top_files();
    let out = setup.run(&["--check"]);
    assert_ok(&out);
    assert_eq!(recap_changed(&out), 1, "{}", all_output(&out));
    assert_no_password(&out, NEW_PASSWORD);
    assert_eq!(before, setup.top_files(), "check mode changed a file");

    // First run: changed, verbose, and no_log still holds.
    let out = setup.run(&["-v"]);
    assert_ok(&out);
    assert_eq!(recap_changed(&out), 1, "{}", all_output(&out));
    assert_no_password(&out, NEW_PASSWORD);
    let conf = setup.scratch.read_str("confserv.conf");
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    assert!(value_of(&conf, "password").unwrap().starts_with("ENC["));
    assert!(!conf.contains(NEW_PASSWORD) && !conf.contains(SAMPLE_PASSWORD));
    assert_eq!(setup.password(), NEW_PASSWORD);

    // Second run, same password: nothing changes, not even a byte.
    let before = setup.scratch.read("confserv.conf");
    let out = setup.run(&[]);
    assert_ok(&out);
    assert_eq!(recap_changed(&out), 0, "{}", all_output(&out));
    assert_no_password(&out, NEW_PASSWORD);
    assert_eq!(setup.scratch.read("confserv.conf"), before);
    assert_eq!(setup.password(), NEW_PASSWORD);

    // Check mode now sees nothing to do either.
    let out = setup.run(&["--check"]);
    assert_ok(&out);
    assert_eq!(recap_changed(&out), 0, "{}", all_output(&out));
    assert_eq!(setup.scratch.read("confserv.conf"), before);
}

#[test]
fn playbook_failure_reports_confpass_stderr_without_the_password() {
    let Some(ansible) = ansible_playbook_or_skip() else {
        return;
    };
    let setup = Setup::new(ansible, NEW_PASSWORD);
    // A server section the file lacks: confpass exits non-zero.
    let out = setup.run(&["-v", "-e", "confserv_section=nosuchsection"]);
    assert!(
        !out.status.success(),
        "the play succeeded:\n{}",
        all_output(&out)
    );
    let text = all_output(&out);
    assert!(text.contains("confpass failed on localhost"), "{text}");
    assert!(text.contains("nosuchsection"), "confpass's stderr: {text}");
    assert!(
        text.contains("(exit ") && !text.contains("(exit none)"),
        "confpass's exit code: {text}"
    );
    assert_no_password(&out, NEW_PASSWORD);
    assert_eq!(
        setup.scratch.read("confserv.conf"),
        fs::read(testdata("sample/confserv.conf")).unwrap()
    );
}
