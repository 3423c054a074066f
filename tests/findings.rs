//! The eleven findings of issue 8 ("the password is never lost"), each
//! replayed as a black-box scenario: the real binary, real files in temporary
//! directories, other runs, an administrator's `mv`, injected I/O errors and
//! kills. After every scenario the test asserts the exit code of every run,
//! every file's bytes, mode and owner, and that every configuration's start-up
//! call (`confpass::database_password`) returns the password last committed.
//! The pause points, fault points, lock-wait marker and I/O trace are the debug
//! builds' test hooks (ARCHITECTURE.md, "Transactions").
//!
//! The scenarios that are Unix by nature (other users through `setpriv`,
//! owners, POSIX ACLs and extended attributes, core dumps, FIFOs, a
//! terminal) are marked Unix-only one by one. On Windows the others compare,
//! for a mode, the read-only flag (`common::file_mode`), and no owner.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::{FileTypeExt, MetadataExt};
#[cfg(unix)]
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, ExposeSecret};
use serde_json::Value;

/// The unprivileged user and group (`nobody`, `nogroup`).
#[cfg(unix)]
const NOBODY: u32 = 65534;
/// A group for the group-member scenario (`users` on Debian).
#[cfg(unix)]
const USERS: u32 = 100;
/// The configuration file's name in every scenario with one.
const CONF: &str = "confserv.conf";

// ------------------------------------------------------------------ runs

// One run of the real binary, or of another program: `common::Run`.

// ------------------------------------------------------ files and owners

/// One entry of a [`tree`]: kind (`d`, `f`, `p` FIFO, `l` link, `?`), bytes
/// (regular files; a link's target), mode, owner and group.
type Entry = (char, Vec<u8>, u32, u32, u32);

/// Whether `kind` is a FIFO (Windows has none).
fn is_fifo(kind: fs::FileType) -> bool {
    #[cfg(unix)]
    {
        kind.is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

/// The mode, owner and group of an entry. Windows has neither modes nor
/// uids: there the mode is [`file_mode`]'s read-only flag and the owner and
/// group are 0, so owners are compared on Unix only.
fn mode_and_owner(meta: &fs::Metadata) -> (u32, u32, u32) {
    #[cfg(unix)]
    {
        (meta.mode() & 0o7777, meta.uid(), meta.gid())
    }
    #[cfg(not(unix))]
    {
        (file_mode(meta), 0, 0)
    }
}

/// What [`file_mode`] reports for a file of `mode`: `mode` itself on Unix;
/// on Windows the read-only flag (set when `mode` has no owner write bit).
fn expected_mode(mode: u32) -> u32 {
    if cfg!(unix) {
        mode
    } else if mode & 0o200 == 0 {
        0o444
    } else {
        0o666
    }
}

/// Everything under `root`, `root` itself included (as `.`).
fn tree(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn entry(path: &Path) -> Entry {
        let meta = fs::symlink_metadata(path).unwrap();
        let kind = meta.file_type();
        let (tag, bytes) = if kind.is_dir() {
            ('d', Vec::new())
        } else if kind.is_file() {
            ('f', fs::read(path).unwrap())
        } else if is_fifo(kind) {
            ('p', Vec::new())
        } else if kind.is_symlink() {
            let target = fs::read_link(path).unwrap();
            ('l', target.into_os_string().into_encoded_bytes())
        } else {
            ('?', Vec::new())
        };
        let (mode, uid, gid) = mode_and_owner(&meta);
        (tag, bytes, mode, uid, gid)
    }
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for item in fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            let e = entry(&path);
            if e.0 == 'd' {
                walk(&path, root, out);
            }
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), e);
        }
    }
    let mut out = BTreeMap::new();
    out.insert(PathBuf::from("."), entry(root));
    walk(root, root, &mut out);
    out
}

/// Panics, naming the entries (never their bytes), unless everything under
/// the scratch directory is as in `before`: bytes, mode, owner and group.
fn assert_unchanged(s: &Scratch, before: &BTreeMap<PathBuf, Entry>, what: &str) {
    let after = tree(s.dir.path());
    let changed: BTreeSet<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "{what}: these entries are not as before: {changed:?}"
    );
}

/// Asserts the regular files under the scratch directory, exactly, with their modes.
fn assert_files(s: &Scratch, expected: &[(&str, u32)], what: &str) {
    let got: Vec<(String, u32)> = s
        .snapshot()
        .into_iter()
        .map(|(path, (_, mode))| (path.display().to_string(), mode))
        .collect();
    let mut want: Vec<(String, u32)> = expected
        .iter()
        .map(|(name, mode)| ((*name).to_owned(), expected_mode(*mode)))
        .collect();
    want.sort();
    assert_eq!(
        got, want,
        "{what}: files and modes (octal: 0o600 = 384, 0o640 = 416, 0o644 = 420)"
    );
}

/// The owner, group and mode of a file.
#[cfg(unix)]
fn owner_and_mode(path: &Path) -> (u32, u32, u32) {
    let meta = fs::metadata(path).unwrap();
    (meta.uid(), meta.gid(), meta.mode() & 0o7777)
}

/// Creates `rel` (a directory) with owner, group and mode.
#[cfg(unix)]
fn owned_dir(s: &Scratch, rel: &str, (uid, gid): (u32, u32), mode: u32) -> PathBuf {
    let dir = s.path(rel);
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
    set_mode(&dir, mode);
    dir
}

/// Writes the sample configuration as `rel` with owner, group and mode; returns `rel`.
#[cfg(unix)]
fn owned_sample(s: &Scratch, rel: &str, (uid, gid): (u32, u32), mode: u32) -> String {
    fs::copy(testdata("sample/confserv.conf"), s.path(rel)).unwrap();
    std::os::unix::fs::chown(s.path(rel), Some(uid), Some(gid)).unwrap();
    set_mode(&s.path(rel), mode);
    rel.to_owned()
}

/// A scratch directory other users can enter (tempdirs are 0700).
#[cfg(unix)]
fn open_scratch() -> Scratch {
    let s = Scratch::new();
    set_mode(s.dir.path(), 0o755);
    s
}

// ------------------------------------------------------- keys and values

/// The sample configuration (mode 0640), plain, no keys.
fn sample() -> Scratch {
    let s = Scratch::sample();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path(CONF), 0o640);
    s
}

/// [`sample`] with the test key pair: `dec.pem` 0600, `enc.pem` 0644.
fn sample_with_test_keys() -> Scratch {
    let s = sample();
    s.install_keys("test");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("enc.pem"), 0o644);
    s
}

/// [`sample_with_test_keys`], encrypted by `-p`.
fn encrypted_sample() -> Scratch {
    let s = sample_with_test_keys();
    Run::new(&s, &["-p"]).exit(0);
    assert_eq!(value_kid(&s.path(CONF)), TEST_KID);
    s
}

/// Panics unless the start-up call on `conf` returns `password`.
fn assert_starts(conf: &Path, password: &str) {
    match confpass::database_password(conf, "confserv") {
        Ok(got) => assert!(
            got.expose_secret() == password,
            "the start-up call on {} returns another password than the one last committed",
            conf.display()
        ),
        Err(e) => panic!("the start-up call on {} fails: {e}", conf.display()),
    }
}

/// The key id the stored value names.
fn value_kid(conf: &Path) -> String {
    let text = fs::read_to_string(conf).unwrap();
    let value = value_of(&text, "password").expect("a password option");
    EncryptedValue::parse(&value)
        .unwrap_or_else(|e| panic!("{}: the password is not encrypted: {e}", conf.display()))
        .key_id()
        .to_string()
}

/// Checks that `dec` and `enc` are one pair; returns its key id.
fn pair_kid(dec: &Path, enc: &Path) -> String {
    let private = DecryptionKey::load(dec)
        .unwrap_or_else(|e| panic!("{}: {e}", dec.display()))
        .id();
    let public = EncryptionKey::load(enc)
        .unwrap_or_else(|e| panic!("{}: {e}", enc.display()))
        .id();
    assert_eq!(
        private,
        public,
        "{} and {} are one pair",
        dec.display(),
        enc.display()
    );
    private.to_string()
}

/// The names a retired pair gets: `dec.retired-<kid>.pem`, `enc.retired-<kid>.pem`.
fn retired(kid: &str) -> [String; 2] {
    [
        format!("dec.retired-{kid}.pem"),
        format!("enc.retired-{kid}.pem"),
    ]
}

/// The directory after a completed rotation away from the test pair: the
/// configuration, the new pair (returned: its key id, which the value names),
/// and the test pair retired byte for byte.
fn assert_rotated_from_test_pair(s: &Scratch, extra: &[(&str, u32)], what: &str) -> String {
    let kid = pair_kid(&s.path("dec.pem"), &s.path("enc.pem"));
    assert_ne!(kid, TEST_KID, "{what}: a new key pair");
    assert_eq!(value_kid(&s.path(CONF)), kid, "{what}: the value names it");
    let [dec, enc] = retired(TEST_KID);
    assert!(
        s.read(&dec) == fs::read(testdata("keys/test-dec.pem")).unwrap(),
        "{what}: {dec} is the old private key"
    );
    assert!(
        s.read(&enc) == fs::read(testdata("keys/test-enc.pem")).unwrap(),
        "{what}: {enc} is the old public key"
    );
    let retired_pair = [(dec.as_str(), 0o600), (enc.as_str(), 0o644)];
    assert_files(s, &[&ONE_PAIR[..], &retired_pair, extra].concat(), what);
    kid
}

/// The lines of a configuration other than those confpass may change.
fn kept_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .filter(|line| {
            let name = line
                .split_once('=')
                .map(|(n, _)| n.trim().to_ascii_lowercase());
            !matches!(
                name.as_deref(),
                Some("password" | "encryption" | "decryption-key")
            )
        })
        .collect()
}

/// The configuration is `original` with the password encrypted, nothing else changed.
fn assert_encrypted_edit_of(original: &str, conf: &Path) {
    let now = fs::read_to_string(conf).unwrap();
    assert_eq!(
        kept_lines(&now),
        kept_lines(original),
        "only the password lines changed"
    );
    assert_eq!(value_of(&now, "encryption").as_deref(), Some("true"));
    value_kid(conf);
}

/// The configuration and one key pair beside it, with their modes.
const ONE_PAIR: [(&str, u32); 3] = [(CONF, 0o640), ("dec.pem", 0o600), ("enc.pem", 0o644)];

/// After `-p` beside the test pair: the configuration is `original` with the
/// password encrypted for that pair, the pair is byte for byte as installed,
/// the files are those and `extra`, and the start-up call returns `password`.
fn assert_encrypted_with_test_pair(
    s: &Scratch,
    original: &str,
    password: &str,
    extra: &[(&str, u32)],
    what: &str,
) {
    assert_encrypted_edit_of(original, &s.path(CONF));
    assert_eq!(value_kid(&s.path(CONF)), TEST_KID, "{what}");
    for name in ["dec", "enc"] {
        assert!(
            s.read(&format!("{name}.pem"))
                == fs::read(testdata(&format!("keys/test-{name}.pem"))).unwrap(),
            "{what}: {name}.pem is as installed"
        );
    }
    assert_files(s, &[&ONE_PAIR[..], extra].concat(), what);
    assert_starts(&s.path(CONF), password);
}

// ------------------------------------------------------ 1. -p during rotation

const NEW: &str = "N3w after rotation;#pw";

#[test]
fn finding_01_p_during_rotate_keys_waits_and_both_passwords_stay_decryptable() {
    let s = encrypted_sample();
    let original = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    // The rotation is paused right after its commit; -p waits for its lock.
    let rotation =
        Run::new(&s, &["--rotate-keys", "--bits", "2048", "--json"]).paused_at("renamed");
    let p = Run::new(&s, &["-p", "--password-stdin", "--json"])
        .password(NEW)
        .waiting_on_lock();
    let rotation = rotation.resume();

    let rotated = json(&rotation.exit(0));
    let encrypted = json(&p.exit(0));
    let kid = assert_rotated_from_test_pair(&s, &[], "after both runs");
    assert_eq!(rotated["action"], "rotated");
    assert_eq!(rotated["key_id"], kid.as_str());
    assert_eq!(encrypted["action"], "encrypted");
    assert_eq!(
        encrypted["key_id"],
        kid.as_str(),
        "-p used the promoted pair"
    );
    assert_encrypted_edit_of(&original, &s.path(CONF));
    assert_starts(&s.path(CONF), NEW);
    let reveal = Run::new(&s, &["--reveal"]).exit(0);
    assert!(
        reveal.stdout == format!("{NEW}\n").as_bytes(),
        "--reveal prints the password -p stored"
    );
    Run::new(&s, &["--check"]).exit(0);
}

// ------------------------------------------------- 2. errors after the commit

/// The I/O points a successful run of `args` reaches, in order, on a fresh
/// copy of the scenario (CONFPASS_TEST_TRACE).
fn trace_of(setup: fn() -> Scratch, args: &[&str]) -> Vec<String> {
    let s = setup();
    let m = markers();
    let file = m.path().join("trace");
    Run::new(&s, args).env("CONFPASS_TEST_TRACE", &file).exit(0);
    fs::read_to_string(&file)
        .expect("CONFPASS_TEST_TRACE writes the trace")
        .lines()
        .map(|l| l.trim().to_owned())
        .collect()
}

/// CONFPASS_TEST_FAIL_AT for the first point after the commit
/// (`rename:config`) that `wanted` accepts, with its occurrence number.
fn fault_after_commit(points: &[String], wanted: impl Fn(&str) -> bool, error: &str) -> String {
    let commit = points
        .iter()
        .position(|p| p == "rename:config")
        .unwrap_or_else(|| panic!("no commit (rename:config) in the trace {points:?}"));
    let (i, point) = points
        .iter()
        .enumerate()
        .skip(commit + 1)
        .find(|(_, p)| wanted(p))
        .unwrap_or_else(|| panic!("no such point after the commit in the trace {points:?}"));
    let n = points[..=i].iter().filter(|p| *p == point).count();
    format!("{point}:{error}:{n}")
}

/// The JSON error of a run that failed after (`true`) or before the commit.
fn assert_committed(out: &Output, committed: bool) {
    let v = json(out);
    assert_eq!(v["committed"], committed, "{v}");
    assert_eq!(v["exit_code"], out.status.code().unwrap(), "{v}");
}

#[test]
fn fail_finding_02_directory_flush_error_after_a_fresh_install_keeps_the_keys() {
    let args = ["-p", "--bits", "2048", "--json"];
    let fault = fault_after_commit(&trace_of(sample, &args), |p| p == "dirsync:config", "EIO");
    println!("injected: {fault}");
    let s = sample();
    let out = Run::new(&s, &args).fail_at(&fault).exit(7);
    assert_committed(&out, true);
    assert_no_password(&out, SAMPLE_PASSWORD);

    // Committed: the new value, its whole key pair, the server starts.
    let original = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    assert_encrypted_edit_of(&original, &s.path(CONF));
    let kid = pair_kid(&s.path("dec.pem"), &s.path("enc.pem"));
    assert_eq!(value_kid(&s.path(CONF)), kid);
    assert_files(&s, &ONE_PAIR, "after the failed flush");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);

    // The rerun completes (flushes) and writes nothing.
    let before = tree(s.dir.path());
    let again = json(&Run::new(&s, &args).exit(0));
    assert_eq!(again["action"], "unchanged");
    assert_eq!(again["key_id"], kid.as_str());
    assert_unchanged(&s, &before, "the rerun");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn fail_finding_02_promotion_error_after_a_rotation_commit_keeps_the_staged_key() {
    let args = ["--rotate-keys", "--bits", "2048", "--json"];
    let promotion = |p: &str| p.starts_with("rename:") && p.contains("dec");
    let fault = fault_after_commit(&trace_of(encrypted_sample, &args), promotion, "EIO");
    println!("injected: {fault}");
    let s = encrypted_sample();
    let out = Run::new(&s, &args).fail_at(&fault).exit(7);
    assert_committed(&out, true);

    // Committed: the value names the staged key, which the start-up call finds.
    let kid = value_kid(&s.path(CONF));
    assert_ne!(kid, TEST_KID, "the new value is in place ({fault})");
    assert_eq!(
        pair_kid(
            &s.path(&format!("dec.staged-{kid}.pem")),
            &s.path(&format!("enc.staged-{kid}.pem"))
        ),
        kid
    );
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
    Run::new(&s, &["--check"]).exit(0);

    // The rerun promotes the staged pair.
    let again = json(&Run::new(&s, &args).exit(0));
    assert_eq!(again["action"], "rotation-completed");
    assert_eq!(again["key_id"], kid.as_str());
    assert_eq!(
        assert_rotated_from_test_pair(&s, &[], "after the rerun"),
        kid
    );
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

// Unix-only: a 0300 directory, owners, and a run as another user (`setpriv`).
#[cfg(unix)]
#[test]
fn fail_finding_02_a_directory_that_cannot_be_flushed_is_refused_before_anything_is_written() {
    // A non-root user in a 0300 directory (write and search, no read: it
    // cannot be opened to flush it), with the keys elsewhere.
    let s = open_scratch();
    let owner = (NOBODY, NOBODY);
    owned_dir(&s, "conf", owner, 0o755);
    let conf = owned_sample(&s, "conf/confserv.conf", owner, 0o644);
    set_mode(&s.path("conf"), 0o300);
    let keys = owned_dir(&s, "keys", owner, 0o700);
    let (enc, dec) = (keys.join("enc.pem"), keys.join("dec.pem"));
    let before = tree(s.dir.path());
    let out = Run::as_user(
        &s,
        owner,
        &[
            "-p",
            "--bits",
            "2048",
            "-c",
            &conf,
            "-keys",
            enc.to_str().unwrap(),
            dec.to_str().unwrap(),
        ],
    )
    .exit(6);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(
        stderr(&out).contains("directory"),
        "the message names the directory: {}",
        stderr(&out)
    );
    assert_unchanged(&s, &before, "refused upfront");
    assert_starts(&s.path(&conf), SAMPLE_PASSWORD);
}

// ---------------------------------------- 3. a new enc.pem without dec.pem

#[test]
fn fail_finding_03_a_failed_commit_on_a_fresh_install_leaves_no_key_file() {
    let s = sample();
    let before = tree(s.dir.path());
    let out = Run::new(&s, &["-p", "--bits", "2048", "--json"])
        .fail_at("rename:config:EIO")
        .exit(6);
    assert_committed(&out, false);
    assert_unchanged(&s, &before, "a failed commit");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn fail_finding_03_a_kill_during_cleanup_leaves_the_private_key_and_the_rerun_completes() {
    let s = sample();
    let original = s.read(CONF);
    Run::new(&s, &["-p", "--bits", "2048"])
        .fail_at("rename:config:EIO")
        .paused_at("cleanup-enc-removed")
        .kill();

    // dec.pem alone (never enc.pem alone); the configuration as it was.
    assert!(s.read(CONF) == original, "the configuration is unchanged");
    let left: Vec<String> = s
        .snapshot()
        .into_keys()
        .map(|p| p.display().to_string())
        .filter(|name| !name.ends_with(".tmp"))
        .collect();
    assert_eq!(left, [CONF, "dec.pem"]);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("dec.pem"), 0o600);
    let dec = s.read("dec.pem");
    DecryptionKey::load(&s.path("dec.pem")).expect("dec.pem is a whole private key");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);

    // The rerun derives enc.pem from it and encrypts for that key.
    Run::new(&s, &["-p", "--bits", "2048"]).exit(0);
    assert_files(&s, &ONE_PAIR, "after the rerun");
    assert!(s.read("dec.pem") == dec, "the rerun kept dec.pem");
    let kid = pair_kid(&s.path("dec.pem"), &s.path("enc.pem"));
    assert_eq!(value_kid(&s.path(CONF)), kid);
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

// ------------------------------- 4. two configurations share one key pair

const PASSWORD_B: &str = "B-pass;#1";
const PASSWORD_B2: &str = "B-pass;#2 re-encrypted";

/// The file names (last components) in a JSON list of paths, sorted.
fn file_names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("a list of paths: {list}"))
        .iter()
        .map(|p| {
            let path = Path::new(p.as_str().expect("a path"));
            path.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Both configurations start with their passwords.
fn assert_both_start(s: &Scratch, b_password: &str) {
    assert_starts(&s.path("a.conf"), SAMPLE_PASSWORD);
    assert_starts(&s.path("b.conf"), b_password);
}

#[test]
fn finding_04_two_configurations_sharing_a_key_pair_both_keep_starting() {
    let s = Scratch::new();
    let sample_text = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    s.write("a.conf", sample_text.as_bytes());
    s.write(
        "b.conf",
        sample_text.replace(SAMPLE_PASSWORD, PASSWORD_B).as_bytes(),
    );
    #[cfg(unix)] // Unix-only: file modes.
    {
        set_mode(&s.path("a.conf"), 0o640);
        set_mode(&s.path("b.conf"), 0o640);
    }

    // Two overlapping first runs: a's is paused after writing dec.pem, b's waits.
    let a = Run::new(&s, &["-p", "--bits", "2048", "-c", "a.conf"]).paused_at("dec-written");
    let b = Run::new(&s, &["-p", "--bits", "2048", "-c", "b.conf"]).waiting_on_lock();
    a.resume().exit(0);
    b.exit(0);
    let first = pair_kid(&s.path("dec.pem"), &s.path("enc.pem"));
    assert_eq!(value_kid(&s.path("a.conf")), first);
    assert_eq!(value_kid(&s.path("b.conf")), first);
    let pair = [
        ("a.conf", 0o640),
        ("b.conf", 0o640),
        ("dec.pem", 0o600),
        ("enc.pem", 0o644),
    ];
    assert_files(&s, &pair, "after both first runs");
    assert_both_start(&s, PASSWORD_B);

    // Rotating a.conf retires the key b.conf still names.
    Run::new(&s, &["--rotate-keys", "--bits", "2048", "-c", "a.conf"]).exit(0);
    let second = pair_kid(&s.path("dec.pem"), &s.path("enc.pem"));
    assert_ne!(second, first);
    assert_eq!(value_kid(&s.path("a.conf")), second);
    assert_eq!(value_kid(&s.path("b.conf")), first);
    let [dec_retired, enc_retired] = retired(&first);
    let mut with_retired = pair.to_vec();
    with_retired.extend([(dec_retired.as_str(), 0o600), (enc_retired.as_str(), 0o644)]);
    assert_files(&s, &with_retired, "after the rotation of a.conf");
    assert_both_start(&s, PASSWORD_B);

    // Pruning with both configurations keeps (and lists) the key b.conf names.
    let before = tree(s.dir.path());
    let prune = ["--prune-keys", "-c", "a.conf", "-c", "b.conf", "--json"];
    let kept = json(&Run::new(&s, &prune).exit(0));
    assert_eq!(
        file_names(&kept["kept"]),
        [dec_retired.as_str(), enc_retired.as_str()],
        "{kept}"
    );
    assert_eq!(kept["removed"], serde_json::json!([]), "{kept}");
    assert_unchanged(&s, &before, "a prune with every configuration named");
    assert_both_start(&s, PASSWORD_B);

    // Once b.conf is re-encrypted for the current pair, the retired key goes.
    Run::new(&s, &["-p", "--password-stdin", "-c", "b.conf"])
        .password(PASSWORD_B2)
        .exit(0);
    assert_eq!(value_kid(&s.path("b.conf")), second);
    let current = (s.read("dec.pem"), s.read("enc.pem"));
    let pruned = json(&Run::new(&s, &prune).exit(0));
    assert_eq!(
        file_names(&pruned["removed"]),
        [dec_retired.as_str(), enc_retired.as_str()],
        "{pruned}"
    );
    assert_files(&s, &pair, "after the last prune");
    assert!(
        (s.read("dec.pem"), s.read("enc.pem")) == current,
        "the current pair stays"
    );
    assert_both_start(&s, PASSWORD_B2);
}

// ----------------------------- 5. a file moved into place while a run waits

const PASSWORD_A: &str = "first run's;#pw";
const PASSWORD_WAITING: &str = "second run's;#pw";
const PASSWORD_ADMIN: &str = "admin typed this";

#[test]
fn finding_05_a_file_moved_into_place_while_a_run_waits_is_neither_lost_nor_overwritten() {
    let s = sample_with_test_keys();
    let a = Run::new(&s, &["-p", "--password-stdin"])
        .password(PASSWORD_A)
        .paused_at("temp-written");
    let b = Run::new(&s, &["-p", "--password-stdin"])
        .password(PASSWORD_WAITING)
        .waiting_on_lock();

    // The administrator's edit: another option changed, a plain password.
    let edited = s
        .read_str(CONF)
        .replace("port = 5432", "port = 6543")
        .replace(SAMPLE_PASSWORD, PASSWORD_ADMIN);
    assert!(edited.contains("encryption = false"));
    s.write("confserv.conf.new", edited.as_bytes());
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("confserv.conf.new"), 0o640);
    fs::rename(s.path("confserv.conf.new"), s.path(CONF)).unwrap();

    let stale = a.resume().exit(6);
    assert!(
        stderr(&stale).contains("changed"),
        "A says the file changed while it ran: {}",
        stderr(&stale)
    );
    b.exit(0);
    assert!(s.read_str(CONF).contains("port = 6543"));
    assert_encrypted_with_test_pair(&s, &edited, PASSWORD_WAITING, &[], "after both runs");
}

// ---------------------------- 6. files confpass did not create are kept

#[test]
fn finding_06_rotation_keeps_a_users_backup_and_ignores_junk_named_after_the_key() {
    let s = encrypted_sample();
    let (backup, junk) = (format!("dec.{TEST_KID}.pem"), format!("enc.{TEST_KID}.pem"));
    fs::copy(s.path("dec.pem"), s.path(&backup)).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path(&backup), 0o600);
    s.write(
        &junk,
        b"not a key, just a file the administrator left here\n",
    );
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path(&junk), 0o644);
    let (backup_bytes, junk_bytes) = (s.read(&backup), s.read(&junk));

    let out = json(&Run::new(&s, &["--rotate-keys", "--bits", "2048", "--json"]).exit(0));
    assert_eq!(out["action"], "rotated");
    let extra = [(backup.as_str(), 0o600), (junk.as_str(), 0o644)];
    let kid = assert_rotated_from_test_pair(&s, &extra, "after the rotation");
    assert_eq!(out["key_id"], kid.as_str());
    assert!(s.read(&backup) == backup_bytes, "{backup} is untouched");
    assert!(s.read(&junk) == junk_bytes, "{junk} is untouched");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn fail_finding_06_a_foreign_file_at_the_retired_name_stops_the_rotation() {
    let other_key = fs::read(testdata("keys/other-dec.pem")).unwrap();
    for content in [other_key.as_slice(), b"junk\n".as_slice()] {
        let s = encrypted_sample();
        let [dec_retired, _] = retired(TEST_KID);
        s.write(&dec_retired, content);
        #[cfg(unix)] // Unix-only: file modes.
        set_mode(&s.path(&dec_retired), 0o600);
        let before = tree(s.dir.path());
        Run::new(&s, &["--rotate-keys", "--bits", "2048"]).exit(4);
        assert_unchanged(&s, &before, "a refused rotation");
        assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
    }
}

// ------------------------------------------------ 7. -keys paths read back

#[test]
fn fail_finding_07_a_key_path_with_a_trailing_space_is_refused() {
    let s = sample();
    let dir = s.dir.path().display().to_string();
    let (enc, dec) = (format!("{dir}/enc.pem"), format!("{dir}/dec.pem "));
    let before = tree(s.dir.path());
    let out = Run::new(&s, &["-p", "--bits", "2048", "-keys", &enc, &dec])
        .spawn()
        .finish();
    assert!(
        matches!(out.status.code(), Some(2 | 3)),
        "expected exit 2 or 3: {}",
        all_output(&out)
    );
    assert!(
        stderr(&out).contains("space"),
        "the message says what is wrong with the path: {}",
        stderr(&out)
    );
    assert_unchanged(&s, &before, "a refused -keys path");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn finding_07_a_key_pair_elsewhere_is_found_by_the_start_up_call() {
    let s = sample();
    fs::create_dir(s.path("keys")).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("keys"), 0o700);
    let (enc, dec) = (s.path("keys/enc.pem"), s.path("keys/dec.pem"));
    let original = s.read_str(CONF);
    Run::new(
        &s,
        &[
            "-p",
            "--bits",
            "2048",
            "-keys",
            enc.to_str().unwrap(),
            dec.to_str().unwrap(),
        ],
    )
    .exit(0);
    assert_encrypted_edit_of(&original, &s.path(CONF));
    assert_eq!(
        value_of(&s.read_str(CONF), "decryption-key").as_deref(),
        dec.to_str(),
        "decryption-key names the key file exactly"
    );
    assert_eq!(value_kid(&s.path(CONF)), pair_kid(&dec, &enc));
    assert_files(
        &s,
        &[
            (CONF, 0o640),
            ("keys/dec.pem", 0o600),
            ("keys/enc.pem", 0o644),
        ],
        "after -p with -keys",
    );
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
    let reveal = Run::new(&s, &["--reveal"]).exit(0);
    assert!(reveal.stdout == format!("{SAMPLE_PASSWORD}\n").as_bytes());
}

// ------------------------------------------- 8. owners, ACLs and attributes

// Unix-only: owners (uid/gid 65534) and a run as another user (`setpriv`).
#[cfg(unix)]
#[test]
fn finding_08_keys_made_by_root_belong_to_the_configurations_owner() {
    let s = open_scratch();
    let service = (NOBODY, NOBODY);
    owned_dir(&s, "svc", service, 0o755);
    let conf = owned_sample(&s, "svc/confserv.conf", service, 0o640);
    let original = s.read_str(&conf);
    Run::new(&s, &["-p", "--bits", "2048", "-c", &conf]).exit(0);

    assert_eq!(owner_and_mode(&s.path(&conf)), (NOBODY, NOBODY, 0o640));
    assert_eq!(
        owner_and_mode(&s.path("svc/dec.pem")),
        (NOBODY, NOBODY, 0o600)
    );
    assert_eq!(
        owner_and_mode(&s.path("svc/enc.pem")),
        (NOBODY, NOBODY, 0o644)
    );
    assert_files(
        &s,
        &[
            (conf.as_str(), 0o640),
            ("svc/dec.pem", 0o600),
            ("svc/enc.pem", 0o644),
        ],
        "after -p as root",
    );
    assert_encrypted_edit_of(&original, &s.path(&conf));
    assert_eq!(
        value_kid(&s.path(&conf)),
        pair_kid(&s.path("svc/dec.pem"), &s.path("svc/enc.pem"))
    );
    assert_starts(&s.path(&conf), SAMPLE_PASSWORD);
    let reveal = Run::as_user(&s, service, &["--reveal", "-c", &conf]).exit(0);
    assert!(
        reveal.stdout == format!("{SAMPLE_PASSWORD}\n").as_bytes(),
        "the service user reads its password back"
    );
}

// Unix-only: owners, groups and a run as another user (`setpriv`).
#[cfg(unix)]
#[test]
fn fail_finding_08_a_group_member_cannot_take_over_the_file() {
    let s = open_scratch();
    let group = (0, USERS);
    owned_dir(&s, "grp", group, 0o770);
    let conf = owned_sample(&s, "grp/confserv.conf", group, 0o660);
    let before = tree(s.dir.path());
    let out = Run::as_user(&s, (NOBODY, USERS), &["-p", "--bits", "2048", "-c", &conf]).exit(6);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(
        stderr(&out).contains("owner"),
        "the message says the owner cannot be kept: {}",
        stderr(&out)
    );
    assert_unchanged(&s, &before, "a rewrite that cannot keep the owner");
    assert_starts(&s.path(&conf), SAMPLE_PASSWORD);
}

/// Whether `tool` is on PATH; under CI a missing tool fails the test.
#[cfg(unix)]
fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v \"$0\"", tool])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing under CI (install the Debian packages acl and attr)"
        );
        println!("skipped: {tool} is not installed (Debian packages acl and attr)");
    }
    found
}

/// The output of a tool run on the configuration file, in the scratch directory.
#[cfg(unix)]
fn tool_output(s: &Scratch, tool: &str, args: &[&str]) -> String {
    let out = Run::program(s.dir.path(), tool, args).spawn().finish();
    assert_exit(&out, 0);
    stdout(&out)
}

// Unix-only: POSIX ACLs and extended attributes (setfacl, setfattr).
#[cfg(unix)]
#[test]
fn finding_08_acls_and_extended_attributes_are_kept() {
    if !["setfacl", "getfacl", "setfattr", "getfattr"]
        .iter()
        .all(|t| have_tool(t))
    {
        return;
    }
    let s = sample_with_test_keys();
    tool_output(&s, "setfacl", &["-m", "u:65534:r", CONF]);
    tool_output(
        &s,
        "setfattr",
        &["-n", "user.confpass.test", "-v", "keep", CONF],
    );
    let acl = tool_output(&s, "getfacl", &[CONF]);
    let attrs = tool_output(&s, "getfattr", &["-d", "-m", "-", CONF]);
    assert!(
        acl.contains("user:nobody:r--") || acl.contains("user:65534:r--"),
        "{acl}"
    );
    assert!(attrs.contains("user.confpass.test=\"keep\""), "{attrs}");
    let original = s.read_str(CONF);
    let owner = owner_and_mode(&s.path(CONF));

    Run::new(&s, &["-p"]).exit(0);
    assert_eq!(tool_output(&s, "getfacl", &[CONF]), acl, "the ACL is kept");
    assert_eq!(
        tool_output(&s, "getfattr", &["-d", "-m", "-", CONF]),
        attrs,
        "every extended attribute is kept"
    );
    assert_eq!(owner_and_mode(&s.path(CONF)), owner);
    assert_encrypted_with_test_pair(&s, &original, SAMPLE_PASSWORD, &[], "after -p");
}

// ------------------------------------------------------------ 9. core dumps

#[cfg(unix)]
const CORE_PASSWORD: &str = "c0re-dump-secret;#";
/// Raises the core size limit, then runs the program ($0) with its arguments.
#[cfg(unix)]
const UNLIMITED_CORE: &str = "ulimit -c unlimited; exec \"$0\" \"$@\"";

/// Whether the kernel writes core files by a plain relative name (`core`,
/// `core.%p`, ...) into the crashing process's working directory.
#[cfg(unix)]
fn cores_land_in_the_cwd() -> bool {
    let pattern = fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    !pattern.is_empty() && !pattern.starts_with('|') && !pattern.contains('/')
}

/// The soft and hard limits of "Max core file size" in /proc/<pid>/limits.
#[cfg(unix)]
fn core_limits(pid: u32) -> Vec<String> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("a core size line");
    line["Max core file size".len()..]
        .split_whitespace()
        .take(2)
        .map(str::to_owned)
        .collect()
}

/// The name of a process's program (/proc/<pid>/comm).
#[cfg(unix)]
fn comm_is(pid: u32, name: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
}

// Unix-only: core dumps, signals (SIGABRT, SIGQUIT), `ulimit -c` and /proc.
#[cfg(unix)]
#[test]
fn finding_09_a_crash_while_holding_the_password_leaves_no_core_file() {
    let cores = cores_land_in_the_cwd();
    if cores {
        // Control: the same wrapper around `sleep` does leave a core file.
        let control = Scratch::new();
        let mut sleeper = Run::program(
            control.dir.path(),
            "bash",
            &["-c", UNLIMITED_CORE, "sleep", "60"],
        )
        .spawn();
        sleeper.wait_until("sleep started", |pid| comm_is(pid, "sleep"));
        sleeper.signal("ABRT");
        assert_eq!(sleeper.finish().status.signal(), Some(6));
        assert!(
            !control.snapshot().is_empty(),
            "control: SIGABRT under `ulimit -c unlimited` writes a core file here"
        );
    } else {
        println!("core_pattern is not a plain name: checking the process's core limit only");
    }

    let s = sample();
    let before = tree(s.dir.path());
    for signal in ["ABRT", "QUIT"] {
        let args = [
            "-c",
            UNLIMITED_CORE,
            BIN,
            "-p",
            "--password-stdin",
            "--bits",
            "2048",
        ];
        // Paused with the password read (and the key made).
        let mut run = Run::program(s.dir.path(), "bash", &args)
            .password(CORE_PASSWORD)
            .paused_at("keys-generated");
        assert_eq!(
            core_limits(run.pid()),
            ["0", "0"],
            "RLIMIT_CORE is 0 (SIG{signal})"
        );
        let out = run.signal_and_finish(signal);
        assert!(!out.status.success(), "SIG{signal} ends the run");
        assert_no_password(&out, CORE_PASSWORD);
        // No core file, nor any other new file (so none holds the password).
        assert_unchanged(&s, &before, &format!("after SIG{signal}"));
        for (path, (bytes, _)) in s.snapshot() {
            assert!(
                !bytes
                    .windows(CORE_PASSWORD.len())
                    .any(|w| w == CORE_PASSWORD.as_bytes()),
                "{} holds the password",
                path.display()
            );
        }
    }
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

// Unix-only: dumpability seen through /proc, and a run as another user (`setpriv`).
#[cfg(unix)]
#[test]
fn finding_09_a_run_as_another_user_is_not_dumpable() {
    let s = open_scratch();
    let service = (NOBODY, NOBODY);
    owned_dir(&s, "svc", service, 0o755);
    let conf = owned_sample(&s, "svc/confserv.conf", service, 0o640);
    let before = tree(s.dir.path());

    // Control: a dumpable process of that user owns its /proc files.
    let mut sleeper = Run::setpriv(s.dir.path(), service, "sleep", &["60"]).spawn();
    sleeper.wait_until("sleep started", |pid| comm_is(pid, "sleep"));
    let environ = |pid: u32| fs::metadata(format!("/proc/{pid}/environ")).unwrap().uid();
    assert_eq!(
        environ(sleeper.pid()),
        NOBODY,
        "control: /proc/<pid>/environ of sleep"
    );
    sleeper.kill();

    let mut run = Run::as_user(&s, service, &["-p", "--bits", "2048", "-c", &conf])
        .paused_at("keys-generated");
    assert_eq!(
        environ(run.pid()),
        0,
        "confpass is not dumpable: its /proc files belong to root"
    );
    run.kill();
    assert_unchanged(&s, &before, "a run killed before writing");
    assert_starts(&s.path(&conf), SAMPLE_PASSWORD);
}

// ---------------------------------------------------------- 10. the rest

/// Drives the program on a pseudo-terminal: waits until the terminal's ECHO
/// flag is off, types the password (from the environment), and prints the
/// whole transcript; exits with the program's exit code (99: echo stayed on).
const PTY_DRIVER: &str = r#"
import os, pty, sys, termios, time
password = os.environ.pop("PTY_PASSWORD").encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
deadline = time.monotonic() + 20
while termios.tcgetattr(fd)[3] & termios.ECHO:
    if time.monotonic() > deadline:
        sys.stderr.write("echo was never turned off\n")
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        sys.exit(99)
    time.sleep(0.01)
os.write(fd, password + b"\n")
transcript = b""
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    transcript += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(transcript)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

const TYPED_PASSWORD: &str = "typed at a terminal;#1";

#[test]
// Unix-only: a pseudo-terminal through Python's `pty` and `termios`.
#[cfg_attr(not(unix), ignore = "a pseudo-terminal through Python's pty")]
fn finding_10_password_stdin_on_a_terminal_does_not_echo() {
    let s = sample_with_test_keys();
    let original = s.read_str(CONF);
    let out = Run::program(
        s.dir.path(),
        "python3",
        &["-c", PTY_DRIVER, BIN, "-p", "--password-stdin"],
    )
    .env("PTY_PASSWORD", TYPED_PASSWORD)
    .exit(0);
    assert_no_password(&out, TYPED_PASSWORD);
    assert_encrypted_with_test_pair(&s, &original, TYPED_PASSWORD, &[], "after -p on a terminal");
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// The start-up call on `conf`, in a thread: its error, or a failure if it
/// succeeds or does not return within [`BOUND`].
fn startup_error_within_bound(conf: &Path) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    let conf = conf.to_path_buf();
    std::thread::spawn(move || {
        let result = confpass::database_password(&conf, "confserv").map(|_| ());
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(BOUND) {
        Ok(Err(message)) => message,
        Ok(Ok(())) => panic!("the start-up call succeeded on a FIFO"),
        Err(_) => panic!("the start-up call did not return within {BOUND:?}"),
    }
}

#[test]
// Unix-only: FIFOs (`mkfifo`).
#[cfg_attr(not(unix), ignore = "FIFOs (mkfifo)")]
fn fail_finding_10_a_fifo_as_the_configuration_or_the_key_is_refused_without_blocking() {
    let s = Scratch::new();
    s.install_keys("test");
    mkfifo(&s.path(CONF));
    let before = tree(s.dir.path());
    for args in [&["--check"][..], &["--reveal"], &["-p"]] {
        Run::new(&s, args).exit(3);
        assert_unchanged(&s, &before, &format!("{args:?} on a FIFO configuration"));
    }
    startup_error_within_bound(&s.path(CONF));

    let s = encrypted_sample();
    fs::remove_file(s.path("dec.pem")).unwrap();
    mkfifo(&s.path("dec.pem"));
    let before = tree(s.dir.path());
    for args in [&["--check"][..], &["--reveal"]] {
        Run::new(&s, args).exit(4);
        assert_unchanged(&s, &before, &format!("{args:?} with a FIFO dec.pem"));
    }
    startup_error_within_bound(&s.path(CONF));
}

#[test]
fn finding_10_temporary_files_of_a_killed_run_are_removed_by_the_next_run() {
    let s = encrypted_sample();
    // What a run killed mid-write leaves: a staged private key's temporary
    // file, and the configuration's (holding the plain password).
    let staged_tmp = ".dec.staged-0123456789abcdef.pem.confpass-AbC123.tmp";
    s.install_key("other-dec.pem", staged_tmp);
    let conf_name = s.path(CONF).file_name().unwrap().to_owned();
    let conf_tmp = format!(".{}.confpass-XyZ789.tmp", conf_name.to_str().unwrap());
    fs::copy(testdata("sample/confserv.conf"), s.path(&conf_tmp)).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path(&conf_tmp), 0o600);

    Run::new(&s, &["--rotate-keys", "--bits", "2048"]).exit(0);
    assert_rotated_from_test_pair(&s, &[], "after the next run");
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn finding_10_a_hard_linked_configuration_is_warned_about() {
    for json_output in [false, true] {
        let s = sample_with_test_keys();
        fs::hard_link(s.path(CONF), s.path("other-name.conf")).unwrap();
        let original = s.read_str(CONF);
        let mut args = vec!["-p"];
        if json_output {
            args.push("--json");
        }
        let out = Run::new(&s, &args).exit(0);
        if json_output {
            let warnings = json(&out)["warnings"].to_string();
            assert!(warnings.contains("hard link"), "JSON warnings: {warnings}");
        } else {
            let err = stderr(&out);
            assert!(
                err.lines()
                    .any(|l| l.starts_with("confpass: warning:") && l.contains("hard link")),
                "stderr: {err}"
            );
        }
        // The other name keeps the old inode, plain: that is what the warning is for.
        assert!(s.read_str("other-name.conf") == original);
        let other = [("other-name.conf", 0o640)];
        assert_encrypted_with_test_pair(&s, &original, SAMPLE_PASSWORD, &other, "hard link");
    }
}

// --------------------------------- 11. -p DBSECTION and the `server` option

/// A run of `-p DBSECTION` refused with exit 3, everything unchanged; its stderr.
fn refused_db_section(s: &Scratch, db: &str) -> String {
    let before = tree(s.dir.path());
    let out = Run::new(s, &["-p", db]).exit(3);
    assert_unchanged(s, &before, &format!("-p {db} refused"));
    stderr(&out)
}

#[test]
fn fail_finding_11_p_dbsection_other_than_the_server_option_is_refused() {
    let s = sample_with_test_keys();
    let mut text = s.read(CONF);
    text.extend_from_slice(b"\n[otherdb]\npassword = other;pw\n");
    s.write(CONF, &text);
    let err = refused_db_section(&s, "otherdb");
    assert!(
        err.contains("`server`") || err.contains("server ="),
        "the message names the server option: {err}"
    );
    assert_starts(&s.path(CONF), SAMPLE_PASSWORD);
}

#[test]
fn fail_finding_11_p_dbsection_without_a_server_option_says_to_add_it() {
    let s = Scratch::with_config(b"[confserv]\nencryption = false\n\n[db]\npassword = x;pw\n");
    s.install_keys("test");
    let err = refused_db_section(&s, "db");
    // The option to add, naming the section given after -p.
    assert!(
        err.contains("add `server = db` to [confserv]"),
        "the message says what to add: {err}"
    );
    // As before the run: the server cannot find its database section.
    assert!(confpass::database_password(s.path(CONF), "confserv").is_err());
}

#[test]
fn finding_11_p_dbsection_naming_the_server_option_in_another_case_works() {
    let s = sample_with_test_keys();
    let original = s.read_str(CONF);
    Run::new(&s, &["-p", "DBSERVER"]).exit(0);
    assert_encrypted_with_test_pair(&s, &original, SAMPLE_PASSWORD, &[], "after -p DBSERVER");
}
