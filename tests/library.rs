//! The library as a Configuration Server implementation uses it: the start-up
//! call, key files and their permissions, the key API, the encrypted value
//! (including interoperability with stock OpenSSL), `encrypt_file`'s outcome,
//! and secrecy of the password in Debug output and error messages.

mod common;

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use confpass::{
    Category, DecryptionKey, EncryptedValue, EncryptionKey, Error, ExposeSecret, KeyFiles, KeyId,
    PasswordOrigin, Request, SecretString, database_password, encrypt_file,
};

/// A minimal server file with `encryption_line` (may be empty) and `password`.
fn config(encryption_line: &str, password: &str) -> String {
    format!(
        "; test file\n[confserv]\nport = 2020\nserver = dbserver\n{encryption_line}\n[log]\nall = stderr\n\n[dbserver]\nhost = db1\npassword = {password}\n"
    )
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn load_dec(name: &str) -> DecryptionKey {
    let s = Scratch::new();
    s.install_key(&format!("{name}-dec.pem"), "dec.pem");
    DecryptionKey::load(&s.path("dec.pem")).unwrap()
}

fn load_enc(name: &str) -> EncryptionKey {
    EncryptionKey::load(&testdata(&format!("keys/{name}-enc.pem"))).unwrap()
}

/// Unix-only: Windows has no modes.
#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Encrypts the sample in a scratch directory with the test keys beside it.
fn encrypted_sample() -> Scratch {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = encrypt_file(Request::new(s.path("confserv.conf"))).unwrap();
    assert!(out.changed);
    s
}

/// Inserts `line` right after the `[confserv]` header.
fn add_to_server_section(s: &Scratch, line: &str) {
    let text = s.read_str("confserv.conf");
    let text = text.replacen("[confserv]\n", &format!("[confserv]\n{line}\n"), 1);
    s.write("confserv.conf", text.as_bytes());
}

/// Panics if `err`'s Display or Debug contains `password`.
fn assert_error_hides(err: &Error, password: &str) {
    let display = err.to_string();
    let debug = format!("{err:?}");
    assert!(!display.contains(password), "Display leaks: {display}");
    assert!(!debug.contains(password), "Debug leaks: {debug}");
}

// ---------------------------------------------------------------------------
// database_password: plain values
// ---------------------------------------------------------------------------

const VERBATIM: &[&str] = &[
    "S3cret!pass",
    "semi;colon",
    "hash#tag",
    ";leading-semicolon",
    "#leading-hash",
    "\"double quoted\"",
    "'single quoted'",
    "back\\slash\\n\\t",
    "inner  spaces\tand tab",
    "a=b=c",
    "[not a section]",
    "ünïcødé €",
    "x",
];

#[test]
fn plain_password_is_returned_verbatim_with_encryption_false_or_absent() {
    for encryption in ["encryption = false", "Encryption=FALSE", ""] {
        for &password in VERBATIM {
            let s = Scratch::with_config(config(encryption, password).as_bytes());
            let got = database_password(s.path("confserv.conf"), "confserv")
                .unwrap_or_else(|e| panic!("{encryption:?} {password:?}: {e}"));
            assert_eq!(got.expose_secret(), password, "{encryption:?}");
        }
    }
}

#[test]
fn plain_password_ignores_surrounding_spaces_and_tabs_only() {
    let s = Scratch::with_config(config("", "  \t p a s s \t  ").as_bytes());
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), "p a s s");
}

#[test]
fn names_match_without_regard_to_case_and_crlf_is_read() {
    let text = "[ConfServ]\r\nServer = DBServer\r\nEncryption = false\r\n[dbserver]\r\nPassword = Pa;ss\r\n";
    let s = Scratch::with_config(text.as_bytes());
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), "Pa;ss");
}

/// The lines of `text` that are neither the password nor the encryption line.
fn other_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n')
        .filter(|l| {
            let name = l.split('=').next().unwrap().trim().to_ascii_lowercase();
            name != "password" && name != "encryption"
        })
        .collect()
}

#[test]
fn indented_comments_and_values_ending_in_a_backslash_do_not_stop_encryption() {
    // Valid files confpass reads itself (the plain start-up call works on
    // them), which `-p` must encrypt changing only the password and
    // `encryption` lines.
    let cases = [
        (
            "indented comment",
            " ; indented comment\n[confserv]\nserver = dbserver\nencryption = false\n\n[dbserver]\npassword = S3cret!pass\n",
        ),
        (
            "tab-indented comment in the database section",
            "[confserv]\nserver = dbserver\n\n[dbserver]\n\t# the database\npassword = S3cret!pass\n",
        ),
        (
            "Windows directory ending in a backslash",
            "[log]\nlogdir = C:\\logs\\\n[confserv]\nserver = dbserver\n[dbserver]\npassword = S3cret!pass\n",
        ),
    ];
    let mut failures = Vec::new();
    for (case, text) in cases {
        let s = Scratch::with_config(text.as_bytes());
        s.install_keys("test");
        let conf = s.path("confserv.conf");
        let plain = database_password(&conf, "confserv").unwrap();
        assert_eq!(plain.expose_secret(), SAMPLE_PASSWORD, "{case}");
        match encrypt_file(Request::new(&conf)) {
            Ok(out) => {
                assert!(out.changed, "{case}");
                let new = s.read_str("confserv.conf");
                assert_eq!(other_lines(&new), other_lines(text), "{case}");
                assert_eq!(value_of(&new, "encryption").as_deref(), Some("true"));
                let got = database_password(&conf, "confserv").unwrap();
                assert_eq!(got.expose_secret(), SAMPLE_PASSWORD, "{case}");
            }
            Err(e) => failures.push(format!("{case}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------
// database_password: encrypted values and where the key is found
// ---------------------------------------------------------------------------

#[test]
fn encrypted_password_is_decrypted_with_dec_pem_beside_the_file() {
    let s = encrypted_sample();
    let conf = s.read_str("confserv.conf");
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    let stored = value_of(&conf, "password").unwrap();
    assert!(
        stored.starts_with(&format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:")),
        "{stored}"
    );
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
}

#[test]
fn verbatim_passwords_survive_encryption() {
    for &password in VERBATIM {
        let s = Scratch::with_config(config("encryption = false", password).as_bytes());
        s.install_keys("test");
        encrypt_file(Request::new(s.path("confserv.conf"))).unwrap();
        let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
        assert_eq!(got.expose_secret(), password);
    }
}

#[test]
fn decryption_key_option_with_an_absolute_path_is_used() {
    let s = encrypted_sample();
    let elsewhere = Scratch::new();
    let key = elsewhere.path("private.pem");
    fs::rename(s.path("dec.pem"), &key).unwrap();

    // Without the option the default place is tried, and it is empty now.
    match database_password(s.path("confserv.conf"), "confserv") {
        Err(e @ Error::KeyNotFound { .. }) => {
            assert!(e.to_string().contains("dec.pem"), "{e}");
            assert_eq!(e.category(), Category::Key);
        }
        other => panic!("expected KeyNotFound, got {other:?}"),
    }

    add_to_server_section(&s, &format!("decryption-key = {}", key.display()));
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
}

#[test]
fn decryption_key_option_with_a_relative_path_is_resolved_against_the_file_directory() {
    // The process's working directory is the crate root: a path resolved
    // against it would not exist.
    for rel in ["keys/private.pem", "../keyring/private.pem"] {
        assert!(!Path::new(rel).exists());
        let s = encrypted_sample();
        let conf_dir = s.path("etc");
        fs::create_dir(&conf_dir).unwrap();
        fs::rename(s.path("confserv.conf"), conf_dir.join("confserv.conf")).unwrap();
        let key = conf_dir.join(rel);
        fs::create_dir_all(key.parent().unwrap()).unwrap();
        fs::rename(s.path("dec.pem"), &key).unwrap();
        let conf = conf_dir.join("confserv.conf");
        let text = fs::read_to_string(&conf).unwrap().replacen(
            "[confserv]\n",
            &format!("[confserv]\ndecryption-key = {rel}\n"),
            1,
        );
        fs::write(&conf, text).unwrap();
        let got = database_password(&conf, "confserv").unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(got.expose_secret(), SAMPLE_PASSWORD, "{rel}");
    }
}

// ---------------------------------------------------------------------------
// Permissions of the decryption key
// ---------------------------------------------------------------------------

// Unix-only: file modes (on Windows a DACL protects the key instead).
#[cfg(unix)]
#[test]
fn fail_decryption_key_readable_by_group_or_others_is_refused_with_the_chmod_fix() {
    let s = encrypted_sample();
    let dec = s.path("dec.pem");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        chmod(&dec, mode);
        let before = s.snapshot();
        for (how, result) in [
            (
                "database_password",
                database_password(s.path("confserv.conf"), "confserv").map(|_| ()),
            ),
            ("DecryptionKey::load", DecryptionKey::load(&dec).map(|_| ())),
        ] {
            let err = result.expect_err(&format!("{how} accepted mode {mode:o}"));
            assert!(
                matches!(err, Error::KeyPermissions { .. }),
                "{how} {mode:o}: {err:?}"
            );
            assert_eq!(err.category(), Category::Key);
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("chmod 600 {}", dec.display())),
                "{how} {mode:o}: {msg}"
            );
            assert_error_hides(&err, SAMPLE_PASSWORD);
        }
        assert_eq!(s.snapshot(), before, "a refused key changed files");
    }
}

// Unix-only: file modes (on Windows a DACL protects the key instead).
#[cfg(unix)]
#[test]
fn decryption_key_with_mode_0600_or_0400_is_accepted() {
    let s = encrypted_sample();
    for mode in [0o600, 0o400] {
        chmod(&s.path("dec.pem"), mode);
        let got = database_password(s.path("confserv.conf"), "confserv")
            .unwrap_or_else(|e| panic!("mode {mode:o}: {e}"));
        assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
    }
}

// ---------------------------------------------------------------------------
// The password never shows
// ---------------------------------------------------------------------------

#[test]
fn returned_secret_debug_is_redacted() {
    for s in [Scratch::sample(), {
        let s = encrypted_sample();
        #[cfg(unix)] // Unix-only: file modes.
        chmod(&s.path("dec.pem"), 0o600);
        s
    }] {
        let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
        let debug = format!("{got:?}");
        assert!(!debug.contains(SAMPLE_PASSWORD), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
        let wrapped = format!("{:?}", Some(&got));
        assert!(!wrapped.contains(SAMPLE_PASSWORD), "{wrapped}");
    }
}

#[test]
fn fail_errors_never_contain_the_password() {
    const PW: &str = "Leak-Me-Not-7391";
    let mut errors: Vec<(&str, Error)> = Vec::new();

    // `encryption = true` with a plain value.
    let s = Scratch::with_config(config("encryption = true", PW).as_bytes());
    errors.push((
        "mismatch",
        database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
    ));

    // An `encryption` value that is neither true nor false.
    let s = Scratch::with_config(config("encryption = maybe", PW).as_bytes());
    errors.push((
        "bad encryption",
        database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
    ));

    // The password option twice.
    let text = config("", PW).replace(
        "password = ",
        &format!("password = other-{PW}\nPassword = "),
    );
    let s = Scratch::with_config(text.as_bytes());
    errors.push((
        "duplicate",
        database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
    ));

    // A password too long for a 2048-bit key, from the file and from the caller.
    let long = format!("{PW}{}", "x".repeat(200));
    let s = Scratch::with_config(config("", &long).as_bytes());
    s.install_keys("test");
    errors.push((
        "too long (file)",
        encrypt_file(Request::new(s.path("confserv.conf"))).unwrap_err(),
    ));
    let s = Scratch::sample();
    s.install_keys("test");
    errors.push((
        "too long (caller)",
        encrypt_file(
            Request::new(s.path("confserv.conf")).password(secret(&long), PasswordOrigin::Caller),
        )
        .unwrap_err(),
    ));
    errors.push((
        "too long (EncryptedValue)",
        EncryptedValue::encrypt(&load_enc("test"), &secret(&long)).unwrap_err(),
    ));

    // A password with a line break.
    errors.push((
        "line break",
        encrypt_file(
            Request::new(s.path("confserv.conf"))
                .password(secret(&format!("{PW}\nsecond")), PasswordOrigin::Stdin),
        )
        .unwrap_err(),
    ));

    // Encrypted for the test key, but dec.pem is the other key.
    let s = Scratch::with_config(config("", PW).as_bytes());
    s.install_keys("test");
    encrypt_file(Request::new(s.path("confserv.conf"))).unwrap();
    s.install_key("other-dec.pem", "dec.pem");
    errors.push((
        "wrong key",
        database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
    ));

    // Corrupted ciphertext for the right key id.
    s.install_keys("test");
    let text = s.read_str("confserv.conf");
    let stored = value_of(&text, "password").unwrap();
    let value = EncryptedValue::parse(&stored).unwrap();
    let mut bytes = value.ciphertext().to_vec();
    bytes[100] ^= 0x55;
    let corrupted = EncryptedValue::from_parts(value.key_id(), bytes).to_string();
    s.write(
        "confserv.conf",
        text.replace(&stored, &corrupted).as_bytes(),
    );
    errors.push((
        "corrupted",
        database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
    ));

    // An unprotected key. Unix-only: file modes (on Windows a DACL protects
    // the key instead).
    #[cfg(unix)]
    {
        s.write("confserv.conf", text.as_bytes());
        chmod(&s.path("dec.pem"), 0o644);
        errors.push((
            "permissions",
            database_password(s.path("confserv.conf"), "confserv").unwrap_err(),
        ));
    }

    for (case, err) in &errors {
        assert_error_hides(err, PW);
        assert!(!err.to_string().is_empty(), "{case}");
    }
    let kinds: Vec<String> = errors
        .iter()
        .map(|(case, e)| {
            format!(
                "{case}: {}",
                format!("{e:?}").split([' ', '{', '(']).next().unwrap()
            )
        })
        .collect();
    #[cfg_attr(not(unix), expect(unused_mut))]
    let mut expected = vec![
        "mismatch: EncryptionMismatch",
        "bad encryption: BadValue",
        "duplicate: DuplicateOption",
        "too long (file): BadValue",
        "too long (caller): PasswordTooLong",
        "too long (EncryptedValue): PasswordTooLong",
        "line break: PasswordLineBreak",
        "wrong key: WrongKey",
        "corrupted: DecryptFailed",
    ];
    #[cfg(unix)] // Unix-only: the unprotected key above.
    expected.push("permissions: KeyPermissions");
    assert_eq!(kinds, expected);
}

// ---------------------------------------------------------------------------
// Key API
// ---------------------------------------------------------------------------

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn generated_key_saves_as_pkcs8_0600_and_spki_0644_and_never_overwrites() {
    let s = Scratch::new();
    let key = DecryptionKey::generate(2048).unwrap();
    assert_eq!(key.public().bits(), 2048);
    key.save(&s.path("dec.pem")).unwrap();
    key.public().save(&s.path("enc.pem")).unwrap();

    #[cfg(unix)] // Unix-only: file modes.
    {
        assert_eq!(s.mode("dec.pem"), 0o600);
        assert_eq!(s.mode("enc.pem"), 0o644);
    }
    let dec_text = s.read_str("dec.pem");
    let enc_text = s.read_str("enc.pem");
    assert!(
        dec_text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{dec_text}"
    );
    assert!(
        enc_text.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{enc_text}"
    );

    // Both load back as the same pair; the id is the OpenSSL figure.
    let dec = DecryptionKey::load(&s.path("dec.pem")).unwrap();
    let enc = EncryptionKey::load(&s.path("enc.pem")).unwrap();
    assert_eq!(dec.id(), key.id());
    assert_eq!(enc.id(), key.id());
    assert_eq!(key.id().to_string(), openssl_key_id(&s.path("enc.pem")));

    // Saving over existing files fails and leaves them as they were.
    let before = s.snapshot();
    let other = load_dec("other");
    for (what, result) in [
        ("dec", other.save(&s.path("dec.pem"))),
        ("enc", other.public().save(&s.path("enc.pem"))),
        ("same key again", key.save(&s.path("dec.pem"))),
    ] {
        match result {
            Err(e @ Error::KeyExists { .. }) => assert_eq!(e.category(), Category::Io),
            other => panic!("{what}: expected KeyExists, got {other:?}"),
        }
    }
    assert_eq!(s.snapshot(), before, "an existing key file was changed");
}

#[test]
fn fail_generate_refuses_sizes_other_than_2048_3072_4096() {
    for bits in [0, 1024, 2047, 2049, 8192] {
        assert!(
            matches!(DecryptionKey::generate(bits), Err(Error::BadKeySize { .. })),
            "{bits}"
        );
    }
}

#[test]
fn pkcs1_keys_load_and_are_one_pair() {
    let dec = load_dec("pkcs1");
    let enc = EncryptionKey::load(&testdata("keys/pkcs1-enc.pem")).unwrap();
    assert_eq!(dec.id(), enc.id());
    assert_eq!(dec.id().to_string(), PKCS1_KID);
    let value = EncryptedValue::encrypt(&enc, &secret("pkcs1 pass")).unwrap();
    assert_eq!(value.decrypt(&dec).unwrap().expose_secret(), "pkcs1 pass");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn key_id_is_16_lowercase_hex_and_matches_the_openssl_pipeline() {
    for (name, kid) in [("test", TEST_KID), ("other", OTHER_KID)] {
        let enc_path = testdata(&format!("keys/{name}-enc.pem"));
        let id = EncryptionKey::load(&enc_path).unwrap().id();
        let shown = id.to_string();
        assert_eq!(shown.len(), 16);
        assert!(
            shown
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{shown}"
        );
        assert_eq!(shown, kid);
        assert_eq!(shown, openssl_key_id(&enc_path));
        assert_eq!(KeyId::from_hex(&shown), Some(id));
        assert_eq!(load_dec(name).id(), id);
        assert_eq!(load_dec(name).public().id(), id);
    }
}

// ---------------------------------------------------------------------------
// EncryptedValue
// ---------------------------------------------------------------------------

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn encrypted_value_round_trips_through_its_text_form() {
    let enc = load_enc("test");
    let dec = load_dec("test");
    for password in ["p", "S3cret!pass", "a;b#c \"d\" 'e' \\f", &"é".repeat(95)] {
        let value = EncryptedValue::encrypt(&enc, &secret(password)).unwrap();
        assert_eq!(value.key_id(), enc.id());
        assert_eq!(value.ciphertext().len(), 256);
        let text = value.to_string();
        assert!(
            text.starts_with(&format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:")),
            "{text}"
        );
        assert!(text.ends_with(']'));
        assert!(
            !text.contains([' ', '\t', ';', '#', '"', '\'', '\\']),
            "{text}"
        );
        let parsed = EncryptedValue::parse(&text).unwrap();
        assert_eq!(parsed, value);
        assert_eq!(parsed.decrypt(&dec).unwrap().expose_secret(), password);
        // Stock OpenSSL reads the same value.
        let s = Scratch::new();
        s.install_key("test-dec.pem", "dec.pem");
        assert_eq!(openssl_decrypt(&text, &s.path("dec.pem")), password);
    }
}

#[test]
fn encryption_is_randomised() {
    let enc = load_enc("test");
    let a = EncryptedValue::encrypt(&enc, &secret("same")).unwrap();
    let b = EncryptedValue::encrypt(&enc, &secret("same")).unwrap();
    assert_ne!(a.ciphertext(), b.ciphertext());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn ciphertext_made_by_openssl_decrypts_through_the_library() {
    let enc_path = testdata("keys/test-enc.pem");
    let dec = load_dec("test");
    let kid = KeyId::from_hex(TEST_KID).unwrap();
    let password = "made by openssl; #1 \"pass\"";
    let cipher = openssl_encrypt(password, &enc_path, &OAEP_SHA256);
    assert_eq!(cipher.len(), 256);

    let value = EncryptedValue::from_parts(kid, cipher);
    assert_eq!(value.decrypt(&dec).unwrap().expose_secret(), password);

    // And through the start-up call, written into a file by hand.
    let text = config("encryption = true", &value.to_string());
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), password);
}

#[test]
fn fail_decrypting_with_the_other_pair_is_a_key_id_mismatch() {
    let value = EncryptedValue::encrypt(&load_enc("test"), &secret("pw")).unwrap();
    match value.decrypt(&load_dec("other")) {
        Err(e @ Error::KeyIdMismatch { value_id, key_id }) => {
            assert_eq!(value_id.to_string(), TEST_KID);
            assert_eq!(key_id.to_string(), OTHER_KID);
            assert_eq!(e.category(), Category::Key);
            let msg = e.to_string();
            assert!(msg.contains(TEST_KID) && msg.contains(OTHER_KID), "{msg}");
        }
        other => panic!("expected KeyIdMismatch, got {other:?}"),
    }
}

#[test]
fn fail_ciphertext_for_another_key_under_the_right_id_is_undecryptable() {
    // The value claims the other key's id, but was made for the test key.
    let value = EncryptedValue::encrypt(&load_enc("test"), &secret("pw")).unwrap();
    let forged = EncryptedValue::from_parts(
        KeyId::from_hex(OTHER_KID).unwrap(),
        value.ciphertext().to_vec(),
    );
    match forged.decrypt(&load_dec("other")) {
        Err(e @ Error::Undecryptable { .. }) => assert_eq!(e.category(), Category::Decrypt),
        other => panic!("expected Undecryptable, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// encrypt_file and its Outcome
// ---------------------------------------------------------------------------

#[test]
fn outcome_reports_changed_then_unchanged() {
    let s = Scratch::sample();
    s.install_keys("test");
    let conf = s.path("confserv.conf");

    let first = encrypt_file(Request::new(&conf)).unwrap();
    assert!(first.changed);
    assert!(first.created.is_empty());
    assert_eq!(first.key_id.to_string(), TEST_KID);
    assert_eq!(first.file, conf);
    assert_eq!(first.server_section, "confserv");
    assert_eq!(first.db_section, "dbserver");

    let before = s.snapshot();
    let second = encrypt_file(Request::new(&conf)).unwrap();
    assert!(!second.changed);
    assert!(second.created.is_empty());
    assert_eq!(second.key_id.to_string(), TEST_KID);
    assert_eq!(s.snapshot(), before, "an unchanged run wrote something");

    // The same password again: nothing to do.
    let same =
        encrypt_file(Request::new(&conf).password(secret(SAMPLE_PASSWORD), PasswordOrigin::Caller))
            .unwrap();
    assert!(!same.changed);
    assert_eq!(s.snapshot(), before);

    // A new password: rotation.
    let rotated =
        encrypt_file(Request::new(&conf).password(secret("n3w;pass#"), PasswordOrigin::Stdin))
            .unwrap();
    assert!(rotated.changed);
    assert!(rotated.created.is_empty());
    let got = database_password(&conf, "confserv").unwrap();
    assert_eq!(got.expose_secret(), "n3w;pass#");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn outcome_reports_generated_key_files() {
    let s = Scratch::sample();
    let conf = s.path("confserv.conf");
    let out = encrypt_file(Request::new(&conf).bits(2048)).unwrap();
    assert!(out.changed);
    let created: Vec<PathBuf> = out.created.clone();
    assert_eq!(created, vec![s.path("dec.pem"), s.path("enc.pem")]);
    #[cfg(unix)] // Unix-only: file modes.
    {
        assert_eq!(s.mode("dec.pem"), 0o600);
        assert_eq!(s.mode("enc.pem"), 0o644);
    }
    let enc = EncryptionKey::load(&s.path("enc.pem")).unwrap();
    assert_eq!(enc.bits(), 2048);
    assert_eq!(out.key_id, enc.id());
    assert_eq!(out.key_id.to_string(), openssl_key_id(&s.path("enc.pem")));
    let got = database_password(&conf, "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn outcome_reports_a_derived_public_key() {
    let s = Scratch::sample();
    s.install_key("test-dec.pem", "dec.pem");
    let out = encrypt_file(Request::new(s.path("confserv.conf"))).unwrap();
    assert!(out.changed);
    assert_eq!(out.created, vec![s.path("enc.pem")]);
    assert_eq!(out.key_id.to_string(), TEST_KID);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("enc.pem"), 0o644);
    assert_eq!(openssl_key_id(&s.path("enc.pem")), TEST_KID);
}

#[test]
fn public_key_alone_encrypts_and_the_start_up_call_then_needs_the_private_key() {
    let s = Scratch::sample();
    s.install_key("test-enc.pem", "enc.pem");
    let out = encrypt_file(Request::new(s.path("confserv.conf"))).unwrap();
    assert!(out.changed);
    assert!(out.created.is_empty());
    assert!(!s.exists("dec.pem"));
    assert!(matches!(
        database_password(s.path("confserv.conf"), "confserv"),
        Err(Error::KeyNotFound { .. })
    ));
    s.install_key("test-dec.pem", "dec.pem");
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
}

#[test]
fn explicit_key_files_elsewhere_add_decryption_key() {
    let s = Scratch::sample();
    let keys = Scratch::new();
    keys.install_keys("test");
    let (enc, dec) = (keys.path("enc.pem"), keys.path("dec.pem"));
    let out = encrypt_file(
        Request::new(s.path("confserv.conf")).keys(KeyFiles::Explicit {
            enc: enc.clone(),
            dec: dec.clone(),
        }),
    )
    .unwrap();
    assert!(out.changed);
    assert!(out.created.is_empty());
    assert_eq!(out.key_id.to_string(), TEST_KID);

    let conf = s.read_str("confserv.conf");
    assert_eq!(
        value_of(&conf, "decryption-key").map(PathBuf::from),
        Some(dec.clone())
    );
    // The new option sits in the server section, before [log].
    let at = conf.find("decryption-key").unwrap();
    assert!(at > conf.find("[confserv]").unwrap() && at < conf.find("[log]").unwrap());
    assert!(!s.exists("dec.pem") && !s.exists("enc.pem"));

    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);

    // Running again with the same keys changes nothing.
    let before = s.snapshot();
    let again =
        encrypt_file(Request::new(s.path("confserv.conf")).keys(KeyFiles::Explicit { enc, dec }))
            .unwrap();
    assert!(!again.changed);
    assert_eq!(s.snapshot(), before);
}

#[test]
fn explicit_key_files_at_the_default_place_add_nothing() {
    let s = Scratch::sample();
    s.install_keys("test");
    encrypt_file(
        Request::new(s.path("confserv.conf")).keys(KeyFiles::Explicit {
            enc: s.path("enc.pem"),
            dec: s.path("dec.pem"),
        }),
    )
    .unwrap();
    let conf = s.read_str("confserv.conf");
    assert_eq!(value_of(&conf, "decryption-key"), None, "{conf}");
}

#[test]
fn explicit_key_files_generated_elsewhere_are_reported() {
    let s = Scratch::sample();
    let keys = Scratch::new();
    let (enc, dec) = (keys.path("pub.pem"), keys.path("priv.pem"));
    let out = encrypt_file(Request::new(s.path("confserv.conf")).bits(2048).keys(
        KeyFiles::Explicit {
            enc: enc.clone(),
            dec: dec.clone(),
        },
    ))
    .unwrap();
    assert_eq!(out.created, vec![dec.clone(), enc.clone()]);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(keys.mode("priv.pem"), 0o600);
    let got = database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), SAMPLE_PASSWORD);
}

// ---------------------------------------------------------------------------
// The library without the command line
// ---------------------------------------------------------------------------

fn normal_dependencies(features: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal", "--prefix", "none"])
        .args(features)
        .arg("--manifest-path")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs cargo tree, a host tool, which wine cannot start"
)]
fn library_without_default_features_has_no_cli_dependencies() {
    let lib_only = normal_dependencies(&["--no-default-features", "--features", "rustcrypto"]);
    assert!(lib_only.iter().any(|d| d == "rsa"), "{lib_only:?}");
    for cli in ["clap", "rpassword"] {
        assert!(
            !lib_only.iter().any(|d| d == cli),
            "{cli} is a dependency without the cli feature"
        );
    }
    // The check is not vacuous: the default build does have them.
    let full = normal_dependencies(&[]);
    for cli in ["clap", "rpassword"] {
        assert!(full.iter().any(|d| d == cli), "{full:?}");
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs cargo tree, a host tool, which wine cannot start"
)]
fn each_backend_build_holds_its_own_rsa_implementation_and_not_the_other() {
    // The release files are the aws-lc build: `rsa` (RUSTSEC-2023-0071) is
    // not in it at all, so `cargo audit bin` has nothing to except.
    let aws_lc = normal_dependencies(&[
        "-p",
        "confpass",
        "--no-default-features",
        "--features",
        "cli,pkcs11,aws-lc",
    ]);
    assert!(aws_lc.iter().any(|d| d == "aws-lc-rs"), "{aws_lc:?}");
    assert!(!aws_lc.iter().any(|d| d == "rsa"), "{aws_lc:?}");
    let rustcrypto = normal_dependencies(&["-p", "confpass"]);
    assert!(rustcrypto.iter().any(|d| d == "rsa"), "{rustcrypto:?}");
    assert!(
        !rustcrypto.iter().any(|d| d.starts_with("aws-lc")),
        "{rustcrypto:?}"
    );
}
