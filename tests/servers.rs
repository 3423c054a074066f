//! Issue 19, "One file, several servers; one key pair, several files"
//! (PRODUCT.md §12), as black-box scenarios: the real binary on real files.
//! A primary `[confserv]` and a backup `[confserv_backup]` in one file (the
//! backup picked with `-s`), several files sharing one key directory, the
//! key named by `decryption-key` or by `CONFPASS_DECRYPTION_KEY`, a file
//! given through a symbolic link. After every step each test asserts the
//! exit code, every file's bytes and mode (what changed, exactly, and that
//! nothing else did; a refusal changes nothing), and that every server
//! section of every file still starts: `--check -s SECTION`, the start-up
//! call `confpass::database_password` and the candidates call
//! `confpass::database_password_candidates` (in a child process when the
//! server's environment sets `CONFPASS_DECRYPTION_KEY`, so that the test
//! process itself never sets a variable). Each scenario ends by decrypting
//! the final values with stock OpenSSL. No password ever appears in any
//! run's output.
//!
//! Unix-only: every scenario confirms its values with stock `openssl`, which
//! wine cannot run, and some of them need symbolic links and file modes.
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::*;
use confpass::{ExposeSecret, Which};
use serde_json::{Value, json};

/// The primary server's database password.
const PRIMARY: &str = "Pr1mary;#pw = A";
/// The backup server's database password.
const BACKUP: &str = "B4ckup;#pw = B";
/// The password of the sample (the one a rotation replaces).
const OLD: &str = SAMPLE_PASSWORD;
/// A new password (`--password-stdin`).
const NEW: &str = "N3w;#pw = C";
/// Another new password, after [`NEW`].
const NEWER: &str = "N3wer;#pw = D";
/// What scenario 9 gives after `-p`: a password typed in the wrong place.
const ARG: &str = "S3cretArg";
/// Every password of these tests: none may appear in any output.
const PASSWORDS: [&str; 6] = [PRIMARY, BACKUP, OLD, NEW, NEWER, ARG];
/// The variable that tells the server (and confpass) where the private key is.
const ENV: &str = "CONFPASS_DECRYPTION_KEY";

/// A file with a primary and a backup Configuration Server, each reading
/// its own database section.
fn two_servers_two_databases() -> String {
    format!(
        "; a primary and a backup Configuration Server on one host\n\
         [confserv]\n\
         port = 2020\n\
         server = dbserver\n\
         encryption = false\n\
         \n\
         [confserv_backup]\n\
         port = 2030\n\
         server = dbserver_backup\n\
         encryption = false\n\
         \n\
         [log]\n\
         verbose = standard\n\
         \n\
         [dbserver]\n\
         host = db1.example.com\n\
         password = {PRIMARY}\n\
         \n\
         [dbserver_backup]\n\
         host = db2.example.com\n\
         password = {BACKUP}\n"
    )
}

/// A file with a primary and a backup Configuration Server that read one
/// database section; `backup_encryption` is the backup's `encryption`
/// line, if any.
fn two_servers_one_database(backup_encryption: Option<&str>) -> String {
    let line = backup_encryption
        .map(|v| format!("encryption = {v}\n"))
        .unwrap_or_default();
    format!(
        "[confserv]\n\
         port = 2020\n\
         server = dbserver\n\
         encryption = false\n\
         \n\
         [confserv_backup]\n\
         port = 2030\n\
         server = dbserver\n\
         {line}\
         \n\
         [log]\n\
         verbose = standard\n\
         \n\
         [dbserver]\n\
         host = db1.example.com\n\
         password = {PRIMARY}\n"
    )
}

// ------------------------------------------------------------------ runs

/// `confpass ARGS` in `s`'s directory; none of [`PASSWORDS`] may appear in
/// its output.
fn confpass(s: &Scratch, args: &[&str]) -> Run {
    Run::new(s, args).never_showing(&PASSWORDS)
}

/// A path as an argument.
fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The absolute path of `rel` in the scratch directory, as text.
fn abs(s: &Scratch, rel: &str) -> String {
    s.path(rel).display().to_string()
}

// ----------------------------------------------------------------- files

type Snapshot = BTreeMap<PathBuf, (Vec<u8>, u32)>;

/// The names (never the bytes) of the files that differ between two
/// snapshots, in bytes, mode or presence.
fn differing(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| k.display().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Every file of the scratch directory is as in `before`: bytes and mode.
fn assert_unchanged(s: &Scratch, before: &Snapshot, ctx: &str) {
    let after = s.snapshot();
    assert!(
        after == *before,
        "{ctx}: nothing may change, but these files did: {:?}",
        differing(before, &after)
    );
}

/// Since `before`: the files in `changed` have other bytes and the same
/// mode, those in `created` are new with that mode, those in `removed` are
/// gone, and every other file is byte-identical with the same mode.
fn assert_delta(
    s: &Scratch,
    before: &Snapshot,
    changed: &[&str],
    created: &[(&str, u32)],
    removed: &[&str],
    ctx: &str,
) {
    let after = s.snapshot();
    let mut expected_names: Vec<String> = before
        .keys()
        .map(|k| k.display().to_string())
        .filter(|k| !removed.contains(&k.as_str()))
        .chain(created.iter().map(|(n, _)| (*n).to_owned()))
        .collect();
    expected_names.sort();
    expected_names.dedup();
    let names: Vec<String> = after.keys().map(|k| k.display().to_string()).collect();
    assert_eq!(names, expected_names, "{ctx}: the files in the directory");
    for name in removed {
        assert!(
            before.contains_key(Path::new(name)),
            "{ctx}: {name} was there before"
        );
    }
    for (name, mode) in created {
        assert!(
            !before.contains_key(Path::new(name)),
            "{ctx}: {name} is new"
        );
        assert_eq!(
            after[Path::new(name)].1,
            *mode,
            "{ctx}: the mode of the new {name} (octal: 0o600 = 384, 0o644 = 420)"
        );
    }
    for (path, (bytes, mode)) in &after {
        let name = path.display().to_string();
        let Some((old_bytes, old_mode)) = before.get(path) else {
            continue;
        };
        assert_eq!(mode, old_mode, "{ctx}: {name} keeps its mode");
        if changed.contains(&name.as_str()) {
            assert!(bytes != old_bytes, "{ctx}: {name} was rewritten");
        } else {
            assert!(bytes == old_bytes, "{ctx}: {name} is byte-identical");
        }
    }
}

/// The value of `option` in `[section]` of an INI text (names without
/// regard to case; the first such line), trimmed.
fn section_value(text: &str, section: &str, option: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            current = t[1..t.len() - 1].trim().to_owned();
        } else if t.starts_with(';') || t.starts_with('#') {
            continue;
        } else if let Some((name, value)) = t.split_once('=')
            && current.eq_ignore_ascii_case(section)
            && name.trim().eq_ignore_ascii_case(option)
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// The value of `option` in `[section]` of the file `conf`; it must be there.
fn value_in(conf: &Path, section: &str, option: &str) -> String {
    let text = fs::read_to_string(conf).unwrap();
    section_value(&text, section, option)
        .unwrap_or_else(|| panic!("{}: no {option} in [{section}]", conf.display()))
}

/// `text` with the value of `option` in `[section]` (on the line that sets
/// it) replaced by `value`, the name and the line end kept.
fn with_value(text: &str, section: &str, option: &str, value: &str) -> String {
    let mut current = String::new();
    let mut done = false;
    let out: String = text
        .split_inclusive('\n')
        .map(|line| {
            let t = line.trim();
            if t.starts_with('[') && t.ends_with(']') {
                current = t[1..t.len() - 1].trim().to_owned();
            } else if let Some((name, _)) = line.split_once('=')
                && !done
                && current.eq_ignore_ascii_case(section)
                && name.trim().eq_ignore_ascii_case(option)
            {
                done = true;
                let end = if line.ends_with('\n') { "\n" } else { "" };
                return format!("{name}= {value}{end}");
            }
            line.to_owned()
        })
        .collect();
    assert!(done, "no {option} line in [{section}]");
    out
}

/// `text` with `line` added after the last option line of `[section]`.
fn with_line_added(text: &str, section: &str, line: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut current = String::new();
    let mut last = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.starts_with('[') && t.ends_with(']') {
            current = t[1..t.len() - 1].trim().to_owned();
        } else if current.eq_ignore_ascii_case(section) && t.contains('=') {
            last = Some(i);
        }
    }
    let at = last.unwrap_or_else(|| panic!("no option in [{section}]"));
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == at {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The server sections of an INI text (PRODUCT.md §12): sections whose
/// `server` option names a section of the text that holds `password`.
fn server_sections(text: &str) -> Vec<String> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            sections.push((t[1..t.len() - 1].trim().to_owned(), Vec::new()));
        } else if t.starts_with(';') || t.starts_with('#') {
            continue;
        } else if let (Some((name, value)), Some(last)) = (t.split_once('='), sections.last_mut()) {
            last.1
                .push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    let holds_password = |name: &str| {
        sections.iter().any(|(s, opts)| {
            s.eq_ignore_ascii_case(name) && opts.iter().any(|(o, _)| o == "password")
        })
    };
    sections
        .iter()
        .filter(|(_, opts)| opts.iter().any(|(o, v)| o == "server" && holds_password(v)))
        .map(|(s, _)| s.clone())
        .collect()
}

/// The key id an `ENC[…]` value names (its `kid:` field).
fn kid_of(value: &str) -> String {
    assert!(value.starts_with("ENC["), "not an encrypted value");
    value
        .split("kid:")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no kid: in {value}"))
        .to_owned()
}

/// The names a retired pair gets in `dir` (`""` for the scratch directory).
fn retired(dir: &str, kid: &str) -> [String; 2] {
    let dir = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    [
        format!("{dir}dec.retired-{kid}.pem"),
        format!("{dir}enc.retired-{kid}.pem"),
    ]
}

/// Asserts that `link` is still a symbolic link to `target`.
fn assert_link(link: &Path, target: &Path, ctx: &str) {
    let meta = fs::symlink_metadata(link).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "{ctx}: {} stays a symbolic link",
        link.display()
    );
    assert_eq!(
        fs::read_link(link).unwrap(),
        target,
        "{ctx}: the link's target"
    );
}

// -------------------------------------------------------- start-up calls

/// A name for a password in assertion messages (which never print one).
fn label(password: &str) -> String {
    const NAMES: [(&str, &str); 6] = [
        (PRIMARY, "PRIMARY"),
        (BACKUP, "BACKUP"),
        (OLD, "OLD"),
        (NEW, "NEW"),
        (NEWER, "NEWER"),
        (ARG, "ARG"),
    ];
    NAMES
        .iter()
        .find(|(p, _)| *p == password)
        .map_or_else(|| "another password".to_owned(), |(_, n)| (*n).to_owned())
}

/// What a server's start-up calls return for one section: the password
/// ([`label`]ed) or the error's message, and the candidates, `(previous?,
/// label)` each, or the error's message.
#[derive(Debug, PartialEq)]
struct Startup {
    password: Result<String, String>,
    candidates: Result<Vec<(&'static str, String)>, String>,
}

fn which_name(which: Which) -> &'static str {
    if which == Which::Previous {
        "previous"
    } else {
        "current"
    }
}

/// The start-up calls, in this process (no `CONFPASS_DECRYPTION_KEY`).
fn startup_here(conf: &Path, section: &str) -> Startup {
    Startup {
        password: confpass::database_password(conf, section)
            .map(|p| label(p.expose_secret()))
            .map_err(|e| e.to_string()),
        candidates: confpass::database_password_candidates(conf, section)
            .map(|list| {
                list.iter()
                    .map(|c| (which_name(c.which), label(c.password.expose_secret())))
                    .collect()
            })
            .map_err(|e| e.to_string()),
    }
}

const CHILD_CONFIG: &str = "CONFPASS_TEST_SERVERS_CONFIG";
const CHILD_SECTION: &str = "CONFPASS_TEST_SERVERS_SECTION";
const CHILD_RESULT: &str = "CONFPASS_TEST_SERVERS_RESULT";

/// The start-up calls in a child process (this test binary, running
/// [`startup_calls_child`]) whose environment sets
/// `CONFPASS_DECRYPTION_KEY=key`, as a server's would.
fn startup_in_child(conf: &Path, section: &str, key: &Path) -> Startup {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result.json");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "startup_calls_child", "--ignored", "--quiet"])
        .env(ENV, key)
        .env(CHILD_CONFIG, conf)
        .env(CHILD_SECTION, section)
        .env(CHILD_RESULT, &result)
        .output()
        .unwrap();
    assert!(out.status.success(), "child: {}", all_output(&out));
    let v: Value = serde_json::from_slice(&fs::read(&result).expect("the child ran")).unwrap();
    let either = |v: &Value| -> Result<Value, String> {
        match (v.get("ok"), v.get("err")) {
            (Some(ok), _) => Ok(ok.clone()),
            (_, Some(Value::String(e))) => Err(e.clone()),
            _ => panic!("child result: {v}"),
        }
    };
    Startup {
        password: either(&v["password"]).map(|p| p.as_str().unwrap().to_owned()),
        candidates: either(&v["candidates"]).map(|list| {
            list.as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let which = if c[0] == "previous" {
                        "previous"
                    } else {
                        "current"
                    };
                    (which, c[1].as_str().unwrap().to_owned())
                })
                .collect()
        }),
    }
}

/// Not a test on its own: the child process of [`startup_in_child`]. It
/// writes labels ([`label`]), never a password.
#[test]
#[ignore = "run by startup_in_child in a child process"]
fn startup_calls_child() {
    let (Some(conf), Some(section), Some(result)) = (
        std::env::var_os(CHILD_CONFIG),
        std::env::var(CHILD_SECTION).ok(),
        std::env::var_os(CHILD_RESULT),
    ) else {
        return;
    };
    let got = startup_here(Path::new(&conf), &section);
    let either = |r: Result<Value, String>| match r {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "err": e }),
    };
    let v = json!({
        "password": either(got.password.map(Value::from)),
        "candidates": either(got.candidates.map(|list| {
            list.into_iter().map(|(w, p)| json!([w, p])).collect::<Vec<_>>().into()
        })),
    });
    fs::write(result, v.to_string()).unwrap();
}

/// One server section and what it must start with: the file, the section,
/// the password, and the previous password a rotation keeps, if any.
type Server<'a> = (&'a Path, &'a str, &'a str, Option<&'a str>);

/// Every server section listed starts: `--check -c F -s SECTION` exits 0
/// for an encrypted value (10 for a plain one), `database_password` returns
/// the password and `database_password_candidates` the password then the
/// previous one. The list must name every server section of every file it
/// names.
fn assert_every_server_starts(servers: &[Server]) {
    assert_every_server_starts_in(None, servers);
}

/// [`assert_every_server_starts`] for the file of
/// `two_servers_one_database`: `[confserv]` and `[confserv_backup]` both
/// read `password`, and it is the database password.
fn assert_primary_and_backup_start(file: &Path, password: &str) {
    assert_every_server_starts(&[
        (file, "confserv", password, None),
        (file, "confserv_backup", password, None),
    ]);
}

/// [`assert_every_server_starts`] for servers whose environment sets
/// `CONFPASS_DECRYPTION_KEY=key` (`--check` with it, the start-up calls in
/// a child process with it).
fn assert_every_server_starts_in(key: Option<&Path>, servers: &[Server]) {
    let mut files: Vec<&Path> = servers.iter().map(|s| s.0).collect();
    files.dedup();
    for file in files {
        let mut listed: Vec<String> = servers
            .iter()
            .filter(|s| s.0 == file)
            .map(|s| s.1.to_lowercase())
            .collect();
        listed.sort();
        let mut all: Vec<String> = server_sections(&fs::read_to_string(file).unwrap())
            .iter()
            .map(|s| s.to_lowercase())
            .collect();
        all.sort();
        assert_eq!(
            listed,
            all,
            "{}: every server section is checked",
            file.display()
        );
    }
    for &(conf, section, password, previous) in servers {
        let ctx = format!("{} [{section}]", conf.display());
        let text = fs::read_to_string(conf).unwrap();
        let db = section_value(&text, section, "server").expect("a server option");
        let value = section_value(&text, &db, "password").expect("a password option");
        let expected_check = if value.starts_with("ENC[") { 0 } else { 10 };
        let dir = conf.parent().unwrap();
        let mut check = Run::program(dir, BIN, &["--check", "-c", arg(conf), "-s", section])
            .never_showing(&PASSWORDS);
        if let Some(key) = key {
            check = check.env(ENV, key);
        }
        let out = check.spawn().finish();
        assert_eq!(
            out.status.code(),
            Some(expected_check),
            "{ctx}: --check; output:\n{}",
            all_output(&out)
        );
        let got = match key {
            Some(key) => startup_in_child(conf, section, key),
            None => startup_here(conf, section),
        };
        let mut candidates = vec![("current", label(password))];
        if let Some(previous) = previous {
            candidates.push(("previous", label(previous)));
        }
        assert_eq!(
            got,
            Startup {
                password: Ok(label(password)),
                candidates: Ok(candidates),
            },
            "{ctx}: the start-up calls"
        );
    }
}

// ------------------------------------- 1. rotation covers every section

#[test]
fn rotation_covers_every_server_section_and_prune_keeps_what_is_named() {
    let s = Scratch::with_config(two_servers_two_databases().as_bytes());
    set_mode(&s.path("confserv.conf"), 0o640);
    let f = s.path("confserv.conf");
    let original = s.read_str("confserv.conf");
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);

    // -p: [dbserver] only, with a new pair beside the file.
    let before = s.snapshot();
    confpass(&s, &["-p", "--bits", "2048", "-c", "confserv.conf"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[("dec.pem", 0o600), ("enc.pem", 0o644)],
        &[],
        "-p",
    );
    let first = openssl_key_id(&s.path("enc.pem"));
    let primary_value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&primary_value), first);
    let expected = with_value(&original, "confserv", "encryption", "true");
    let expected = with_value(&expected, "dbserver", "password", &primary_value);
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "-p changes [confserv] and [dbserver] only"
    );
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);

    // -p -s confserv_backup: [dbserver_backup], with the same pair.
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(&s, &["-p", "-c", "confserv.conf", "-s", "confserv_backup"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[],
        &[],
        "-p -s confserv_backup",
    );
    let backup_value = value_in(&f, "dbserver_backup", "password");
    assert_eq!(kid_of(&backup_value), first);
    let expected = with_value(&text, "confserv_backup", "encryption", "true");
    let expected = with_value(&expected, "dbserver_backup", "password", &backup_value);
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "-p -s confserv_backup changes [confserv_backup] and [dbserver_backup] only"
    );
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);

    // --rotate-keys: both values under the new key, the old pair retired.
    let before = s.snapshot();
    let old_pair = (s.read("dec.pem"), s.read("enc.pem"));
    let text = s.read_str("confserv.conf");
    confpass(
        &s,
        &["--rotate-keys", "--bits", "2048", "-c", "confserv.conf"],
    )
    .exit(0);
    let [dec_retired, enc_retired] = retired("", &first);
    assert_delta(
        &s,
        &before,
        &["confserv.conf", "dec.pem", "enc.pem"],
        &[(dec_retired.as_str(), 0o600), (enc_retired.as_str(), 0o644)],
        &[],
        "--rotate-keys",
    );
    assert!(
        (s.read(&dec_retired), s.read(&enc_retired)) == old_pair,
        "the retired pair is the pair before the rotation"
    );
    let second = openssl_key_id(&s.path("enc.pem"));
    assert_ne!(second, first, "a new pair");
    let primary_value = value_in(&f, "dbserver", "password");
    let backup_value = value_in(&f, "dbserver_backup", "password");
    assert_eq!(
        kid_of(&primary_value),
        second,
        "[dbserver] under the new key"
    );
    assert_eq!(
        kid_of(&backup_value),
        second,
        "[dbserver_backup] under the new key"
    );
    let expected = with_value(&text, "dbserver", "password", &primary_value);
    let expected = with_value(&expected, "dbserver_backup", "password", &backup_value);
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "--rotate-keys changes the two values only"
    );
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);

    // --prune-keys: no value names the retired key any more.
    let before = s.snapshot();
    let out = confpass(&s, &["--prune-keys", "-c", "confserv.conf", "--json"]).exit(0);
    let v = json(&out);
    assert_eq!(v["kept"], json!([]), "{v}");
    assert_eq!(v["removed"].as_array().map(Vec::len), Some(2), "{v}");
    assert_delta(
        &s,
        &before,
        &[],
        &[],
        &[dec_retired.as_str(), enc_retired.as_str()],
        "--prune-keys",
    );
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);

    let text = s.read_str("confserv.conf");
    let dec = s.path("dec.pem");
    let primary_value = section_value(&text, "dbserver", "password").unwrap();
    let backup_value = section_value(&text, "dbserver_backup", "password").unwrap();
    assert!(
        openssl_decrypt(&primary_value, &dec) == PRIMARY,
        "OpenSSL: [dbserver]"
    );
    assert!(
        openssl_decrypt(&backup_value, &dec) == BACKUP,
        "OpenSSL: [dbserver_backup]"
    );
}

// ------------------------- 2. -p marks every server section that reads it

#[test]
fn p_marks_every_server_section_that_reads_the_database_section() {
    let original = two_servers_one_database(Some("false"));
    let s = Scratch::with_config(original.as_bytes());
    set_mode(&s.path("confserv.conf"), 0o640);
    let f = s.path("confserv.conf");
    assert_primary_and_backup_start(&f, PRIMARY);

    let before = s.snapshot();
    confpass(&s, &["-p", "--bits", "2048", "-c", "confserv.conf"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[("dec.pem", 0o600), ("enc.pem", 0o644)],
        &[],
        "-p",
    );
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), openssl_key_id(&s.path("enc.pem")));
    let expected = with_value(&original, "confserv", "encryption", "true");
    let expected = with_value(&expected, "confserv_backup", "encryption", "true");
    let expected = with_value(&expected, "dbserver", "password", &value);
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "-p changes both encryption lines and the password line, nothing else"
    );
    assert_primary_and_backup_start(&f, PRIMARY);

    assert!(
        openssl_decrypt(&value, &s.path("dec.pem")) == PRIMARY,
        "OpenSSL: [dbserver]"
    );
}

#[test]
fn p_for_the_backup_repairs_the_encryption_line_an_older_version_left() {
    // The state the old version left: the value encrypted by a run for the
    // primary, the backup still saying `encryption = false`.
    let s = Scratch::with_config(two_servers_one_database(Some("false")).as_bytes());
    s.install_keys("test");
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    confpass(&s, &["-p", "-c", "confserv.conf"]).exit(0);
    assert_delta(&s, &before, &["confserv.conf"], &[], &[], "-p");
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), TEST_KID);
    assert_primary_and_backup_start(&f, PRIMARY);
    let broken = with_value(
        &two_servers_one_database(Some("false")),
        "confserv",
        "encryption",
        "true",
    );
    let broken = with_value(&broken, "dbserver", "password", &value);
    s.write("confserv.conf", broken.as_bytes());
    set_mode(&f, 0o640);

    let before = s.snapshot();
    confpass(&s, &["-p", "-c", "confserv.conf", "-s", "confserv_backup"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[],
        &[],
        "-p -s confserv_backup",
    );
    assert_eq!(
        s.read_str("confserv.conf"),
        with_value(&broken, "confserv_backup", "encryption", "true"),
        "the backup's encryption line is set, the value is not touched"
    );
    assert_primary_and_backup_start(&f, PRIMARY);

    assert!(
        openssl_decrypt(&value, &s.path("dec.pem")) == PRIMARY,
        "OpenSSL: [dbserver]"
    );
}

#[test]
fn p_adds_the_encryption_option_to_a_backup_that_has_none() {
    let original = two_servers_one_database(None);
    let s = Scratch::with_config(original.as_bytes());
    s.install_keys("test");
    set_mode(&s.path("confserv.conf"), 0o640);
    let f = s.path("confserv.conf");
    assert_primary_and_backup_start(&f, PRIMARY);

    let before = s.snapshot();
    confpass(&s, &["-p", "-c", "confserv.conf"]).exit(0);
    assert_delta(&s, &before, &["confserv.conf"], &[], &[], "-p");
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), TEST_KID);
    let expected = with_value(&original, "confserv", "encryption", "true");
    let expected = with_line_added(&expected, "confserv_backup", "encryption = true");
    let expected = with_value(&expected, "dbserver", "password", &value);
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "`encryption = true` added at the end of the backup's options"
    );
    assert_primary_and_backup_start(&f, PRIMARY);

    assert!(
        openssl_decrypt(&value, &s.path("dec.pem")) == PRIMARY,
        "OpenSSL: [dbserver]"
    );
}

// ------------- 3. a section that reads the key from its own copy of it

#[test]
fn fail_rotate_keys_refused_when_a_section_reads_its_own_copy_of_the_key() {
    let s = Scratch::with_config(two_servers_one_database(Some("false")).as_bytes());
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    confpass(&s, &["-p", "--bits", "2048", "-c", "confserv.conf"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[("dec.pem", 0o600), ("enc.pem", 0o644)],
        &[],
        "-p",
    );
    assert_primary_and_backup_start(&f, PRIMARY);
    fs::create_dir(s.path("copy")).unwrap();
    fs::copy(s.path("dec.pem"), s.path("copy/dec.pem")).unwrap();
    set_mode(&s.path("copy/dec.pem"), 0o600);
    let text = with_line_added(
        &s.read_str("confserv.conf"),
        "confserv_backup",
        &format!("decryption-key = {}", abs(&s, "copy/dec.pem")),
    );
    s.write("confserv.conf", text.as_bytes());
    assert_primary_and_backup_start(&f, PRIMARY);

    let before = s.snapshot();
    let out = confpass(
        &s,
        &["--rotate-keys", "--bits", "2048", "-c", "confserv.conf"],
    )
    .exit(3);
    assert_unchanged(&s, &before, "a refused --rotate-keys");
    let err = stderr(&out);
    assert!(
        err.contains("[confserv_backup]"),
        "names the section:\n{err}"
    );
    assert!(
        err.contains("decryption-key"),
        "names decryption-key:\n{err}"
    );
    assert_primary_and_backup_start(&f, PRIMARY);

    let value = value_in(&f, "dbserver", "password");
    assert!(
        openssl_decrypt(&value, &s.path("copy/dec.pem")) == PRIMARY,
        "OpenSSL: [dbserver]"
    );
}

// ------------------------------- 4. -p --keep-previous with a new pair

/// The sample with the test pair beside it, encrypted for it by `-p`.
fn encrypted_sample() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    set_mode(&s.path("confserv.conf"), 0o640);
    let before = s.snapshot();
    confpass(&s, &["-p"]).exit(0);
    assert_delta(&s, &before, &["confserv.conf"], &[], &[], "-p");
    let f = s.path("confserv.conf");
    assert_eq!(kid_of(&value_in(&f, "dbserver", "password")), TEST_KID);
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
    s
}

/// `-p --password-stdin [--keep-previous] -keys new/enc.pem new/dec.pem`.
fn p_with_new_pair(keep_previous: bool) -> Vec<&'static str> {
    let mut args = vec!["-p", "--password-stdin"];
    if keep_previous {
        args.push("--keep-previous");
    }
    args.extend([
        "-keys",
        "new/enc.pem",
        "new/dec.pem",
        "--bits",
        "2048",
        "-c",
        "confserv.conf",
    ]);
    args
}

/// After a run with `-keys new/enc.pem new/dec.pem` on the sample: the
/// expected text of the file, from `before`, the values read, and the
/// `decryption-key` line, which must name new/dec.pem.
fn expect_new_pair_edit(s: &Scratch, before: &str, previous_added: bool) -> String {
    let f = s.path("confserv.conf");
    let value = value_in(&f, "dbserver", "password");
    let previous = value_in(&f, "dbserver", "previous-password");
    let key = value_in(&f, "confserv", "decryption-key");
    assert_eq!(
        fs::canonicalize(&key).unwrap(),
        fs::canonicalize(s.path("new/dec.pem")).unwrap(),
        "decryption-key names new/dec.pem"
    );
    let expected = with_value(before, "dbserver", "password", &value);
    let expected = if previous_added {
        with_line_added(
            &expected,
            "dbserver",
            &format!("previous-password = {previous}"),
        )
    } else {
        with_value(&expected, "dbserver", "previous-password", &previous)
    };
    with_line_added(&expected, "confserv", &format!("decryption-key = {key}"))
}

/// After `-p` with the new pair in `new/` (made by the run): only the
/// configuration changed (the password, `previous-password` and
/// `decryption-key` lines) and the pair appeared; both values name the new
/// key, the server starts with `current` then [`OLD`], and stock OpenSSL
/// agrees.
fn assert_on_the_new_pair(
    s: &Scratch,
    before: &Snapshot,
    text: &str,
    previous_added: bool,
    current: &str,
    ctx: &str,
) {
    let f = s.path("confserv.conf");
    assert_delta(
        s,
        before,
        &["confserv.conf"],
        &[("new/dec.pem", 0o600), ("new/enc.pem", 0o644)],
        &[],
        ctx,
    );
    let new_kid = openssl_key_id(&s.path("new/enc.pem"));
    let value = value_in(&f, "dbserver", "password");
    let previous = value_in(&f, "dbserver", "previous-password");
    assert_eq!(
        kid_of(&value),
        new_kid,
        "{ctx}: the password under the new key"
    );
    assert_eq!(
        kid_of(&previous),
        new_kid,
        "{ctx}: previous-password under the new key"
    );
    assert_eq!(
        s.read_str("confserv.conf"),
        expect_new_pair_edit(s, text, previous_added),
        "{ctx}: the password, previous-password and decryption-key lines, nothing else"
    );
    assert_every_server_starts(&[(&f, "confserv", current, Some(OLD))]);
    let dec = s.path("new/dec.pem");
    assert!(
        openssl_decrypt(&value, &dec) == current,
        "{ctx}: OpenSSL: password"
    );
    assert!(
        openssl_decrypt(&previous, &dec) == OLD,
        "{ctx}: OpenSSL: previous-password"
    );
}

#[test]
fn p_keep_previous_with_a_new_pair_keeps_the_previous_password_decryptable() {
    let s = encrypted_sample();
    let f = s.path("confserv.conf");
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
    fs::create_dir(s.path("new")).unwrap();

    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(&s, &p_with_new_pair(true)).password(NEW).exit(0);
    assert_on_the_new_pair(
        &s,
        &before,
        &text,
        true,
        NEW,
        "-p --keep-previous -keys new/…",
    );
}

#[test]
fn fail_p_keep_previous_with_a_new_pair_needs_the_old_private_key() {
    let s = encrypted_sample();
    let f = s.path("confserv.conf");
    fs::create_dir(s.path("new")).unwrap();
    let dec = s.read("dec.pem");
    fs::remove_file(s.path("dec.pem")).unwrap();

    let before = s.snapshot();
    confpass(&s, &p_with_new_pair(true)).password(NEW).exit(4);
    assert_unchanged(&s, &before, "a refused -p --keep-previous -keys new/…");
    assert_eq!(
        fs::read_dir(s.path("new")).unwrap().count(),
        0,
        "nothing left in new/"
    );

    // With its key back, the file starts as before.
    s.write("dec.pem", &dec);
    set_mode(&s.path("dec.pem"), 0o600);
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
    let value = value_in(&f, "dbserver", "password");
    assert!(
        openssl_decrypt(&value, &s.path("dec.pem")) == OLD,
        "OpenSSL: password"
    );
}

// ------------- 5. a new password and a new pair while a previous is kept

#[test]
fn p_with_a_new_pair_while_a_previous_password_is_kept_re_encrypts_it() {
    let s = encrypted_sample();
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    confpass(&s, &["-p", "--password-stdin", "--keep-previous"])
        .password(NEW)
        .exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[],
        &[],
        "-p --keep-previous",
    );
    assert_eq!(
        kid_of(&value_in(&f, "dbserver", "previous-password")),
        TEST_KID
    );
    assert_every_server_starts(&[(&f, "confserv", NEW, Some(OLD))]);

    fs::create_dir(s.path("new")).unwrap();
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(&s, &p_with_new_pair(false))
        .password(NEWER)
        .exit(0);
    assert_on_the_new_pair(
        &s,
        &before,
        &text,
        false,
        NEWER,
        "-p -keys new/… with a previous password kept",
    );
}

// ------------------------------------------ 6. CONFPASS_DECRYPTION_KEY

/// The sample, plain, with the test pair in `secrets/` (as a container
/// mounts it) and nothing beside the file.
fn plain_with_secrets() -> Scratch {
    let s = Scratch::sample();
    set_mode(&s.path("confserv.conf"), 0o640);
    fs::create_dir(s.path("secrets")).unwrap();
    s.install_key("test-dec.pem", "secrets/dec.pem");
    s.install_key("test-enc.pem", "secrets/enc.pem");
    set_mode(&s.path("secrets/enc.pem"), 0o644);
    s
}

/// Every line of `before` but those setting `options` is still in `after`,
/// in order, and `after` adds no line but such settings.
fn assert_only_options_changed(before: &str, after: &str, options: &[&str], ctx: &str) {
    let others = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                !l.split_once('=')
                    .is_some_and(|(n, _)| options.iter().any(|o| n.trim().eq_ignore_ascii_case(o)))
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        others(after),
        others(before),
        "{ctx}: only {options:?} lines change"
    );
}

#[test]
fn the_decryption_key_variable_is_the_key_every_mode_uses() {
    let s = plain_with_secrets();
    let f = s.path("confserv.conf");
    let key = s.path("secrets/dec.pem");
    assert_every_server_starts_in(Some(&key), &[(&f, "confserv", OLD, None)]);

    // -p: the key at the variable's path, nothing made beside the file.
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(&s, &["-p", "-c", "confserv.conf"])
        .env(ENV, &key)
        .exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[],
        &[],
        "-p with the variable",
    );
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(
        kid_of(&value),
        TEST_KID,
        "encrypted for the key the variable names"
    );
    assert_eq!(value_in(&f, "confserv", "encryption"), "true");
    assert_only_options_changed(
        &text,
        &s.read_str("confserv.conf"),
        &["password", "encryption", "decryption-key"],
        "-p with the variable",
    );
    assert_every_server_starts_in(Some(&key), &[(&f, "confserv", OLD, None)]);

    // --rotate-keys: that pair rotates; the retired key beside it.
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    let old_pair = (s.read("secrets/dec.pem"), s.read("secrets/enc.pem"));
    confpass(
        &s,
        &["--rotate-keys", "--bits", "2048", "-c", "confserv.conf"],
    )
    .env(ENV, &key)
    .exit(0);
    let [dec_retired, enc_retired] = retired("secrets", TEST_KID);
    assert_delta(
        &s,
        &before,
        &["confserv.conf", "secrets/dec.pem", "secrets/enc.pem"],
        &[(dec_retired.as_str(), 0o600), (enc_retired.as_str(), 0o644)],
        &[],
        "--rotate-keys with the variable",
    );
    assert!(
        (s.read(&dec_retired), s.read(&enc_retired)) == old_pair,
        "the retired pair is the pair before the rotation"
    );
    let new_kid = openssl_key_id(&s.path("secrets/enc.pem"));
    assert_ne!(new_kid, TEST_KID);
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), new_kid, "the value under the new key");
    assert_eq!(
        s.read_str("confserv.conf"),
        with_value(&text, "dbserver", "password", &value),
        "--rotate-keys changes the value only"
    );
    assert_every_server_starts_in(Some(&key), &[(&f, "confserv", OLD, None)]);

    assert!(openssl_decrypt(&value, &key) == OLD, "OpenSSL: password");
}

#[test]
fn fail_keys_other_than_the_decryption_key_variable_are_refused() {
    let s = plain_with_secrets();
    let f = s.path("confserv.conf");
    let key = s.path("secrets/dec.pem");
    fs::create_dir(s.path("other")).unwrap();
    s.install_key("other-dec.pem", "other/dec.pem");
    s.install_key("other-enc.pem", "other/enc.pem");

    let before = s.snapshot();
    let out = confpass(
        &s,
        &[
            "-p",
            "-keys",
            "other/enc.pem",
            "other/dec.pem",
            "-c",
            "confserv.conf",
        ],
    )
    .env(ENV, &key)
    .exit(2);
    assert_unchanged(&s, &before, "-p -keys other/… with the variable set");
    let err = stderr(&out);
    assert!(err.contains(ENV), "names {ENV}:\n{err}");
    assert_every_server_starts_in(Some(&key), &[(&f, "confserv", OLD, None)]);
    assert_eq!(value_in(&f, "dbserver", "password"), OLD, "still plain");
}

// ------------------- 7. without -keys, the section's own decryption-key

#[test]
fn without_keys_writing_modes_use_the_key_decryption_key_names() {
    let s = Scratch::sample();
    set_mode(&s.path("confserv.conf"), 0o640);
    let f = s.path("confserv.conf");
    fs::create_dir(s.path("k")).unwrap();
    s.install_key("test-dec.pem", "k/dec.pem");
    s.install_key("test-enc.pem", "k/enc.pem");
    set_mode(&s.path("k/enc.pem"), 0o644);
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(
        &s,
        &[
            "-p",
            "-keys",
            "k/enc.pem",
            "k/dec.pem",
            "-c",
            "confserv.conf",
        ],
    )
    .exit(0);
    assert_delta(&s, &before, &["confserv.conf"], &[], &[], "-p -keys k/…");
    let key = value_in(&f, "confserv", "decryption-key");
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), TEST_KID);
    let expected = with_value(&text, "confserv", "encryption", "true");
    let expected = with_value(&expected, "dbserver", "password", &value);
    let expected = with_line_added(&expected, "confserv", &format!("decryption-key = {key}"));
    assert_eq!(
        s.read_str("confserv.conf"),
        expected,
        "-p -keys k/…: the lines it changes"
    );
    assert_eq!(
        fs::canonicalize(&key).unwrap(),
        fs::canonicalize(s.path("k/dec.pem")).unwrap(),
        "decryption-key names k/dec.pem"
    );
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);

    // -p with a new password: k's key, nothing beside the file.
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(&s, &["-p", "--password-stdin", "-c", "confserv.conf"])
        .password(NEW)
        .exit(0);
    assert_delta(
        &s,
        &before,
        &["confserv.conf"],
        &[],
        &[],
        "-p without -keys",
    );
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), TEST_KID, "encrypted for k's key");
    assert_eq!(
        s.read_str("confserv.conf"),
        with_value(&text, "dbserver", "password", &value),
        "-p changes the value only"
    );
    assert_every_server_starts(&[(&f, "confserv", NEW, None)]);

    // --rotate-keys: k's pair rotates, retired in k/.
    let before = s.snapshot();
    let text = s.read_str("confserv.conf");
    confpass(
        &s,
        &["--rotate-keys", "--bits", "2048", "-c", "confserv.conf"],
    )
    .exit(0);
    let [dec_retired, enc_retired] = retired("k", TEST_KID);
    assert_delta(
        &s,
        &before,
        &["confserv.conf", "k/dec.pem", "k/enc.pem"],
        &[(dec_retired.as_str(), 0o600), (enc_retired.as_str(), 0o644)],
        &[],
        "--rotate-keys without -keys",
    );
    let new_kid = openssl_key_id(&s.path("k/enc.pem"));
    assert_ne!(new_kid, TEST_KID);
    let value = value_in(&f, "dbserver", "password");
    assert_eq!(kid_of(&value), new_kid, "the value under k's new key");
    assert_eq!(
        s.read_str("confserv.conf"),
        with_value(&text, "dbserver", "password", &value),
        "--rotate-keys changes the value only"
    );
    assert_every_server_starts(&[(&f, "confserv", NEW, None)]);

    assert!(
        openssl_decrypt(&value, &s.path("k/dec.pem")) == NEW,
        "OpenSSL: password"
    );
}

// ------------------------------------ 8. two files, one key directory

/// `a/confserv.conf` (the sample, [`OLD`]) and `b/confserv.conf` ([`BACKUP`]),
/// both encrypted with `-keys k/enc.pem k/dec.pem` (the test pair), then
/// `--rotate-keys -c a/confserv.conf`: `a` under k's new key, `b` under the
/// retired one. Returns the new key id.
fn two_files_one_key_directory_rotated(s: &Scratch) -> String {
    let sample = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    for (dir, text) in [("a", sample.clone()), ("b", sample.replace(OLD, BACKUP))] {
        fs::create_dir(s.path(dir)).unwrap();
        s.write(&format!("{dir}/confserv.conf"), text.as_bytes());
        set_mode(&s.path(&format!("{dir}/confserv.conf")), 0o640);
    }
    fs::create_dir(s.path("k")).unwrap();
    s.install_key("test-dec.pem", "k/dec.pem");
    s.install_key("test-enc.pem", "k/enc.pem");
    set_mode(&s.path("k/enc.pem"), 0o644);
    let (a, b) = (s.path("a/confserv.conf"), s.path("b/confserv.conf"));
    for conf in ["a/confserv.conf", "b/confserv.conf"] {
        let before = s.snapshot();
        confpass(s, &["-p", "-keys", "k/enc.pem", "k/dec.pem", "-c", conf]).exit(0);
        assert_delta(s, &before, &[conf], &[], &[], conf);
        assert_eq!(
            kid_of(&value_in(&s.path(conf), "dbserver", "password")),
            TEST_KID
        );
        assert_every_server_starts(&[(&a, "confserv", OLD, None), (&b, "confserv", BACKUP, None)]);
    }

    let before = s.snapshot();
    confpass(
        s,
        &["--rotate-keys", "--bits", "2048", "-c", "a/confserv.conf"],
    )
    .exit(0);
    let [dec_retired, enc_retired] = retired("k", TEST_KID);
    assert_delta(
        s,
        &before,
        &["a/confserv.conf", "k/dec.pem", "k/enc.pem"],
        &[(dec_retired.as_str(), 0o600), (enc_retired.as_str(), 0o644)],
        &[],
        "--rotate-keys -c a/confserv.conf",
    );
    let new_kid = openssl_key_id(&s.path("k/enc.pem"));
    assert_ne!(new_kid, TEST_KID);
    assert_eq!(kid_of(&value_in(&a, "dbserver", "password")), new_kid);
    assert_eq!(kid_of(&value_in(&b, "dbserver", "password")), TEST_KID);
    assert_every_server_starts(&[(&a, "confserv", OLD, None), (&b, "confserv", BACKUP, None)]);
    new_kid
}

#[test]
fn two_files_sharing_a_key_directory_keep_starting_and_prune_keeps_what_b_names() {
    let s = Scratch::new();
    let new_kid = two_files_one_key_directory_rotated(&s);
    let (a, b) = (s.path("a/confserv.conf"), s.path("b/confserv.conf"));

    let before = s.snapshot();
    let out = confpass(
        &s,
        &[
            "--prune-keys",
            "-c",
            "a/confserv.conf",
            "-c",
            "b/confserv.conf",
            "--json",
        ],
    )
    .exit(0);
    let v = json(&out);
    let names = |list: &Value| -> Vec<String> {
        let mut names: Vec<String> = list
            .as_array()
            .unwrap_or_else(|| panic!("a list of paths: {v}"))
            .iter()
            .map(|p| {
                let path = Path::new(p.as_str().expect("a path"));
                path.file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&v["kept"]),
        [
            format!("dec.retired-{TEST_KID}.pem"),
            format!("enc.retired-{TEST_KID}.pem")
        ],
        "the retired pair b names is kept, and listed: {v}"
    );
    assert_eq!(v["removed"], json!([]), "{v}");
    assert_unchanged(&s, &before, "--prune-keys with both files");
    assert_every_server_starts(&[(&a, "confserv", OLD, None), (&b, "confserv", BACKUP, None)]);

    let a_value = value_in(&a, "dbserver", "password");
    let b_value = value_in(&b, "dbserver", "password");
    assert_eq!(kid_of(&a_value), new_kid);
    assert!(
        openssl_decrypt(&a_value, &s.path("k/dec.pem")) == OLD,
        "OpenSSL: a"
    );
    let [dec_retired, _] = retired("k", TEST_KID);
    assert!(
        openssl_decrypt(&b_value, &s.path(&dec_retired)) == BACKUP,
        "OpenSSL: b"
    );
}

#[test]
fn fail_prune_keys_refuses_a_key_directory_no_given_file_uses() {
    let s = Scratch::new();
    two_files_one_key_directory_rotated(&s);
    let (a, b) = (s.path("a/confserv.conf"), s.path("b/confserv.conf"));
    // c/confserv.conf uses its own pair, beside it.
    fs::create_dir(s.path("c")).unwrap();
    s.write(
        "c/confserv.conf",
        &fs::read(testdata("sample/confserv.conf")).unwrap(),
    );
    s.install_key("other-dec.pem", "c/dec.pem");
    s.install_key("other-enc.pem", "c/enc.pem");
    set_mode(&s.path("c/enc.pem"), 0o644);
    let c = s.path("c/confserv.conf");
    let before = s.snapshot();
    confpass(&s, &["-p", "-c", "c/confserv.conf"]).exit(0);
    assert_delta(
        &s,
        &before,
        &["c/confserv.conf"],
        &[],
        &[],
        "-p -c c/confserv.conf",
    );
    assert_eq!(kid_of(&value_in(&c, "dbserver", "password")), OTHER_KID);
    let servers = [
        (a.as_path(), "confserv", OLD, None),
        (b.as_path(), "confserv", BACKUP, None),
        (c.as_path(), "confserv", OLD, None),
    ];
    assert_every_server_starts(&servers);

    let before = s.snapshot();
    confpass(
        &s,
        &[
            "--prune-keys",
            "-c",
            "c/confserv.conf",
            "-keys",
            "k/enc.pem",
            "k/dec.pem",
        ],
    )
    .exit(2);
    assert_unchanged(
        &s,
        &before,
        "--prune-keys of a key directory c does not use",
    );
    assert_every_server_starts(&servers);

    let [dec_retired, _] = retired("k", TEST_KID);
    let b_value = value_in(&b, "dbserver", "password");
    assert!(
        openssl_decrypt(&b_value, &s.path(&dec_retired)) == BACKUP,
        "OpenSSL: b"
    );
}

// ------------------------------ 9. errors never echo a possible password

#[test]
fn fail_p_argument_naming_no_section_is_never_echoed() {
    let s = Scratch::sample();
    s.install_keys("test");
    let f = s.path("confserv.conf");

    let before = s.snapshot();
    let out = confpass(&s, &["-p", ARG, "-c", "confserv.conf"]).exit(3);
    assert_unchanged(&s, &before, "-p S3cretArg");
    assert_no_password(&out, ARG);
    let err = stderr(&out);
    assert!(
        err.contains("-p") && err.contains("no section"),
        "says that -p's argument names no section of the file:\n{err}"
    );

    let out = confpass(&s, &["-p", ARG, "-c", "confserv.conf", "--json"]).exit(3);
    assert_unchanged(&s, &before, "-p S3cretArg --json");
    assert!(!stdout(&out).contains(ARG), "the JSON does not echo it");
    assert!(!stderr(&out).contains(ARG), "stderr does not echo it");
    let v = json(&out);
    assert_eq!(v["exit_code"], 3, "{v}");
    assert_eq!(v["category"], "config", "{v}");

    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
    assert_eq!(value_in(&f, "dbserver", "password"), OLD, "still plain");
}

// --------------------------- 10. a key path that is a dangling symlink

#[test]
fn fail_a_key_path_that_is_a_dangling_symbolic_link() {
    let s = Scratch::sample();
    let f = s.path("confserv.conf");
    fs::create_dir(s.path("k")).unwrap();
    symlink("missing.pem", s.path("k/dec.pem")).unwrap();

    let before = s.snapshot();
    let out = confpass(
        &s,
        &[
            "-p",
            "--bits",
            "2048",
            "-keys",
            "k/enc.pem",
            "k/dec.pem",
            "-c",
            "confserv.conf",
        ],
    )
    .exit(4);
    assert_unchanged(&s, &before, "-p with a dangling symbolic link as DEC");
    let err = stderr(&out);
    assert!(
        err.contains("symbolic link"),
        "says it is a symbolic link:\n{err}"
    );
    assert_link(
        &s.path("k/dec.pem"),
        Path::new("missing.pem"),
        "after the refusal",
    );
    assert!(
        !s.exists("k/missing.pem"),
        "no file made at the link's target"
    );
    assert!(
        fs::symlink_metadata(s.path("k/enc.pem")).is_err(),
        "no k/enc.pem"
    );
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
    assert_eq!(value_in(&f, "dbserver", "password"), OLD, "still plain");
}

// ------------------------- 11. a server given the file through a symlink

#[test]
fn a_file_encrypted_through_a_symbolic_link_starts_by_either_path() {
    let s = Scratch::new();
    fs::create_dir(s.path("real")).unwrap();
    fs::create_dir(s.path("link")).unwrap();
    s.write(
        "real/confserv.conf",
        &fs::read(testdata("sample/confserv.conf")).unwrap(),
    );
    set_mode(&s.path("real/confserv.conf"), 0o640);
    let target = Path::new("../real/confserv.conf");
    symlink(target, s.path("link/confserv.conf")).unwrap();
    let (real, link) = (s.path("real/confserv.conf"), s.path("link/confserv.conf"));
    let servers = [
        (real.as_path(), "confserv", OLD, None),
        (link.as_path(), "confserv", OLD, None),
    ];
    assert_every_server_starts(&servers);

    let before = s.snapshot();
    let text = s.read_str("real/confserv.conf");
    confpass(&s, &["-p", "--bits", "2048", "-c", "link/confserv.conf"]).exit(0);
    assert_link(&link, target, "after -p");
    // The pair is made in one of the two directories; either way both
    // paths must find it.
    let dir = if s.exists("real/dec.pem") {
        "real"
    } else {
        "link"
    };
    let (dec, enc) = (format!("{dir}/dec.pem"), format!("{dir}/enc.pem"));
    assert_delta(
        &s,
        &before,
        &["real/confserv.conf"],
        &[(dec.as_str(), 0o600), (enc.as_str(), 0o644)],
        &[],
        "-p -c link/confserv.conf",
    );
    let value = value_in(&real, "dbserver", "password");
    assert_eq!(kid_of(&value), openssl_key_id(&s.path(&enc)));
    assert_only_options_changed(
        &text,
        &s.read_str("real/confserv.conf"),
        &["password", "encryption", "decryption-key"],
        "-p through the link",
    );
    assert_every_server_starts(&servers);

    assert!(
        openssl_decrypt(&value, &s.path(&dec)) == OLD,
        "OpenSSL: password"
    );
}

// ------------------------- 12. what -p says when it marks other sections

#[test]
fn p_says_which_other_server_sections_it_marked() {
    let s = Scratch::with_config(two_servers_one_database(Some("false")).as_bytes());
    s.install_keys("test");
    let f = s.path("confserv.conf");
    let out = confpass(&s, &["-p", "-c", "confserv.conf", "--dry-run", "--json"]).exit(0);
    let j = json(&out);
    assert_eq!(j["action"], "encrypted");
    assert_eq!(j["marked"], json!(["confserv_backup"]));
    let out = confpass(&s, &["-p", "-c", "confserv.conf"]).exit(0);
    assert_eq!(
        stdout(&out).trim_end(),
        format!(
            "confserv.conf: encrypted the password in [dbserver] with key {TEST_KID}; set `encryption = true` in [confserv_backup], which reads it too"
        )
    );
    // The state an older version left: the backup unmarked again.
    let text = with_value(
        &s.read_str("confserv.conf"),
        "confserv_backup",
        "encryption",
        "false",
    );
    s.write("confserv.conf", text.as_bytes());
    let out = confpass(&s, &["-p", "-c", "confserv.conf", "--json"]).exit(0);
    let j = json(&out);
    assert_eq!(j["action"], "marked");
    assert_eq!(j["changed"], true);
    assert_eq!(j["marked"], json!(["confserv_backup"]));
    assert_primary_and_backup_start(&f, PRIMARY);
    // Nothing left to mark: unchanged, and no `marked` field.
    let before = s.snapshot();
    let out = confpass(&s, &["-p", "-c", "confserv.conf", "--json"]).exit(0);
    let j = json(&out);
    assert_eq!(j["action"], "unchanged");
    assert!(j.get("marked").is_none(), "{j}");
    assert_unchanged(&s, &before, "-p with nothing to do");
}

// ----------- 13. -keys that are not the file's keys: a usage error, exit 2

#[test]
fn fail_keys_other_than_the_sections_own_are_a_usage_or_key_error_for_every_mode() {
    let s = encrypted_sample();
    confpass(&s, &["-p", "--password-stdin", "--keep-previous"])
        .stdin(&format!("{NEW}\n"))
        .exit(0);
    // A copy of the file's own pair elsewhere (a usage error: the server
    // reads another file), and another pair (a key error: the value names
    // another key id).
    for (dir, keys, code) in [("copy", "test", 2), ("other", "other", 4)] {
        fs::create_dir(s.path(dir)).unwrap();
        s.install_key(&format!("{keys}-dec.pem"), &format!("{dir}/dec.pem"));
        s.install_key(&format!("{keys}-enc.pem"), &format!("{dir}/enc.pem"));
        let (enc, dec) = (format!("{dir}/enc.pem"), format!("{dir}/dec.pem"));
        let f = s.path("confserv.conf");
        for mode in ["--rotate-keys", "--forget-previous"] {
            let ctx = format!("{mode} -keys {dir}/");
            let before = s.snapshot();
            let out = confpass(&s, &[mode, "-c", "confserv.conf", "-keys", &enc, &dec]).exit(code);
            let err = stderr(&out);
            assert!(err.contains(&dec), "{ctx}: {err}");
            assert!(!err.contains("bug"), "{ctx}: {err}");
            if code == 2 {
                assert!(err.contains("[confserv]"), "{ctx}: {err}");
            }
            assert_unchanged(&s, &before, &ctx);
            assert_every_server_starts(&[(&f, "confserv", NEW, Some(OLD))]);
        }
    }
}

// ------- 14. a rotation that could not promote its keys is refused first

#[test]
fn fail_rotate_keys_with_a_key_directory_it_cannot_write_changes_nothing() {
    // As the service user: the configuration's directory writable, the key
    // directory not, so the promotion after the commit could never happen.
    let s = Scratch::sample();
    fs::create_dir(s.path("k")).unwrap();
    s.install_key("test-dec.pem", "k/dec.pem");
    s.install_key("test-enc.pem", "k/enc.pem");
    let p = confpass(&s, &["-p", "-keys", "k/enc.pem", "k/dec.pem"]).exit(0);
    drop(p);
    for rel in ["", "confserv.conf", "k", "k/dec.pem", "k/enc.pem"] {
        std::os::unix::fs::chown(s.path(rel), Some(65534), Some(65534)).unwrap();
    }
    set_mode(&s.path("k"), 0o555);
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    let out = Run::as_user(&s, (65534, 65534), &["--rotate-keys"])
        .never_showing(&PASSWORDS)
        .exit(6);
    let err = stderr(&out);
    assert!(err.contains("/k"), "{err}");
    assert_unchanged(&s, &before, "--rotate-keys");
    set_mode(&s.path("k"), 0o755);
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
}

// ------------- 15. finding 3: a dry run shows only what changes, masked

#[test]
fn dry_run_of_a_two_server_file_shows_only_changed_lines_and_no_password() {
    let original = two_servers_two_databases();
    let s = Scratch::with_config(original.as_bytes());
    fs::create_dir(s.path("k")).unwrap();
    s.install_key("test-dec.pem", "k/dec.pem");
    s.install_key("test-enc.pem", "k/enc.pem");
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    for json_flag in [false, true] {
        let mut args = vec!["-p", "--dry-run", "-keys", "k/enc.pem", "k/dec.pem"];
        if json_flag {
            args.push("--json");
        }
        // `never_showing` fails the run if any password appears anywhere.
        let out = confpass(&s, &args).exit(0);
        let diff = if json_flag {
            json(&out)["diff"].as_str().unwrap().to_owned()
        } else {
            stdout(&out)
        };
        let changed = changed_lines(&diff);
        let dec = abs(&s, "k/dec.pem");
        assert_eq!(
            changed,
            [
                "-encryption = false".to_owned(),
                "+encryption = true".to_owned(),
                format!("+decryption-key = {dec}"),
                "-password = ********".to_owned(),
                format!("+password = {}", section_value_of_dry_run(&diff)),
            ],
            "json: {json_flag}; diff:\n{diff}"
        );
        assert!(
            !diff.contains("db2.example.com"),
            "an unchanged line far away: {diff}"
        );
        assert_unchanged(&s, &before, "a dry run");
    }
    assert_every_server_starts(&[
        (&f, "confserv", PRIMARY, None),
        (&f, "confserv_backup", BACKUP, None),
    ]);
}

/// The `ENC[…]` value on the `+password` line of a dry run's diff.
fn section_value_of_dry_run(diff: &str) -> String {
    let line = diff
        .lines()
        .find(|l| l.starts_with("+password = ENC["))
        .unwrap_or_else(|| panic!("no new password line in:\n{diff}"));
    line["+password = ".len()..].to_owned()
}

// -------------- 16. finding 9: an administrator's files are not temporaries

#[test]
fn p_that_changes_nothing_leaves_an_administrators_look_alike_files() {
    let s = encrypted_sample();
    let dec = fs::read(s.path("dec.pem")).unwrap();
    s.write(".dec.pem.backup.tmp", &dec);
    set_mode(&s.path(".dec.pem.backup.tmp"), 0o600);
    s.write(
        ".confserv.conf.before.tmp",
        s.read("confserv.conf").as_slice(),
    );
    s.write(".confserv.conf.a1B2c3.tmp", b"an administrator's note\n");
    s.write(".dec.pem.Xy12ab.tmp", &dec);
    set_mode(&s.path(".dec.pem.Xy12ab.tmp"), 0o600);
    let f = s.path("confserv.conf");
    let before = s.snapshot();
    for args in [
        &["-p"][..],
        &["--forget-previous"],
        &["-p", "-s", "confserv"],
    ] {
        let out = confpass(&s, args).exit(0);
        assert!(stdout(&out).contains("nothing changed"), "{}", stdout(&out));
        assert_unchanged(&s, &before, &args.join(" "));
    }
    assert_every_server_starts(&[(&f, "confserv", OLD, None)]);
}

// ---------- 17. the marking commit, killed at each of its steps

#[test]
fn fail_a_marking_run_killed_at_any_step_leaves_the_old_file_or_the_marked_one() {
    for step in ["locked", "temp-written", "renamed"] {
        // The state an older version left: the backup unmarked beside the
        // value the primary's run encrypted.
        let s = Scratch::with_config(two_servers_one_database(Some("false")).as_bytes());
        s.install_keys("test");
        let f = s.path("confserv.conf");
        confpass(&s, &["-p", "-c", "confserv.conf"]).exit(0);
        let text = with_value(
            &s.read_str("confserv.conf"),
            "confserv_backup",
            "encryption",
            "false",
        );
        s.write("confserv.conf", text.as_bytes());
        let before = s.snapshot();
        let out = Run::new(&s, &["-p", "-c", "confserv.conf", "-s", "confserv_backup"])
            .never_showing(&PASSWORDS)
            .paused_at(step)
            .kill();
        assert_ne!(out.status.code(), Some(0), "{step}: killed");
        let after = s.read_str("confserv.conf");
        if step == "renamed" {
            assert_eq!(
                after,
                with_value(&text, "confserv_backup", "encryption", "true"),
                "{step}: the marked file is in place"
            );
        } else {
            // Every file as it was; a killed run's temporary (mode 0600, no
            // plain password: the file holds none) at most.
            let mut now = s.snapshot();
            now.retain(|p, _| !p.to_string_lossy().starts_with(".confserv.conf.confpass-"));
            assert!(now == before, "{step}: {:?}", differing(&before, &now));
        }
        // The primary starts whatever happened; the rerun finishes the job
        // and removes the temporary.
        confpass(&s, &["--check", "-c", "confserv.conf", "-s", "confserv"]).exit(0);
        confpass(&s, &["-p", "-c", "confserv.conf", "-s", "confserv_backup"]).exit(0);
        assert_primary_and_backup_start(&f, PRIMARY);
        let files: Vec<String> = s
            .snapshot()
            .into_keys()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            files,
            ["confserv.conf", "dec.pem", "enc.pem"],
            "{step}: no temporary left"
        );
    }
}
