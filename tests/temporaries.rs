//! Only confpass's own temporaries are removed (issue 19, item 5; finding 9):
//! every writing run removes what killed runs left beside the configuration
//! file and its key pair, and must never take an administrator's file for
//! such a leftover. confpass names its temporaries
//! `.<name>.confpass-XXXXXX.tmp`, and a run removes a file only when it is a
//! regular file (not a symlink, not a directory) of exactly that name, for
//! the configuration file or a name of its key pair, and, beside the key
//! files, only when it holds nothing or the start of a PEM block confpass
//! writes. These tests run the real binary on real files: an administrator's
//! `.dec.pem.backup.tmp` and old-style names survive byte for byte; a run
//! killed at a pause point (`CONFPASS_TEST_PAUSE_AT`, debug builds) leaves a
//! marker-named temporary that the next run removes; marker-named files
//! holding anything else, symlinks and directories are left alone.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::*;

type Snapshot = BTreeMap<PathBuf, (Vec<u8>, u32)>;

/// A new password for the run that is killed (never in any output).
const NEW_PASSWORD: &str = "n3w;temp=pw";

/// The shipped sample with the test key pair, encrypted by `-p`.
fn encrypted() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("enc.pem"), 0o644);
    Run::new(&s, &["-p"]).exit(0);
    assert!(
        value_of(&s.read_str("confserv.conf"), "password").is_some_and(|v| v.starts_with("ENC[")),
        "the sample is encrypted"
    );
    s
}

/// The name confpass gives a temporary file of `target`:
/// `.<target>.confpass-<random>.tmp`.
fn marker_name(target: &str, random: &str) -> String {
    format!(".{target}.confpass-{random}.tmp")
}

/// Whether `name` is a temporary confpass made for `target`: the marker and
/// six ASCII letters or digits.
fn is_marker_temp(name: &str, target: &str) -> bool {
    name.strip_prefix(&format!(".{target}.confpass-"))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|random| {
            random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Writes `bytes` as `name` in `s`, with mode `mode` on Unix.
fn put(s: &Scratch, name: &str, bytes: &[u8], mode: u32) {
    s.write(name, bytes);
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path(name), mode);
    #[cfg(not(unix))]
    let _ = mode;
}

/// A `-p` that has nothing to change: exit 0, action `unchanged`.
fn p_unchanged(s: &Scratch) {
    let out = Run::new(s, &["-p", "--json"]).exit(0);
    let v = json(&out);
    assert_eq!(v["action"], "unchanged", "{}", stdout(&out));
    assert_eq!(v["changed"], false, "{}", stdout(&out));
}

/// Panics unless `after` is `before`, file for file, byte for byte, mode for
/// mode; names the files that differ, never their bytes.
fn assert_same(before: &Snapshot, after: &Snapshot, ctx: &str) {
    let mut differ = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            None => differ.push(format!("{} removed", path.display())),
            Some(new) if new.0 != old.0 => differ.push(format!("{} bytes", path.display())),
            Some(new) if new.1 != old.1 => differ.push(format!(
                "{} mode {:o} -> {:o}",
                path.display(),
                old.1,
                new.1
            )),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        differ.push(format!("{} created", path.display()));
    }
    assert!(differ.is_empty(), "{ctx}: files changed: {differ:?}");
}

/// `snap` without the files `names`.
fn without(snap: &Snapshot, names: &[&str]) -> Snapshot {
    let mut snap = snap.clone();
    for name in names {
        assert!(
            snap.remove(Path::new(name)).is_some(),
            "{name} is in the snapshot"
        );
    }
    snap
}

/// A symbolic link `link` to `target` (a file).
fn symlink(target: &Path, link: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, link).unwrap();
    #[cfg(windows)]
    std::os::windows::fs::symlink_file(target, link).unwrap();
}

#[test]
fn finding_9_an_administrators_tmp_files_survive_a_p_that_changes_nothing() {
    let s = encrypted();
    let dec = s.read("dec.pem");
    let conf = s.read("confserv.conf");
    let plain = fs::read(testdata("sample/confserv.conf")).unwrap();
    // An administrator's copies: of the private key, of the configuration
    // as it was before encryption, and two files whose names have the shape
    // of confpass's old temporaries (`.<name>.XXXXXX.tmp`).
    let backups = [
        (".dec.pem.backup.tmp".to_owned(), &dec, 0o600),
        (format!(".{CONF}.before.tmp"), &plain, 0o640),
        (format!(".{CONF}.a1B2c3.tmp"), &conf, 0o640),
        (".dec.pem.Xy12ab.tmp".to_owned(), &dec, 0o600),
    ];
    for (name, bytes, mode) in &backups {
        put(&s, name, bytes, *mode);
    }
    let before = s.snapshot();

    p_unchanged(&s);

    assert_same(&before, &s.snapshot(), "after a -p that changes nothing");
    for (name, bytes, _) in &backups {
        assert!(s.read(name) == **bytes, "{name} is byte for byte as it was");
    }
}

#[test]
fn an_administrators_tmp_files_survive_a_password_and_a_key_rotation() {
    let s = encrypted();
    let dec = s.read("dec.pem");
    let plain = fs::read(testdata("sample/confserv.conf")).unwrap();
    let backups = [
        (".dec.pem.backup.tmp".to_owned(), dec.clone(), 0o600),
        (".enc.pem.Qw34Er.tmp".to_owned(), s.read("enc.pem"), 0o644),
        (format!(".{CONF}.before.tmp"), plain, 0o640),
        (".dec.pem.Xy12ab.tmp".to_owned(), dec, 0o600),
    ];
    for (name, bytes, mode) in &backups {
        put(&s, name, bytes, *mode);
    }
    Run::new(&s, &["-p", "--password-stdin"])
        .password(NEW_PASSWORD)
        .never_showing(&[NEW_PASSWORD, SAMPLE_PASSWORD])
        .exit(0);
    Run::new(&s, &["--rotate-keys", "--bits", "2048"]).exit(0);
    let after = s.snapshot();
    for (name, bytes, mode) in &backups {
        let got = after
            .get(Path::new(name))
            .unwrap_or_else(|| panic!("{name} was removed"));
        assert!(got.0 == *bytes, "{name} is byte for byte as it was");
        if cfg!(unix) {
            assert_eq!(got.1, *mode, "mode of {name}");
        }
    }
}

#[test]
fn a_killed_runs_temporary_has_the_marker_and_the_next_run_removes_it() {
    let s = encrypted();
    let before = s.snapshot();
    // Killed with its replacement written and flushed, before the commit.
    Run::new(&s, &["-p", "--password-stdin"])
        .password(NEW_PASSWORD)
        .never_showing(&[NEW_PASSWORD, SAMPLE_PASSWORD])
        .paused_at("temp-written")
        .kill();

    let after_kill = s.snapshot();
    let left: Vec<String> = after_kill
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|n| !before.contains_key(Path::new(n)))
        .collect();
    assert_eq!(left.len(), 1, "one file left by the killed run: {left:?}");
    assert!(
        is_marker_temp(&left[0], CONF),
        "the killed run's temporary is named .{CONF}.confpass-XXXXXX.tmp: {}",
        left[0]
    );
    assert_same(
        &before,
        &without(&after_kill, &[&left[0]]),
        "the killed run changed nothing else",
    );

    // The next run, which has nothing to change, removes it.
    p_unchanged(&s);
    assert_same(&before, &s.snapshot(), "after the next run");
}

#[test]
fn key_temporaries_holding_nothing_or_a_cut_short_key_are_removed() {
    let s = encrypted();
    let before = s.snapshot();
    let dec = s.read("dec.pem");
    let enc = s.read("enc.pem");
    // What a run killed while writing a key file would leave: nothing yet,
    // part of the first line, part of the key, the whole key.
    let leftovers = [
        (marker_name("dec.pem", "Ab12Cd"), Vec::new(), 0o600),
        (marker_name("dec.pem", "Ef34Gh"), dec[..15].to_vec(), 0o600),
        (marker_name("dec.pem", "Ij56Kl"), dec[..200].to_vec(), 0o600),
        (marker_name("enc.pem", "Mn78Op"), enc.clone(), 0o644),
        (
            marker_name(&format!("dec.staged-{TEST_KID}.pem"), "Qr90St"),
            dec.clone(),
            0o600,
        ),
    ];
    for (name, bytes, mode) in &leftovers {
        put(&s, name, bytes, *mode);
    }

    p_unchanged(&s);

    assert_same(&before, &s.snapshot(), "after the next run");
}

#[test]
fn fail_a_marker_named_file_holding_anything_else_beside_the_keys_is_left_alone() {
    let s = encrypted();
    // Marker-named, but not what confpass writes to a key file: an
    // administrator's notes, a PKCS#1 key, a configuration, and the
    // temporary of a file that is neither the configuration nor its keys.
    let kept = [
        (
            marker_name("dec.pem", "Ab12Cd"),
            b"my notes on dec.pem\n".to_vec(),
        ),
        (
            marker_name("dec.pem", "Ef34Gh"),
            fs::read(testdata("keys/pkcs1-dec.pem")).unwrap(),
        ),
        (marker_name("enc.pem", "Ij56Kl"), s.read("confserv.conf")),
        (marker_name("other.pem", "Mn78Op"), Vec::new()),
        (marker_name("other.conf", "Qr90St"), s.read("confserv.conf")),
    ];
    for (name, bytes) in &kept {
        put(&s, name, bytes, 0o600);
    }
    // A marker-named directory, with a file in it.
    let dir = marker_name("dec.pem", "Uv12Wx");
    fs::create_dir(s.path(&dir)).unwrap();
    put(&s, &format!("{dir}/dec.pem"), &s.read("dec.pem"), 0o600);
    let before = s.snapshot();

    p_unchanged(&s);

    assert_same(&before, &s.snapshot(), "after a -p that changes nothing");
    assert!(s.path(&dir).is_dir(), "{dir} is still a directory");
}

#[test]
// Unix-only: symlinks (Windows needs a privilege to make one).
#[cfg_attr(not(unix), ignore = "symlinks need a privilege on Windows")]
fn fail_a_marker_named_symlink_is_left_alone() {
    let s = encrypted();
    let outside = Scratch::new();
    outside.write("notes", b"an administrator's file elsewhere\n");
    // Symlinks of the marker's name, to a key file, to an empty file, to a
    // file outside the directory, and one that points nowhere.
    put(&s, "empty", b"", 0o600);
    let links = [
        (marker_name("dec.pem", "Ab12Cd"), s.path("dec.pem")),
        (marker_name("enc.pem", "Ef34Gh"), s.path("empty")),
        (marker_name(CONF, "Ij56Kl"), outside.path("notes")),
        (marker_name(CONF, "Mn78Op"), s.path("nowhere")),
    ];
    for (name, target) in &links {
        symlink(target, &s.path(name));
    }
    let before = s.snapshot();
    let outside_before = outside.snapshot();

    p_unchanged(&s);

    for (name, target) in &links {
        let meta = fs::symlink_metadata(s.path(name))
            .unwrap_or_else(|e| panic!("{name} was removed: {e}"));
        assert!(meta.file_type().is_symlink(), "{name} is still a symlink");
        assert_eq!(&fs::read_link(s.path(name)).unwrap(), target, "{name}");
    }
    assert_same(&before, &s.snapshot(), "after a -p that changes nothing");
    assert_same(&outside_before, &outside.snapshot(), "the files outside");
}
