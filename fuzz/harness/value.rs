//! The encrypted-value parser on arbitrary text: no panic; a value that
//! parses has exactly one spelling (formatting it gives back the text, and
//! that parses to the same value); and decrypting one that names the test
//! key's id never panics, whatever its ciphertext.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/value.rs` and the
//! stable replay of `fuzz/corpus/value/` in `tests/fuzz_replay.rs`.

use std::path::Path;
use std::sync::OnceLock;

use confpass::{DecryptionKey, EncryptedValue};

/// The test-only key of `testdata/keys/test-dec.pem` (key id ce41f02ea24f8f2f).
fn test_key() -> Option<&'static DecryptionKey> {
    static KEY: OnceLock<Option<DecryptionKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        DecryptionKey::from_pem(
            include_str!("../../testdata/keys/test-dec.pem"),
            Path::new("test-dec.pem"),
        )
        .ok()
    })
    .as_ref()
}

/// One input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = test_key().expect("the test key loads");
    for candidate in [text.to_owned(), format!("ENC[RSA-OAEP-SHA256,kid:{text}")] {
        let Ok(value) = EncryptedValue::parse(&candidate) else {
            continue;
        };
        let formatted = value.to_string();
        assert_eq!(formatted, candidate, "a value has one spelling");
        match EncryptedValue::parse(&formatted) {
            Ok(again) => assert_eq!(again, value),
            Err(e) => panic!("a formatted value does not parse: {e}"),
        }
        if value.key_id() == key.id() {
            let _ = value.decrypt(key);
        }
    }
}
