//! `--prune-keys` (issue 19, item 3; PRODUCT.md §5.7 and §12, ARCHITECTURE.md
//! "--prune-keys"): the real binary on real files. A key is in use when any
//! `ENC[…]` value of any given file names it (every section, `password` and
//! `previous-password`), whichever `-s` is given; without `-keys` the key
//! files of every server section of every file are pruned; `-keys` naming a
//! directory no given file uses is refused; a directory that cannot be
//! written is refused before anything is removed; and a failure half-way
//! (ENOSPC or EIO at every I/O point prune reaches, found with the I/O
//! trace) or a kill at every pause point says exactly which files are gone,
//! never removes a key a value names, and is finished by a rerun. After
//! every scenario each server section of each given file passes `--check`
//! and its start-up call returns its password; no password appears in any
//! output.
//!
//! Unix-only: the values are made by stock `openssl`, which wine cannot
//! run, and the scenarios need file modes, owners and another user.
#![cfg(unix)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use common::*;
use confpass::{EncryptedValue, ExposeSecret};
use serde_json::Value;

/// The primary server's database password.
const PRIMARY: &str = "Pr1mary;#pw = A";
/// The backup server's database password.
const BACKUP: &str = "B4ckup;#pw = B";
/// The primary's previous password (a rotation across a pair in progress).
const PREVIOUS: &str = "Prev1ous;#pw = P";
/// The password of the second configuration file.
const SECOND: &str = "S3cond;#pw = C";
/// Every password of these tests: none may appear in any output.
const PASSWORDS: [&str; 4] = [PRIMARY, BACKUP, PREVIOUS, SECOND];
/// The unprivileged user and group (`nobody`, `nogroup`).
const NOBODY: u32 = 65534;

type Snapshot = BTreeMap<PathBuf, (Vec<u8>, u32)>;

// ------------------------------------------------------------------ runs

/// `confpass ARGS` in `s`'s directory; no password may appear in its output.
fn confpass(s: &Scratch, args: &[&str]) -> Run {
    Run::new(s, args).never_showing(&PASSWORDS)
}

/// The prune of the estate: both configuration files.
const PRUNE: [&str; 6] = [
    "--prune-keys",
    "-c",
    "confserv.conf",
    "-c",
    "b.conf",
    "--json",
];

// ----------------------------------------------------------------- files

/// The names (never the bytes) of the files that differ between two
/// snapshots, in bytes, mode or presence.
fn differing(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| k.display().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Every file of the scratch directory is as in `before`: bytes and mode.
fn assert_unchanged(s: &Scratch, before: &Snapshot, ctx: &str) {
    let changed = differing(before, &s.snapshot());
    assert!(
        changed.is_empty(),
        "{ctx}: these files changed: {changed:?}"
    );
}

/// The files of `before` that are gone now; panics if any file changed, or
/// appeared, other than by going.
fn gone(s: &Scratch, before: &Snapshot, ctx: &str) -> BTreeSet<String> {
    let after = s.snapshot();
    for (path, entry) in &after {
        assert!(
            before.get(path) == Some(entry),
            "{ctx}: {} changed or appeared",
            path.display()
        );
    }
    before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| k.display().to_string())
        .collect()
}

/// A scratch directory holding the files of `snapshot`, with their modes.
fn restore(snapshot: &Snapshot) -> Scratch {
    let s = Scratch::new();
    for (path, (bytes, mode)) in snapshot {
        let to = s.dir.path().join(path);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::write(&to, bytes).unwrap();
        set_mode(&to, *mode);
    }
    s
}

/// A path a run printed, as a name relative to the scratch directory
/// (`./k/enc.pem` → `k/enc.pem`).
fn rel(s: &Scratch, printed: &str) -> String {
    let path = Path::new(printed);
    let path = path
        .strip_prefix(s.dir.path())
        .or_else(|_| path.strip_prefix("."))
        .unwrap_or(path);
    path.display().to_string()
}

/// A JSON list of paths as names relative to the scratch directory.
fn rel_list(s: &Scratch, list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list of paths: {list}"))
        .iter()
        .map(|p| rel(s, p.as_str().unwrap()))
        .collect()
}

/// Copies the file `from` to `rel` (its folders made) with `mode`.
fn put(s: &Scratch, from: &Path, rel: &str, mode: u32) {
    let to = s.path(rel);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(from, &to).unwrap();
    set_mode(&to, mode);
}

// ------------------------------------------------------ keys and values

/// A key pair as files: the private and the public key, and its key id.
struct Pair {
    dec: PathBuf,
    enc: PathBuf,
    kid: String,
}

/// One of the test-only pairs of `testdata/keys/` (`test`, `other`, `pkcs1`).
fn shipped(name: &str) -> Pair {
    let enc = testdata(&format!("keys/{name}-enc.pem"));
    Pair {
        dec: testdata(&format!("keys/{name}-dec.pem")),
        kid: openssl_key_id(&enc),
        enc,
    }
}

/// A new 2048-bit pair made by stock OpenSSL in `dir`, named `name`.
fn generated(dir: &Path, name: &str) -> Pair {
    let (dec, enc) = (format!("{name}-dec.pem"), format!("{name}-enc.pem"));
    genpkey(dir, 2048, &dec);
    openssl(dir, &["pkey", "-in", &dec, "-pubout", "-out", &enc]);
    let enc = dir.join(enc);
    Pair {
        dec: dir.join(dec),
        kid: openssl_key_id(&enc),
        enc,
    }
}

/// `password` encrypted for the public key file `enc` by stock OpenSSL, as
/// an `ENC[…]` value.
fn value_for(password: &str, enc: &Path) -> String {
    let data = openssl_encrypt(password, enc, &OAEP_SHA256);
    format!(
        "ENC[RSA-OAEP-SHA256,kid:{},data:{}]",
        openssl_key_id(enc),
        base64::engine::general_purpose::STANDARD.encode(data)
    )
}

/// Puts `pair` into the scratch directory under the names `dec` (0600) and
/// `enc` (0644).
fn install(s: &Scratch, pair: &Pair, dec: &str, enc: &str) {
    put(s, &pair.dec, dec, 0o600);
    put(s, &pair.enc, enc, 0o644);
}

/// Puts `pair` in `dir` ("" for the scratch directory) as its retired
/// (`kind` = "retired") or staged pair.
fn park(s: &Scratch, pair: &Pair, dir: &str, kind: &str) -> [String; 2] {
    let name = |half: &str| format!("{dir}{half}.{kind}-{}.pem", pair.kid);
    let (dec, enc) = (name("dec"), name("enc"));
    install(s, pair, &dec, &enc);
    [dec, enc]
}

/// A file with a primary and a backup Configuration Server, each reading
/// its own database section; the primary keeps a previous password.
fn two_servers(primary: &str, backup: &str, previous: Option<&str>) -> String {
    let previous = previous
        .map(|v| format!("previous-password = {v}\n"))
        .unwrap_or_default();
    format!(
        "; a primary and a backup Configuration Server on one host\n\
         [confserv]\n\
         port = 2020\n\
         server = dbserver\n\
         encryption = true\n\
         \n\
         [confserv_backup]\n\
         port = 2030\n\
         server = dbserver_backup\n\
         encryption = true\n\
         \n\
         [dbserver]\n\
         host = db1.example.com\n\
         password = {primary}\n\
         {previous}\
         \n\
         [dbserver_backup]\n\
         host = db2.example.com\n\
         password = {backup}\n"
    )
}

/// A file with one Configuration Server whose `decryption-key` is `key`.
fn one_server(value: &str, key: &str) -> String {
    format!(
        "[confserv]\n\
         port = 2040\n\
         server = dbserver\n\
         encryption = true\n\
         decryption-key = {key}\n\
         \n\
         [dbserver]\n\
         host = db3.example.com\n\
         password = {value}\n"
    )
}

/// The key ids the `password` and `previous-password` values of a file name.
fn named_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('=')?;
            let name = name.trim().to_ascii_lowercase();
            if name != "password" && name != "previous-password" {
                return None;
            }
            let value = EncryptedValue::parse(value.trim()).ok()?;
            Some(value.key_id().to_string())
        })
        .collect()
}

/// The key id in a staged or retired key file's name.
fn parked_id(name: &str) -> Option<String> {
    let file = name.rsplit('/').next()?;
    let rest = file
        .strip_prefix("dec.")
        .or_else(|| file.strip_prefix("enc."))?;
    let rest = rest
        .strip_prefix("staged-")
        .or_else(|| rest.strip_prefix("retired-"))?;
    let hex = rest.strip_suffix(".pem")?;
    (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_owned())
}

/// The key ids of every private key file in the scratch directory.
fn private_ids(s: &Scratch) -> BTreeSet<String> {
    names(s)
        .into_iter()
        .filter(|n| n.rsplit('/').next().is_some_and(|f| f.starts_with("dec.")))
        .filter_map(|n| confpass::DecryptionKey::load(&s.path(&n)).ok())
        .map(|k| k.id().to_string())
        .collect()
}

// ----------------------------------------------------------- the servers

/// Every server section of a scenario: (configuration file, section, password).
type Servers = Vec<(String, String, String)>;

/// Each server section passes `--check` (exit 0), and its start-up call
/// returns its password.
fn assert_every_server_starts(s: &Scratch, servers: &Servers, ctx: &str) {
    for (conf, section, password) in servers {
        let out = confpass(s, &["--check", "-c", conf, "-s", section])
            .spawn()
            .finish();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{ctx}: --check -c {conf} -s {section}:\n{}",
            all_output(&out)
        );
        match confpass::database_password(s.path(conf), section) {
            Ok(got) => assert!(
                got.expose_secret() == password,
                "{ctx}: the start-up call on {conf} [{section}] returns another password"
            ),
            Err(e) => panic!("{ctx}: the start-up call on {conf} [{section}] fails: {e}"),
        }
    }
}

// ------------------------------------------------------------ the estate

/// Two configuration files and two key directories, with staged and retired
/// keys named by a value, named by none, and at a name whose file holds
/// another key:
///
/// - `confserv.conf`: `[confserv]` and `[confserv_backup]`, keys `./dec.pem`
///   (the `test` pair); `[dbserver]` encrypted for `test`, its
///   `previous-password` for the retired `g1`; `[dbserver_backup]` for the
///   retired `other`;
/// - `b.conf`: `[confserv]` with `decryption-key = k/dec.pem` (`g2`), its
///   value for `g2`;
/// - beside `./dec.pem`: retired `other` and `g1` (named), retired `pkcs1`
///   and staged `g3` (not named), two foreign files, an administrator's
///   backup;
/// - in `k/`: retired `test` (named, by `confserv.conf`), retired `g3` and
///   staged `pkcs1` (not named).
struct Estate {
    template: Snapshot,
    servers: Servers,
    /// What a prune removes, keeps and leaves alone (names relative to the
    /// scratch directory).
    doomed: BTreeSet<String>,
    kept: BTreeSet<String>,
    foreign: BTreeSet<String>,
}

fn estate() -> Estate {
    let made = tempfile::tempdir().unwrap();
    let (test, other, pkcs1) = (shipped("test"), shipped("other"), shipped("pkcs1"));
    let (g1, g2, g3) = (
        generated(made.path(), "g1"),
        generated(made.path(), "g2"),
        generated(made.path(), "g3"),
    );
    let s = Scratch::new();
    s.write(
        "confserv.conf",
        two_servers(
            &value_for(PRIMARY, &test.enc),
            &value_for(BACKUP, &other.enc),
            Some(&value_for(PREVIOUS, &g1.enc)),
        )
        .as_bytes(),
    );
    set_mode(&s.path("confserv.conf"), 0o640);
    s.write(
        "b.conf",
        one_server(&value_for(SECOND, &g2.enc), "k/dec.pem").as_bytes(),
    );
    set_mode(&s.path("b.conf"), 0o640);
    install(&s, &test, "dec.pem", "enc.pem");
    install(&s, &g2, "k/dec.pem", "k/enc.pem");
    let mut kept = BTreeSet::new();
    kept.extend(park(&s, &other, "", "retired"));
    kept.extend(park(&s, &g1, "", "retired"));
    kept.extend(park(&s, &test, "k/", "retired"));
    let mut doomed = BTreeSet::new();
    doomed.extend(park(&s, &pkcs1, "", "retired"));
    doomed.extend(park(&s, &g3, "", "staged"));
    doomed.extend(park(&s, &g3, "k/", "retired"));
    doomed.extend(park(&s, &pkcs1, "k/", "staged"));
    // Files at managed names that do not hold the key their name says.
    let foreign: BTreeSet<String> = [
        "dec.retired-0123456789abcdef.pem".to_owned(),
        "enc.staged-fedcba9876543210.pem".to_owned(),
    ]
    .into();
    put(&s, &pkcs1.dec, "dec.retired-0123456789abcdef.pem", 0o600);
    put(&s, &other.enc, "enc.staged-fedcba9876543210.pem", 0o644);
    // An administrator's backup: never touched.
    put(&s, &g3.dec, "dec.backup.pem", 0o600);
    let servers: Servers = [
        ("confserv.conf", "confserv", PRIMARY),
        ("confserv.conf", "confserv_backup", BACKUP),
        ("b.conf", "confserv", SECOND),
    ]
    .iter()
    .map(|(c, s, p)| ((*c).to_owned(), (*s).to_owned(), (*p).to_owned()))
    .collect();
    assert_every_server_starts(&s, &servers, "the estate");
    Estate {
        template: s.snapshot(),
        servers,
        doomed,
        kept,
        foreign,
    }
}

impl Estate {
    /// What the directory holds after a complete prune.
    fn pruned(&self) -> Snapshot {
        self.template
            .iter()
            .filter(|(k, _)| !self.doomed.contains(&k.display().to_string()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// After any run: only doomed files are gone (returned), every other
    /// file is byte-identical, and every server still starts.
    fn assert_safe(&self, s: &Scratch, ctx: &str) -> BTreeSet<String> {
        let gone = gone(s, &self.template, ctx);
        let wrongly: Vec<_> = gone.difference(&self.doomed).collect();
        assert!(wrongly.is_empty(), "{ctx}: removed {wrongly:?}");
        assert_every_server_starts(s, &self.servers, ctx);
        gone
    }

    /// A rerun of the prune exits 0 and leaves exactly the pruned estate.
    fn assert_rerun_finishes(&self, s: &Scratch, ctx: &str) {
        let out = confpass(s, &PRUNE).exit(0);
        let v = json(&out);
        assert_eq!(rel_list(s, &v["kept"]), self.kept, "{ctx}, rerun: {v}");
        let changed = differing(&self.pruned(), &s.snapshot());
        assert!(changed.is_empty(), "{ctx}, rerun: {changed:?} differ");
        assert_every_server_starts(s, &self.servers, &format!("{ctx}, rerun"));
    }
}

/// The I/O points a run reaches, in order (CONFPASS_TEST_TRACE).
fn traced(run: Run) -> (Output, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace");
    let out = run.env("CONFPASS_TEST_TRACE", &file).spawn().finish();
    let points = fs::read_to_string(&file)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (out, points)
}

// ---------------------------------------------------------------- tests

#[test]
fn prune_removes_what_no_value_of_any_given_file_names_and_keeps_the_rest() {
    let e = estate();
    let s = restore(&e.template);
    let v = json(&confpass(&s, &PRUNE).exit(0));
    assert_eq!(rel_list(&s, &v["removed"]), e.doomed, "{v}");
    assert_eq!(rel_list(&s, &v["kept"]), e.kept, "{v}");
    assert_eq!(rel_list(&s, &v["foreign"]), e.foreign, "{v}");
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(e.assert_safe(&s, "after the prune"), e.doomed);
    // Every key a value names still has its private key on disk.
    let mut named = named_ids(&s.read_str("confserv.conf"));
    named.extend(named_ids(&s.read_str("b.conf")));
    assert_eq!(named.len(), 4, "test, other, g1, g2: {named:?}");
    let ids = private_ids(&s);
    let missing: Vec<_> = named.difference(&ids).collect();
    assert!(missing.is_empty(), "no private key left for {missing:?}");
    e.assert_rerun_finishes(&s, "after the prune");
}

#[test]
fn prune_in_text_lists_every_removed_file_and_a_dry_run_changes_nothing() {
    let e = estate();
    let s = restore(&e.template);
    // -s no longer says which values count: the backup's section gives the same.
    let dry = [
        "--prune-keys",
        "-c",
        "confserv.conf",
        "-c",
        "b.conf",
        "-s",
        "confserv_backup",
        "--dry-run",
        "--json",
    ];
    let v = json(&confpass(&s, &dry).exit(0));
    assert_eq!(rel_list(&s, &v["removed"]), e.doomed, "{v}");
    assert_eq!(rel_list(&s, &v["kept"]), e.kept, "{v}");
    assert_eq!(v["dry_run"], true);
    assert_unchanged(&s, &e.template, "after the dry run");

    let out = confpass(&s, &PRUNE[..5]).exit(0);
    let text = stdout(&out);
    for name in &e.doomed {
        assert!(text.contains(name.as_str()), "{name} is listed:\n{text}");
    }
    assert!(text.starts_with("removed "), "{text}");
    e.assert_safe(&s, "after the text run");
    e.assert_rerun_finishes(&s, "after the text run");
}

/// Finding 1's start: a primary and a backup, each with its own database
/// section, both encrypted for the shipped test pair, then `--rotate-keys`.
fn two_servers_rotated() -> (Scratch, Pair, Servers) {
    let s = Scratch::new();
    let test = shipped("test");
    install(&s, &test, "dec.pem", "enc.pem");
    s.write(
        "confserv.conf",
        two_servers(
            &value_for(PRIMARY, &test.enc),
            &value_for(BACKUP, &test.enc),
            None,
        )
        .as_bytes(),
    );
    set_mode(&s.path("confserv.conf"), 0o640);
    let servers: Servers = vec![
        ("confserv.conf".into(), "confserv".into(), PRIMARY.into()),
        (
            "confserv.conf".into(),
            "confserv_backup".into(),
            BACKUP.into(),
        ),
    ];
    confpass(
        &s,
        &["--rotate-keys", "--bits", "2048", "-c", "confserv.conf"],
    )
    .exit(0);
    (s, test, servers)
}

#[test]
fn finding_01_a_rotation_then_a_prune_keeps_every_key_a_value_of_the_file_names() {
    let (s, test, servers) = two_servers_rotated();
    assert_every_server_starts(&s, &servers, "after the rotation");
    let named = named_ids(&s.read_str("confserv.conf"));
    assert!(!named.is_empty(), "the values name a key");
    let parked: BTreeSet<String> = names(&s)
        .into_iter()
        .filter(|n| parked_id(n).is_some())
        .collect();
    let (keep, remove): (BTreeSet<String>, BTreeSet<String>) = parked
        .iter()
        .cloned()
        .partition(|n| named.contains(&parked_id(n).unwrap()));
    assert!(
        parked.contains(&format!("dec.retired-{}.pem", test.kid)),
        "the rotation retired the old pair: {parked:?}"
    );

    let v = json(&confpass(&s, &["--prune-keys", "-c", "confserv.conf", "--json"]).exit(0));
    assert_eq!(rel_list(&s, &v["kept"]), keep, "{v}");
    assert_eq!(rel_list(&s, &v["removed"]), remove, "{v}");
    assert_every_server_starts(&s, &servers, "after the prune");
    let ids = private_ids(&s);
    let missing: Vec<_> = named.difference(&ids).collect();
    assert!(missing.is_empty(), "no private key left for {missing:?}");
}

#[test]
fn finding_01_a_value_for_the_retired_key_keeps_the_retired_pair() {
    let (s, test, servers) = two_servers_rotated();
    let retired = [
        format!("dec.retired-{}.pem", test.kid),
        format!("enc.retired-{}.pem", test.kid),
    ];
    assert!(retired.iter().all(|n| s.exists(n)), "{:?}", names(&s));
    // Another tool writes the backup's value with the retired public key.
    let text = s.read_str("confserv.conf");
    let (head, tail) = text.split_once("[dbserver_backup]").unwrap();
    let old = value_of(tail, "password").unwrap();
    let backup = value_for(BACKUP, &s.path(&retired[1]));
    let text = format!("{head}[dbserver_backup]{}", tail.replacen(&old, &backup, 1));
    s.write("confserv.conf", text.as_bytes());
    assert!(named_ids(&s.read_str("confserv.conf")).contains(&test.kid));
    let before = s.snapshot();

    let v = json(&confpass(&s, &["--prune-keys", "-c", "confserv.conf", "--json"]).exit(0));
    let kept = rel_list(&s, &v["kept"]);
    for name in &retired {
        assert!(kept.contains(name), "{name} is kept and listed: {v}");
        assert!(
            s.snapshot().get(Path::new(name)) == before.get(Path::new(name)),
            "{name} is untouched"
        );
    }
    confpass(
        &s,
        &["--check", "-c", "confserv.conf", "-s", "confserv_backup"],
    )
    .exit(0);
    assert_every_server_starts(&s, &servers, "after the prune");
}

#[test]
fn fail_finding_02_keys_in_a_directory_no_given_file_uses_are_refused() {
    let s = Scratch::new();
    let (test, other, pkcs1) = (shipped("test"), shipped("other"), shipped("pkcs1"));
    // c/confserv.conf: its own pair in c/.
    install(&s, &other, "c/dec.pem", "c/enc.pem");
    s.write(
        "c/confserv.conf",
        two_servers(
            &value_for(PRIMARY, &other.enc),
            &value_for(BACKUP, &other.enc),
            None,
        )
        .as_bytes(),
    );
    // o/other.conf uses k/, and its value names k/'s retired key.
    install(&s, &test, "k/dec.pem", "k/enc.pem");
    let retired = park(&s, &pkcs1, "k/", "retired");
    fs::create_dir_all(s.path("o")).unwrap();
    s.write(
        "o/other.conf",
        one_server(&value_for(SECOND, &pkcs1.enc), "../k/dec.pem").as_bytes(),
    );
    let servers: Servers = vec![
        ("c/confserv.conf".into(), "confserv".into(), PRIMARY.into()),
        (
            "c/confserv.conf".into(),
            "confserv_backup".into(),
            BACKUP.into(),
        ),
        ("o/other.conf".into(), "confserv".into(), SECOND.into()),
    ];
    assert_every_server_starts(&s, &servers, "before");
    let before = s.snapshot();

    let args = [
        "--prune-keys",
        "-c",
        "c/confserv.conf",
        "-keys",
        "k/enc.pem",
        "k/dec.pem",
    ];
    let out = confpass(&s, &args).exit(2);
    let err = stderr(&out);
    for part in ["k/dec.pem", "c/confserv.conf", "-c", "nothing was removed"] {
        assert!(err.contains(part), "the message says {part}:\n{err}");
    }
    assert_unchanged(&s, &before, "after the refusal");
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let v = json(&confpass(&s, &with_json).exit(2));
    assert_eq!(v["category"], "usage", "{v}");
    assert_eq!(v["committed"], false, "{v}");
    assert_unchanged(&s, &before, "after the refusal in JSON");
    confpass(&s, &["--check", "-c", "o/other.conf"]).exit(0);
    assert_every_server_starts(&s, &servers, "after the refusal");

    // With the file that uses k/ given too, the named retired key is kept.
    let v = json(
        &confpass(
            &s,
            &[
                "--prune-keys",
                "-c",
                "c/confserv.conf",
                "-c",
                "o/other.conf",
                "-keys",
                "k/enc.pem",
                "k/dec.pem",
                "--json",
            ],
        )
        .exit(0),
    );
    assert_eq!(
        rel_list(&s, &v["kept"]),
        retired.iter().cloned().collect(),
        "{v}"
    );
    assert_unchanged(&s, &before, "after the prune with every file");
    assert_every_server_starts(&s, &servers, "after the prune with every file");
}

#[test]
fn fail_finding_10_a_read_only_key_directory_is_refused_before_anything_is_removed() {
    let s = Scratch::new();
    let owner = (NOBODY, NOBODY);
    let chown =
        |rel: &str| std::os::unix::fs::chown(s.path(rel), Some(NOBODY), Some(NOBODY)).unwrap();
    let (test, other) = (shipped("test"), shipped("other"));
    // enc.pem in a writable directory, dec.pem in one the user cannot write.
    put(&s, &test.enc, "pub/enc.pem", 0o644);
    put(&s, &test.dec, "priv/dec.pem", 0o600);
    put(
        &s,
        &other.enc,
        &format!("pub/enc.retired-{}.pem", other.kid),
        0o644,
    );
    put(
        &s,
        &other.dec,
        &format!("priv/dec.retired-{}.pem", other.kid),
        0o600,
    );
    s.write(
        "confserv.conf",
        one_server(&value_for(PRIMARY, &test.enc), "priv/dec.pem").as_bytes(),
    );
    set_mode(&s.path("confserv.conf"), 0o640);
    for rel in [
        "",
        "confserv.conf",
        "pub",
        "pub/enc.pem",
        &format!("pub/enc.retired-{}.pem", other.kid),
        "priv",
        "priv/dec.pem",
        &format!("priv/dec.retired-{}.pem", other.kid),
    ] {
        chown(rel);
    }
    set_mode(s.dir.path(), 0o755);
    set_mode(&s.path("priv"), 0o500);
    let servers: Servers = vec![("confserv.conf".into(), "confserv".into(), PRIMARY.into())];
    let before = s.snapshot();
    let args = [
        "--prune-keys",
        "-keys",
        "pub/enc.pem",
        "priv/dec.pem",
        "--json",
    ];

    // A dry run says what the real run would meet.
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let out = Run::as_user(&s, owner, &dry)
        .never_showing(&PASSWORDS)
        .exit(6);
    assert!(stderr(&out).contains("priv"), "{}", stderr(&out));
    assert_unchanged(&s, &before, "after the dry run");

    let out = Run::as_user(&s, owner, &args)
        .never_showing(&PASSWORDS)
        .exit(6);
    let v = json(&out);
    assert_eq!(v["committed"], false, "{v}");
    assert!(v.get("removed").is_none(), "{v}");
    let err = stderr(&out);
    assert!(
        err.contains("priv"),
        "the message names the directory:\n{err}"
    );
    assert_unchanged(&s, &before, "after the refusal");
    Run::as_user(&s, owner, &["--check"])
        .never_showing(&PASSWORDS)
        .exit(0);
    assert_every_server_starts(&s, &servers, "after the refusal");

    // Once the directory can be written, the same run removes the pair.
    set_mode(&s.path("priv"), 0o700);
    let v = json(
        &Run::as_user(&s, owner, &args)
            .never_showing(&PASSWORDS)
            .exit(0),
    );
    assert_eq!(
        rel_list(&s, &v["removed"]),
        [
            format!("pub/enc.retired-{}.pem", other.kid),
            format!("priv/dec.retired-{}.pem", other.kid),
        ]
        .into(),
        "{v}"
    );
    assert_every_server_starts(&s, &servers, "after the prune");
}

#[test]
fn fail_enospc_and_eio_at_every_io_point_of_prune_report_exactly_what_was_removed() {
    let e = estate();
    let s = restore(&e.template);
    let (out, points) = traced(confpass(&s, &PRUNE));
    assert_exit(&out, 0);
    let removals = points.iter().filter(|p| p.starts_with("remove:")).count();
    assert_eq!(removals, e.doomed.len(), "one removal per file: {points:?}");
    assert!(
        points.iter().any(|p| p == "dirsync:prune"),
        "the directories are flushed: {points:?}"
    );
    // Public halves first: no private key goes before every public one.
    let first_dec = points.iter().position(|p| p.ends_with("-dec")).unwrap();
    let last_enc = points.iter().rposition(|p| p.ends_with("-enc")).unwrap();
    assert!(last_enc < first_dec, "public halves first: {points:?}");

    for (i, point) in points.iter().enumerate() {
        let nth = points[..=i].iter().filter(|p| *p == point).count();
        let removed_before = points[..i]
            .iter()
            .filter(|p| p.starts_with("remove:"))
            .count();
        for errno in ["ENOSPC", "EIO"] {
            let ctx = format!("{errno} at {point} #{nth}");
            let s = restore(&e.template);
            let out = confpass(&s, &PRUNE)
                .fail_at(&format!("{point}:{errno}:{nth}"))
                .spawn()
                .finish();
            let v = json(&out);
            if removed_before == 0 {
                assert_exit(&out, 6);
                assert_eq!(v["committed"], false, "{ctx}: {v}");
                assert!(v.get("removed").is_none(), "{ctx}: {v}");
                assert_unchanged(&s, &e.template, &ctx);
            } else {
                assert_exit(&out, 7);
                assert_eq!(v["committed"], true, "{ctx}: {v}");
                assert_eq!(v["category"], "committed", "{ctx}: {v}");
                let gone = gone(&s, &e.template, &ctx);
                assert_eq!(gone.len(), removed_before, "{ctx}");
                assert_eq!(rel_list(&s, &v["removed"]), gone, "{ctx}: {v}");
                let err = stderr(&out);
                for name in &gone {
                    assert!(err.contains(name.as_str()), "{ctx}: names {name}:\n{err}");
                }
            }
            e.assert_safe(&s, &ctx);
            e.assert_rerun_finishes(&s, &ctx);
        }
    }
}

#[test]
fn a_kill_at_every_pause_point_of_prune_keeps_every_named_key_and_a_rerun_finishes() {
    let e = estate();
    let mut stops: Vec<(&str, usize)> = vec![("locked", 1)];
    stops.extend((1..=e.doomed.len()).map(|n| ("pruned-one", n)));
    for (step, n) in stops {
        let ctx = format!("a kill at {step} #{n}");
        let s = restore(&e.template);
        let markers = markers();
        let marker = markers.path().join("paused");
        let mut run = confpass(&s, &PRUNE).pause_at(step, &marker).spawn();
        for k in 1..=n {
            run.reach(&marker, &format!("{step} #{k}"));
            if k < n {
                fs::remove_file(&marker).unwrap();
            }
        }
        run.kill();
        let gone = e.assert_safe(&s, &ctx);
        let expected = if step == "locked" { 0 } else { n };
        assert_eq!(gone.len(), expected, "{ctx}: {gone:?}");
        e.assert_rerun_finishes(&s, &ctx);
    }
}
