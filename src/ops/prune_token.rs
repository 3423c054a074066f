//! `--prune-keys` on a PKCS#11 token: the keys a rotation left on the token
//! are destroyed once no value of any given file names them, as retired key
//! files are removed. Only keys confpass made are considered: labelled as
//! the URI's `object`, with their own key id as CKA_ID. The key a URI names
//! is kept, as a key file of a pair is.

use std::path::PathBuf;

use crate::crypto::decryptor::Decryptor as _;
use crate::crypto::keys::KeyId;
use crate::error::{Error, Result};
use crate::fault;
use crate::fs::token::{self, TokenKey};

/// The token keys of the pairs whose private key is on a token that no
/// value names (returned), and those kept (pushed onto `kept`).
///
/// # Errors
/// The token's errors.
pub(crate) fn sort_keys(
    pairs: &[(PathBuf, PathBuf)],
    named: &[KeyId],
    kept: &mut Vec<PathBuf>,
) -> Result<Vec<TokenKey>> {
    let mut doomed = Vec::new();
    let mut seen: Vec<KeyId> = Vec::new();
    for (_, dec) in pairs.iter().filter(|(_, d)| token::is_token(d)) {
        let current = token::find(dec)?.map(|k| k.key_id());
        for key in token::made_keys(dec)? {
            let id = key.key_id();
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if named.contains(&id) || current == Some(id) {
                kept.push(place(&key));
            } else {
                doomed.push(key);
            }
        }
    }
    Ok(doomed)
}

/// The URI naming `key` alone, as a path in [`Pruned`]'s lists.
pub(crate) fn place(key: &TokenKey) -> PathBuf {
    PathBuf::from(key.uri().to_string())
}

/// Destroys `doomed`, after the files in `removed` (and adds each to it).
///
/// # Errors
/// The token's error when nothing was removed yet; else
/// [`Error::PruneIncomplete`] naming everything removed.
pub(crate) fn destroy_all(doomed: Vec<TokenKey>, removed: &mut Vec<PathBuf>) -> Result<()> {
    for key in doomed {
        if let Err(e) = token::destroy(&key) {
            return Err(if removed.is_empty() {
                e
            } else {
                Error::PruneIncomplete {
                    removed: std::mem::take(removed),
                    what: format!("destroying {}", place(&key).display()),
                    source: std::io::Error::other(e.to_string()),
                }
            });
        }
        removed.push(place(&key));
        fault::pause_point("pruned-one");
    }
    Ok(())
}
