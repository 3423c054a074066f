//! A real database end to end: a throw-away PostgreSQL server on loopback
//! (initdb in a temporary directory, scram-sha-256 password authentication),
//! a role whose password has `; # = \ "` and spaces, the configuration
//! encrypted with the real `confpass -p`, and `examples/confserv_startup.rs`
//! connecting with the password the start-up call returns. A wrong password,
//! encrypted the same way, must fail to authenticate.
//!
//! The server and the example come from `tests/support/postgres.rs`, which
//! says where PostgreSQL is looked for and how it runs as root.
//!
//! Unix-only: the throw-away server is reached over a Unix socket, lives in
//! directories set up with Unix modes and owners, and runs under `setpriv`.
#![cfg(unix)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::time::Instant;

use assert_cmd::Command;
use common::*;
use support::postgres::{Server, example_binary, pg_bin_or_skip, run, sample_pointed_at};

/// The role's password: INI comment characters, `=`, a backslash, both
/// quotes and spaces, none of which may be lost or escaped on the way.
const PASSWORD: &str = r#"p; a#s=s \ "w' ord"#;
/// The negative control's password, as awkward but wrong.
const WRONG_PASSWORD: &str = r#"p; a#s=s \ "w' ord!"#;
const ROLE: &str = "genesys";
const DATABASE: &str = "config";

#[test]
fn example_connects_with_the_decrypted_password_and_a_wrong_one_fails() {
    let Some(bin) = pg_bin_or_skip() else {
        return;
    };
    let started = Instant::now();
    let server = Server::start(&bin);
    server.create_role_and_database(ROLE, PASSWORD, DATABASE);
    eprintln!(
        "PostgreSQL ({}) up on 127.0.0.1:{} in {:.1?}",
        bin.display(),
        server.port,
        started.elapsed()
    );
    let example = example_binary();

    // The positive case: the real password, encrypted by `confpass -p`.
    let good = encrypted_config(server.port, PASSWORD);
    let out = run(Command::new(&example)
        .arg("-c")
        .arg(good.path("confserv.conf"))
        .args(["-s", "confserv"]));
    assert_no_password(&out, PASSWORD);
    assert!(
        out.status.success(),
        "the example failed to connect with the right password:\n{}",
        all_output(&out)
    );
    let expected = format!(
        "connected to {DATABASE} as {ROLE} on 127.0.0.1:{} with the current password: SELECT 1 = 1",
        server.port
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        expected,
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    eprintln!(
        "right password: {}",
        String::from_utf8_lossy(&out.stdout).trim_end()
    );

    // The negative control: same everything, the wrong password.
    let bad = encrypted_config(server.port, WRONG_PASSWORD);
    let out = run(Command::new(&example)
        .arg("-c")
        .arg(bad.path("confserv.conf")));
    assert_no_password(&out, PASSWORD);
    assert_no_password(&out, WRONG_PASSWORD);
    assert!(
        !out.status.success(),
        "the example connected with the wrong password:\n{}",
        all_output(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.stdout.is_empty() && stderr.lines().count() == 1,
        "a failure is one error line on stderr:\n{}",
        all_output(&out)
    );
    assert!(
        stderr.contains(&format!(
            "password authentication failed for user \"{ROLE}\""
        )),
        "the wrong password must fail authentication, not something else:\n{stderr}"
    );
    eprintln!("wrong password: {}", stderr.trim_end());
    eprintln!("end to end in {:.1?}", started.elapsed());
}

/// A scratch directory holding the sample configuration pointed at the test
/// server, with `password` encrypted by the real `confpass -p` (keys made
/// beside it).
fn encrypted_config(port: u16, password: &str) -> Scratch {
    let config = sample_pointed_at(port, DATABASE, ROLE, password);
    let scratch = Scratch::with_config(config.as_bytes());

    let out = run(scratch
        .confpass()
        .args(["-p", "--bits", "2048", "-c"])
        .arg(scratch.path("confserv.conf")));
    assert_no_password(&out, password);
    assert!(
        out.status.success(),
        "confpass -p failed:\n{}",
        all_output(&out)
    );
    let written = scratch.read_str("confserv.conf");
    assert!(written.contains("ENC["), "no ENC[...] value:\n{written}");
    assert!(
        !written.contains(password),
        "the plain password is still in the file"
    );
    assert_eq!(value_of(&written, "encryption").as_deref(), Some("true"));
    scratch
}
