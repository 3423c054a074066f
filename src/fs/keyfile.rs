//! Key files on disk: reading a key file as OpenSSL would (a regular file,
//! at most [`files::MAX_KEY_FILE`] bytes, into memory zeroized on drop) and
//! refusing a private key anyone else can read; writing a new key file whole
//! with `create_new`, `dec.pem` with mode 0600 (or a protected DACL) from its
//! first moment, never replacing an existing file.
//!
//! These are the `load` and `save` methods of [`EncryptionKey`] and
//! [`DecryptionKey`]: the key types and their PEM parsing are the
//! cryptography layer's (`crate::crypto::keys`), their files are this
//! layer's.

use std::path::Path;

use zeroize::Zeroizing;

use crate::crypto::keys::{DecryptionKey, EncryptionKey};
use crate::error::{Error, Result};
use crate::fs::files;
use crate::fs::platform::{self, Exposure, Owner};

impl EncryptionKey {
    /// Loads a public key from a PEM file (SubjectPublicKeyInfo or PKCS#1;
    /// the first key of the file, as OpenSSL reads it).
    ///
    /// # Errors
    /// [`Error::KeyNotFound`], [`Error::KeyRead`], [`Error::BadKey`] (not PEM,
    /// not RSA, a private key given where the public one is needed, a format
    /// confpass does not read, with the command that converts it) and
    /// [`Error::KeyTooSmall`].
    pub fn load(path: &Path) -> Result<EncryptionKey> {
        let text = read_key_file(path, "give the public key file with -keys ENC DEC")?;
        EncryptionKey::from_bytes(&text, path)
    }

    /// Writes the key as a new file with mode 0644; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        files::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, None, "enc")
    }

    /// [`EncryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner`; `role` names the step for
    /// the fault tests.
    pub(crate) fn save_for(&self, path: &Path, owner: &Owner, role: &str) -> Result<()> {
        files::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, Some(owner), role)
    }
}

impl DecryptionKey {
    /// Loads a private key from a PEM file (PKCS#8 or PKCS#1; the first key
    /// of the file, as OpenSSL reads it).
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], and [`Error::KeyPermissions`] when the file
    /// is readable by group or others.
    pub fn load(path: &Path) -> Result<DecryptionKey> {
        let text = read_key_file(
            path,
            "give the private key file with -keys ENC DEC, or the `decryption-key` option",
        )?;
        let key = DecryptionKey::from_bytes(&text, path)?;
        check_private_mode(path)?;
        Ok(key)
    }

    /// Writes the key as a new file created with mode 0600; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        files::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, None, "dec")
    }

    /// [`DecryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner` (still mode 0600).
    pub(crate) fn save_for(&self, path: &Path, owner: &Owner, role: &str) -> Result<()> {
        files::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, Some(owner), role)
    }
}

/// Reads a key file whole; `fix` says what to do when it does not exist.
fn read_key_file(path: &Path, fix: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    files::read_file(path)
        .map(Zeroizing::new)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::KeyNotFound {
                path: path.to_path_buf(),
                fix,
            },
            _ if platform::is_not_regular(&e) => Error::BadKey {
                path: path.to_path_buf(),
                reason: "is not a regular file (a FIFO, device or directory): give the path of the key file itself".to_owned(),
            },
            _ => Error::KeyRead {
                path: path.to_path_buf(),
                source: e,
            },
        })
}

/// Refuses a private key file that anyone but its owner (and, on Windows,
/// SYSTEM and Administrators) can read.
fn check_private_mode(path: &Path) -> Result<()> {
    let exposure = platform::private_key_exposure(path).map_err(|e| Error::KeyRead {
        path: path.to_path_buf(),
        source: e,
    })?;
    match exposure {
        None => Ok(()),
        Some(Exposure::Mode(mode)) => Err(Error::KeyPermissions {
            path: path.to_path_buf(),
            mode,
        }),
        Some(Exposure::Acl { who, fix }) => Err(Error::KeyAcl {
            path: path.to_path_buf(),
            who,
            fix,
        }),
    }
}
