//! What a key rotation does to the rest of the file (PRODUCT.md §12):
//! every `password` and `previous-password`, in whatever section, that the
//! rotated key opens moves to the new key in the same commit
//! ([`others_for_new_key`]), and every server section reading one of them
//! must find the new key where the rotation puts it
//! ([`every_reader_follows`]), or the rotation is refused before anything is
//! written. `--rotate-keys` (`crate::ops::rotate`) does its own section's
//! values itself.

use std::path::Path;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{EncryptionKey, KeyId};
use crate::crypto::value::EncryptedValue;
use crate::error::{Error, Result};
use crate::ini::{ConfigFile, OptionRef, names_match};
use crate::ops::confserv::Layout;
use crate::ops::keyfiles::normalize;
use crate::ops::servers::{servers, value_refs};
use crate::ops::startup::server_key_path;

/// A value re-encrypted for the new key.
pub(crate) struct Moved {
    /// The section holding it, as spelled.
    pub(crate) section: String,
    /// The option.
    pub(crate) option: OptionRef,
    /// The new value's text.
    pub(crate) text: String,
}

/// The values outside `layout`'s database section that one of `rotated`'s
/// keys opens, re-encrypted for `new`.
///
/// # Errors
/// [`Error::DecryptFailed`] (or another decryption error) naming the
/// section of a value that names a rotated key but does not decrypt with it.
pub(crate) fn others_for_new_key(
    file: &ConfigFile,
    layout: &Layout,
    rotated: [(KeyId, &dyn Decryptor, &Path); 2],
    new: &EncryptionKey,
) -> Result<Vec<Moved>> {
    let mut out = Vec::new();
    for v in value_refs(file) {
        if names_match(v.section.as_bytes(), &layout.db_name) {
            continue;
        }
        let Some((_, key, from)) = rotated.iter().find(|(id, ..)| *id == v.value.key_id()) else {
            continue;
        };
        let password = v
            .value
            .decrypt_with(*key)
            .map_err(|_| Error::DecryptFailed {
                path: file.path().to_path_buf(),
                section: v.section.clone(),
                key: from.to_path_buf(),
            })?;
        out.push(Moved {
            section: v.section,
            option: v.option,
            text: EncryptedValue::encrypt(new, &password)?.to_string(),
        });
    }
    Ok(out)
}

/// Refuses the rotation when a server section that reads `layout`'s
/// database section or one of `dbs` reads its private key from another file
/// than `dec_path`, the key this rotation replaces: after it, that section
/// could not decrypt the values re-encrypted for the new key.
pub(crate) fn every_reader_follows(
    file: &ConfigFile,
    layout: &Layout,
    dbs: &[String],
    dec_path: &Path,
) -> Result<()> {
    let wanted = normalize(dec_path);
    let shown = std::path::absolute(dec_path).unwrap_or_else(|_| dec_path.to_path_buf());
    for server in servers(file) {
        let Ok(l) = &server.layout else { continue };
        let db = &l.db_name;
        if !names_match(db.as_bytes(), &layout.db_name)
            && !dbs.iter().any(|d| names_match(db.as_bytes(), d))
        {
            continue;
        }
        let reads = server_key_path(file, l)?;
        if normalize(&reads) != wanted && names_match(server.name.as_bytes(), &layout.server_name) {
            return Err(Error::KeysNotUsed {
                path: dec_path.to_path_buf(),
                reason: format!(
                    "is not the private key [{}] reads at start-up ({}): give -keys the key files that section uses, or run without -keys",
                    server.name,
                    reads.display()
                ),
            });
        }
        if normalize(&reads) != wanted {
            return Err(Error::ServerLeftBehind {
                path: file.path().to_path_buf(),
                section: server.name.clone(),
                reason: format!(
                    "[{}] reads its private key from {} ({}), but this rotation replaces the key at {} and re-encrypts the password of [{db}] for the new key; set `decryption-key` in [{}] to {} (or remove it, if that is dec.pem beside the file), then rotate again",
                    server.name,
                    reads.display(),
                    whence(l),
                    shown.display(),
                    server.name,
                    shown.display()
                ),
            });
        }
    }
    Ok(())
}

/// Where a section's key path comes from, as a message says it.
fn whence(layout: &Layout) -> &'static str {
    let env =
        std::env::var_os(crate::ops::startup::DECRYPTION_KEY_ENV).is_some_and(|v| !v.is_empty());
    match (env, layout.decryption_key) {
        (true, _) => "CONFPASS_DECRYPTION_KEY",
        (false, Some(_)) => "its `decryption-key`",
        (false, None) => "dec.pem beside the file",
    }
}
