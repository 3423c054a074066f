//! The PEM key loader on arbitrary text: no panic, no hang, and a key that
//! loads writes out as PEM that loads again as the same key (same key id).
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/pem.rs` and the
//! stable replay of `fuzz/corpus/pem/` in `tests/fuzz_replay.rs`.

use std::path::Path;

use confpass::{DecryptionKey, EncryptionKey};

/// One input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.pem");
    if let Ok(key) = EncryptionKey::from_pem(text, path) {
        let pem = key.to_pem().expect("a loaded public key encodes");
        match EncryptionKey::from_pem(&pem, path) {
            Ok(again) => assert_eq!(again.id(), key.id()),
            Err(e) => panic!("a public key confpass wrote does not load: {e}"),
        }
    }
    if let Ok(key) = DecryptionKey::from_pem(text, path) {
        let pem = key.to_pem().expect("a loaded private key encodes");
        match DecryptionKey::from_pem(&pem, path) {
            Ok(again) => assert_eq!(again.id(), key.id()),
            Err(e) => panic!("a private key confpass wrote does not load: {e}"),
        }
        let public = key.public().to_pem().expect("the public half encodes");
        match EncryptionKey::from_pem(&public, path) {
            Ok(again) => assert_eq!(again.id(), key.id()),
            Err(e) => panic!("the public half confpass wrote does not load: {e}"),
        }
    }
}
