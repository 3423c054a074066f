//! RSA key pairs: generation, loading, saving and the key id.
//!
//! [`DecryptionKey`] holds a private key (it zeroizes on drop) together with
//! its public half; [`EncryptionKey`] holds a public key alone. Both carry a
//! [`KeyId`]: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo,
//! the same figure as `openssl pkey -pubin -outform DER | sha256sum`. Loading
//! accepts PKCS#8 and SubjectPublicKeyInfo PEM and the PKCS#1 forms older
//! OpenSSL writes, refuses keys under 2048 bits, and refuses a private key
//! file that group or others can read. Saving writes `dec.pem` as PKCS#8 with
//! mode 0600 from creation and `enc.pem` as SubjectPublicKeyInfo with mode
//! 0644, and never replaces an existing file.

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsutil;
use crate::platform::{self, Owner};

/// The smallest modulus confpass accepts, in bits.
pub const MIN_BITS: usize = 2048;
/// The modulus size confpass generates unless told otherwise.
pub const DEFAULT_BITS: usize = 3072;
/// The sizes `--bits` accepts.
pub const ALLOWED_BITS: [usize; 3] = [2048, 3072, 4096];

/// The object identifier of rsaEncryption, the only key algorithm accepted.
const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// A key's short identity: the first 8 bytes of SHA-256 over its DER
/// SubjectPublicKeyInfo, shown as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
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

/// A public key, enough to encrypt.
#[derive(Clone)]
pub struct EncryptionKey {
    key: PublicKey,
    id: KeyId,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({} bits, key id {})", self.bits(), self.id)
    }
}

impl EncryptionKey {
    fn new(key: PublicKey) -> Result<Self> {
        let der = key
            .to_public_key_der()
            .map_err(|e| Error::Crypto(format!("encoding a public key: {e}")))?;
        let digest = Sha256::digest(der.as_bytes());
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        Ok(EncryptionKey { key, id: KeyId(id) })
    }

    /// This key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.n_bytes().len() * 8
    }

    /// The longest plaintext, in bytes, one RSA-OAEP-SHA256 block of this key holds.
    pub fn max_plaintext(&self) -> usize {
        max_plaintext(self.bits())
    }

    /// The RSA public key.
    pub fn rsa(&self) -> &PublicKey {
        &self.key
    }

    /// The key as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    pub fn to_pem(&self) -> Result<String> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| Error::Crypto(format!("encoding a public key: {e}")))
    }

    /// Loads a public key from a PEM file (SubjectPublicKeyInfo or PKCS#1).
    ///
    /// # Errors
    /// [`Error::KeyNotFound`], [`Error::KeyRead`], [`Error::BadKey`] (not PEM,
    /// not RSA, a private key given where the public one is needed) and
    /// [`Error::KeyTooSmall`].
    pub fn load(path: &Path) -> Result<Self> {
        let pem = read_key_file(path, "give the public key file with -keys ENC DEC")?;
        Self::from_pem(&pem, path)
    }

    /// Parses a public key from PEM text (SubjectPublicKeyInfo or PKCS#1);
    /// `path` names its origin in messages.
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], but for reading.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        let key = match pem_label(path, pem)? {
            "PUBLIC KEY" => {
                check_spki_algorithm(path, pem)?;
                PublicKey::from_public_key_pem(pem).map_err(|e| invalid(path, e))?
            }
            "RSA PUBLIC KEY" => PublicKey::from_pkcs1_pem(pem).map_err(|e| invalid(path, e))?,
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                return Err(bad(
                    path,
                    "holds a private key where the public encryption key (enc.pem) is needed: give the files in the order -keys ENC DEC",
                ));
            }
            other => return Err(unexpected_label(path, other)),
        };
        check_size(path, key.n_bytes().len() * 8)?;
        EncryptionKey::new(key)
    }

    /// Writes the key as a new file with mode 0644; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, None, "enc")
    }

    /// [`EncryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner`; `role` names the step for
    /// the fault tests.
    pub(crate) fn save_for(&self, path: &Path, owner: Owner, role: &str) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, Some(owner), role)
    }
}

/// A private key with its public half: what decrypts.
pub struct DecryptionKey {
    key: PrivateKey,
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
    fn new(key: PrivateKey) -> Result<Self> {
        let public = EncryptionKey::new(key.to_public_key())?;
        Ok(DecryptionKey { key, public })
    }

    /// Generates a new key pair with a modulus of `bits` (2048, 3072 or 4096).
    ///
    /// # Errors
    /// [`Error::BadKeySize`] for any other size, [`Error::Crypto`] if the
    /// system random number generator fails.
    pub fn generate(bits: usize) -> Result<Self> {
        check_bits(bits)?;
        let key = PrivateKey::new(&mut rand::rngs::SysRng, bits)
            .map_err(|e| Error::Crypto(format!("generating a {bits}-bit key: {e}")))?;
        DecryptionKey::new(key)
    }

    /// The public half.
    pub fn public(&self) -> &EncryptionKey {
        &self.public
    }

    /// The key id (of the public half).
    pub fn id(&self) -> KeyId {
        self.public.id
    }

    /// The RSA private key.
    pub fn rsa(&self) -> &PrivateKey {
        &self.key
    }

    /// Loads a private key from a PEM file (PKCS#8 or PKCS#1).
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], and [`Error::KeyPermissions`] when the file
    /// is readable by group or others.
    pub fn load(path: &Path) -> Result<Self> {
        let pem = read_key_file(
            path,
            "give the private key file with -keys ENC DEC, or the `decryption-key` option",
        )?;
        let key = Self::from_pem(&pem, path)?;
        check_private_mode(path)?;
        Ok(key)
    }

    /// Parses a private key from PEM text (PKCS#8 or PKCS#1); `path` names
    /// its origin in messages. No file mode is checked here.
    ///
    /// # Errors
    /// As [`DecryptionKey::load`], but for reading and the mode.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        let key = match pem_label(path, pem)? {
            "PRIVATE KEY" => {
                check_pkcs8_algorithm(path, pem)?;
                PrivateKey::from_pkcs8_pem(pem).map_err(|e| invalid(path, e))?
            }
            "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_pem(pem).map_err(|e| invalid(path, e))?,
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad(
                    path,
                    "is a passphrase-protected private key, which a server cannot open unattended: write it out unprotected with `openssl pkey -in KEY -out dec.pem` (mode 0600)",
                ));
            }
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                return Err(bad(
                    path,
                    "holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC",
                ));
            }
            other => return Err(unexpected_label(path, other)),
        };
        check_size(path, key.n_bytes().len() * 8)?;
        DecryptionKey::new(key)
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), in a zeroizing buffer.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::Crypto(format!("encoding a private key: {e}")))
    }

    /// Writes the key as a new file created with mode 0600; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, None, "dec")
    }

    /// [`DecryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner` (still mode 0600).
    pub(crate) fn save_for(&self, path: &Path, owner: Owner, role: &str) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, Some(owner), role)
    }
}

/// The longest plaintext one RSA-OAEP-SHA256 block of a `bits`-bit key holds.
pub fn max_plaintext(bits: usize) -> usize {
    (bits / 8).saturating_sub(2 * 32 + 2)
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

fn read_key_file(path: &Path, fix: &'static str) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(fsutil::read_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::KeyNotFound {
            path: path.to_path_buf(),
            fix,
        },
        _ if platform::is_not_regular(&e) => bad(
            path,
            "is not a regular file (a FIFO, device or directory): give the path of the key file itself",
        ),
        _ => Error::KeyRead {
            path: path.to_path_buf(),
            source: e,
        },
    })?);
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_owned())),
        Err(_) => Err(bad(
            path,
            "is not a PEM file (it is not text): give a PEM key file, `-----BEGIN ...-----`",
        )),
    }
}

fn pem_label<'a>(path: &Path, pem: &'a str) -> Result<&'a str> {
    let start = pem.find("-----BEGIN ").ok_or_else(|| {
        bad(path, "is not a PEM file (no `-----BEGIN` line): give a PEM key file such as `openssl genpkey` writes")
    })?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    rest.find("-----").map(|end| &rest[..end]).ok_or_else(|| {
        bad(
            path,
            "is not a PEM file (its `-----BEGIN` line is cut short)",
        )
    })
}

fn unexpected_label(path: &Path, label: &str) -> Error {
    let label: String = label.chars().take(40).filter(|c| !c.is_control()).collect();
    bad(
        path,
        &format!(
            "holds `{label}`, not an RSA key: give a PEM RSA key (`BEGIN PRIVATE KEY` or `BEGIN PUBLIC KEY`)"
        ),
    )
}

fn check_pkcs8_algorithm(path: &Path, pem: &str) -> Result<()> {
    let (_, doc) = rsa::pkcs8::SecretDocument::from_pem(pem).map_err(|e| invalid(path, e))?;
    let info =
        rsa::pkcs8::PrivateKeyInfoRef::try_from(doc.as_bytes()).map_err(|e| invalid(path, e))?;
    algorithm_is_rsa(path, &info.algorithm.oid.to_string())
}

fn check_spki_algorithm(path: &Path, pem: &str) -> Result<()> {
    let (_, doc) = rsa::pkcs8::Document::from_pem(pem).map_err(|e| invalid(path, e))?;
    let info = rsa::pkcs8::SubjectPublicKeyInfoRef::try_from(doc.as_bytes())
        .map_err(|e| invalid(path, e))?;
    algorithm_is_rsa(path, &info.algorithm.oid.to_string())
}

fn algorithm_is_rsa(path: &Path, oid: &str) -> Result<()> {
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
        &format!(
            "holds {name} (OID {oid}), not an RSA key: confpass uses RSA-OAEP; make an RSA pair, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`"
        ),
    ))
}

fn check_size(path: &Path, bits: usize) -> Result<()> {
    if bits < MIN_BITS {
        Err(Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        })
    } else {
        Ok(())
    }
}

fn check_private_mode(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::KeyRead {
        path: path.to_path_buf(),
        source: e,
    })?;
    match platform::private_key_exposure(&meta) {
        Some(mode) => Err(Error::KeyPermissions {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

fn bad(path: &Path, reason: &str) -> Error {
    Error::BadKey {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

fn invalid(path: &Path, e: impl fmt::Display) -> Error {
    bad(
        path,
        &format!("is not a valid RSA key ({e}): give an intact PEM key file"),
    )
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
    fn key_id_round_trips_through_hex() {
        let id = KeyId([0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65]);
        assert_eq!(id.to_string(), "9f86d081884c7d65");
        assert_eq!(KeyId::from_hex("9f86d081884c7d65"), Some(id));
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
}
