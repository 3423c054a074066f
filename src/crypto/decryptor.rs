//! What opens a value: the one seam between a value and the private key
//! that decrypts it, wherever that key lives.
//!
//! [`Decryptor`] is a private key seen from outside: its public half (whose
//! key id names the values it opens) and RSA-OAEP-SHA-256 decryption. A key
//! file's [`DecryptionKey`] decrypts in memory; a key on a PKCS#11 token
//! (`crate::fs::token`) decrypts on the token, and its private half never
//! leaves it. Everything above this seam (the start-up call, `--check`, the
//! whole-file check) works the same with either.

use zeroize::Zeroizing;

use crate::crypto::keys::{DecryptionKey, EncryptionKey, KeyId};
use crate::error::{Error, Result};

/// A private key that decrypts values made for its public half.
pub trait Decryptor {
    /// The public half: its key id names the values this key opens.
    fn public(&self) -> &EncryptionKey;

    /// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) decryption of a
    /// ciphertext of this key's size.
    ///
    /// # Errors
    /// [`Error::Undecryptable`] when the ciphertext does not decrypt with
    /// this key (which of the checks failed is never said); for a key on a
    /// token, also the token's own errors (not there, wrong PIN, busy).
    fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>>;

    /// The key id of the public half.
    fn key_id(&self) -> KeyId {
        self.public().id()
    }
}

impl Decryptor for DecryptionKey {
    fn public(&self) -> &EncryptionKey {
        DecryptionKey::public(self)
    }

    fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        DecryptionKey::decrypt_oaep(self, ciphertext)
            .map_err(|_| Error::Undecryptable { key_id: self.id() })
    }
}
