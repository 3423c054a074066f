//! One file, several servers (PRODUCT.md §12) on every platform: the
//! scenarios of `tests/servers.rs` that need no stock OpenSSL, symbolic
//! links or Unix file modes, so that they also run in the Windows build
//! under wine. A primary `[confserv]` and a backup `[confserv_backup]` in
//! one file; after every step every server section starts, as `--check -s`
//! (the real binary) and the library's start-up and candidates calls (in
//! this process) see it, and a refusal leaves every file byte-identical.

mod common;

use std::fs;

use common::*;
use confpass::ExposeSecret;

const PRIMARY: &str = "Pr1mary;#pw = A";
const BACKUP: &str = "B4ckup;#pw = B";
const PASSWORDS: [&str; 2] = [PRIMARY, BACKUP];

/// A primary and a backup server; `backup_db` is the section the backup
/// reads (`dbserver` is the primary's).
fn two_servers(backup_db: &str) -> Scratch {
    let text = format!(
        "[confserv]\nserver = dbserver\nencryption = false\n\n\
         [confserv_backup]\nserver = {backup_db}\nencryption = false\n\n\
         [dbserver]\npassword = {PRIMARY}\n\n\
         [dbserver_backup]\npassword = {BACKUP}\n"
    );
    Scratch::with_config(text.as_bytes())
}

fn confpass(s: &Scratch, args: &[&str]) -> Run {
    Run::new(s, args).never_showing(&PASSWORDS)
}

/// Every `(section, password)` starts: `--check -s` exits 0 (encrypted)
/// and both library calls return the password, with no previous one.
fn assert_starts(s: &Scratch, servers: &[(&str, &str)]) {
    let f = s.path(CONF);
    for &(section, password) in servers {
        confpass(s, &["--check", "-c", CONF, "-s", section]).exit(0);
        let got = confpass::database_password(&f, section).expect("the start-up call");
        assert_eq!(got.expose_secret(), password, "[{section}]");
        let candidates =
            confpass::database_password_candidates(&f, section).expect("the candidates call");
        assert_eq!(candidates.len(), 1, "[{section}]");
        assert_eq!(candidates[0].password.expose_secret(), password);
    }
}

/// The key ids the file's values name, in file order.
fn key_ids(s: &Scratch) -> Vec<String> {
    s.read_str(CONF)
        .lines()
        .filter_map(|l| l.split_once("kid:"))
        .map(|(_, rest)| rest[..16].to_owned())
        .collect()
}

#[test]
fn p_marks_both_servers_that_read_one_database_section() {
    let s = two_servers("dbserver");
    s.install_keys("test");
    confpass(&s, &["-p", "-c", CONF]).exit(0);
    let text = s.read_str(CONF);
    assert_eq!(text.matches("encryption = true").count(), 2, "{text}");
    assert!(!text.contains("encryption = false"), "{text}");
    assert_starts(&s, &[("confserv", PRIMARY), ("confserv_backup", PRIMARY)]);
}

#[test]
fn rotation_moves_every_value_of_the_rotated_key_and_prune_removes_the_old_one() {
    let s = two_servers("dbserver_backup");
    s.install_keys("test");
    confpass(&s, &["-p", "-c", CONF]).exit(0);
    confpass(&s, &["-p", "-c", CONF, "-s", "confserv_backup"]).exit(0);
    assert_eq!(key_ids(&s), [TEST_KID, TEST_KID]);
    confpass(&s, &["--rotate-keys", "--bits", "2048", "-c", CONF]).exit(0);
    let ids = key_ids(&s);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "both values moved to the new key");
    assert_ne!(ids[0], TEST_KID);
    assert_starts(&s, &[("confserv", PRIMARY), ("confserv_backup", BACKUP)]);
    let retired = format!("dec.retired-{TEST_KID}.pem");
    assert!(s.exists(&retired));
    // No value names the old key any more: prune removes it.
    confpass(&s, &["--prune-keys", "-c", CONF]).exit(0);
    assert!(!s.exists(&retired));
    assert_starts(&s, &[("confserv", PRIMARY), ("confserv_backup", BACKUP)]);
}

#[test]
fn fail_rotation_refused_when_the_backup_reads_a_copy_of_the_key() {
    let s = two_servers("dbserver");
    s.install_keys("test");
    confpass(&s, &["-p", "-c", CONF]).exit(0);
    fs::create_dir(s.path("copy")).unwrap();
    s.install_key("test-dec.pem", "copy/dec.pem");
    let copy = s.path("copy/dec.pem").display().to_string();
    let text = s.read_str(CONF).replacen(
        "server = dbserver\nencryption = true\n\n[dbserver]",
        &format!("server = dbserver\nencryption = true\ndecryption-key = {copy}\n\n[dbserver]"),
        1,
    );
    s.write(CONF, text.as_bytes());
    assert_starts(&s, &[("confserv", PRIMARY), ("confserv_backup", PRIMARY)]);
    let before = s.snapshot();
    let out = confpass(&s, &["--rotate-keys", "-c", CONF]).exit(3);
    let err = stderr(&out);
    assert!(err.contains("[confserv_backup]"), "{err}");
    assert!(err.contains("decryption-key"), "{err}");
    assert!(s.snapshot() == before, "a refusal changes nothing");
    assert_starts(&s, &[("confserv", PRIMARY), ("confserv_backup", PRIMARY)]);
}
