//! The cryptography layer: RSA keys and their ids, OAEP, and the encrypted
//! value as it stands in a file. Bytes in, bytes out: nothing here opens a
//! file (key files are read and written by `crate::fs::keyfile`).
//!
//! [`keys`] holds the two key types and reads them from PEM text as OpenSSL
//! does ([`pem`] finds the blocks); [`value`] parses, formats, encrypts and
//! decrypts `ENC[RSA-OAEP-SHA256,kid:…,data:…]`; [`oaep`] is the OAEP
//! decoding the `rsa` crate does not do strictly enough (SECURITY.md);
//! [`decryptor`] is the seam between a value and whatever key opens it (a
//! key file's, or one on a PKCS#11 token).

pub mod decryptor;
pub mod keys;
pub(crate) mod oaep;
pub(crate) mod pem;
pub mod value;
