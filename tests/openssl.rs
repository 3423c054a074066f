//! OpenSSL both ways, with keys OpenSSL makes while the test runs: keys from
//! `openssl genpkey` (PKCS#8 + SubjectPublicKeyInfo) and `openssl genrsa
//! -traditional` (PKCS#1, its public half in both PKCS#1 and SPKI form) work
//! with `confpass -p -keys ENC DEC`; what confpass writes decrypts with
//! `openssl pkeyutl`; what `openssl pkeyutl` encrypts, in the `ENC[…]` form,
//! decrypts through the library; the key ids agree with OpenSSL's pipeline;
//! and OAEP with SHA-1 (OpenSSL's default digest) is refused: the algorithm
//! is fixed.

mod common;

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine as _;
use common::*;
use confpass::{EncryptionKey, Error, ExposeSecret};

/// A password with the characters an INI file and a shell find awkward.
const PASSWORD: &str = "Op3n;SSL #pw=\\\"x' y";

/// Unix-only: Windows has no modes.
#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The first PEM line of a file, e.g. `-----BEGIN RSA PRIVATE KEY-----`.
fn pem_label(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The sample configuration with [`PASSWORD`] in it.
fn sample_with_test_password() -> Scratch {
    let text = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    let text = text.replace(
        &format!("password = {SAMPLE_PASSWORD}"),
        &format!("password = {PASSWORD}"),
    );
    Scratch::with_config(text.as_bytes())
}

/// `-p -keys ENC DEC` with OpenSSL's key files in `keys/`: the value names
/// OpenSSL's key id, decrypts with `openssl pkeyutl`, and through the
/// start-up call. `make` writes `keys/enc.pem` and `keys/dec.pem`.
fn check_confpass_uses_openssl_keys(what: &str, make: impl Fn(&Path)) {
    let s = sample_with_test_password();
    let keys = s.path("keys");
    fs::create_dir(&keys).unwrap();
    make(&keys);
    #[cfg(unix)] // Unix-only: file modes.
    chmod(&keys.join("dec.pem"), 0o600);
    let (enc, dec) = (keys.join("enc.pem"), keys.join("dec.pem"));
    let keys_before = (fs::read(&enc).unwrap(), fs::read(&dec).unwrap());

    let out = s
        .confpass()
        .args(["-p", "-keys", "keys/enc.pem", "keys/dec.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{what}: {}", all_output(&out));
    assert_no_password(&out, PASSWORD);
    assert_eq!(
        (fs::read(&enc).unwrap(), fs::read(&dec).unwrap()),
        keys_before,
        "{what}: confpass rewrote OpenSSL's key files"
    );

    // The key id: OpenSSL's pipeline over the SPKI DER, the success line,
    // the stored value and the library agree.
    let openssl_kid = openssl_key_id(&enc);
    assert_eq!(openssl_kid.len(), 16, "{what}: {openssl_kid:?}");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.contains(&format!("with key {openssl_kid}")),
        "{what}: success line {line:?} vs OpenSSL's key id {openssl_kid}"
    );
    assert_eq!(
        EncryptionKey::load(&enc).unwrap().id().to_string(),
        openssl_kid,
        "{what}"
    );
    let config = s.read_str("confserv.conf");
    let value = value_of(&config, "password").unwrap();
    assert!(
        value.starts_with(&format!("ENC[RSA-OAEP-SHA256,kid:{openssl_kid},data:")),
        "{what}: {value}"
    );

    // Stock OpenSSL decrypts what confpass wrote, and so does the start-up call.
    assert_eq!(openssl_decrypt(&value, &dec), PASSWORD, "{what}");
    let password = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(password.expose_secret(), PASSWORD, "{what}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn pkcs8_keys_from_openssl_genpkey_work_both_ways() {
    check_confpass_uses_openssl_keys("genpkey PKCS#8 + SPKI", |keys| {
        genpkey(keys, 2048, "dec.pem");
        openssl(
            keys,
            &["pkey", "-in", "dec.pem", "-pubout", "-out", "enc.pem"],
        );
        assert_eq!(
            pem_label(&keys.join("dec.pem")),
            "-----BEGIN PRIVATE KEY-----"
        );
        assert_eq!(
            pem_label(&keys.join("enc.pem")),
            "-----BEGIN PUBLIC KEY-----"
        );
    });
}

/// A PKCS#1 private key by `openssl genrsa -traditional` in `keys/dec.pem`.
fn genrsa_traditional(keys: &Path) {
    openssl(keys, &["genrsa", "-traditional", "-out", "dec.pem", "2048"]);
    assert_eq!(
        pem_label(&keys.join("dec.pem")),
        "-----BEGIN RSA PRIVATE KEY-----"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn pkcs1_keys_from_openssl_genrsa_traditional_work_both_ways() {
    check_confpass_uses_openssl_keys("genrsa PKCS#1 + RSAPublicKey", |keys| {
        genrsa_traditional(keys);
        openssl(
            keys,
            &[
                "rsa",
                "-in",
                "dec.pem",
                "-RSAPublicKey_out",
                "-out",
                "enc.pem",
            ],
        );
        assert_eq!(
            pem_label(&keys.join("enc.pem")),
            "-----BEGIN RSA PUBLIC KEY-----"
        );
    });
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn pkcs1_private_key_with_spki_public_key_works_both_ways() {
    check_confpass_uses_openssl_keys("genrsa PKCS#1 + SPKI", |keys| {
        genrsa_traditional(keys);
        openssl(
            keys,
            &["rsa", "-in", "dec.pem", "-pubout", "-out", "enc.pem"],
        );
        assert_eq!(
            pem_label(&keys.join("enc.pem")),
            "-----BEGIN PUBLIC KEY-----"
        );
    });
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn pkcs1_and_spki_forms_of_one_public_key_have_one_key_id() {
    let s = Scratch::new();
    let dir = s.dir.path();
    genrsa_traditional(dir);
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "dec.pem",
            "-RSAPublicKey_out",
            "-out",
            "pkcs1.pem",
        ],
    );
    openssl(
        dir,
        &["rsa", "-in", "dec.pem", "-pubout", "-out", "spki.pem"],
    );
    let openssl_kid = openssl_key_id(&s.path("spki.pem"));
    for file in ["pkcs1.pem", "spki.pem"] {
        let kid = EncryptionKey::load(&s.path(file)).unwrap().id().to_string();
        assert_eq!(kid, openssl_kid, "{file}");
    }
}

/// A configuration whose password is `ENC[RSA-OAEP-SHA256,kid:<kid>,data:<cipher>]`
/// with `encryption = true`, beside an OpenSSL key pair `enc.pem` / `dec.pem`
/// (0600); the ciphertext made by OpenSSL with `opts`.
fn config_encrypted_by_openssl(opts: &[&str]) -> Scratch {
    let s = Scratch::new();
    let dir = s.dir.path();
    genpkey(dir, 2048, "dec.pem");
    #[cfg(unix)] // Unix-only: file modes.
    chmod(&s.path("dec.pem"), 0o600);
    openssl(
        dir,
        &["pkey", "-in", "dec.pem", "-pubout", "-out", "enc.pem"],
    );
    let kid = openssl_key_id(&s.path("enc.pem"));
    let data = base64::engine::general_purpose::STANDARD.encode(openssl_encrypt(
        PASSWORD,
        &dir.join("enc.pem"),
        opts,
    ));
    let text = fs::read_to_string(testdata("sample/confserv.conf"))
        .unwrap()
        .replace("encryption = false", "encryption = true")
        .replace(
            &format!("password = {SAMPLE_PASSWORD}"),
            &format!("password = ENC[RSA-OAEP-SHA256,kid:{kid},data:{data}]"),
        );
    s.write("confserv.conf", text.as_bytes());
    s
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn value_encrypted_by_openssl_pkeyutl_decrypts_through_the_library_and_the_binary() {
    let s = config_encrypted_by_openssl(&OAEP_SHA256);
    let password = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(password.expose_secret(), PASSWORD);

    let check = s.confpass().arg("--check").output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", all_output(&check));
    let reveal = s.confpass().arg("--reveal").output().unwrap();
    assert_eq!(reveal.status.code(), Some(0), "{}", all_output(&reveal));
    assert_eq!(
        String::from_utf8_lossy(&reveal.stdout),
        format!("{PASSWORD}\n")
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_value_encrypted_by_openssl_with_oaep_sha1_does_not_decrypt() {
    // OpenSSL's OAEP default is SHA-1 for both digests: another algorithm,
    // which confpass must not accept under the RSA-OAEP-SHA256 label.
    let s = config_encrypted_by_openssl(&["-pkeyopt", "rsa_padding_mode:oaep"]);
    let snapshot = s.snapshot();
    match confpass::database_password(s.path("confserv.conf"), "confserv") {
        Err(Error::DecryptFailed { .. }) => {}
        Err(e) => panic!("expected DecryptFailed, got {e:?}"),
        Ok(_) => panic!("a value encrypted with OAEP SHA-1 decrypted"),
    }
    let out = s.confpass().arg("--reveal").output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", all_output(&out));
    assert!(out.stdout.is_empty(), "{}", all_output(&out));
    assert_no_password(&out, PASSWORD);
    let check = s.confpass().arg("--check").output().unwrap();
    assert_eq!(check.status.code(), Some(12), "{}", all_output(&check));
    assert_eq!(s.snapshot(), snapshot, "a failed decryption changed a file");
}
