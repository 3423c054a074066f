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
//! # Where to go from here
//!
//! **A server that may start during a password rotation.** A primary/backup
//! pair keeps the old password as `previous-password` while the database
//! moves to the new one (`confpass -p --keep-previous`, then
//! `--forget-previous`). [`database_password_candidates`] gives both, current
//! first, from one reading of the file; connect with the first [`Candidate`]
//! the database accepts (`examples/confserv_startup.rs` does exactly that).
//!
//! **Looking without decrypting.** [`check`] walks the start-up path and
//! returns a [`Report`] ([`State`] of the value and of any previous one)
//! without ever returning the password: what `confpass --check` prints.
//!
//! **Writing the file.** The operations of the command line take a
//! [`Request`] and return an [`Outcome`] (the [`Action`] taken, or a masked
//! [`Preview`] for a dry run): [`encrypt_file`] is `-p`, [`rotate_keys`]
//! `--rotate-keys`, [`forget_previous`] `--forget-previous`, and
//! [`prune_keys`] `--prune-keys`. Each is one transaction with one commit
//! point, the rename of the configuration file: a failure before it leaves
//! every file byte-identical, a failure after it is [`Error::Committed`] and
//! a rerun completes it (ARCHITECTURE.md, "Transactions").
//!
//! **The pieces**, for tools of your own:
//! - [`config`]: the INI format. [`ConfigFile`] reads a file and finds
//!   sections and options; its `Editor` changes values byte for byte.
//! - [`confserv`]: what a Configuration Server's file means: the
//!   [`confserv::Layout`] from the server section to the password option.
//! - [`keys`]: [`DecryptionKey`] and [`EncryptionKey`] generate, load and
//!   save RSA keys as OpenSSL writes them; [`KeyId`] names a key.
//! - [`value`]: [`EncryptedValue`] parses, formats, encrypts and decrypts
//!   `ENC[…]` (docs/FORMAT.md is its specification).
//! - [`keyfiles`] and [`keyring`]: which key files a run uses, and the
//!   lookup of the private key a value names among `dec.pem` and the staged
//!   and retired keys a rotation leaves.
//!
//! **Errors.** Every failure is an [`Error`] whose message names the file,
//! section, option or key file concerned and says what to do; its
//! [`Category`] is what the command line turns into an exit code. The
//! library never prints, never exits and never panics on any input. A
//! process that holds the password should call [`disable_core_dumps`] first.
//!
//! Inside, the crate is four layers: the INI format and the cryptography
//! (bytes only), the file system and platform, and the operations above them
//! (ARCHITECTURE.md, "Code map").

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
    //! Reading and byte-exact editing of a Genesys-style INI configuration file.
    //!
    //! [`ConfigFile`] keeps the file's bytes exactly as read and nothing else:
    //! lines are classified as they are walked (section headers,
    //! `option = value` lines, comments, blanks, and lines that are none of
    //! these), so memory stays the size of the file whatever its lines are like.
    //! Values are taken verbatim (no escapes, no quotes, a `;` or `#` inside a
    //! value is part of it). Names match without regard to case, and two
    //! candidates for one name are an error, never a guess. [`Editor`] replaces
    //! values and adds option lines; every byte it was not told to change stays
    //! as it was: comments, order, spacing, spelling, line ends, a byte-order
    //! mark, a missing final newline. Bytes that are not UTF-8 are kept.
    //!
    //! A file is read only up to [`MAX_CONFIG_SIZE`]: its size is checked before
    //! a byte is read, and a file that grows while it is read is cut off one
    //! byte past the limit and refused.
    pub use crate::ini::*;
}
pub use crypto::backend::{CryptoBackend, crypto_backend};
pub use crypto::decryptor::Decryptor;
pub use crypto::{keys, value};
pub use fs::{keyring, token};
pub use ops::{confserv, keyfiles};

pub use config::ConfigFile;
pub use crypto::keys::{DecryptionKey, EncryptionKey};
pub use error::{Category, Error, PasswordOrigin, Result};
pub use fs::platform::disable_core_dumps;
pub use keyfiles::KeyFiles;
pub use keyid::KeyId;
pub use ops::encrypt::encrypt_file;
pub use ops::forget::forget_previous;
pub use ops::previous::{Candidate, Which, database_password_candidates};
pub use ops::prune::{Pruned, prune_keys};
pub use ops::request::{Action, Outcome, Preview, Prompt, Request};
pub use ops::rotate::rotate_keys;
pub use ops::startup::{Report, State, check, database_password, server_key_path};
pub use secrecy::{ExposeSecret, SecretString};
pub use value::EncryptedValue;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
