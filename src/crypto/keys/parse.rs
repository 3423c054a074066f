//! Reading a key file's text as OpenSSL would (its first PEM key block,
//! which half of the pair it is loaded as) and the checks every key passes:
//! RSA, two primes, 2048 to 8192 bits, whichever backend then takes the
//! key; and the PKCS#1 forms rewrapped as PKCS#8 and SubjectPublicKeyInfo,
//! the two DER forms a backend reads (`crate::crypto::backend`). The file
//! itself (a regular file, a private key no one else can read) is
//! `crate::fs::keyfile`'s.

use std::fmt;
use std::path::Path;

use der::asn1::{BitStringRef, OctetStringRef};
use der::{Decode as _, Encode as _};
use pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use pkcs8::PrivateKeyInfoRef;
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use super::refuse::{not_a_key, not_pem};
use super::{MAX_BITS, MIN_BITS, RSA_OID};
use crate::crypto::pem::{self, PemError};
use crate::error::{Error, Result};

/// Which half of the pair a file is loaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// `enc.pem`, the public key.
    Public,
    /// `dec.pem`, the private key.
    Private,
}

impl Role {
    /// The file a conversion command writes.
    pub(super) fn new_file(self) -> &'static str {
        match self {
            Role::Public => "enc-new.pem",
            Role::Private => "dec-new.pem",
        }
    }

    /// What to do with that file when it holds the same key as `path`
    /// (another encoding of it, the passphrase removed): replace `path`.
    pub(super) fn replace(self, path: &Path) -> String {
        format!(
            "then put it in place of the old file: `mv {} {}`",
            self.new_file(),
            shell_quote(path)
        )
    }

    /// What to do with that file when `path` has other uses (a certificate,
    /// an ssh `.pub` file), which replacing it would break.
    pub(super) fn use_instead(self) -> String {
        let (which, default) = match self {
            Role::Public => ("public", "enc.pem"),
            Role::Private => ("private", "dec.pem"),
        };
        format!(
            "then use {} as the {which} key (give it with -keys ENC DEC, or make it the configuration file's {default})",
            self.new_file()
        )
    }
}

pub(super) const PRIVATE_FOR_PUBLIC: &str = "holds a private key where the public encryption key (enc.pem) is needed: give the files in the order -keys ENC DEC";
pub(super) const PUBLIC_FOR_PRIVATE: &str = "holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC";
pub(super) const MAKE_RSA: &str = "confpass uses RSA-OAEP; make an RSA pair, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`";

/// The first key block of a PEM file (OpenSSL's choice: certificates,
/// parameters and other blocks before it are skipped, anything after it is
/// not read), or an error that says what the file is instead.
pub(super) fn key_block(path: &Path, text: &[u8], role: Role) -> Result<pem::Block> {
    if !text.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(not_pem(path, text, role));
    }
    let mut first_other: Option<String> = None;
    for block in pem::blocks(text) {
        let block = block.map_err(|e| pem_error(path, &e))?;
        if pem::is_key_label(&block.label) {
            return Ok(block);
        }
        first_other.get_or_insert(block.label);
    }
    Err(match first_other {
        Some(label) => not_a_key(path, &label, role),
        None => not_pem(path, text, role),
    })
}

pub(super) fn pem_error(path: &Path, e: &PemError) -> Error {
    bad(path, &format!("is not a readable PEM file: {e}"))
}

/// Checks a DER SubjectPublicKeyInfo (an RSA key of 2048 to 8192 bits) and
/// returns it as OpenSSL writes it (rsaEncryption with NULL parameters,
/// whatever the file had there: the key id hashes these bytes, as it always
/// has) with its modulus size in bits.
pub(super) fn canonical_spki(path: &Path, der: &[u8]) -> Result<(Vec<u8>, usize)> {
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| invalid(path, e))?;
    algorithm_is_rsa(path, &info.algorithm.oid.to_string())?;
    let raw = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| invalid(path, "the public key is not a whole number of bytes"))?;
    let pkcs1 = RsaPublicKeyRef::from_der(raw).map_err(|e| invalid(path, e))?;
    let bits = pem::bit_length(pkcs1.modulus.as_bytes());
    check_size(path, bits)?;
    let raw = pkcs1.to_der().map_err(|e| invalid(path, e))?;
    Ok((pkcs1_to_spki(path, &raw)?, bits))
}

/// A PKCS#1 RSAPublicKey as the SubjectPublicKeyInfo OpenSSL would write for it.
pub(super) fn pkcs1_to_spki(path: &Path, pkcs1: &[u8]) -> Result<Vec<u8>> {
    SubjectPublicKeyInfoRef {
        algorithm: pkcs1::ALGORITHM_ID,
        subject_public_key: BitStringRef::from_bytes(pkcs1).map_err(|e| invalid(path, e))?,
    }
    .to_der()
    .map_err(|e| invalid(path, e))
}

/// A PKCS#1 RSAPrivateKey as the PKCS#8 PrivateKeyInfo OpenSSL would write
/// for it, in a buffer wiped when dropped.
pub(super) fn pkcs1_to_pkcs8(path: &Path, pkcs1: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let key = OctetStringRef::new(pkcs1).map_err(|e| invalid(path, e))?;
    PrivateKeyInfoRef::new(pkcs1::ALGORITHM_ID, key)
        .to_der()
        .map(Zeroizing::new)
        .map_err(|e| invalid(path, e))
}

pub(super) fn algorithm_is_rsa(path: &Path, oid: &str) -> Result<()> {
    if oid == RSA_OID {
        return Ok(());
    }
    let name = match oid {
        "1.2.840.10045.2.1" => "an EC key",
        "1.3.101.112" => "an Ed25519 key",
        "1.3.101.110" => "an X25519 key",
        "1.2.840.113549.1.1.10" => "an RSA-PSS key",
        "1.2.840.10040.4.1" => "a DSA key",
        _ => "a key of another algorithm",
    };
    Err(bad(
        path,
        &format!("holds {name} (OID {oid}), not an RSA key: {MAKE_RSA}"),
    ))
}

/// Checks what a backend would otherwise call malformed: the modulus size,
/// and more than two primes.
pub(super) fn check_private_pkcs1(path: &Path, key: &RsaPrivateKeyRef<'_>) -> Result<()> {
    check_size(path, pem::bit_length(key.modulus.as_bytes()))?;
    if key.version() == pkcs1::Version::TwoPrime {
        Ok(())
    } else {
        Err(bad(
            path,
            "is a multi-prime RSA key (more than two primes, as `-pkeyopt rsa_keygen_primes:3` makes), which confpass does not read: make a new pair with two primes, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`",
        ))
    }
}

impl super::EncryptionKey {
    /// The public key with modulus `n` and public exponent `e` (unsigned
    /// big-endian bytes), as a PKCS#11 token gives them (`CKA_MODULUS`,
    /// `CKA_PUBLIC_EXPONENT`); `place` names the key in messages. The key id
    /// is that of its SubjectPublicKeyInfo, as for a key file.
    ///
    /// # Errors
    /// [`Error::BadKey`] and [`Error::KeyTooSmall`], as for a key file.
    pub fn from_components(n: &[u8], e: &[u8], place: &Path) -> Result<Self> {
        use der::asn1::UintRef;
        let der = pkcs1::RsaPublicKey {
            modulus: UintRef::new(n).map_err(|e| invalid(place, e))?,
            public_exponent: UintRef::new(e).map_err(|e| invalid(place, e))?,
        }
        .to_der()
        .map_err(|e| invalid(place, e))?;
        check_size(place, pem::bit_length(n))?;
        super::EncryptionKey::from_spki_der(pkcs1_to_spki(place, &der)?, place)
    }
}

/// Checks the modulus size, counted in bits (a 2047-bit key is 2047 bits).
pub(super) fn check_size(path: &Path, bits: usize) -> Result<()> {
    if bits < MIN_BITS {
        Err(Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        })
    } else if bits > MAX_BITS {
        Err(bad(
            path,
            &format!(
                "holds a {bits}-bit RSA key, larger than the {MAX_BITS} bits confpass reads: make a new pair (remove both key files and run `confpass -p`, which makes 3072 bits; --bits 4096 for more)"
            ),
        ))
    } else {
        Ok(())
    }
}

/// A path as a shell word, for the commands in messages: as it is when it
/// holds only characters no shell treats specially, in single quotes otherwise.
pub(super) fn shell_quote(path: &Path) -> String {
    let s = path.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c))
        && !s.starts_with('-');
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub(super) fn bad(path: &Path, reason: &str) -> Error {
    Error::BadKey {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

pub(super) fn invalid(path: &Path, e: impl fmt::Display) -> Error {
    bad(
        path,
        &format!("is not a valid RSA key ({e}): give an intact PEM key file"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_without_null_parameters_has_the_key_id_openssl_gives_it() {
        let key = crate::crypto::keys::DecryptionKey::generate(2048).unwrap();
        let canonical = key.public().to_der().to_vec();
        let info = SubjectPublicKeyInfoRef::from_der(&canonical).unwrap();
        let bare = SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: info.algorithm.oid,
                parameters: None,
            },
            subject_public_key: info.subject_public_key,
        }
        .to_der()
        .unwrap();
        assert_ne!(bare, canonical);
        let (again, bits) = canonical_spki(Path::new("enc.pem"), &bare).unwrap();
        assert_eq!((again, bits), (canonical, 2048));
    }

    #[test]
    fn paths_in_commands_are_shell_words() {
        assert_eq!(shell_quote(Path::new("keys/dec.pem")), "keys/dec.pem");
        assert_eq!(
            shell_quote(Path::new("/etc/gen esys/dec.pem")),
            "'/etc/gen esys/dec.pem'"
        );
        assert_eq!(shell_quote(Path::new("it's.pem")), r"'it'\''s.pem'");
        assert_eq!(shell_quote(Path::new("$HOME.pem")), "'$HOME.pem'");
    }
}
