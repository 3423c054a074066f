//! confpass encrypts the Configuration Database password that a Genesys-style
//! Configuration Server keeps in its local configuration file, and gives it
//! back to the server at start-up.
//!
//! The password is encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256, empty
//! label) for the key pair `enc.pem` / `dec.pem` and stored as
//! `ENC[RSA-OAEP-SHA256,kid:<key id>,data:<base64>]`, with `encryption = true`
//! in the server section.
//!
//! The server's one call at start-up is [`database_password`]:
//!
//! ```no_run
//! use secrecy::ExposeSecret;
//!
//! let password = confpass::database_password("/opt/genesys/confserv/confserv.conf", "confserv")?;
//! // Hand it to the database driver; it is wiped from memory when dropped,
//! // and its Debug output is `[REDACTED]`.
//! let _ = password.expose_secret();
//! # Ok::<(), confpass::Error>(())
//! ```
//!
//! Tools use the pieces: [`encrypt_file`] is the `-p` operation,
//! [`DecryptionKey`] and [`EncryptionKey`] load, generate and save keys,
//! [`EncryptedValue`] parses, formats, encrypts and decrypts a value, and
//! [`ConfigFile`] reads and edits the file byte for byte.
//!
//! The library never prints, never exits and never panics on any input; every
//! failure is an [`Error`] whose message names the file, section, option or key
//! file concerned and says what to do.

// No unsafe code on Unix. On Windows, one module (src/fs/platform/windows/
// win32.rs) wraps the Win32 security calls and allows it; SECURITY.md says why.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]
#![deny(missing_docs)]

// The layers, from the bottom (ARCHITECTURE.md, "Code map"): each names only
// the layers below it, and `tests/layout.rs` holds them to that.
//
// The shared vocabulary: what every layer's failures are, the key id they
// name, and the test hooks.
mod error;
#[doc(hidden)]
pub mod fault;
mod keyid;
// The INI format and the cryptography: bytes in, bytes out, no files.
mod crypto;
mod ini;
// The file system and the platform: every read, write, lock and flush.
mod fs;
// The operations a Configuration Server and its administrator run.
mod ops;

// The public modules, wherever their layer keeps them.
pub mod config {
    //! The INI format: [`ConfigFile`] reads a configuration file and
    //! [`Editor`] edits it byte for byte (the `ini` layer; see
    //! [`ConfigFile`] for how it reads).
    pub use crate::ini::*;
}
pub use crypto::{keys, value};
pub use fs::keyring;
pub use ops::{confserv, keyfiles};

pub use crypto::keys::{DecryptionKey, EncryptionKey};
pub use crypto::value::EncryptedValue;
pub use error::{Category, Error, PasswordOrigin, Result};
pub use fs::platform::disable_core_dumps;
pub use ini::ConfigFile;
pub use keyid::KeyId;
pub use ops::encrypt::encrypt_file;
pub use ops::forget::forget_previous;
pub use ops::keyfiles::KeyFiles;
pub use ops::previous::{Candidate, Which, database_password_candidates};
pub use ops::prune::{Pruned, prune_keys};
pub use ops::request::{Action, Outcome, Preview, Prompt, Request};
pub use ops::rotate::rotate_keys;
pub use ops::startup::{Report, State, check, database_password, server_key_path};
pub use secrecy::{ExposeSecret, SecretString};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
