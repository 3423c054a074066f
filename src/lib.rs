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

// No unsafe code on Unix. On Windows, one module (src/platform/windows/
// win32.rs) wraps the Win32 security calls and allows it; SECURITY.md says why.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]
#![deny(missing_docs)]

mod check;
pub mod config;
pub mod confserv;
mod encrypt;
mod error;
#[doc(hidden)]
pub mod fault;
mod forget;
mod fsutil;
pub mod keyfiles;
mod keyid;
pub mod keyring;
pub mod keys;
mod oaep;
mod opened;
mod pem;
mod platform;
mod previous;
mod prune;
mod request;
mod rotate;
mod startup;
mod txn;
pub mod value;

pub use config::ConfigFile;
pub use encrypt::encrypt_file;
pub use error::{Category, Error, PasswordOrigin, Result};
pub use forget::forget_previous;
pub use keyfiles::KeyFiles;
pub use keys::{DecryptionKey, EncryptionKey, KeyId};
pub use platform::disable_core_dumps;
pub use previous::{Candidate, Which, database_password_candidates};
pub use prune::{Pruned, prune_keys};
pub use request::{Action, Outcome, Preview, Prompt, Request};
pub use rotate::rotate_keys;
pub use secrecy::{ExposeSecret, SecretString};
pub use startup::{Report, State, check, database_password, server_key_path};
pub use value::EncryptedValue;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
