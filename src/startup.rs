//! The start-up call: the database password, as the server needs it.
//!
//! [`database_password`] reads the configuration file, finds the password,
//! and returns it as a [`SecretString`], decrypting it with the private key
//! when `encryption = true`. It never prints and never panics; every failure
//! is an [`Error`] naming the file, section, option or key file concerned.

use std::path::Path;

use secrecy::SecretString;

use crate::config::ConfigFile;
use crate::confserv::{Layout, Stored};
use crate::error::{Error, Result};
use crate::keys::DecryptionKey;
use crate::value::EncryptedValue;

/// Returns the Configuration Database password from the configuration file
/// at `config`, whose server section is `server_section` (`"confserv"` unless
/// the server application is named otherwise).
///
/// With `encryption = true` the stored value is decrypted with the private
/// key named by `decryption-key`, else `dec.pem` beside the file; otherwise the
/// plain value is returned. The key file must not be readable by group or
/// others.
///
/// # Errors
/// Any configuration, key or decryption problem, as an [`Error`] whose message
/// says what is wrong and what to do.
pub fn database_password(config: impl AsRef<Path>, server_section: &str) -> Result<SecretString> {
    let file = ConfigFile::read(config.as_ref())?;
    let layout = Layout::locate(&file, server_section, None)?;
    match layout.stored(&file)? {
        Stored::Plain("") => Err(Error::BadValue {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            option: crate::confserv::PASSWORD_OPTION.into(),
            reason: "is empty: set it to the database password, then run `confpass -p`".into(),
        }),
        Stored::Plain(p) => Ok(SecretString::from(p.to_owned())),
        Stored::Encrypted(value) => {
            let key_path = layout.decryption_key_path(&file)?;
            let key = DecryptionKey::load(&key_path)?;
            decrypt_in(&file, &layout, &value, &key, &key_path)
        }
    }
}

/// Decrypts a stored value, turning the low-level errors into ones that name
/// the configuration file, the section and the key file.
pub(crate) fn decrypt_in(
    file: &ConfigFile,
    layout: &Layout,
    value: &EncryptedValue,
    key: &DecryptionKey,
    key_path: &Path,
) -> Result<SecretString> {
    value.decrypt(key).map_err(|e| match e {
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
        Error::Undecryptable { .. } => Error::DecryptFailed {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            key: key_path.to_path_buf(),
        },
        other => other,
    })
}
