//! The encrypted value as it stands in the file, and the password rules.
//!
//! An encrypted password reads
//! `ENC[RSA-OAEP-SHA256,kid:9f86d081884c7d65,data:<base64>]`: the algorithm,
//! the [`KeyId`] of the key it was made for, and the RSA-OAEP ciphertext
//! (SHA-256, MGF1-SHA-256, empty label) in standard base64 with padding. The
//! form has no whitespace, `;`, `#`, quotes or backslashes, so any INI reader
//! takes it verbatim, and stock OpenSSL can decrypt it without confpass.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{DecryptionKey, EncryptionKey, KeyId};
use crate::error::{Error, PasswordOrigin, Result};

/// The algorithm name written in every value.
pub const ALGORITHM: &str = "RSA-OAEP-SHA256";

const PREFIX: &str = "ENC[";

/// A password encrypted for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedValue {
    key_id: KeyId,
    ciphertext: Vec<u8>,
}

impl EncryptedValue {
    /// Whether a stored value is meant as an encrypted one (starts with `ENC[`).
    pub fn looks_encrypted(value: &[u8]) -> bool {
        value.starts_with(PREFIX.as_bytes())
    }

    /// Parses `ENC[RSA-OAEP-SHA256,kid:…,data:…]`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] saying what is wrong: no `ENC[` or closing
    /// `]`, an unknown algorithm, a missing or malformed key id, missing or
    /// bad base64 data, or extra fields.
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_reason(s).map_err(|reason| Error::InvalidValue { reason })
    }

    pub(crate) fn parse_reason(s: &str) -> std::result::Result<Self, String> {
        let body = s
            .strip_prefix(PREFIX)
            .ok_or("it does not start with `ENC[`")?;
        let body = body
            .strip_suffix(']')
            .ok_or("it does not end with `]` (the value is truncated)")?;
        let mut fields = body.split(',');
        let algorithm = fields.next().unwrap_or_default();
        if algorithm != ALGORITHM {
            // Not echoed: a plain password that happens to start with `ENC[`
            // must not reach a message.
            return Err(format!(
                "the algorithm is not `{ALGORITHM}`, the only one confpass knows"
            ));
        }
        let kid = fields
            .next()
            .and_then(|f| f.strip_prefix("kid:"))
            .ok_or("the key id (`kid:`) is missing")?;
        let key_id = KeyId::from_hex(kid).ok_or("the key id is not 16 lowercase hex digits")?;
        let data = fields
            .next()
            .and_then(|f| f.strip_prefix("data:"))
            .ok_or("the ciphertext (`data:`) is missing")?;
        if fields.next().is_some() {
            return Err("it has fields after `data:`".into());
        }
        let ciphertext = BASE64
            .decode(data)
            .map_err(|e| format!("the ciphertext is not valid base64 ({e})"))?;
        if ciphertext.is_empty() {
            return Err("the ciphertext is empty".into());
        }
        Ok(EncryptedValue { key_id, ciphertext })
    }

    /// Builds a value from its parts, e.g. a ciphertext made by `openssl pkeyutl`.
    pub fn from_parts(key_id: KeyId, ciphertext: Vec<u8>) -> Self {
        EncryptedValue { key_id, ciphertext }
    }

    /// Encrypts `password` for `key`.
    ///
    /// # Errors
    /// The errors of [`check_password`] (with [`PasswordOrigin::Caller`]) and
    /// [`Error::Crypto`] if the random number generator fails.
    pub fn encrypt(key: &EncryptionKey, password: &SecretString) -> Result<Self> {
        check_password(password.expose_secret(), PasswordOrigin::Caller, key)?;
        let ciphertext = key.encrypt_oaep(password.expose_secret().as_bytes())?;
        Ok(EncryptedValue {
            key_id: key.id(),
            ciphertext,
        })
    }

    /// Decrypts the value with `key` into the plaintext bytes, whatever
    /// they are (a value written by another tool may hold anything).
    ///
    /// # Errors
    /// [`Error::KeyIdMismatch`] when the value names another key id,
    /// [`Error::InvalidValue`] when the ciphertext has the wrong length for
    /// the key (truncated), and [`Error::Undecryptable`] when RSA-OAEP
    /// rejects it (RFC 8017 §7.1.2, leading byte included).
    pub fn decrypt_bytes(&self, key: &DecryptionKey) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt_bytes_with(key)
    }

    /// [`EncryptedValue::decrypt_bytes`] with any [`Decryptor`]: a key file's
    /// key, or one on a PKCS#11 token.
    ///
    /// # Errors
    /// As [`EncryptedValue::decrypt_bytes`], and the token's own errors.
    pub fn decrypt_bytes_with<K: Decryptor + ?Sized>(&self, key: &K) -> Result<Zeroizing<Vec<u8>>> {
        if self.key_id != key.key_id() {
            return Err(Error::KeyIdMismatch {
                value_id: self.key_id,
                key_id: key.key_id(),
            });
        }
        let size = key.public().ciphertext_len();
        if self.ciphertext.len() != size {
            return Err(Error::InvalidValue {
                reason: format!(
                    "the ciphertext is {} bytes, but key id {} makes {size}-byte ciphertexts (the value is truncated or altered)",
                    self.ciphertext.len(),
                    self.key_id
                ),
            });
        }
        key.decrypt_oaep(&self.ciphertext)
    }

    /// Decrypts the value with `key` into the password.
    ///
    /// # Errors
    /// The errors of [`EncryptedValue::decrypt_bytes`], and
    /// [`Error::UnusablePlaintext`] when the plaintext is not a password
    /// confpass would store: empty, with a line break or a NUL byte, or not
    /// UTF-8.
    pub fn decrypt(&self, key: &DecryptionKey) -> Result<SecretString> {
        self.decrypt_with(key)
    }

    /// [`EncryptedValue::decrypt`] with any [`Decryptor`]: a key file's key,
    /// or one on a PKCS#11 token.
    ///
    /// # Errors
    /// As [`EncryptedValue::decrypt`], and the token's own errors.
    pub fn decrypt_with<K: Decryptor + ?Sized>(&self, key: &K) -> Result<SecretString> {
        let plain = self.decrypt_bytes_with(key)?;
        let unusable = |reason: &'static str| Error::UnusablePlaintext {
            key_id: key.key_id(),
            reason,
        };
        let text =
            std::str::from_utf8(&plain).map_err(|_| unusable("bytes that are not UTF-8 text"))?;
        if text.is_empty() {
            return Err(unusable("an empty password"));
        }
        if text.contains(['\n', '\r']) {
            return Err(unusable("a password with a line break"));
        }
        if text.contains('\0') {
            return Err(unusable("a password with a NUL byte"));
        }
        Ok(SecretString::from(text.to_owned()))
    }

    /// The id of the key this value was encrypted for.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The raw RSA-OAEP ciphertext.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }
}

impl fmt::Display for EncryptedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{ALGORITHM},kid:{},data:{}]",
            self.key_id,
            BASE64.encode(&self.ciphertext)
        )
    }
}

/// Checks that a password can be stored and encrypted for `key`: not empty,
/// one line with no NUL byte, and no longer than one RSA-OAEP block holds.
///
/// # Errors
/// [`Error::EmptyPassword`], [`Error::PasswordLineBreak`],
/// [`Error::PasswordNul`], [`Error::PasswordTooLong`], each naming `origin`.
pub fn check_password(password: &str, origin: PasswordOrigin, key: &EncryptionKey) -> Result<()> {
    check_password_for_bits(password, origin, key.bits())
}

/// As [`check_password`], for a key of `bits` that does not exist yet.
///
/// # Errors
/// As [`check_password`].
pub fn check_password_for_bits(password: &str, origin: PasswordOrigin, bits: usize) -> Result<()> {
    if password.is_empty() {
        return Err(Error::EmptyPassword { origin });
    }
    if password.contains(['\n', '\r']) {
        return Err(Error::PasswordLineBreak { origin });
    }
    if password.contains('\0') {
        return Err(Error::PasswordNul { origin });
    }
    let max = crate::crypto::keys::max_plaintext(bits);
    if password.len() > max {
        return Err(Error::PasswordTooLong {
            origin,
            len: password.len(),
            max,
            bits,
            max_4096: crate::crypto::keys::max_plaintext(4096),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KID: &str = "9f86d081884c7d65";

    #[test]
    fn format_and_parse_round_trip() {
        let v = EncryptedValue::from_parts(KeyId::from_hex(KID).unwrap(), vec![1, 2, 3, 250]);
        let text = v.to_string();
        assert_eq!(
            text,
            format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:AQID+g==]")
        );
        assert_eq!(EncryptedValue::parse(&text).unwrap(), v);
    }

    #[test]
    fn formatted_value_is_ini_safe() {
        let v = EncryptedValue::from_parts(KeyId([0xff; 8]), (0..=255).collect());
        let text = v.to_string();
        assert!(
            !text.contains([' ', '\t', ';', '#', '"', '\'', '\\', '\n', '\r']),
            "{text}"
        );
    }

    fn reason(s: &str) -> String {
        match EncryptedValue::parse(s) {
            Err(Error::InvalidValue { reason }) => reason,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn fail_malformed_values_say_what_is_wrong() {
        let cases = [
            (
                format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:AQID"),
                "truncated",
            ),
            (
                format!("ENC[RSA-PKCS1,kid:{KID},data:AQID]"),
                "the algorithm is not `RSA-OAEP-SHA256`",
            ),
            (
                "ENC[RSA-OAEP-SHA256,data:AQID]".to_string(),
                "key id (`kid:`) is missing",
            ),
            (
                "ENC[RSA-OAEP-SHA256,kid:XYZ,data:AQID]".to_string(),
                "16 lowercase hex",
            ),
            (
                format!("ENC[RSA-OAEP-SHA256,kid:{KID}]"),
                "`data:`) is missing",
            ),
            (
                format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:A!!]"),
                "not valid base64",
            ),
            (
                format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:AQI]"),
                "not valid base64",
            ),
            (format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:]"), "empty"),
            (
                format!("ENC[RSA-OAEP-SHA256,kid:{KID},data:AQID,x:1]"),
                "fields after",
            ),
        ];
        for (value, expected) in cases {
            let r = reason(&value);
            assert!(r.contains(expected), "{value}: {r}");
        }
    }

    #[test]
    fn fail_passwords_that_cannot_be_stored() {
        let o = PasswordOrigin::Stdin;
        assert!(matches!(
            check_password_for_bits("", o, 2048),
            Err(Error::EmptyPassword { .. })
        ));
        for p in ["a\nb", "a\rb", "a\0\nb"] {
            assert!(matches!(
                check_password_for_bits(p, o, 2048),
                Err(Error::PasswordLineBreak { .. })
            ));
        }
        match check_password_for_bits("a\0b", o, 2048) {
            Err(e @ Error::PasswordNul { .. }) => {
                assert!(e.to_string().contains("a NUL byte"), "{e}");
                assert!(!e.to_string().contains("line break"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(check_password_for_bits(&"x".repeat(190), o, 2048).is_ok());
        match check_password_for_bits(&"x".repeat(191), o, 2048) {
            Err(
                e @ Error::PasswordTooLong {
                    max: 190, len: 191, ..
                },
            ) => {
                assert!(e.to_string().contains("at most 190 bytes"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(check_password_for_bits(&"é".repeat(159), o, 3072).is_ok()); // 318 bytes
        assert!(check_password_for_bits(&"é".repeat(160), o, 3072).is_err()); // 320 bytes
    }
}
