//! The cryptography layer: RSA keys and their ids, OAEP, and the encrypted
//! value as it stands in a file. Bytes in, bytes out: nothing here opens a
//! file (key files are read and written by `crate::fs::keyfile`).
//!
//! [`keys`] holds the two key types and reads them from PEM text as OpenSSL
//! does ([`pem`] finds the blocks); [`value`] parses, formats, encrypts and
//! decrypts `ENC[RSA-OAEP-SHA256,kid:…,data:…]`; [`decryptor`] is the seam
//! between a value and whatever key opens it (a key file's, or one on a
//! PKCS#11 token). [`backend`] is the one seam between confpass and an RSA
//! implementation: RustCrypto's `rsa` (the default), with its own OAEP
//! decoding, stricter than `rsa`'s (SECURITY.md), or AWS-LC
//! (feature `aws-lc`). Nothing outside this layer knows which one is built.

pub mod backend;
pub mod decryptor;
pub mod keys;
pub(crate) mod pem;
pub mod value;
