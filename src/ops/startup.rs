//! The start-up call: the database password, as the server needs it.
//!
//! [`database_password`] reads the configuration file, finds the password,
//! and returns it as a [`SecretString`], decrypting it with the private key
//! when `encryption = true`. It never prints and never panics; every failure
//! is an [`Error`] naming the file, section, option or key file concerned.
//! [`check`] walks the same path for `--check` and reports what it finds
//! without ever returning the password.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::KeyId;
use crate::crypto::value::EncryptedValue;
use crate::error::{Error, Result};
use crate::fs::keyring::decryptor_for;
use crate::ini::ConfigFile;
use crate::ops::confserv::{Layout, Stored};

/// The environment variable that overrides where the start-up call reads the
/// decryption key (containers mount secrets elsewhere).
pub const DECRYPTION_KEY_ENV: &str = "CONFPASS_DECRYPTION_KEY";

/// Returns the Configuration Database password from the configuration file
/// at `config`, whose server section is `server_section` (`"confserv"` unless
/// the server application is named otherwise).
///
/// With `encryption = true` the stored value is decrypted with the private
/// key named by the environment variable `CONFPASS_DECRYPTION_KEY` when it is
/// set, else by the `decryption-key` option, else `dec.pem` beside the file;
/// during a key rotation the staged `dec.<key id>.pem` beside that file serves
/// a value already re-encrypted. Otherwise the plain value is returned. The
/// key file must not be readable by group or others.
///
/// # Errors
/// Any configuration, key or decryption problem, as an [`Error`] whose message
/// says what is wrong and what to do.
pub fn database_password(config: impl AsRef<Path>, server_section: &str) -> Result<SecretString> {
    let file = ConfigFile::read(config.as_ref())?;
    let layout = Layout::locate(&file, server_section, None)?;
    password_in(&file, &layout)
}

/// The password `file` holds where `layout` says, as the start-up call
/// returns it.
pub(crate) fn password_in(file: &ConfigFile, layout: &Layout) -> Result<SecretString> {
    match layout.stored(file)? {
        Stored::Plain("") => Err(Error::BadValue {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            option: crate::ops::confserv::PASSWORD_OPTION.into(),
            reason: "is empty: set it to the database password, then run `confpass -p`".into(),
        }),
        Stored::Plain(p) => Ok(SecretString::from(p.to_owned())),
        Stored::Encrypted(value) => {
            let (key, from) = decryptor_for(&server_key_path(file, layout)?, value.key_id())?;
            decrypt_in(file, layout, &value, &*key, &from)
        }
    }
}

/// Where the server reads its private key: `CONFPASS_DECRYPTION_KEY` if set
/// and not empty, else the `decryption-key` option, else `dec.pem` beside the file.
///
/// # Errors
/// [`Error::BadValue`] for an unusable `decryption-key` option.
pub fn server_key_path(file: &ConfigFile, layout: &Layout) -> Result<PathBuf> {
    match std::env::var_os(DECRYPTION_KEY_ENV) {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => layout.decryption_key_path(file),
    }
}

/// What `--check` finds: the state of the stored password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// The password is stored in plain text (`encryption = false`).
    Plain,
    /// Encrypted, and it decrypts with the key the server would use.
    Decryptable {
        /// The key id.
        key_id: KeyId,
        /// The key file that decrypts it.
        key: PathBuf,
    },
    /// Encrypted for another key than the one the server would use.
    OtherKey {
        /// The key id named in the value.
        value_id: KeyId,
        /// The key id of the key at hand.
        key_id: KeyId,
        /// The key file at hand.
        key: PathBuf,
    },
    /// Encrypted, but malformed or undecryptable: the message says which.
    Corrupt {
        /// What is wrong (never the password).
        reason: String,
    },
}

/// The report of `--check`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The configuration file.
    pub file: PathBuf,
    /// The server section, as spelled in the file.
    pub server_section: String,
    /// The database section, as spelled in the file.
    pub db_section: String,
    /// What was found.
    pub state: State,
    /// What was found of `previous-password`, which a rotation across a
    /// primary/backup pair keeps (PRODUCT.md §10); `None` without one.
    pub previous: Option<State>,
}

/// Checks, as the server would at start-up, whether the stored password
/// decrypts with the key at hand. Never returns the password.
///
/// # Errors
/// Problems that stop the check itself: the file, its sections, the
/// `encryption` flag disagreeing with the value, or the key file (missing,
/// unreadable, unprotected, not a key).
pub fn check(config: impl AsRef<Path>, server_section: &str) -> Result<Report> {
    let file = ConfigFile::read(config.as_ref())?;
    let layout = Layout::locate(&file, server_section, None)?;
    let state = match layout.stored(&file) {
        Ok(Stored::Plain(_)) => State::Plain,
        Err(Error::MalformedValue { reason, .. }) => State::Corrupt { reason },
        Err(e) => return Err(e),
        Ok(Stored::Encrypted(value)) => decrypt_state(&file, &layout, &value)?,
    };
    // The previous password of a rotation, judged the same way; one that
    // disagrees with `encryption` or is malformed is corrupt.
    let previous = match layout.stored_previous(&file) {
        Ok(None) => None,
        Ok(Some(Stored::Plain(_))) => Some(State::Plain),
        Ok(Some(Stored::Encrypted(value))) => Some(decrypt_state(&file, &layout, &value)?),
        Err(Error::PreviousPassword {
            reason,
            category: crate::error::Category::Config,
            ..
        }) => Some(State::Corrupt { reason }),
        Err(e) => return Err(e),
    };
    Ok(Report {
        file: config.as_ref().to_path_buf(),
        server_section: layout.server_name.clone(),
        db_section: layout.db_name.clone(),
        state,
        previous,
    })
}

/// The state of an encrypted value: does it decrypt with the key the server
/// would use for it?
fn decrypt_state(file: &ConfigFile, layout: &Layout, value: &EncryptedValue) -> Result<State> {
    let (key, from) = decryptor_for(&server_key_path(file, layout)?, value.key_id())?;
    Ok(match decrypt_in(file, layout, value, &*key, &from) {
        Ok(_) => State::Decryptable {
            key_id: key.key_id(),
            key: from,
        },
        Err(Error::WrongKey {
            value_id,
            key_id,
            key,
            ..
        }) => State::OtherKey {
            value_id,
            key_id,
            key,
        },
        // The reason alone: the report line names the file and section.
        Err(Error::DecryptFailed { key, .. }) => State::Corrupt {
            reason: format!(
                "it does not decrypt with {}: the ciphertext is corrupted or was not made for this key",
                key.display()
            ),
        },
        Err(Error::MalformedValue { reason, .. }) => State::Corrupt { reason },
        Err(Error::BadPlaintext { key, reason, .. }) => State::Corrupt {
            reason: format!(
                "it decrypts with {}, but to {reason}, which is no password confpass would store (another tool wrote it)",
                key.display()
            ),
        },
        Err(e) => return Err(e),
    })
}

/// Decrypts a stored value, turning the low-level errors into ones that name
/// the configuration file, the section and the key file.
pub(crate) fn decrypt_in(
    file: &ConfigFile,
    layout: &Layout,
    value: &EncryptedValue,
    key: &(impl Decryptor + ?Sized),
    key_path: &Path,
) -> Result<SecretString> {
    value.decrypt_with(key).map_err(|e| match e {
        Error::KeyIdMismatch { value_id, key_id } => Error::WrongKey {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            value_id,
            key: key_path.to_path_buf(),
            key_id,
        },
        Error::InvalidValue { reason } => Error::MalformedValue {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            reason,
        },
        Error::UnusablePlaintext { reason, .. } => Error::BadPlaintext {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            key: key_path.to_path_buf(),
            reason,
        },
        Error::Undecryptable { .. } => Error::DecryptFailed {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            key: key_path.to_path_buf(),
        },
        other => other,
    })
}
