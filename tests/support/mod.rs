//! Helpers for the end-to-end tests that drive real outside programs: a
//! throw-away PostgreSQL server ([`postgres`]), a hermetic
//! `ansible-playbook` ([`ansible`]) and a software TPM behind a PKCS#11
//! module ([`tpm`]). Included with `#[path]` by the tests that need them
//! (`tests/postgres.rs`, `tests/ansible.rs`, `tests/ansible_ha.rs`,
//! `tests/tpm_support.rs`). Unix-only, as those tests are.
#![allow(dead_code)]

pub mod ansible;
pub mod postgres;
pub mod tpm;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Whether `path` is an executable file.
pub fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
