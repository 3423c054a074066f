//! RSA key pairs: generation, PEM encoding and parsing, and the key id.
//!
//! [`DecryptionKey`] holds a private key (it zeroizes on drop) together with
//! its public half; [`EncryptionKey`] holds a public key alone. Both carry a
//! [`KeyId`]: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo,
//! the same figure as `openssl pkey -pubin -outform DER | sha256sum`.
//! Parsing accepts PKCS#8 and SubjectPublicKeyInfo PEM and the PKCS#1 forms
//! older OpenSSL writes, read as tolerantly as OpenSSL reads them (text
//! around the key, CRLF, the first key of several: `crate::crypto::pem`),
//! and refuses keys under 2048 bits of modulus. Everything else other tools
//! write (passphrase-protected keys, OpenSSH formats, certificates, DER,
//! keys of other algorithms) is refused with a message that says what the
//! file is and the command that converts it.
//!
//! The files are the file system layer's (`crate::fs::keyfile`, the `load`
//! and `save` methods): loading refuses a private key file that group or
//! others can read; saving writes `dec.pem` as PKCS#8 with mode 0600 from
//! creation and `enc.pem` as SubjectPublicKeyInfo with mode 0644, and never
//! replaces an existing file.

mod parse;
mod refuse;

use std::fmt;
use std::path::{Path, PathBuf};

use der::Decode as _;
use pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use pkcs8::PrivateKeyInfoRef;
use zeroize::Zeroizing;

use crate::crypto::backend::{Backend, Selected};
use crate::crypto::pem;
use crate::error::{Error, Result};
pub use crate::keyid::KeyId;
use parse::{
    PRIVATE_FOR_PUBLIC, PUBLIC_FOR_PRIVATE, Role, algorithm_is_rsa, bad, canonical_spki,
    check_private_pkcs1, check_size, invalid, key_block, pkcs1_to_pkcs8, pkcs1_to_spki,
};
use refuse::{openssh_private, other_key_label, passphrase_protected};

/// The smallest modulus confpass accepts, in bits.
pub const MIN_BITS: usize = 2048;
/// The modulus size confpass generates unless told otherwise.
pub const DEFAULT_BITS: usize = 3072;
/// The sizes `--bits` accepts.
pub const ALLOWED_BITS: [usize; 3] = [2048, 3072, 4096];
/// The largest modulus confpass reads, in bits (both backends' limit).
pub(super) const MAX_BITS: usize = 8192;

/// The object identifier of rsaEncryption, the only key algorithm accepted.
pub(super) const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// A public key, enough to encrypt.
#[derive(Clone)]
pub struct EncryptionKey {
    key: <Selected as Backend>::Public,
    /// The DER SubjectPublicKeyInfo: what `to_pem` writes, what the id hashes.
    spki: Vec<u8>,
    id: KeyId,
    bits: usize,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({} bits, key id {})", self.bits(), self.id)
    }
}

impl EncryptionKey {
    /// The key of a DER SubjectPublicKeyInfo, checked (RSA, 2048 to 8192
    /// bits) and written as OpenSSL writes it; `path` names it in messages.
    fn from_spki_der(spki: Vec<u8>, path: &Path) -> Result<Self> {
        let (spki, bits) = canonical_spki(path, &spki)?;
        let key = Selected::public_from_spki_der(&spki).map_err(|e| invalid(path, e))?;
        Ok(EncryptionKey {
            key,
            id: KeyId::of_spki_der(&spki),
            spki,
            bits,
        })
    }

    /// RSA-OAEP-SHA256 encryption of `message` (no longer than
    /// [`EncryptionKey::max_plaintext`]) for this key.
    pub(crate) fn encrypt_oaep(&self, message: &[u8]) -> Result<Vec<u8>> {
        Selected::encrypt_oaep(&self.key, message)
            .map_err(|e| Error::Crypto(format!("RSA-OAEP encryption: {e}")))
    }

    /// This key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The modulus size in bits: the bit length of `n` (2047 for a
    /// 2047-bit key, not a whole number of bytes).
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The length in bytes of this key's ciphertexts: the modulus length
    /// `k = ceil(bits / 8)` of RFC 8017.
    pub fn ciphertext_len(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// The longest plaintext, in bytes, one RSA-OAEP-SHA256 block of this key holds.
    pub fn max_plaintext(&self) -> usize {
        max_plaintext(self.bits())
    }

    /// The key as DER SubjectPublicKeyInfo, the bytes its key id hashes.
    pub fn to_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    pub fn to_pem(&self) -> Result<String> {
        Ok(pem::encode("PUBLIC KEY", &self.spki).to_string())
    }

    /// Parses a public key from PEM text (SubjectPublicKeyInfo or PKCS#1);
    /// `path` names its origin in messages.
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], but for reading.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        Self::from_bytes(pem.as_bytes(), path)
    }

    pub(crate) fn from_bytes(text: &[u8], path: &Path) -> Result<Self> {
        let block = key_block(path, text, Role::Public)?;
        let spki = match block.label.as_str() {
            "PUBLIC KEY" => block.der.to_vec(),
            "RSA PUBLIC KEY" => {
                let pkcs1 = RsaPublicKeyRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                check_size(path, pem::bit_length(pkcs1.modulus.as_bytes()))?;
                pkcs1_to_spki(path, &block.der)?
            }
            label if label.ends_with("PRIVATE KEY") => {
                return Err(bad(path, PRIVATE_FOR_PUBLIC));
            }
            label => return Err(other_key_label(path, label)),
        };
        EncryptionKey::from_spki_der(spki, path)
    }
}

/// A private key with its public half: what decrypts.
pub struct DecryptionKey {
    key: <Selected as Backend>::Private,
    public: EncryptionKey,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DecryptionKey({} bits, key id {})",
            self.public.bits(),
            self.public.id
        )
    }
}

impl DecryptionKey {
    fn new(key: <Selected as Backend>::Private, path: &Path) -> Result<Self> {
        let spki = Selected::public_spki_der(&key)
            .map_err(|e| Error::Crypto(format!("encoding a public key: {e}")))?;
        let public = EncryptionKey::from_spki_der(spki, path)?;
        Ok(DecryptionKey { key, public })
    }

    /// Generates a new key pair with a modulus of `bits` (2048, 3072 or 4096).
    ///
    /// # Errors
    /// [`Error::BadKeySize`] for any other size, [`Error::Crypto`] if the
    /// system random number generator fails.
    pub fn generate(bits: usize) -> Result<Self> {
        check_bits(bits)?;
        let key = Selected::generate(bits)
            .map_err(|e| Error::Crypto(format!("generating a {bits}-bit key: {e}")))?;
        DecryptionKey::new(key, Path::new("the generated key"))
    }

    /// The public half.
    pub fn public(&self) -> &EncryptionKey {
        &self.public
    }

    /// The key id (of the public half).
    pub fn id(&self) -> KeyId {
        self.public.id
    }

    /// RSA-OAEP-SHA256 decryption with this key: what `Decryptor` does.
    pub(crate) fn decrypt_oaep(
        &self,
        ciphertext: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, crate::crypto::backend::Refused> {
        Selected::decrypt_oaep(&self.key, ciphertext)
    }

    /// Parses a private key from PEM text (PKCS#8 or PKCS#1); `path` names
    /// its origin in messages. No file mode is checked here.
    ///
    /// # Errors
    /// As [`DecryptionKey::load`], but for reading and the mode.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        Self::from_bytes(pem.as_bytes(), path)
    }

    pub(crate) fn from_bytes(text: &[u8], path: &Path) -> Result<Self> {
        let block = key_block(path, text, Role::Private)?;
        let pkcs8 = match block.label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" if block.encrypted => {
                return Err(passphrase_protected(
                    path,
                    "legacy PEM encryption, `Proc-Type: 4,ENCRYPTED`, as `openssl genrsa -aes256` and `ssh-keygen -m PEM` with a passphrase write it",
                ));
            }
            "PRIVATE KEY" => {
                let info = PrivateKeyInfoRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                algorithm_is_rsa(path, &info.algorithm.oid.to_string())?;
                let pkcs1 = RsaPrivateKeyRef::from_der(info.private_key.as_bytes())
                    .map_err(|e| invalid(path, e))?;
                check_private_pkcs1(path, &pkcs1)?;
                block.der
            }
            "RSA PRIVATE KEY" => {
                let pkcs1 = RsaPrivateKeyRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                check_private_pkcs1(path, &pkcs1)?;
                pkcs1_to_pkcs8(path, &block.der)?
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(passphrase_protected(
                    path,
                    "encrypted PKCS#8, `BEGIN ENCRYPTED PRIVATE KEY`",
                ));
            }
            "OPENSSH PRIVATE KEY" => return Err(openssh_private(path, &block.der)),
            label if label.ends_with("PUBLIC KEY") => {
                return Err(bad(path, PUBLIC_FOR_PRIVATE));
            }
            label => return Err(other_key_label(path, label)),
        };
        let key = Selected::private_from_pkcs8_der(&pkcs8).map_err(|e| invalid(path, e))?;
        DecryptionKey::new(key, path)
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), in a zeroizing buffer.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        let der = Selected::private_to_pkcs8_der(&self.key)
            .map_err(|e| Error::Crypto(format!("encoding a private key: {e}")))?;
        Ok(pem::encode("PRIVATE KEY", &der))
    }
}

/// The longest plaintext one RSA-OAEP-SHA256 block of a `bits`-bit key
/// holds: `k - 2 hLen - 2` bytes, with `k = ceil(bits / 8)` (RFC 8017 §7.1.1).
pub fn max_plaintext(bits: usize) -> usize {
    bits.div_ceil(8).saturating_sub(2 * 32 + 2)
}

/// Checks that confpass generates keys of this size.
///
/// # Errors
/// [`Error::BadKeySize`] for anything but 2048, 3072 or 4096.
pub fn check_bits(bits: usize) -> Result<()> {
    if ALLOWED_BITS.contains(&bits) {
        Ok(())
    } else {
        Err(Error::BadKeySize { bits })
    }
}

/// The default key files: `enc.pem` and `dec.pem` in `dir` (the
/// configuration file's directory).
pub fn default_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("enc.pem"), dir.join("dec.pem"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_matches_rfc8017_for_each_size() {
        assert_eq!(max_plaintext(2048), 190);
        assert_eq!(max_plaintext(3072), 318);
        assert_eq!(max_plaintext(4096), 446);
    }

    #[test]
    fn fail_bits_below_2048_and_odd_sizes_are_refused() {
        for bits in [0, 512, 1024, 2047, 3000, 8192] {
            assert!(
                matches!(check_bits(bits), Err(Error::BadKeySize { .. })),
                "{bits}"
            );
        }
        for bits in ALLOWED_BITS {
            assert!(check_bits(bits).is_ok());
        }
    }

    #[test]
    fn capacity_of_sizes_that_are_no_whole_number_of_bytes() {
        // k = ceil(bits / 8): a 2052-bit key makes 257-byte blocks.
        assert_eq!(max_plaintext(2052), 257 - 66);
        assert_eq!(max_plaintext(2047), 256 - 66);
    }
}
