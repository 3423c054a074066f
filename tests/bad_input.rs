//! PRODUCT §6: bad input gets a clear error and changes nothing.
//!
//! One test per case that `confpass -p` or the start-up call
//! (`confpass::database_password`) can meet. For the command line each test
//! pins the exact exit code and the full stderr (paths relative to the
//! scratch directory; the text in the snapshot file
//! `tests/snapshots/bad_input/<test>.stderr`, `-2` for a test's second run),
//! and checks that every file in the directory is byte-identical with the
//! same mode afterwards (so no key file was left behind), that nothing
//! panicked, and that the password appears nowhere in the output. For the start-up call each test checks the `Error` variant,
//! its category, its full message, and that the message holds no password.
//!
//! After a deliberate change of a message, `SNAPSHOTS=overwrite cargo test
//! --test bad_input` rewrites the snapshot files; review them with `git diff`.

mod common;

use std::collections::BTreeMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
#[cfg(unix)]
use std::path::Path;
use std::path::PathBuf;

use assert_cmd::Command;
use common::*;
use confpass::{Category, EncryptedValue, EncryptionKey, Error, SecretString};

/// The password in every configuration file here: distinctive, so that any
/// leak into the output or an error message is caught.
const PW: &str = "Zq9-unique-pass";

/// The standard test file. Line numbers: 2 `[confserv]`, 4 `server`,
/// 5 `encryption`, 7 `[log]`, 10 `[dbserver]`, 13 `password`.
fn conf(encryption: &str, password: &str) -> String {
    format!(
        "; test configuration\n\
         [confserv]\n\
         port = 2020\n\
         server = dbserver\n\
         encryption = {encryption}\n\
         \n\
         [log]\n\
         verbose = standard\n\
         \n\
         [dbserver]\n\
         host = db1.example.com\n\
         username = genesys\n\
         password = {password}\n"
    )
}

/// A scratch directory holding the standard file with the plain password.
fn plain() -> Scratch {
    Scratch::with_config(conf("false", PW).as_bytes())
}

/// `PW` encrypted for the test-only key pair `name` (`test`, `other`).
fn enc_value(name: &str) -> String {
    let key = EncryptionKey::load(&testdata(&format!("keys/{name}-enc.pem"))).unwrap();
    EncryptedValue::encrypt(&key, &SecretString::from(PW.to_owned()))
        .unwrap()
        .to_string()
}

/// A scratch directory holding the standard file with `value` as the
/// password and `encryption = true`.
fn encrypted_with(value: &str) -> Scratch {
    Scratch::with_config(conf("true", value).as_bytes())
}

/// The absolute path of a file in the scratch directory, as text.
fn abs(s: &Scratch, rel: &str) -> String {
    s.path(rel).display().to_string()
}

/// What changed between two snapshots, for a readable failure.
fn diff(
    before: &BTreeMap<PathBuf, (Vec<u8>, u32)>,
    after: &BTreeMap<PathBuf, (Vec<u8>, u32)>,
) -> String {
    let mut out = String::new();
    for (path, (bytes, mode)) in before {
        match after.get(path) {
            None => out.push_str(&format!("removed {}\n", path.display())),
            Some((b, m)) if b != bytes || m != mode => out.push_str(&format!(
                "changed {} (mode {mode:o} -> {m:o})\n",
                path.display()
            )),
            _ => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        out.push_str(&format!("created {}\n", path.display()));
    }
    out
}

/// Runs `cmd`, which must fail with `code`, and checks what every failure
/// must: nothing on stdout, no panic, none of `secrets` in the output, and
/// every file in the scratch directory as it was. Returns stderr.
fn run_fail(s: &Scratch, cmd: &mut Command, code: i32, secrets: &[&str]) -> String {
    let before = s.snapshot();
    let out = cmd.output().unwrap();
    let after = s.snapshot();
    let stderr = common::stderr(&out);
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    for secret in secrets {
        assert_no_password(&out, secret);
    }
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "stdout on failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        before == after,
        "a failed run changed files:\n{}",
        diff(&before, &after)
    );
    stderr
}

/// `confpass ARGS` in the scratch directory; must fail with `code`.
fn fail(s: &Scratch, args: &[&str], code: i32) -> String {
    run_fail(s, s.confpass().args(args), code, &[PW])
}

/// As [`fail`], with `stdin` written to the process.
fn fail_stdin(s: &Scratch, args: &[&str], stdin: &str, code: i32, secret: &str) -> String {
    run_fail(
        s,
        s.confpass().args(args).write_stdin(stdin),
        code,
        &[PW, secret],
    )
}

// ---- running as an unprivileged user (root ignores permission bits) ----
// Unix-only: uids, chown and `setpriv`.

#[cfg(unix)]
const NOBODY: u32 = 65534;

#[cfg(unix)]
fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Gives `path` to the unprivileged user when running as root; otherwise the
/// file stays ours and its mode alone denies access.
#[cfg(unix)]
fn give_to_nobody(path: &Path) {
    if is_root() {
        std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

/// The binary run as uid/gid 65534 with no groups (as root), else as ourselves.
#[cfg(unix)]
fn confpass_unprivileged(s: &Scratch) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_confpass"),
        ]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_confpass"))
    };
    cmd.current_dir(s.dir.path());
    cmd
}

// ---- the start-up call ----

/// The start-up call for server section `section`; must fail and change nothing.
fn startup_err_in(s: &Scratch, section: &str) -> Error {
    let before = s.snapshot();
    let result = confpass::database_password(s.path("confserv.conf"), section);
    let after = s.snapshot();
    assert!(
        before == after,
        "the start-up call changed files:\n{}",
        diff(&before, &after)
    );
    match result {
        Ok(_) => panic!("the start-up call succeeded"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains(PW), "the password is in the error: {text}");
            assert!(!format!("{e:?}").contains(PW), "the password is in {e:?}");
            e
        }
    }
}

fn startup_err(s: &Scratch) -> Error {
    startup_err_in(s, "confserv")
}

fn startup_ok(s: &Scratch) -> String {
    use confpass::ExposeSecret;
    confpass::database_password(s.path("confserv.conf"), "confserv")
        .unwrap()
        .expose_secret()
        .to_owned()
}

// ======================= the configuration file =======================

#[test]
fn fail_config_missing() {
    let s = Scratch::new();
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_config_missing.stderr");
    let err = fail(&s, &["-p", "-c", "etc/cs.conf"], 3);
    assert_snapshot(&err, "bad_input/fail_config_missing-2.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::ConfigNotFound { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} does not exist: check its path (a relative path is taken from the current directory)",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_config_is_a_directory() {
    let s = Scratch::new();
    s.install_keys("test");
    fs::create_dir(s.path("confserv.conf")).unwrap();
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_config_is_a_directory.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::ConfigNotAFile { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} is not a regular file: give the path of the file itself",
            abs(&s, "confserv.conf")
        )
    );
}

// Unix-only: file modes and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn fail_config_unreadable() {
    let s = plain();
    set_mode(s.dir.path(), 0o755);
    give_to_nobody(&s.path("confserv.conf"));
    set_mode(&s.path("confserv.conf"), 0o000);
    let err = run_fail(
        &s,
        confpass_unprivileged(&s).args(["-p", "--bits", "2048"]),
        6,
        &[PW],
    );
    assert_snapshot(&err, "bad_input/fail_config_unreadable.stderr");
}

// Unix-only: file modes and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn fail_config_not_writable() {
    let s = plain();
    set_mode(s.dir.path(), 0o755);
    give_to_nobody(&s.path("confserv.conf"));
    set_mode(&s.path("confserv.conf"), 0o444);
    // No keys: a run that went on would generate a pair; none may be left.
    let err = run_fail(
        &s,
        confpass_unprivileged(&s).args(["-p", "--bits", "2048"]),
        6,
        &[PW],
    );
    assert_snapshot(&err, "bad_input/fail_config_not_writable.stderr");
}

// Unix-only: file modes and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn fail_config_directory_not_writable() {
    let s = plain();
    give_to_nobody(&s.path("confserv.conf"));
    set_mode(&s.path("confserv.conf"), 0o644);
    give_to_nobody(s.dir.path());
    set_mode(s.dir.path(), 0o555);
    let err = run_fail(
        &s,
        confpass_unprivileged(&s).args(["-p", "--bits", "2048"]),
        6,
        &[PW],
    );
    set_mode(s.dir.path(), 0o755);
    assert_snapshot(&err, "bad_input/fail_config_directory_not_writable.stderr");
}

#[test]
fn fail_syntax_line_in_server_section() {
    let text = conf("false", PW).replace("port = 2020\n", "port 2020\n");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_syntax_line_in_server_section.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::Syntax { line: 3, .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, line 3: a line with no `=` in section [confserv]; fix the line so that it reads `[section]`, `option = value` or a `;` comment",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_syntax_line_in_database_section() {
    // The `=` forgotten on the password line itself: the message must not quote it.
    let text = conf("false", PW).replace(&format!("password = {PW}"), &format!("password {PW}"));
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_syntax_line_in_database_section.stderr",
    );

    let e = startup_err(&s);
    assert!(matches!(e, Error::Syntax { line: 13, .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, line 13: a line with no `=` in section [dbserver]; fix the line so that it reads `[section]`, `option = value` or a `;` comment",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_syntax_garbage_in_unrelated_section_is_not_an_error() {
    // The same kind of line in [log], and a duplicated unrelated section:
    // neither is where it matters, so neither is an error.
    let text = conf("false", PW).replace(
        "verbose = standard\n",
        "verbose = standard\nthis line has no equals sign\n\n[LOG]\nall = stderr\n",
    );
    let s = Scratch::with_config(text.as_bytes());
    assert_eq!(startup_ok(&s), PW);

    s.install_keys("test");
    let out = s.confpass().arg("-p").output().unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_no_password(&out, PW);
    let new = s.read_str("confserv.conf");
    assert!(
        new.contains("\nthis line has no equals sign\n\n[LOG]\n"),
        "{new}"
    );
    assert!(
        value_of(&new, "password").unwrap().contains(TEST_KID),
        "{new}"
    );
    assert_eq!(startup_ok(&s), PW);
}

#[test]
fn fail_server_section_missing() {
    let text = conf("false", PW).replace("[confserv]", "[confserv_main]");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_server_section_missing.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::SectionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} has no section [confserv]: name the server section with -s SECTION (it is named after the Configuration Server application), or add it",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_server_section_missing_with_s() {
    let s = plain();
    s.install_keys("test");
    let err = fail(&s, &["-p", "-s", "other"], 3);
    assert_snapshot(&err, "bad_input/fail_server_section_missing_with_s.stderr");

    let e = startup_err_in(&s, "other");
    assert!(matches!(e, Error::SectionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert!(
        e.to_string().starts_with(&format!(
            "configuration file {} has no section [other]: name the server section",
            abs(&s, "confserv.conf")
        )),
        "{e}"
    );
}

#[test]
fn fail_server_option_missing() {
    let text = conf("false", PW).replace("server = dbserver\n", "");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_server_option_missing.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::OptionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [confserv] has no option `server`: add `server = DBSECTION` naming the database section, or name it after -p",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_server_option_empty() {
    let text = conf("false", PW).replace("server = dbserver\n", "server =\n");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_server_option_empty.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::BadValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
}

#[test]
fn fail_database_section_missing() {
    let text = conf("false", PW).replace("server = dbserver", "server = dbmain");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_database_section_missing.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::SectionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} has no section [dbmain]: add the database section, or correct the `server` option (or the section named after -p)",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_database_section_named_after_p_missing() {
    let s = plain();
    s.install_keys("test");
    let err = fail(&s, &["-p", "nosuch"], 3);
    // The argument may be a password typed in the wrong place: never echoed.
    assert!(!err.contains("nosuch"), "{err}");
    assert_snapshot(
        &err,
        "bad_input/fail_database_section_named_after_p_missing.stderr",
    );
}

#[test]
fn fail_password_option_missing() {
    let text = conf("false", PW).replace(&format!("password = {PW}\n"), "");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_password_option_missing.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::OptionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [dbserver] has no option `password`: add `password = ` followed by the database password, then run `confpass -p`",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_duplicate_server_section() {
    let text = format!("{}\n[confserv]\nport = 3030\n", conf("false", PW));
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_duplicate_server_section.stderr");

    let e = startup_err(&s);
    assert!(
        matches!(
            e,
            Error::DuplicateSection {
                first: 2,
                second: 15,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} has section [confserv] twice (lines 2 and 15; names match without regard to case): remove or rename one of them",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_duplicate_database_section_differing_in_case() {
    let text = format!("{}\n[DBServer]\npassword = other-{PW}\n", conf("false", PW));
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_duplicate_database_section_differing_in_case.stderr",
    );

    let e = startup_err(&s);
    assert!(
        matches!(
            e,
            Error::DuplicateSection {
                first: 10,
                second: 15,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} has section [dbserver] twice (lines 10 and 15; names match without regard to case): remove or rename one of them",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_duplicate_password_option() {
    let text = format!("{}password = second-{PW}\n", conf("false", PW));
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_duplicate_password_option.stderr");

    let e = startup_err(&s);
    assert!(
        matches!(
            e,
            Error::DuplicateOption {
                first: 13,
                second: 14,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [dbserver] has option `password` twice (lines 13 and 14; names match without regard to case): remove one of them",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_duplicate_password_option_differing_in_case() {
    let text = conf("false", PW).replace(
        &format!("password = {PW}\n"),
        &format!("Password = {PW}\npassword = second-{PW}\n"),
    );
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_duplicate_password_option_differing_in_case.stderr",
    );

    let e = startup_err(&s);
    assert!(matches!(e, Error::DuplicateOption { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
}

#[test]
fn fail_duplicate_server_option() {
    let text =
        conf("false", PW).replace("server = dbserver\n", "server = dbserver\nServer = log\n");
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_duplicate_server_option.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::DuplicateOption { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
}

#[test]
fn fail_duplicate_encryption_option() {
    let text = conf("false", PW).replace(
        "encryption = false\n",
        "encryption = false\nEncryption = true\n",
    );
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_duplicate_encryption_option.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::DuplicateOption { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
}

// ============================ the password ============================

#[test]
fn fail_empty_password() {
    let s = Scratch::with_config(conf("false", "").as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 2);
    assert_snapshot(&err, "bad_input/fail_empty_password.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::BadValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [dbserver], option `password`: is empty: set it to the database password, then run `confpass -p`",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_empty_password_on_stdin() {
    let s = plain();
    s.install_keys("test");
    let err = fail_stdin(&s, &["-p", "--password-stdin"], "\n", 2, PW);
    assert_snapshot(&err, "bad_input/fail_empty_password_on_stdin.stderr");
}

#[test]
fn fail_password_with_line_break_on_stdin() {
    let s = plain();
    s.install_keys("test");
    let err = fail_stdin(
        &s,
        &["-p", "--password-stdin"],
        "Zq9-new\nsecond-line\n",
        2,
        "second-line",
    );
    assert_snapshot(
        &err,
        "bad_input/fail_password_with_line_break_on_stdin.stderr",
    );
}

#[test]
fn fail_password_with_line_break_as_argument() {
    let s = plain();
    s.install_keys("test");
    let err = run_fail(
        &s,
        s.confpass()
            .args(["-p", "dbserver", "Zq9-new\rsecond-line"]),
        2,
        &[PW, "second-line"],
    );
    assert_snapshot(
        &err,
        "bad_input/fail_password_with_line_break_as_argument.stderr",
    );
}

#[test]
fn fail_password_too_long_for_2048_bit_key() {
    let s = plain();
    s.install_keys("test");
    let long = format!("Zq9-long-{}", "x".repeat(182));
    assert_eq!(long.len(), 191);
    let err = fail_stdin(
        &s,
        &["-p", "--password-stdin"],
        &format!("{long}\n"),
        2,
        &long,
    );
    assert_snapshot(
        &err,
        "bad_input/fail_password_too_long_for_2048_bit_key.stderr",
    );
}

#[test]
fn fail_password_too_long_for_new_3072_bit_key() {
    let long = format!("Zq9-long-{}", "y".repeat(310));
    assert_eq!(long.len(), 319);
    let s = Scratch::with_config(conf("false", &long).as_bytes());
    // No key files: the default 3072-bit pair would be generated; the length
    // must be refused before that, and no key file may be left.
    // The password came from the file, so this is a problem of the file (exit 3).
    let err = run_fail(&s, s.confpass().arg("-p"), 3, &[&long]);
    assert_snapshot(
        &err,
        "bad_input/fail_password_too_long_for_new_3072_bit_key.stderr",
    );
    assert!(!s.exists("dec.pem") && !s.exists("enc.pem"));
}

#[test]
fn fail_password_argument_and_password_stdin() {
    let s = plain();
    s.install_keys("test");
    let err = fail_stdin(
        &s,
        &["-p", "dbserver", "Zq9-arg-pass", "--password-stdin"],
        "Zq9-stdin-pass\n",
        2,
        "Zq9-arg-pass",
    );
    assert_snapshot(
        &err,
        "bad_input/fail_password_argument_and_password_stdin.stderr",
    );
}

// ======================= encryption flag and value =======================

#[test]
fn fail_encryption_true_with_plain_value() {
    let s = Scratch::with_config(conf("true", PW).as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_encryption_true_with_plain_value.stderr",
    );

    let e = startup_err(&s);
    assert!(
        matches!(e, Error::EncryptionMismatch { flag: true, .. }),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}: [confserv] says `encryption = true` but the `password` in [dbserver] is plain text; put the encrypted value back, or set `encryption = false` and run `confpass -p` to encrypt the plain password",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_encryption_false_with_encrypted_value() {
    let s = Scratch::with_config(conf("false", &enc_value("test")).as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_encryption_false_with_encrypted_value.stderr",
    );

    let e = startup_err(&s);
    assert!(
        matches!(e, Error::EncryptionMismatch { flag: false, .. }),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}: [confserv] says `encryption = false` but the `password` in [dbserver] is an encrypted value; set `encryption = true`, or put the plain password back",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_encryption_maybe() {
    let s = Scratch::with_config(conf("maybe", PW).as_bytes());
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_encryption_maybe.stderr");

    let e = startup_err(&s);
    assert!(matches!(e, Error::BadValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [confserv], option `encryption`: is `maybe`, but must be `true` or `false`",
            abs(&s, "confserv.conf")
        )
    );
}

/// A malformed `value` with `encryption = true`: `-p` (no new password) and
/// the start-up call both refuse it, naming the file, section and option;
/// `-p`'s stderr is the snapshot `bad_input/<test>.stderr`.
fn malformed_case(test: &str, value: &str, reason: &str) {
    let s = encrypted_with(value);
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, &format!("bad_input/{test}.stderr"));
    // A new password does not paper over a broken value either.
    let err = fail_stdin(
        &s,
        &["-p", "--password-stdin"],
        "Zq9-new-pass\n",
        3,
        "Zq9-new-pass",
    );
    assert!(err.contains("malformed encrypted value"), "{err}");

    let e = startup_err(&s);
    assert!(matches!(e, Error::MalformedValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [dbserver], option `password`: malformed encrypted value: {reason}; restore the value written by confpass, or put the plain password back with `encryption = false` and run `confpass -p` again",
            abs(&s, "confserv.conf")
        )
    );
}

#[test]
fn fail_malformed_value_bad_base64() {
    let good = enc_value("test");
    let bad = good.replacen("data:", "data:*", 1);
    malformed_case(
        "fail_malformed_value_bad_base64",
        &bad,
        "the ciphertext is not valid base64 (Invalid symbol 42, offset 0.)",
    );
}

#[test]
fn fail_malformed_value_unknown_algorithm() {
    let bad = enc_value("test").replace("RSA-OAEP-SHA256", "RSA-PKCS1");
    malformed_case(
        "fail_malformed_value_unknown_algorithm",
        &bad,
        "the algorithm is not `RSA-OAEP-SHA256`, the only one confpass knows",
    );
}

#[test]
fn fail_malformed_value_missing_key_id() {
    let bad = enc_value("test").replace(&format!("kid:{TEST_KID},"), "");
    malformed_case(
        "fail_malformed_value_missing_key_id",
        &bad,
        "the key id (`kid:`) is missing",
    );
}

#[test]
fn fail_malformed_value_truncated() {
    let good = enc_value("test");
    let bad = &good[..good.len() - 20];
    malformed_case(
        "fail_malformed_value_truncated",
        bad,
        "it does not end with `]` (the value is truncated)",
    );
}

#[test]
fn fail_malformed_value_wrong_ciphertext_length() {
    // Well-formed, but 255 bytes of ciphertext for a 2048-bit (256-byte) key.
    let good = EncryptedValue::parse(&enc_value("test")).unwrap();
    let short =
        EncryptedValue::from_parts(good.key_id(), good.ciphertext()[..255].to_vec()).to_string();
    let s = encrypted_with(&short);
    s.install_keys("test");
    let reason = format!(
        "the ciphertext is 255 bytes, but key id {TEST_KID} makes 256-byte ciphertexts (the value is truncated or altered)"
    );

    let e = startup_err(&s);
    assert!(matches!(e, Error::MalformedValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {}, section [dbserver], option `password`: malformed encrypted value: {reason}; restore the value written by confpass, or put the plain password back with `encryption = false` and run `confpass -p` again",
            abs(&s, "confserv.conf")
        )
    );

    // `-p` with the key pair at hand must not call this value "already
    // encrypted; nothing changed": the server could not start with it.
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(
        &err,
        "bad_input/fail_malformed_value_wrong_ciphertext_length.stderr",
    );
}

#[test]
fn fail_value_for_another_key_id() {
    let s = encrypted_with(&enc_value("other"));
    s.install_keys("test");

    let e = startup_err(&s);
    assert!(matches!(e, Error::WrongKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "the password in [dbserver] of {} was encrypted for key id {OTHER_KID}, but key file {} has key id {TEST_KID}: use the key file that matches {OTHER_KID}",
            abs(&s, "confserv.conf"),
            abs(&s, "dec.pem")
        )
    );

    // `-p` with no new password and the other pair at hand: the value cannot
    // be decrypted with the keys at hand, so "nothing changed, exit 0" would
    // hide a server that will not start.
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_value_for_another_key_id.stderr");
}

#[test]
fn fail_value_for_another_key_id_new_password_reencrypts_for_key_at_hand() {
    // Rotation with a new password replaces the value, whatever key it was
    // made for: the result is for the key at hand and decrypts at start-up.
    let s = encrypted_with(&enc_value("other"));
    s.install_keys("test");
    let out = s
        .confpass()
        .args(["-p", "--password-stdin"])
        .write_stdin("Zq9-rotated-pass\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_no_password(&out, "Zq9-rotated-pass");
    let v = value_of(&s.read_str("confserv.conf"), "password").unwrap();
    assert!(v.contains(&format!("kid:{TEST_KID},")), "{v}");
    assert_eq!(startup_ok(&s), "Zq9-rotated-pass");
}

#[test]
fn fail_corrupted_ciphertext() {
    let good = EncryptedValue::parse(&enc_value("test")).unwrap();
    let mut ct = good.ciphertext().to_vec();
    ct[100] ^= 0xff;
    ct[101] ^= 0x55;
    let bad = EncryptedValue::from_parts(good.key_id(), ct).to_string();
    let s = encrypted_with(&bad);
    s.install_keys("test");

    let e = startup_err(&s);
    assert!(matches!(e, Error::DecryptFailed { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Decrypt);
    assert_eq!(
        e.to_string(),
        format!(
            "the password in [dbserver] of {} does not decrypt with {}: the ciphertext is corrupted or was not made for this key; restore the value or encrypt the password again with `confpass -p`",
            abs(&s, "confserv.conf"),
            abs(&s, "dec.pem")
        )
    );

    // `-p` with no new password and the private key at hand: exit 5, not
    // "already encrypted; nothing changed".
    let err = fail(&s, &["-p"], 5);
    assert_snapshot(&err, "bad_input/fail_corrupted_ciphertext.stderr");
}

// ============================== key files ==============================

#[test]
fn fail_key_file_missing_at_startup() {
    let s = encrypted_with(&enc_value("test"));
    let e = startup_err(&s);
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} does not exist: give the private key file with -keys ENC DEC, or the `decryption-key` option",
            abs(&s, "dec.pem")
        )
    );
}

#[test]
fn fail_key_file_named_by_decryption_key_missing_at_startup() {
    let text = conf("true", &enc_value("test")).replace(
        "encryption = true\n",
        "encryption = true\ndecryption-key = keys/dec.pem\n",
    );
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test"); // beside the file, but the option names another
    let e = startup_err(&s);
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} does not exist: give the private key file with -keys ENC DEC, or the `decryption-key` option",
            // The option's value as written, joined to the file's directory.
            s.dir.path().join("keys/dec.pem").display()
        )
    );
}

#[test]
fn fail_key_files_in_missing_directory() {
    let s = plain();
    let err = fail(
        &s,
        &[
            "-p",
            "--bits",
            "2048",
            "-keys",
            "nodir/enc.pem",
            "nodir/dec.pem",
        ],
        6,
    );
    // The system's own words for a missing directory: Windows says "path
    // not found" (ERROR_PATH_NOT_FOUND), Unix ENOENT; the snapshot reads
    // `[not found]` for either.
    let missing = std::io::Error::from_raw_os_error(if cfg!(windows) { 3 } else { 2 });
    assert!(err.contains(&missing.to_string()), "{err}");
    assert_snapshot(
        &err.replace(&missing.to_string(), "[not found]"),
        "bad_input/fail_key_files_in_missing_directory.stderr",
    );
}

// Unix-only: file modes and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn fail_key_file_unreadable() {
    let s = plain();
    s.install_keys("test");
    give_to_nobody(s.dir.path());
    set_mode(s.dir.path(), 0o755);
    for f in ["confserv.conf", "enc.pem"] {
        give_to_nobody(&s.path(f));
        set_mode(&s.path(f), 0o644);
    }
    // dec.pem stays root's (mode 0600), or ours with no permission at all.
    if !is_root() {
        set_mode(&s.path("dec.pem"), 0o000);
    }
    let err = run_fail(&s, confpass_unprivileged(&s).arg("-p"), 6, &[PW]);
    assert_snapshot(&err, "bad_input/fail_key_file_unreadable.stderr");
}

#[test]
fn fail_key_not_pem() {
    let s = plain();
    s.install_key("not-pem.txt", "dec.pem");
    s.install_key("test-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_not_pem.stderr");

    // The public key alone (a host without the private key).
    let s = plain();
    s.install_key("not-pem.txt", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_not_pem-2.stderr");

    let s = encrypted_with(&enc_value("test"));
    s.install_key("not-pem.txt", "dec.pem");
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} is not a PEM file (no `-----BEGIN` line): give a PEM key file such as `openssl genpkey` writes",
            abs(&s, "dec.pem")
        )
    );
}

#[test]
fn fail_key_truncated() {
    let s = plain();
    s.install_key("truncated-dec.pem", "dec.pem");
    s.install_key("test-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_truncated.stderr");

    let s = encrypted_with(&enc_value("test"));
    s.install_key("truncated-dec.pem", "dec.pem");
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} is not a readable PEM file: line 7, inside the `PRIVATE KEY` block, is not base64 (the file is damaged, or two lines were joined): give an intact copy of the key file",
            abs(&s, "dec.pem")
        )
    );
}

#[test]
fn fail_key_not_rsa() {
    let ec = "holds an EC key (OID 1.2.840.10045.2.1), not an RSA key: confpass uses RSA-OAEP; make an RSA pair, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`";
    let s = plain();
    s.install_keys("ec");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_not_rsa.stderr");

    let s = plain();
    s.install_key("ec-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_not_rsa-2.stderr");

    let s = encrypted_with(&enc_value("test"));
    s.install_key("ec-dec.pem", "dec.pem");
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!("key file {} {ec}", abs(&s, "dec.pem"))
    );
}

#[test]
fn fail_key_too_small() {
    let s = plain();
    s.install_keys("small-1024");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_too_small.stderr");

    let s = plain();
    s.install_key("small-1024-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_too_small-2.stderr");

    let s = encrypted_with(&enc_value("test"));
    s.install_key("small-1024-dec.pem", "dec.pem");
    let e = startup_err(&s);
    assert!(matches!(e, Error::KeyTooSmall { bits: 1024, .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} holds a 1024-bit RSA key; confpass accepts 2048 bits and more: make a new pair (remove both key files and run `confpass -p`)",
            abs(&s, "dec.pem")
        )
    );
}

#[test]
fn fail_key_public_where_private_is_needed() {
    // -keys with ENC and DEC swapped; the public key has the mode confpass
    // gives it (0644). The problem is the order, not the mode: the message
    // must not send the user to `chmod 600` a public key.
    let s = plain();
    s.install_keys("test");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("enc.pem"), 0o644);
    let err = fail(&s, &["-p", "-keys", "dec.pem", "enc.pem"], 4);
    assert_snapshot(
        &err,
        "bad_input/fail_key_public_where_private_is_needed.stderr",
    );
}

#[test]
fn fail_key_public_where_private_is_needed_at_startup() {
    let s = encrypted_with(&enc_value("test"));
    s.install_key("test-enc.pem", "dec.pem"); // mode 0600
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC",
            abs(&s, "dec.pem")
        )
    );

    // `decryption-key` naming the public key, mode 0644 as confpass writes it.
    let text = conf("true", &enc_value("test")).replace(
        "encryption = true\n",
        "encryption = true\ndecryption-key = enc.pem\n",
    );
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("enc.pem"), 0o644);
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC",
            abs(&s, "enc.pem")
        )
    );
}

#[test]
fn fail_key_private_where_public_is_needed() {
    let s = plain();
    s.install_key("test-dec.pem", "dec.pem");
    s.install_key("test-dec.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(
        &err,
        "bad_input/fail_key_private_where_public_is_needed.stderr",
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_key_passphrase_protected() {
    // The fix names the file twice: converting it in place would empty it.
    let msg = |p: &str| {
        format!(
            "key file {p} is a passphrase-protected private key (encrypted PKCS#8, `BEGIN ENCRYPTED PRIVATE KEY`), which a server cannot open unattended: write it out unprotected with `openssl pkey -in {p} -out dec-new.pem` (openssl asks for the passphrase; the new file has mode 0600), then put it in place of the old file: `mv dec-new.pem {p}`"
        )
    };
    let s = plain();
    s.install_key("encrypted-dec.pem", "dec.pem");
    s.install_key("test-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_key_passphrase_protected.stderr");

    let s = encrypted_with(&enc_value("test"));
    s.install_key("encrypted-dec.pem", "dec.pem");
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadKey { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Key);
    assert_eq!(e.to_string(), msg(&abs(&s, "dec.pem")));
}

#[test]
fn fail_keys_not_one_pair() {
    let s = plain();
    s.install_key("test-dec.pem", "dec.pem");
    s.install_key("other-enc.pem", "enc.pem");
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(&err, "bad_input/fail_keys_not_one_pair.stderr");

    let err = fail(&s, &["-p", "-keys", "enc.pem", "dec.pem"], 4);
    assert_snapshot(&err, "bad_input/fail_keys_not_one_pair-2.stderr");
}

// Unix-only: file modes (on Windows a DACL protects the key instead).
#[cfg(unix)]
#[test]
fn fail_decryption_key_readable_by_others() {
    let s = plain();
    s.install_keys("test");
    set_mode(&s.path("dec.pem"), 0o644);
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(
        &err,
        "bad_input/fail_decryption_key_readable_by_others.stderr",
    );

    // Group-readable, and the private key alone (enc.pem would be derived).
    let s = plain();
    s.install_key("test-dec.pem", "dec.pem");
    set_mode(&s.path("dec.pem"), 0o640);
    let err = fail(&s, &["-p"], 4);
    assert_snapshot(
        &err,
        "bad_input/fail_decryption_key_readable_by_others-2.stderr",
    );

    let s = encrypted_with(&enc_value("test"));
    s.install_keys("test");
    set_mode(&s.path("dec.pem"), 0o644);
    let e = startup_err(&s);
    assert!(
        matches!(e, Error::KeyPermissions { mode: 0o644, .. }),
        "{e:?}"
    );
    assert_eq!(e.category(), Category::Key);
    let dec = abs(&s, "dec.pem");
    assert_eq!(
        e.to_string(),
        format!(
            "decryption key {dec} is readable by group or others (mode 644): run `chmod 600 {dec}`"
        )
    );
}

// ============================ the command line ============================

#[test]
fn fail_keys_with_one_path() {
    let s = plain();
    s.install_keys("test");
    let err = fail(&s, &["-p", "-keys", "enc.pem"], 2);
    assert_snapshot(&err, "bad_input/fail_keys_with_one_path.stderr");
}

#[test]
fn fail_bits_1024() {
    let s = plain();
    let err = fail(&s, &["-p", "--bits", "1024"], 2);
    assert_snapshot(&err, "bad_input/fail_bits_1024.stderr");
    assert!(!s.exists("dec.pem") && !s.exists("enc.pem"));
}

#[test]
fn fail_no_p() {
    let s = plain();
    s.install_keys("test");
    let err = fail(&s, &[], 2);
    assert_snapshot(&err, "bad_input/fail_no_p.stderr");
    let err = fail(
        &s,
        &["-c", "confserv.conf", "-keys", "enc.pem", "dec.pem"],
        2,
    );
    assert_snapshot(&err, "bad_input/fail_no_p-2.stderr");
}

// ======================= bytes that are not text =======================

#[test]
fn fail_password_value_not_utf8() {
    // Latin-1 "é" in the password: refused clearly, never re-encoded.
    let mut bytes = conf("false", "Zq9-caf").into_bytes();
    let at = bytes.windows(7).position(|w| w == b"Zq9-caf").unwrap() + 7;
    bytes.insert(at, 0xE9);
    let s = Scratch::with_config(&bytes);
    s.install_keys("test");
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "bad_input/fail_password_value_not_utf8.stderr");
    let e = startup_err(&s);
    assert!(matches!(e, Error::BadValue { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
}
