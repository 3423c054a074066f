//! The dry-run diff, end to end with the real binary (issue 19, item 6;
//! PRODUCT.md §12): a minimal line diff, in unified hunks with one line of
//! context, of a file that holds a primary and a backup server, each with
//! its own plain database password. Only the changed lines and their
//! context appear, whatever the line ends; every password-holding option
//! is masked on every line printed, in the text and in the `--json` diff;
//! and a dry run leaves every file byte for byte as it was.

mod common;

use std::fs;
use std::process::Output;

use common::*;
use confpass::EncryptedValue;

/// The primary server's database password.
const PRIMARY: &str = "Primary!pw1";
/// The backup server's database password, which `-p` on the primary leaves plain.
const BACKUP: &str = "Backup!pw2";
/// A password-holding option outside the database sections.
const ADMIN: &str = "Admin!pw4";
/// A plain previous password, which `-p` encrypts.
const OLD: &str = "Old!pw5";
/// Every plain password of the files below: none may appear in any output.
const PASSWORDS: [&str; 4] = [PRIMARY, BACKUP, ADMIN, OLD];

/// A primary and a backup Configuration Server in one file, each database
/// section with its own plain password, no `encryption` option yet.
const TWO_SERVERS: &str = "\
; Primary and backup Configuration Servers in one file.
[confserv]
port = 2020
server = dbserver

[confserv_backup]
port = 2030
server = dbserver_backup

[log]
verbose = standard

[dbserver]
host = db1.example.com
port = 5432
dbengine = postgre
dbname = config
username = genesys
password = Primary!pw1

[dbserver_backup]
host = db2.example.com
port = 5432
dbengine = postgre
dbname = config
username = genesys
password = Backup!pw2
";

/// A scratch directory holding `content` as `confserv.conf` and the test
/// key pair in another directory, `keys/`.
fn scratch(content: &[u8]) -> Scratch {
    let s = Scratch::with_config(content);
    fs::create_dir(s.path("keys")).unwrap();
    s.install_key("test-enc.pem", "keys/enc.pem");
    s.install_key("test-dec.pem", "keys/dec.pem");
    s
}

/// The absolute path of the private key in `keys/`, as `-keys` gives it and
/// `decryption-key` records it.
fn dec_path(s: &Scratch) -> String {
    s.path("keys/dec.pem").display().to_string()
}

/// `confpass -p --dry-run -keys keys/enc.pem keys/dec.pem [--json]`, run to
/// its end (exit 0), with no plain password in its stdout or stderr and
/// every file as it was.
fn dry_run(s: &Scratch, json: bool) -> Output {
    let (enc, dec) = (s.path("keys/enc.pem"), dec_path(s));
    let enc = enc.display().to_string();
    let mut args = vec!["-p", "--dry-run", "-keys", &enc, &dec];
    if json {
        args.push("--json");
    }
    let before = s.snapshot();
    let out = Run::new(s, &args).never_showing(&PASSWORDS).exit(0);
    assert!(s.snapshot() == before, "a dry run changed a file");
    out
}

/// `diff` with each encrypted value on a `+` line checked (well-formed, for
/// the test key) and written `ENC[…]`: the ciphertext differs at every run.
fn values_elided(diff: &str) -> String {
    diff.lines()
        .map(|line| match line.find("ENC[") {
            Some(at) if line.starts_with('+') => {
                let value = EncryptedValue::parse(&line[at..])
                    .unwrap_or_else(|e| panic!("{line}: not a well-formed value ({e})"));
                assert_eq!(value.key_id().to_string(), TEST_KID, "{line}");
                format!("{}ENC[…]\n", &line[..at])
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// The text run's diff (values elided) and its summary line.
fn text_diff(out: &Output) -> (String, String) {
    let text = stdout(out);
    let at = text
        .find("dry run, nothing written: ")
        .unwrap_or_else(|| panic!("no summary line:\n{text}"));
    let (diff, summary) = text.split_at(at);
    assert_eq!(summary.lines().count(), 1, "{text}");
    assert!(!diff.contains('\r'), "{text:?}");
    (values_elided(diff), summary.to_owned())
}

/// The `--json` run's diff, values elided.
fn json_diff(out: &Output) -> String {
    let v = json(out);
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["action"], "encrypted", "{v}");
    values_elided(v["diff"].as_str().expect("a diff"))
}

/// What the dry run of [`TWO_SERVERS`] prints: the two lines added to
/// `[confserv]`, the primary's password, one line of context around each.
fn two_servers_diff(dec: &str) -> String {
    format!(
        "--- confserv.conf\n\
         +++ confserv.conf (after)\n\
         @@ -4,2 +4,4 @@\n \
         server = dbserver\n\
         +encryption = true\n\
         +decryption-key = {dec}\n \
         \n\
         @@ -18,3 +20,3 @@\n \
         username = genesys\n\
         -password = ********\n\
         +password = ENC[…]\n \
         \n"
    )
}

#[test]
fn two_added_lines_and_a_replaced_password_are_all_the_diff_shows() {
    let s = scratch(TWO_SERVERS.as_bytes());
    let dec = dec_path(&s);
    let (diff, summary) = text_diff(&dry_run(&s, false));
    assert_eq!(diff, two_servers_diff(&dec));
    assert_eq!(
        summary,
        format!(
            "dry run, nothing written: confserv.conf: encrypted the password in [dbserver] with key {TEST_KID}\n"
        )
    );
    assert_eq!(json_diff(&dry_run(&s, true)), two_servers_diff(&dec));
    assert_eq!(s.read_str("confserv.conf"), TWO_SERVERS);
}

#[test]
fn crlf_line_ends_make_no_kept_line_look_changed() {
    let crlf = TWO_SERVERS.replace('\n', "\r\n");
    let s = scratch(crlf.as_bytes());
    let dec = dec_path(&s);
    assert_eq!(text_diff(&dry_run(&s, false)).0, two_servers_diff(&dec));
    assert_eq!(json_diff(&dry_run(&s, true)), two_servers_diff(&dec));
    assert_eq!(s.read("confserv.conf"), crlf.as_bytes());
}

#[test]
fn a_missing_final_newline_makes_no_kept_line_look_changed() {
    // The lines are added after the file's last line, which has no newline.
    let content = "\
[dbserver]
username = genesys
password = Primary!pw1

[dbserver_backup]
password = Backup!pw2

[confserv_backup]
server = dbserver_backup

[confserv]
port = 2020
server = dbserver";
    let s = scratch(content.as_bytes());
    let dec = dec_path(&s);
    let expected = format!(
        "--- confserv.conf\n\
         +++ confserv.conf (after)\n\
         @@ -2,3 +2,3 @@\n \
         username = genesys\n\
         -password = ********\n\
         +password = ENC[…]\n \
         \n\
         @@ -13 +13,3 @@\n \
         server = dbserver\n\
         +encryption = true\n\
         +decryption-key = {dec}\n"
    );
    assert_eq!(text_diff(&dry_run(&s, false)).0, expected);
    assert_eq!(json_diff(&dry_run(&s, true)), expected);
    assert_eq!(s.read_str("confserv.conf"), content);

    // The replaced password is the last line, without a newline: no
    // "No newline" marker, nothing else.
    let content =
        "[confserv]\nserver = dbserver\nencryption = false\n[dbserver]\npassword = Primary!pw1";
    let s = Scratch::with_config(content.as_bytes());
    s.install_keys("test");
    let out = Run::new(&s, &["-p", "--dry-run"])
        .never_showing(&PASSWORDS)
        .exit(0);
    let expected = "--- confserv.conf\n\
                    +++ confserv.conf (after)\n\
                    @@ -2,4 +2,4 @@\n \
                    server = dbserver\n\
                    -encryption = false\n\
                    +encryption = true\n \
                    [dbserver]\n\
                    -password = ********\n\
                    +password = ENC[…]\n";
    assert_eq!(text_diff(&out).0, expected);
    assert_eq!(s.read_str("confserv.conf"), content);
}

#[test]
fn a_password_option_beside_a_change_is_masked_in_any_section() {
    // `Password` closes the server section, so the lines added after it
    // print it as context; the plain previous password is encrypted too.
    let content = "\
[confserv]
server = dbserver
Password = Admin!pw4

[dbserver]
PREVIOUS-PASSWORD = Old!pw5
password = Primary!pw1

[dbserver_backup]
password = Backup!pw2
";
    let s = scratch(content.as_bytes());
    let dec = dec_path(&s);
    let expected = format!(
        "--- confserv.conf\n\
         +++ confserv.conf (after)\n\
         @@ -3,6 +3,8 @@\n \
         Password = ********\n\
         +encryption = true\n\
         +decryption-key = {dec}\n \
         \n \
         [dbserver]\n\
         -PREVIOUS-PASSWORD = ********\n\
         -password = ********\n\
         +PREVIOUS-PASSWORD = ENC[…]\n\
         +password = ENC[…]\n \
         \n"
    );
    let text = dry_run(&s, false);
    assert_eq!(text_diff(&text).0, expected);
    let json = dry_run(&s, true);
    assert_eq!(json_diff(&json), expected);
    for out in [&text, &json] {
        for password in PASSWORDS {
            assert_no_password(out, password);
        }
    }
    assert_eq!(s.read_str("confserv.conf"), content);
}

#[test]
fn fail_a_refused_dry_run_prints_no_diff_and_changes_nothing() {
    // ENC and DEC of -keys are not one pair: refused before any diff.
    let s = scratch(TWO_SERVERS.as_bytes());
    s.install_key("other-dec.pem", "keys/dec.pem");
    let (enc, dec) = (s.path("keys/enc.pem").display().to_string(), dec_path(&s));
    let before = s.snapshot();
    for json in [false, true] {
        let mut args = vec!["-p", "--dry-run", "-keys", &enc, &dec];
        if json {
            args.push("--json");
        }
        let out = Run::new(&s, &args).never_showing(&PASSWORDS).exit(4);
        let all = all_output(&out);
        assert!(all.contains("are not one pair"), "{all}");
        assert!(!all.contains("@@"), "{all}");
        assert!(!all.contains("+++"), "{all}");
        assert!(s.snapshot() == before, "a refused dry run changed a file");
    }
}
