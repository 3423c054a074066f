//! `ansible-playbook` for the tests of the Ansible examples
//! (`tests/ansible.rs`, `tests/ansible_ha.rs`), run hermetically.
//!
//! `ansible-playbook` is `$CONFPASS_ANSIBLE_PLAYBOOK`, else the one on PATH,
//! else `.venv-ansible/bin/ansible-playbook` in the checkout (.ci/run makes
//! that virtual environment). Without it the tests skip, except under
//! `CI=true`, where they fail.

use std::fs;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::is_executable;

const INSTALL_HINT: &str =
    "python3 -m venv .venv-ansible && .venv-ansible/bin/pip install ansible-core";

/// Where `ansible-playbook` is, or `None` when it is not installed.
pub fn find_ansible_playbook() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CONFPASS_ANSIBLE_PLAYBOOK").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            is_executable(&path),
            "CONFPASS_ANSIBLE_PLAYBOOK={} is not an executable file",
            path.display()
        );
        return Some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("ansible-playbook"))
            .find(|p| is_executable(p))
    });
    on_path.or_else(|| {
        let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ansible/bin/ansible-playbook");
        is_executable(&venv).then_some(venv)
    })
}

/// `ansible-playbook`, or `None` after saying why the test is skipped.
/// Under `CI=true` a missing Ansible is a failure: the test must run in CI.
pub fn ansible_playbook_or_skip() -> Option<PathBuf> {
    let found = find_ansible_playbook();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ansible-playbook not found, and CI=true: .ci/run must install it ({INSTALL_HINT}) \
             or set CONFPASS_ANSIBLE_PLAYBOOK"
        );
        eprintln!("skipped: ansible-playbook not found (install: {INSTALL_HINT})");
    }
    found
}

/// A YAML single-quoted scalar: taken verbatim, no escapes but `''`.
pub fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes `content` to `path` with mode 0600 from the start.
pub fn write_private(path: &Path, content: &str) {
    use std::io::Write as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(content.as_bytes()).unwrap();
}

/// A hermetic `ansible-playbook` command: no ansible.cfg, no ANSIBLE_* from
/// the caller, HOME and temporary directories under `dir` (made here), the
/// modules run by the interpreter beside `ansible` (a virtual
/// environment's), else one Ansible finds.
pub fn hermetic(ansible: &Path, dir: &Path) -> Command {
    for sub in ["ansible-home", "ansible-local-tmp", "ansible-remote-tmp"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let python = ansible
        .parent()
        .map(|bin| bin.join("python3"))
        .filter(|p| is_executable(p))
        .map_or_else(|| "auto_silent".to_owned(), |p| p.display().to_string());
    let mut cmd = Command::new(ansible);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ANSIBLE_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir)
        .env("HOME", dir.join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", dir.join("ansible-local-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", dir.join("ansible-remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_PYTHON_INTERPRETER", python);
    cmd
}
