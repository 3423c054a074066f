//! The known-answer vectors of docs/FORMAT.md (`testdata/vectors/`), checked
//! through the public library (key loading, key ids, `EncryptedValue::parse`
//! and `decrypt`) and against stock OpenSSL, the documented recovery path:
//! every valid value decrypts to its password both ways, every invalid one
//! is refused with its class, and OpenSSL refuses what confpass calls a
//! decryption failure (the leading byte of 1 included). The generator that
//! rebuilds the vectors is compiled in from `testdata/vectors/generate.rs`.

mod common;

#[path = "../testdata/vectors/generate.rs"]
mod generate;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, Error, ExposeSecret};
use serde_json::Value;

fn vectors() -> Value {
    let text = fs::read_to_string(generate::dir().join("vectors.json")).expect("vectors.json");
    serde_json::from_str(&text).expect("vectors.json is JSON")
}

fn list<'a>(doc: &'a Value, name: &str) -> &'a [Value] {
    doc[name].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} has no string `{name}`", v["id"]))
}

fn path_of(rel: &str) -> PathBuf {
    generate::dir().join(rel)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Loads a private key of the vectors the way a user's key is loaded:
/// `DecryptionKey::load` on a copy with mode 0600 on Unix (git keeps no modes).
fn load_private(rel: &str) -> DecryptionKey {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("dec.pem");
    fs::copy(path_of(rel), &copy).expect("copy key");
    #[cfg(unix)] // Unix-only: file modes.
    common::set_mode(&copy, 0o600);
    DecryptionKey::load(&copy).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `openssl pkeyutl -decrypt` with confpass's OAEP options on the ciphertext
/// of `value`: the plaintext, or OpenSSL's complaint.
fn openssl_try_decrypt(value: &str, dec: &Path) -> Result<Vec<u8>, String> {
    let data = value
        .split("data:")
        .nth(1)
        .and_then(|d| d.strip_suffix(']'))
        .ok_or("no data: field")?;
    let cipher = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("cipher.bin");
    fs::write(&input, cipher).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-decrypt", "-inkey"])
        .arg(dec)
        .arg("-in")
        .arg(&input)
        .args(common::OAEP_SHA256)
        .output()
        .expect("openssl must be installed (.ci/run installs it)");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Whether `value` matches the ABNF of docs/FORMAT.md, translated by hand:
///
/// ```text
/// value      = %s"ENC[" algorithm %s",kid:" key-id %s",data:" ciphertext "]"
/// algorithm  = %s"RSA-OAEP-SHA256"
/// key-id     = 16LHEXDIG
/// ciphertext = *b64-quad ( b64-quad / b64-final )
/// b64-final  = 2b64-char b64-end2 "=" / b64-char b64-end1 "=="
/// ```
fn matches_abnf(value: &str) -> bool {
    let Some(rest) = value
        .strip_prefix("ENC[RSA-OAEP-SHA256,kid:")
        .and_then(|r| r.strip_suffix(']'))
    else {
        return false;
    };
    let Some((kid, data)) = rest.split_once(",data:") else {
        return false;
    };
    let lhex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if kid.len() != 16 || !kid.bytes().all(lhex) {
        return false;
    }
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let d = data.as_bytes();
    if d.is_empty() || d.len() % 4 != 0 {
        return false;
    }
    let (groups, last) = d.split_at(d.len() - 4);
    if !groups.iter().all(|&c| b64(c)) {
        return false;
    }
    // The last group: b64-quad / b64-final.
    match *last {
        [a, b, b'=', b'='] => b64(a) && b"AQgw".contains(&b),
        [a, b, c, b'='] => b64(a) && b64(b) && b"AEIMQUYcgkosw048".contains(&c),
        [a, b, c, d] => b64(a) && b64(b) && b64(c) && b64(d),
        _ => false,
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn keys_load_with_the_key_ids_the_vectors_give() {
    let doc = vectors();
    let keys = list(&doc, "keys");
    assert_eq!(keys.len(), generate::KEYS.len());
    for k in keys {
        let (private, public, kid) = (field(k, "private"), field(k, "public"), field(k, "key_id"));
        let dec = load_private(private);
        let enc = EncryptionKey::load(&path_of(public)).unwrap_or_else(|e| panic!("{public}: {e}"));
        assert_eq!(dec.id().to_string(), kid, "{private}");
        assert_eq!(enc.id().to_string(), kid, "{public}");
        assert_eq!(
            enc.bits() as u64,
            k["bits"].as_u64().expect("bits"),
            "{public}"
        );
        assert_eq!(
            common::openssl_key_id(&path_of(public)),
            kid,
            "{public}: the openssl pipeline"
        );
    }
}

#[test]
fn the_vector_keys_are_the_test_keys_of_testdata_keys() {
    for name in ["test", "other", "pkcs1"] {
        for half in ["dec", "enc"] {
            let file = format!("{name}-{half}.pem");
            assert_eq!(
                fs::read(path_of(&format!("keys/{file}"))).expect("vector key"),
                fs::read(common::testdata(&format!("keys/{file}"))).expect("test key"),
                "testdata/vectors/keys/{file} differs from testdata/keys/{file}"
            );
        }
    }
    assert_eq!(
        generate::KEYS[0].private,
        "keys/test-dec.pem",
        "the first key is the main test key"
    );
}

#[test]
fn valid_vectors_decrypt_to_their_passwords() {
    let doc = vectors();
    for v in list(&doc, "valid") {
        let (id, text, password) = (field(v, "id"), field(v, "value"), field(v, "password"));
        assert!(
            matches_abnf(text),
            "{id}: the value does not match the ABNF"
        );
        let value = EncryptedValue::parse(text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(value.to_string(), text, "{id}: formatting is canonical");
        let key = load_private(field(v, "key"));
        assert_eq!(value.key_id(), key.id(), "{id}");
        assert_eq!(
            value.ciphertext().len(),
            key.public().ciphertext_len(),
            "{id}: k bytes"
        );
        let got = value.decrypt(&key).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(got.expose_secret(), password, "{id}");
        assert_eq!(
            password.as_bytes(),
            unhex(field(v, "plaintext_hex")),
            "{id}"
        );
        assert_eq!(
            value.decrypt_bytes(&key).expect("bytes").as_slice(),
            password.as_bytes(),
            "{id}"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn stock_openssl_decrypts_every_valid_vector() {
    let doc = vectors();
    for v in list(&doc, "valid") {
        let id = field(v, "id");
        let got = openssl_try_decrypt(field(v, "value"), &path_of(field(v, "key")))
            .unwrap_or_else(|e| panic!("{id}: openssl refused a valid vector: {e}"));
        assert_eq!(got, field(v, "password").as_bytes(), "{id}");
    }
}

#[test]
fn fail_invalid_vectors_are_rejected_with_their_class() {
    let doc = vectors();
    for v in list(&doc, "invalid") {
        let (id, text, class) = (field(v, "id"), field(v, "value"), field(v, "reject"));
        assert_eq!(
            matches_abnf(text),
            class != "malformed",
            "{id}: the ABNF and the class disagree"
        );
        let parsed = EncryptedValue::parse(text);
        if class == "malformed" {
            assert!(
                matches!(parsed, Err(Error::InvalidValue { .. })),
                "{id}: parsed as {parsed:?}"
            );
            continue;
        }
        let value = parsed.unwrap_or_else(|e| panic!("{id}: {e}"));
        let key = load_private(field(v, "key"));
        let err = match value.decrypt(&key) {
            Ok(_) => panic!("{id}: decrypted, but must be rejected ({class})"),
            Err(e) => e,
        };
        let expected = match class {
            "ciphertext-length" => matches!(err, Error::InvalidValue { .. }),
            "key-id-mismatch" => matches!(err, Error::KeyIdMismatch { .. }),
            "decryption-failed" => matches!(err, Error::Undecryptable { .. }),
            "unusable-plaintext" => matches!(err, Error::UnusablePlaintext { .. }),
            other => panic!("{id}: unknown class {other}"),
        };
        assert!(expected, "{id}: expected {class}, got {err:?}: {err}");
        if class == "unusable-plaintext" {
            let bytes = value.decrypt_bytes(&key).expect("RSA-OAEP itself succeeds");
            assert_eq!(bytes.as_slice(), unhex(field(v, "plaintext_hex")), "{id}");
        }
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_stock_openssl_refuses_what_confpass_cannot_decrypt() {
    let doc = vectors();
    let mut refused = BTreeSet::new();
    for v in list(&doc, "invalid") {
        let id = field(v, "id");
        let got = openssl_try_decrypt(field(v, "value"), &path_of(field(v, "key")));
        match field(v, "reject") {
            "decryption-failed" => {
                assert!(got.is_err(), "{id}: stock OpenSSL decrypts it: {got:?}");
                refused.insert(id);
            }
            // The password rules are confpass's, not RSA-OAEP's: OpenSSL
            // gives the plaintext, which is not a password -p stores.
            "unusable-plaintext" => {
                assert_eq!(
                    got.as_deref(),
                    Ok(unhex(field(v, "plaintext_hex")).as_slice()),
                    "{id}"
                );
            }
            _ => {}
        }
    }
    assert!(refused.contains("leading-byte-1"), "{refused:?}");
}

#[test]
fn the_vectors_cover_every_case_docs_format_md_names() {
    let doc = vectors();
    let ids =
        |name| -> BTreeSet<&str> { list(&doc, name).iter().map(|v| field(v, "id")).collect() };
    let (valid, invalid) = (ids("valid"), ids("invalid"));
    for id in [
        "ascii",
        "ini-special",
        "utf8",
        "max-2048",
        "ciphertext-leading-zero",
        "pkcs1-key",
        "rsa3072-ascii",
        "odd-size-2052",
    ] {
        assert!(valid.contains(id), "valid vector {id} is missing");
    }
    for id in [
        "bad-base64",
        "missing-padding",
        "unknown-algorithm",
        "uppercase-kid",
        "missing-kid",
        "truncated-ciphertext",
        "wrong-key-id",
        "corrupted-ciphertext",
        "leading-byte-1",
        "empty-plaintext",
        "plaintext-lf",
        "plaintext-not-utf8",
    ] {
        assert!(invalid.contains(id), "invalid vector {id} is missing");
    }
    assert_eq!(valid.len(), list(&doc, "valid").len(), "duplicate ids");
    assert_eq!(invalid.len(), list(&doc, "invalid").len(), "duplicate ids");
    assert!(valid.is_disjoint(&invalid));

    let max = list(&doc, "valid")
        .iter()
        .find(|v| v["id"] == "max-2048")
        .expect("max-2048");
    assert_eq!(field(max, "password").len(), 190);

    // The document and the vectors agree: every class and every key id is in it.
    let format = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/FORMAT.md"))
        .expect("docs/FORMAT.md");
    let classes = doc["reject_classes"].as_object().expect("reject_classes");
    for v in list(&doc, "invalid") {
        assert!(classes.contains_key(field(v, "reject")), "{}", v["id"]);
    }
    for class in classes.keys() {
        assert!(
            format.contains(&format!("`{class}`")),
            "docs/FORMAT.md does not name class {class}"
        );
    }
    for k in list(&doc, "keys") {
        assert!(
            format.contains(field(k, "key_id")),
            "docs/FORMAT.md does not give key id {}",
            k["key_id"]
        );
    }
}

#[test]
fn the_configuration_file_vector_gives_its_password_at_start_up() {
    let doc = vectors();
    let ascii = list(&doc, "valid")
        .iter()
        .find(|v| v["id"] == "ascii")
        .expect("vector ascii");
    assert_eq!(
        fs::read_to_string(path_of("confserv.conf")).expect("confserv.conf"),
        generate::config_file(field(ascii, "value")),
        "testdata/vectors/confserv.conf is the sample holding vector ascii"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("confserv.conf");
    fs::copy(path_of("confserv.conf"), &conf).expect("copy");
    let dec = dir.path().join("dec.pem");
    fs::copy(path_of("keys/test-dec.pem"), &dec).expect("copy");
    #[cfg(unix)] // Unix-only: file modes.
    common::set_mode(&dec, 0o600);
    let password = confpass::database_password(&conf, "confserv").expect("start-up call");
    assert_eq!(password.expose_secret(), common::SAMPLE_PASSWORD);
}

#[test]
fn readme_links_the_format_and_the_vectors() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    assert!(
        readme.contains("(docs/FORMAT.md)"),
        "README.md does not link docs/FORMAT.md"
    );
    assert!(
        readme.contains("(testdata/vectors/)"),
        "README.md does not link testdata/vectors/"
    );
}

/// Rewrites testdata/vectors/vectors.json; run by name only.
#[test]
#[ignore = "rewrites testdata/vectors/vectors.json: cargo test --test vectors -- --ignored --exact regenerate_vectors"]
fn regenerate_vectors() {
    generate::write();
}
