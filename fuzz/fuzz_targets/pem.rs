//! The PEM key loader on arbitrary text: no panic, no hang.
#![no_main]

use std::path::Path;

use confpass::{DecryptionKey, EncryptionKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.pem");
    let _ = EncryptionKey::from_pem(text, path);
    let _ = DecryptionKey::from_pem(text, path);
});
