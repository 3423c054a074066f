//! The C example end to end: `examples/c/confserv_startup.c` compiled with
//! `cc` (C99, every warning an error) against the C library cargo built for
//! this test run (`libconfpass_capi.so`, copied to a temporary directory
//! under its SONAME) and libpq, then run against a throw-away PostgreSQL
//! server (the root package's `tests/support/postgres.rs`) with
//! configurations encrypted by the real `confpass` binary: the current
//! password; a rotation in progress (`-p --keep-previous`) while the
//! database still has the previous password, then once it has the new one;
//! both passwords wrong; a usage error and a file the library refuses. No
//! password (each with `; # = \ "` and spaces) appears in any output.
//!
//! It needs PostgreSQL's server programs, a C compiler and libpq's header and
//! library (`apt-get install postgresql gcc libpq-dev`); without them it is
//! skipped, except under `CI=true`, where it fails. It also needs the
//! `confpass` binary built in the same target directory, which a workspace
//! `cargo test` builds but `cargo test -p confpass-capi` does not: it fails
//! asking for `cargo build --locked --bin confpass` when the binary is
//! missing or older than the library's sources.
#![cfg(unix)]

/// What `tests/support/postgres.rs` takes from the root package's
/// `tests/common`, which this package cannot include (it names the root
/// package's binary at compile time).
mod common {
    use std::path::{Path, PathBuf};
    use std::process::Output;

    /// stdout and stderr of a run, as one string.
    pub fn all_output(out: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// A file under the repository's `testdata/`.
    pub fn testdata(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata")
            .join(rel)
    }
}

#[path = "../../tests/support/mod.rs"]
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Instant, SystemTime};

use assert_cmd::Command;
use common::all_output;
use support::is_executable;
use support::postgres::{Server, pg_bin_or_skip, run, sample_pointed_at};

/// The role's first password.
const P1: &str = r#"p; a#s=s \ "w' ord"#;
/// The password a rotation moves the role to.
const P2: &str = r#"n3w; p#s=s \ "w' ord 2"#;
/// The negative control's passwords, as awkward but wrong.
const WRONG_1: &str = r#"p; a#s=s \ "w' ord!"#;
const WRONG_2: &str = r#"n3w; p#s=s \ "w' ord 2!"#;
/// Every password of the test: none may appear in any output.
const PASSWORDS: [&str; 4] = [P1, P2, WRONG_1, WRONG_2];
const ROLE: &str = "genesys";
const DATABASE: &str = "config";
const BUILD_THE_BINARY: &str = "build the binary first: cargo build --locked --bin confpass";

#[test]
fn c_example_connects_with_the_current_then_the_previous_password() {
    let Some(pg_bin) = pg_bin_or_skip() else {
        return;
    };
    let Some(libpq) = c_toolchain_or_skip() else {
        return;
    };
    let started = Instant::now();
    let profile = profile_dir();
    let confpass = confpass_binary(&profile);
    let lib = install_library(&profile);
    let client = compile(lib.path(), &libpq);
    eprintln!("compiled {} in {:.1?}", client.display(), started.elapsed());

    let server = Server::start(&pg_bin);
    server.create_role_and_database(ROLE, P1, DATABASE);
    let port = server.port;
    eprintln!(
        "PostgreSQL up on 127.0.0.1:{port} at {:.1?}",
        started.elapsed()
    );

    // A usage error: exit 2, the error and the usage on stderr.
    let out = run_client(&client, lib.path(), &["-x"]);
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "confserv_startup: error: unexpected argument `-x`\n\
         usage: confserv_startup [-c FILE] [-s SECTION]\n"
    );

    // A file the library refuses: its message on one line, exit 1.
    let out = run_client(&client, lib.path(), &["-c", "missing.conf"]);
    assert_failed(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("confserv_startup: error: configuration file missing.conf "),
        "{stderr}"
    );

    // 1. The current password, encrypted by `confpass -p`.
    let good = encrypted_config(&confpass, port, P1);
    let out = run_client(
        &client,
        good.path(),
        &["-c", "confserv.conf", "-s", "confserv"],
    );
    assert_connected(&out, port, "the current password");

    // 2. A rotation in progress: the file has P2, and P1 as previous-password,
    // while the database still has P1; then the database moves to P2. The
    // runs take the defaults, confserv.conf and [confserv].
    confpass_p(&confpass, good.path(), P2, true);
    let written = fs::read_to_string(good.path().join("confserv.conf")).unwrap();
    assert!(
        written.contains("\npassword = ENC[") && written.contains("\nprevious-password = ENC["),
        "the rotation did not keep previous-password:\n{written}"
    );
    let out = run_client(&client, good.path(), &[]);
    assert_connected(&out, port, "the previous password");
    alter_role(&server, P2);
    let out = run_client(&client, good.path(), &[]);
    assert_connected(&out, port, "the current password");

    // The negative control: both passwords wrong, both named on one line.
    let bad = encrypted_config(&confpass, port, WRONG_1);
    confpass_p(&confpass, bad.path(), WRONG_2, true);
    let out = run_client(&client, bad.path(), &[]);
    assert_failed(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "confserv_startup: error: cannot connect to {DATABASE} as {ROLE} on 127.0.0.1:{port} \
         with the current password: "
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(
        stderr.contains("; with the previous password: ")
            && stderr
                .matches(&format!(
                    "password authentication failed for user \"{ROLE}\""
                ))
                .count()
                == 2,
        "each wrong password must fail authentication, not something else:\n{stderr}"
    );
    eprintln!("wrong passwords: {}", stderr.trim_end());
    eprintln!("end to end in {:.1?}", started.elapsed());
}

// ------------------------------------------------------------------ C side

/// The flags that compile and link against libpq (`-I… -lpq`), from
/// pkg-config, else pg_config; `None` after saying why the test is skipped
/// when `cc` or libpq's development files are missing. Under `CI=true` that
/// is a failure: the test must run in CI.
fn c_toolchain_or_skip() -> Option<Vec<String>> {
    const INSTALL_HINT: &str = "apt-get install gcc libpq-dev";
    let stdout = |program: &str, args: &[&str]| -> Option<String> {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let libpq = match stdout("pkg-config", &["--cflags", "--libs", "libpq"]) {
        Some(flags) => Some(flags.split_whitespace().map(str::to_owned).collect()),
        None => stdout("pg_config", &["--includedir"])
            .filter(|include| Path::new(include).join("libpq-fe.h").is_file())
            .zip(stdout("pg_config", &["--libdir"]))
            .map(|(include, lib)| vec![format!("-I{include}"), format!("-L{lib}"), "-lpq".into()]),
    };
    let found = libpq.filter(|_| stdout("cc", &["--version"]).is_some());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "a C compiler (cc) or libpq's header and library not found, and CI=true: \
             .ci/run must install them ({INSTALL_HINT})"
        );
        eprintln!("skipped: cc or libpq-dev not installed ({INSTALL_HINT})");
    }
    found
}

/// `target/<profile>`: this test runs as `target/<profile>/deps/c_example-HASH`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let deps = exe.parent().unwrap();
    assert!(
        deps.ends_with("deps"),
        "{} is not in cargo's deps directory",
        exe.display()
    );
    deps.parent().unwrap().to_path_buf()
}

/// The shared library's SONAME, as `capi/build.rs` sets it.
fn soname() -> String {
    match (
        env!("CARGO_PKG_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MINOR"),
    ) {
        ("0", minor) => format!("libconfpass.so.0.{minor}"),
        (major, _) => format!("libconfpass.so.{major}"),
    }
}

/// A temporary directory holding the library cargo built with this test
/// (it builds every crate type of the package's lib) under its SONAME, and
/// the `libconfpass.so` link the linker looks for.
fn install_library(profile: &Path) -> tempfile::TempDir {
    let built = profile.join("libconfpass_capi.so");
    let bytes = fs::read(&built).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (cargo builds it with this test's package)",
            built.display()
        )
    });
    let soname = soname();
    // The SONAME is a NUL-terminated string of the dynamic string table.
    let entry = format!("\0{soname}\0");
    assert!(
        bytes.windows(entry.len()).any(|w| w == entry.as_bytes()),
        "{} does not carry the SONAME {soname} (capi/build.rs)",
        built.display()
    );
    let dir = tempfile::Builder::new()
        .prefix("confpass-capi-")
        .tempdir()
        .expect("temp dir");
    fs::write(dir.path().join(&soname), &bytes).unwrap();
    std::os::unix::fs::symlink(&soname, dir.path().join("libconfpass.so")).unwrap();
    dir
}

/// `examples/c/confserv_startup.c` compiled in `lib_dir` against the
/// library there, found at run time through the rpath.
fn compile(lib_dir: &Path, libpq: &[String]) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("../examples/c/confserv_startup.c");
    let exe = lib_dir.join("confserv_startup");
    let out = run(Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"])
        .arg("-I")
        .arg(manifest.join("include"))
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib_dir.display()))
        .arg("-lconfpass")
        .args(libpq)
        .arg(format!("-Wl,-rpath,{}", lib_dir.display())));
    assert!(
        out.status.success(),
        "cc {} failed:\n{}",
        source.display(),
        all_output(&out)
    );
    exe
}

/// The C example run in `dir` with `args`; none of the passwords may appear
/// in its output. No `PG*` variable of the environment reaches libpq.
fn run_client(client: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(client);
    cmd.current_dir(dir).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            cmd.env_remove(name);
        }
    }
    let out = run(&mut cmd);
    assert_no_password(&out);
    out
}

/// A successful start-up with `which` password: exactly the Rust example's
/// line on stdout, nothing on stderr.
fn assert_connected(out: &Output, port: u16, which: &str) {
    assert!(
        out.status.success(),
        "the C example failed to connect with {which}:\n{}",
        all_output(out)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "connected to {DATABASE} as {ROLE} on 127.0.0.1:{port} with {which}: SELECT 1 = 1\n"
        )
    );
    assert!(out.stderr.is_empty(), "{}", all_output(out));
}

/// A failed start-up: exit 1, nothing on stdout, one error line on stderr.
fn assert_failed(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{}", all_output(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.stdout.is_empty()
            && stderr.lines().count() == 1
            && stderr.starts_with("confserv_startup: error: "),
        "a failure is one error line on stderr:\n{}",
        all_output(out)
    );
}

fn assert_no_password(out: &Output) {
    let text = all_output(out);
    for password in PASSWORDS {
        assert!(
            !text.contains(password),
            "a password appears in the output:\n{text}"
        );
    }
}

// ------------------------------------------------------------ confpass side

/// `target/<profile>/confpass`, the root package's binary, which must be
/// there and newer than the library's sources. The test does not build it:
/// a workspace `cargo test` has built it by now, and CI builds it first.
fn confpass_binary(profile: &Path) -> PathBuf {
    let bin = profile.join("confpass");
    assert!(
        is_executable(&bin),
        "{} not found: this test runs the real confpass; {BUILD_THE_BINARY}",
        bin.display()
    );
    let built = fs::metadata(&bin).and_then(|m| m.modified()).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
    if let Some((newer, _)) = newest(&src).filter(|(_, t)| *t > built) {
        panic!(
            "{} is older than {}: {BUILD_THE_BINARY}",
            bin.display(),
            newer.display()
        );
    }
    bin
}

/// The most recently modified file under `dir`, and when.
fn newest(dir: &Path) -> Option<(PathBuf, SystemTime)> {
    let mut found: Option<(PathBuf, SystemTime)> = None;
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let candidate = if path.is_dir() {
            newest(&path)
        } else {
            Some((path, entry.metadata().unwrap().modified().unwrap()))
        };
        if let Some(c) = candidate
            && found.as_ref().is_none_or(|f| c.1 > f.1)
        {
            found = Some(c);
        }
    }
    found
}

/// A scratch directory holding the sample configuration pointed at the
/// test server, with `password` encrypted by `confpass -p --password-stdin`
/// (keys made beside it).
fn encrypted_config(confpass: &Path, port: u16, password: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("confpass-c-example-")
        .tempdir()
        .expect("temp dir");
    let config = sample_pointed_at(port, DATABASE, ROLE, "placeholder");
    fs::write(dir.path().join("confserv.conf"), config).unwrap();
    confpass_p(confpass, dir.path(), password, false);
    let written = fs::read_to_string(dir.path().join("confserv.conf")).unwrap();
    assert!(
        written.contains("\npassword = ENC[") && written.contains("\nencryption = true\n"),
        "not encrypted:\n{written}"
    );
    dir
}

/// `confpass -p --password-stdin [--keep-previous]` on `dir/confserv.conf`
/// with `password` on stdin; it must succeed, and the password be in no
/// output and not in the file in plain text.
fn confpass_p(confpass: &Path, dir: &Path, password: &str, keep_previous: bool) {
    let mut cmd = Command::new(confpass);
    cmd.current_dir(dir)
        .args([
            "-p",
            "--password-stdin",
            "--bits",
            "2048",
            "-c",
            "confserv.conf",
        ])
        .write_stdin(format!("{password}\n"));
    if keep_previous {
        cmd.arg("--keep-previous");
    }
    let out = run(&mut cmd);
    assert_no_password(&out);
    assert!(
        out.status.success(),
        "confpass -p failed:\n{}",
        all_output(&out)
    );
    let written = fs::read_to_string(dir.join("confserv.conf")).unwrap();
    assert!(
        !written.contains(password),
        "the plain password is in the file"
    );
}

/// The role's password changed to `password` by the superuser.
fn alter_role(server: &Server, password: &str) {
    let mut client = server.superuser();
    let literal = format!("'{}'", password.replace('\'', "''"));
    client
        .batch_execute(&format!("ALTER ROLE {ROLE} PASSWORD {literal}"))
        .expect("ALTER ROLE");
    client.close().unwrap();
}
