//! Bounded memory (issue 9): the largest configuration file confpass reads,
//! [`MAX_CONFIG_SIZE`], is checked before a byte is read; a file at the limit
//! is read, written and checked; and under a 256 MB address-space limit no
//! run on a file of that size ends with a signal (an allocation that fails
//! aborts a Rust program with SIGABRT, exit 134, and no message). The error
//! texts are snapshot files under `tests/snapshots/limits/`
//! (`SNAPSHOTS=overwrite cargo test --test limits` rewrites them).
//!
//! Large files are made sparse with `File::set_len` where their content does
//! not matter: the padding is then one line of NUL bytes in a section
//! nothing reads, and the files cost no disk and no time to write.

mod common;

use std::fs::{self, OpenOptions};
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use common::*;
use confpass::config::MAX_CONFIG_SIZE;
use confpass::{Category, Error, ExposeSecret};

/// 256 MB of address space, in KiB, for `ulimit -v`.
const ADDRESS_SPACE_KIB: u64 = 262_144;

/// A scratch directory with the sample file (plain password) and the test
/// key pair, the file grown to `size` bytes by a sparse `[padding]` section.
fn padded(size: u64) -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    pad(&s, size);
    s
}

/// Appends a `[padding]` section to `confserv.conf` and makes the file
/// `size` bytes long, the rest a sparse run of NUL bytes.
fn pad(s: &Scratch, size: u64) {
    let path = s.path("confserv.conf");
    let mut text = fs::read(&path).unwrap();
    text.extend_from_slice(b"\n[padding]\n");
    fs::write(&path, &text).unwrap();
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(size).unwrap();
}

/// The runs that read a configuration file: `-p`, `--check`, `--reveal`.
const READERS: [&[&str]; 3] = [&["-p"], &["--check"], &["--reveal"]];

/// `confpass ARGS` in `s`, under a 256 MB address-space limit when `limited`.
fn run(s: &Scratch, args: &[&str], limited: bool) -> Output {
    let mut cmd = if limited {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(format!(
                "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
            ))
            .arg(env!("CARGO_BIN_EXE_confpass"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_confpass"))
    };
    cmd.current_dir(s.dir.path()).args(args).output().unwrap()
}

/// Names, lengths and modes (file type bits included; on Windows
/// [`file_mode`]) of the files in `dir`: cheap for a sparse file of any size
/// (byte-identical content is checked where files are small enough to read).
fn listing(dir: &Path) -> Vec<(String, u64, u32)> {
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt as _;
    #[cfg(unix)]
    let mode = |m: &fs::Metadata| m.mode();
    #[cfg(not(unix))]
    let mode = file_mode;
    let mut out: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                m.len(),
                mode(&m),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fail_a_file_one_byte_over_the_limit_is_refused_with_exit_3_by_every_reader() {
    let size = MAX_CONFIG_SIZE + 1;
    let s = padded(size);
    let before = s.snapshot();
    for args in READERS {
        let out = run(&s, args, false);
        assert_exit(&out, 3);
        assert_snapshot(&stderr(&out), "limits/one_byte_over.stderr");
        assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
        assert!(s.snapshot() == before, "{args:?} changed a file");
    }
    for e in [
        confpass::database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
        confpass::check(s.path("confserv.conf"), "confserv").unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::ConfigTooLarge { size: got, limit: MAX_CONFIG_SIZE, edited: false, .. } if got == size),
            "{e:?}"
        );
        assert_eq!(e.category(), Category::Config);
    }
}

/// Reading a 64 GiB file into memory cannot succeed under a 256 MB
/// address-space limit (it would abort with SIGABRT, or take minutes): an
/// exit 3 with the file's size in the message proves that only its size was
/// looked at.
#[test]
// Unix-only: `bash` and `ulimit -v` (Windows has no address-space limit to set).
#[cfg_attr(not(unix), ignore = "bash and ulimit -v")]
fn fail_a_file_over_the_limit_is_refused_before_it_is_read() {
    let size = 64 << 30;
    let s = padded(size);
    let before = listing(s.dir.path());
    for args in READERS {
        let out = run(&s, args, true);
        assert_exit(&out, 3);
        assert_snapshot(&stderr(&out), "limits/64_gib.stderr");
        assert_eq!(listing(s.dir.path()), before, "{args:?} changed a file");
    }
}

#[test]
fn a_file_at_the_limit_is_read_checked_and_left_as_it_is() {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = run(&s, &["-p"], false);
    assert_exit(&out, 0);
    pad(&s, MAX_CONFIG_SIZE);
    let before = s.snapshot();
    assert_eq!(
        before[Path::new("confserv.conf")].0.len() as u64,
        MAX_CONFIG_SIZE
    );

    let out = run(&s, &["--check"], false);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("decrypts with key"),
        "{}",
        stdout(&out)
    );
    let out = run(&s, &["--reveal"], false);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), format!("{SAMPLE_PASSWORD}\n"));
    let out = run(&s, &["-p"], false);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing"), "{}", stdout(&out));
    let password = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(password.expose_secret(), SAMPLE_PASSWORD);
    assert!(s.snapshot() == before, "a run changed a file");
}

/// `-p` never writes a file that no reader would read back: a plain
/// password in a file at the limit cannot be encrypted in it.
#[test]
fn fail_an_edit_that_would_take_the_file_over_the_limit_is_refused() {
    let s = Scratch::sample();
    pad(&s, MAX_CONFIG_SIZE);
    let before = s.snapshot();
    // No keys yet: the pair is generated, then the edit refused, and
    // nothing is written.
    let out = run(&s, &["-p", "--bits", "2048"], false);
    assert_exit(&out, 3);
    assert_snapshot(&stderr(&out), "limits/edit_over_the_limit.stderr");
    assert!(s.snapshot() == before, "a failed run changed files");
}

#[test]
fn p_just_under_the_limit_encrypts_and_the_result_checks() {
    let s = padded(MAX_CONFIG_SIZE - 4096);
    let out = run(&s, &["-p"], false);
    assert_exit(&out, 0);
    let text = fs::read(s.path("confserv.conf")).unwrap();
    assert!(text.len() as u64 <= MAX_CONFIG_SIZE);
    assert_exit(&run(&s, &["--check"], false), 0);
}

/// The file of issue 9's finding: many tiny lines, which made the per-line
/// index (and rust-ini) cost 100–200 times the file's size.
fn tiny_lines(size: u64) -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    let mut text = fs::read(s.path("confserv.conf")).unwrap();
    text.extend_from_slice(b"\n[bulk]\n");
    let lines = (size as usize - text.len()) / 4;
    text.reserve(size as usize - text.len());
    for _ in 0..lines {
        text.extend_from_slice(b"a=b\n");
    }
    text.resize(size as usize, b'\n');
    s.write("confserv.conf", &text);
    s
}

#[test]
// Unix-only: `bash` and `ulimit -v` (Windows has no address-space limit to set).
#[cfg_attr(not(unix), ignore = "bash and ulimit -v")]
fn under_a_256_mb_address_space_limit_a_file_of_the_largest_size_never_aborts() {
    // Room for the edit: the encrypted value is longer than the password.
    let s = tiny_lines(MAX_CONFIG_SIZE - 4096);
    let out = run(&s, &["-p"], true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "-p under the limit: {:?}\n{}",
        out.status,
        all_output(&out)
    );
    let out = run(&s, &["--check"], true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "--check under the limit: {:?}\n{}",
        out.status,
        all_output(&out)
    );
    let out = run(&s, &["--reveal"], true);
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(stdout(&out), format!("{SAMPLE_PASSWORD}\n"));
}
