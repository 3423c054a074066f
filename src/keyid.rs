//! The key id: a key's short identity, the first 8 bytes of SHA-256 over
//! its DER SubjectPublicKeyInfo, shown as 16 lowercase hex digits (the same
//! figure as `openssl pkey -pubin -outform DER | sha256sum | cut -c1-16`).
//! It names a key in values (`kid:`), in key file names and in messages, so
//! it sits below everything that does: errors included.

use std::fmt;

use sha2::{Digest, Sha256};

/// A key's short identity: the first 8 bytes of SHA-256 over its DER
/// SubjectPublicKeyInfo, shown as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The id of the public key whose DER SubjectPublicKeyInfo is `der`.
    pub(crate) fn of_spki_der(der: &[u8]) -> KeyId {
        let digest = Sha256::digest(der);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        KeyId(id)
    }

    /// Parses 16 lowercase hex digits.
    pub fn from_hex(s: &str) -> Option<KeyId> {
        if s.len() != 16
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return None;
        }
        let mut id = [0u8; 8];
        for (i, byte) in id.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(KeyId(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_round_trips_through_hex() {
        let id = KeyId([0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65]);
        assert_eq!(id.to_string(), "9f86d081884c7d65");
        assert_eq!(KeyId::from_hex("9f86d081884c7d65"), Some(id));
    }

    #[test]
    fn key_id_is_sha256_of_the_der_cut_to_8_bytes() {
        // SHA-256("abc") = ba7816bf8f01cfea...
        assert_eq!(KeyId::of_spki_der(b"abc").to_string(), "ba7816bf8f01cfea");
    }

    #[test]
    fn fail_key_id_rejects_uppercase_short_and_non_hex() {
        for bad in [
            "9F86D081884C7D65",
            "9f86d081884c7d6",
            "9f86d081884c7d655",
            "9f86d081884c7dzz",
            "",
        ] {
            assert_eq!(KeyId::from_hex(bad), None, "{bad:?}");
        }
    }
}
