//! The encrypted-value parser on arbitrary text: no panic, and whatever
//! parses formats back to the same value.
#![no_main]

use confpass::EncryptedValue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for candidate in [text.to_owned(), format!("ENC[RSA-OAEP-SHA256,kid:{text}")] {
        if let Ok(value) = EncryptedValue::parse(&candidate) {
            let again = EncryptedValue::parse(&value.to_string()).expect("formatted value parses");
            assert_eq!(again, value);
        }
    }
});
