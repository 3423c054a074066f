//! Messages for configuration files no one here wrote (issue 9, item 6 of
//! "What was found"): a file saved as UTF-16, a comment after the
//! `encryption` value, section names with control characters, a NUL byte in
//! a password, and `--check`'s reason for a corrupt value.
//!
//! Each test pins the full stderr (in a snapshot file under
//! `tests/snapshots/messages/`) or report line and the exit code, and checks
//! that every file in the scratch directory is byte-identical afterwards and
//! that the password appears nowhere in the output. After a deliberate change
//! of a message, `SNAPSHOTS=overwrite cargo test --test messages` rewrites the
//! snapshot files; review them with `git diff`.

mod common;

use std::process::Output;

use common::*;
use confpass::{Category, EncryptedValue, Error, KeyId};

/// Runs `confpass ARGS` (with `stdin`, if any) in `s`, and checks what every
/// run here must: the exit code, nothing changed on disk, no password in the
/// output, no panic.
fn run(s: &Scratch, args: &[&str], stdin: Option<&[u8]>, code: i32) -> Output {
    let before = s.snapshot();
    let mut cmd = s.confpass();
    cmd.args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    assert_exit(&out, code);
    assert!(s.snapshot() == before, "{args:?} changed a file");
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_no_password(&out, SAMPLE_PASSWORD);
    out
}

/// As [`run`], for a run that fails: nothing on stdout; returns stderr.
fn fail(s: &Scratch, args: &[&str], code: i32) -> String {
    let out = run(s, args, None, code);
    assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
    stderr(&out)
}

/// The sample file, encoded as UTF-16 in the given byte order, with or
/// without a byte-order mark.
fn utf16(little_endian: bool, bom: bool) -> Vec<u8> {
    let text = std::fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    let units = bom
        .then_some(0xFEFF_u16)
        .into_iter()
        .chain(text.encode_utf16());
    units
        .flat_map(|u| {
            if little_endian {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

#[test]
fn fail_a_file_saved_as_utf16_is_named_so_by_every_reader() {
    for (little_endian, bom) in [(true, true), (false, true), (true, false), (false, false)] {
        let s = Scratch::with_config(&utf16(little_endian, bom));
        s.install_keys("test");
        for args in [&["-p"][..], &["--check"], &["--reveal"]] {
            let err = fail(&s, args, 3);
            assert_snapshot(&err, "messages/utf16.stderr");
        }
        let e = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap_err();
        assert!(
            matches!(
                e,
                Error::ConfigEncoding {
                    encoding: "UTF-16",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.category(), Category::Config);
        assert_eq!(
            e.to_string(),
            format!(
                "configuration file {} is saved as UTF-16; save it as UTF-8 (Notepad: Save As, Encoding UTF-8)",
                s.path("confserv.conf").display()
            )
        );
    }
}

#[test]
fn fail_a_comment_after_the_encryption_value_is_explained_with_the_value_read() {
    let sample = std::fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    // One line a value, in this order, shown escaped where it needs to be.
    let mut lines = String::new();
    for value in [
        "false ; set by installer",
        "true # encrypted by confpass",
        "false\t;\x1b[31m",
    ] {
        let s = Scratch::with_config(
            sample
                .replace("encryption = false", &format!("encryption = {value}"))
                .as_bytes(),
        );
        s.install_keys("test");
        let line = fail(&s, &["-p"], 3);
        assert_eq!(fail(&s, &["--check"], 3), line, "{value:?}");
        lines.push_str(&line);
    }
    assert_snapshot(&lines, "messages/encryption_value_with_comment.stderr");
    // Without a comment: the value read, and nothing about comments.
    let s = Scratch::with_config(
        sample
            .replace("encryption = false", "encryption = yes")
            .as_bytes(),
    );
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "messages/encryption_value_yes.stderr");
}

#[test]
fn fail_section_names_with_control_characters_are_shown_escaped() {
    let s = Scratch::sample();
    s.install_keys("test");
    // One line a run, in this order.
    let lines = [
        fail(&s, &["-p", "-s", "con\nfserv"], 3),
        fail(&s, &["--check", "-s", "con\rfserv"], 3),
        fail(&s, &["--reveal", "-s", "confserv\x1b[2J"], 3),
        fail(&s, &["-p", "db\nserver"], 3),
    ];
    assert_snapshot(&lines.concat(), "messages/control_characters.stderr");
    // From the library, a NUL byte (which a command line cannot carry).
    let e = confpass::database_password(s.path("confserv.conf"), "conf\0serv").unwrap_err();
    assert!(matches!(e, Error::SectionMissing { .. }), "{e:?}");
    assert_eq!(e.category(), Category::Config);
    assert_eq!(
        e.to_string(),
        format!(
            "configuration file {} has no section [\"conf\\0serv\"]: the name holds a control character (shown escaped), which no section name holds: check the name given with -s",
            s.path("confserv.conf").display()
        )
    );
    // A `server` option naming such a section.
    let text = s.read_str("confserv.conf");
    s.write(
        "confserv.conf",
        text.replace("server = dbserver", "server = db\u{7}server")
            .as_bytes(),
    );
    let err = fail(&s, &["--check"], 3);
    assert_snapshot(&err, "messages/control_character_in_server_option.stderr");
}

#[test]
fn fail_a_nul_byte_in_a_password_is_called_a_nul_byte() {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = run(
        &s,
        &["-p", "--password-stdin"],
        Some(b"Zq9\0-new-pass\n"),
        2,
    );
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert_snapshot(&stderr(&out), "messages/nul_byte_on_stdin.stderr");
    // In the file: a problem of the file, exit 3.
    let text = s.read_str("confserv.conf");
    s.write(
        "confserv.conf",
        text.replace(SAMPLE_PASSWORD, "S3cret\0pass").as_bytes(),
    );
    let err = fail(&s, &["-p"], 3);
    assert_snapshot(&err, "messages/nul_byte_in_file.stderr");
}

/// Sets the stored value of the encrypted sample in `s`.
fn set_value(s: &Scratch, value: &str) {
    let text = s.read_str("confserv.conf");
    let old = value_of(&text, "password").unwrap();
    s.write("confserv.conf", text.replace(&old, value).as_bytes());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn check_gives_a_corrupt_value_s_reason_alone() {
    let s = Scratch::sample();
    s.install_keys("test");
    assert_exit(&s.confpass().arg("-p").output().unwrap(), 0);
    let stored = value_of(&s.read_str("confserv.conf"), "password").unwrap();
    let value = EncryptedValue::parse(&stored).unwrap();
    let kid = KeyId::from_hex(TEST_KID).unwrap();

    let mut cipher = value.ciphertext().to_vec();
    cipher[10] ^= 0x55;
    let enc = s.path("enc.pem");
    let cases = [
        (
            EncryptedValue::from_parts(kid, cipher).to_string(),
            "it does not decrypt with ./dec.pem: the ciphertext is corrupted or was not made for this key".to_owned(),
        ),
        (
            format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:@@@]"),
            "the ciphertext is not valid base64 (Invalid symbol 64, offset 0.)".to_owned(),
        ),
        (
            EncryptedValue::from_parts(kid, openssl_encrypt("two\nlines", &enc, &OAEP_SHA256))
                .to_string(),
            "it decrypts with ./dec.pem, but to a password with a line break, which is no password confpass would store (another tool wrote it)".to_owned(),
        ),
    ];
    for (value, reason) in cases {
        set_value(&s, &value);
        let out = run(&s, &["--check"], None, 12);
        assert_eq!(
            stdout(&out),
            format!("confserv.conf: the password in [dbserver] is corrupt: {reason}\n")
        );
        assert_eq!(stderr(&out), "");
        let out = run(&s, &["--check", "--json"], None, 12);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["state"], "corrupt");
        assert_eq!(v["reason"], reason.as_str());
        let report = confpass::check(s.path("confserv.conf"), "confserv").unwrap();
        let confpass::State::Corrupt { reason: got } = report.state else {
            panic!("{report:?}");
        };
        assert!(
            !got.contains("confserv.conf") && !got.contains("[dbserver]"),
            "{got}"
        );
    }
}
