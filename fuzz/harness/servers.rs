//! The whole-file model of issue 19 (PRODUCT.md §12) on arbitrary files and
//! arbitrary operations: the input's first bytes build a file with one to
//! three server sections reading one or two database sections (plain or
//! encrypted passwords, `encryption` lines right, wrong or missing, a
//! `decryption-key` or not), the rest of the input is appended as lines of
//! a section no server reads, and each following byte is one operation of
//! the library (`-p` on a section, with or without a new password and
//! `--keep-previous`, `--forget-previous`, `--rotate-keys`, `--prune-keys`).
//! After each operation: a refusal left every file byte-identical, and every
//! server section that started before it still starts (the start-up call
//! and the candidates call succeed, the current password first).
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/servers.rs` and the
//! stable replay of `fuzz/corpus/servers/` in `tests/fuzz_replay.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use confpass::{DecryptionKey, EncryptedValue, KeyFiles, PasswordOrigin, Request, SecretString};

/// The test-only pair of `testdata/keys/` (key id ce41f02ea24f8f2f).
const DEC: &str = include_str!("../../testdata/keys/test-dec.pem");
const ENC: &str = include_str!("../../testdata/keys/test-enc.pem");

const SERVERS: [&str; 3] = ["confserv", "confserv_backup", "confserv_third"];
const DBS: [&str; 2] = ["dbserver", "dbserver_backup"];

/// The bytes of every file of `dir` (names relative to it).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("scratch directory").flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let bytes = fs::read(entry.path()).expect("read a scratch file");
            out.insert(PathBuf::from(entry.file_name()), bytes);
        }
    }
    out
}

/// The server sections whose start-up and candidates calls succeed.
fn starting(config: &Path, sections: &[&str]) -> Vec<String> {
    sections
        .iter()
        .filter(|s| {
            confpass::database_password(config, s).is_ok()
                && confpass::database_password_candidates(config, s).is_ok()
        })
        .map(|s| (*s).to_owned())
        .collect()
}

/// The file the first bytes describe, and the server sections in it.
fn build(
    shape: &[u8],
    key: &DecryptionKey,
    junk: &[u8],
    dir: &Path,
) -> (Vec<u8>, Vec<&'static str>) {
    let b = |i: usize| shape.get(i).copied().unwrap_or(0);
    let servers = &SERVERS[..1 + usize::from(b(0) % 3)];
    let mut text = Vec::new();
    for (i, name) in servers.iter().enumerate() {
        let flags = b(1 + i);
        let db = DBS[usize::from(flags & 1)];
        text.extend_from_slice(format!("[{name}]\nserver = {db}\n").as_bytes());
        match (flags >> 1) % 3 {
            0 => text.extend_from_slice(b"encryption = true\n"),
            1 => text.extend_from_slice(b"encryption = false\n"),
            _ => {}
        }
        if flags & 8 != 0 {
            let dec = dir.join("dec.pem");
            text.extend_from_slice(format!("decryption-key = {}\n", dec.display()).as_bytes());
        }
        text.push(b'\n');
    }
    for (i, db) in DBS.iter().enumerate() {
        let password = format!("pw-{i}-{}", b(5 + i));
        let value = if (b(7) >> i) & 1 == 1 {
            EncryptedValue::encrypt(key.public(), &SecretString::from(password.clone()))
                .map(|v| v.to_string())
                .unwrap_or(password)
        } else {
            password
        };
        text.extend_from_slice(format!("[{db}]\npassword = {value}\n\n").as_bytes());
    }
    text.extend_from_slice(b"[junk]\n");
    text.extend_from_slice(junk);
    (text, servers.to_vec())
}

/// One operation, from one byte.
fn operate(op: u8, config: &Path, servers: &[&str], round: usize) -> Result<(), confpass::Error> {
    let section = servers[usize::from(op >> 4) % servers.len()];
    let request = || Request::new(config).server_section(section).bits(2048);
    let password = || SecretString::from(format!("new-{round}-{}", op >> 5));
    match op % 6 {
        0 => confpass::encrypt_file(request()).map(drop),
        1 => {
            confpass::encrypt_file(request().password(password(), PasswordOrigin::Stdin)).map(drop)
        }
        2 => confpass::encrypt_file(
            request()
                .password(password(), PasswordOrigin::Stdin)
                .keep_previous(true),
        )
        .map(drop),
        3 => confpass::forget_previous(request()).map(drop),
        // At most one new key pair an input: generating one is slow.
        4 if round == 0 => confpass::rotate_keys(request()).map(drop),
        4 => confpass::encrypt_file(request()).map(drop),
        _ => confpass::prune_keys(&[config.to_path_buf()], section, &KeyFiles::Default, false)
            .map(drop),
    }
}

/// One input.
pub fn run(data: &[u8]) {
    let Some(key) = DecryptionKey::from_pem(DEC, Path::new("dec.pem")).ok() else {
        return;
    };
    let (shape, rest) = data.split_at(data.len().min(8));
    let (ops, junk) = rest.split_at(rest.len().min(6));
    // Junk lines only: a line break first, so they never join a line above.
    let junk: Vec<u8> = junk.iter().copied().filter(|&c| c != 0).collect();
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let config = dir.path().join("confserv.conf");
    let (text, servers) = build(shape, &key, &junk, dir.path());
    if fs::write(&config, &text).is_err()
        || fs::write(dir.path().join("enc.pem"), ENC).is_err()
        || key.save(&dir.path().join("dec.pem")).is_err()
    {
        return;
    }
    let mut before = starting(&config, &servers);
    for (round, &op) in ops.iter().enumerate() {
        let before_files = snapshot(dir.path());
        let result = operate(op, &config, &servers, round);
        if result.is_err() {
            assert!(
                snapshot(dir.path()) == before_files,
                "operation {op} (round {round}) failed and changed a file: {result:?}"
            );
        }
        let after = starting(&config, &servers);
        for section in &before {
            assert!(
                after.contains(section),
                "[{section}] started before operation {op} (round {round}) and no longer does ({result:?})"
            );
        }
        before = after;
    }
}
