//! Keys on a PKCS#11 token: a TPM through tpm2-pkcs11, or an HSM through its
//! vendor's module, named by an RFC 7512 `pkcs11:` URI wherever a private
//! key file can be named (`decryption-key`, DEC of `-keys`,
//! `CONFPASS_DECRYPTION_KEY`). PRODUCT.md §13.
//!
//! A token is a place keys live, beside key files: [`TokenKey`] is a
//! [`Decryptor`] whose private half never leaves the token. Each step
//! ([`key_for`], [`TokenKey::decrypt_oaep`], [`generate`], [`destroy`])
//! opens its own session and closes it, and the module is finalized once no
//! step of this process uses it: nothing is held between calls. The PIN
//! comes from the URI's `pin-source` file (`pin.rs`). A build without the
//! `pkcs11` feature (the static musl binary cannot load a module) refuses
//! every token key with [`Error::TokenUnsupported`].

#[cfg(feature = "pkcs11")]
mod module;
#[cfg(feature = "pkcs11")]
mod pin;
#[cfg(feature = "pkcs11")]
mod session;
pub mod uri;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::{EncryptionKey, KeyId};
use crate::error::{Error, Result};
pub use uri::TokenUri;

/// Where p11-kit's proxy module is installed (Debian and Ubuntu, then
/// RHEL/CentOS): the module used when a URI gives no `module-path`.
const DEFAULT_MODULES: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so",
    "/usr/lib64/p11-kit-proxy.so",
    "/usr/lib/p11-kit-proxy.so",
];

/// Whether a key place (a `decryption-key` value, DEC of `-keys`,
/// `CONFPASS_DECRYPTION_KEY`) names a key on a token rather than a file.
pub fn is_token(place: &Path) -> bool {
    place.to_str().is_some_and(TokenUri::is_uri)
}

/// A URI as messages show it before it is parsed: never a `pin-value`.
fn shown(text: &str) -> String {
    match text.to_ascii_lowercase().find("pin-value") {
        Some(at) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The URI a key place holds.
///
/// # Errors
/// [`Error::TokenUri`] when it is no URI confpass can use.
pub fn uri_of(place: &Path) -> Result<TokenUri> {
    let text = place.to_str().unwrap_or_default();
    TokenUri::parse(text).map_err(|reason| Error::TokenUri {
        uri: shown(text),
        reason,
    })
}

#[cfg_attr(not(feature = "pkcs11"), allow(dead_code))]
/// The module a URI loads: its `module-path`, else p11-kit's proxy.
fn module_of(uri: &TokenUri) -> Result<PathBuf> {
    if let Some(m) = &uri.module_path {
        return Ok(m.clone());
    }
    DEFAULT_MODULES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| Error::TokenModule {
            module: PathBuf::from("p11-kit-proxy.so"),
            uri: uri.to_string(),
            reason: "is not installed, and the URI gives no module-path".into(),
        })
}

#[cfg_attr(not(feature = "pkcs11"), allow(dead_code))]
/// The PIN file a URI names.
fn pin_file_of(uri: &TokenUri) -> Result<&Path> {
    uri.pin_source.as_deref().ok_or_else(|| Error::TokenUri {
        uri: uri.to_string(),
        reason: "gives no pin-source: add ?pin-source=file:/path/to/pin (a file holding the token's user PIN, mode 0600)".into(),
    })
}

/// A private key on a token: its public half, and the URI that finds it
/// (by its CKA_ID). Decrypting opens a session for that one operation.
#[derive(Clone, Debug)]
pub struct TokenKey {
    uri: TokenUri,
    public: EncryptionKey,
}

impl TokenKey {
    /// The URI that names this key alone (its `id`).
    pub fn uri(&self) -> &TokenUri {
        &self.uri
    }
}

impl Decryptor for TokenKey {
    fn public(&self) -> &EncryptionKey {
        &self.public
    }

    fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        imp::decrypt(&self.uri, ciphertext, self.public.id())
    }
}

/// The key on the token of `place` that opens values made for `id`: the
/// one whose CKA_ID is the key id (a rotation leaves the old one there),
/// else the object the URI itself names.
///
/// # Errors
/// The URI's, the PIN file's and the token's errors; [`Error::TokenObject`]
/// when neither is there.
pub fn key_for(place: &Path, id: Option<KeyId>) -> Result<TokenKey> {
    imp::key_for(&uri_of(place)?, id)
}

/// The key the URI of `place` names, if the token holds it.
///
/// # Errors
/// As [`key_for`], but for a missing object.
pub fn find(place: &Path) -> Result<Option<TokenKey>> {
    match key_for(place, None) {
        Ok(k) => Ok(Some(k)),
        Err(Error::TokenObject { reason, .. }) if reason.starts_with(NO_OBJECT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Makes a pair of `bits` on the token of `place`, labelled as the URI's
/// `object` (else `confpass`), with the key id as its CKA_ID; returns it with
/// the URI that names it alone.
///
/// # Errors
/// As [`key_for`], and [`Error::TokenKeySize`] for a size the token refuses.
pub fn generate(place: &Path, bits: usize) -> Result<TokenKey> {
    imp::generate(&uri_of(place)?, bits)
}

/// The keys confpass made on the token of `place` (labelled as its
/// `object`, with their own key id as CKA_ID), the URI's own among them:
/// what `--prune-keys` may destroy once no value names them.
///
/// # Errors
/// As [`key_for`].
pub fn made_keys(place: &Path) -> Result<Vec<TokenKey>> {
    imp::made_keys(&uri_of(place)?)
}

/// Destroys both halves of `key` on its token: a key made by a run that then
/// failed before its commit. Returns how many objects went.
///
/// # Errors
/// The token's errors.
pub fn destroy(key: &TokenKey) -> Result<usize> {
    imp::destroy(&key.uri)
}

/// Whether `key`'s private half is sensitive and not extractable.
///
/// # Errors
/// The token's errors.
pub fn is_protected(key: &TokenKey) -> Result<bool> {
    imp::protected(&key.uri)
}

/// The start of [`Error::TokenObject`]'s reason when nothing matches.
const NO_OBJECT: &str = "holds no private key";

#[cfg(feature = "pkcs11")]
mod imp {
    use super::session::Session;
    use super::*;

    fn open(uri: &TokenUri) -> Result<Session> {
        let module = module_of(uri)?;
        let pin_file = pin_file_of(uri)?;
        let pin = super::pin::read(pin_file)?;
        Session::open(uri, &module, pin, pin_file)
    }

    /// The one private key `id` (bytes) and/or `label` name, if any.
    fn one(
        s: &Session,
        uri: &TokenUri,
        id: Option<&[u8]>,
        label: Option<&str>,
    ) -> Result<Option<cryptoki::object::ObjectHandle>> {
        let mut found = s.find_private(id, label)?;
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            n => Err(Error::TokenObject {
                uri: uri.to_string(),
                reason: format!(
                    "holds {n} private keys that match: add id= to the URI to name one"
                ),
            }),
        }
    }

    pub(super) fn key_for(uri: &TokenUri, id: Option<KeyId>) -> Result<TokenKey> {
        let s = open(uri)?;
        let by_kid = match id {
            Some(kid) => one(&s, uri, Some(&kid.0), None)?,
            None => None,
        };
        let h = match by_kid {
            Some(h) => h,
            None => one(&s, uri, uri.id.as_deref(), uri.object.as_deref())?.ok_or_else(|| Error::TokenObject {
                uri: uri.to_string(),
                reason: format!("{NO_OBJECT} that the URI names: make it with `confpass -p -keys ENC URI`, or correct the URI's id= or object="),
            })?,
        };
        let (public, cka_id) = s.public_of(h)?;
        let label = uri.object.clone().unwrap_or_default();
        Ok(TokenKey {
            uri: uri.naming(&cka_id, &label),
            public,
        })
    }

    pub(super) fn decrypt(
        uri: &TokenUri,
        ciphertext: &[u8],
        kid: KeyId,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let s = open(uri)?;
        let h = one(&s, uri, uri.id.as_deref(), None)?.ok_or_else(|| Error::TokenObject {
            uri: uri.to_string(),
            reason: format!(
                "{NO_OBJECT} with this id any more: it was destroyed since it was found"
            ),
        })?;
        s.decrypt(h, ciphertext, kid)
    }

    pub(super) fn generate(uri: &TokenUri, bits: usize) -> Result<TokenKey> {
        let s = open(uri)?;
        let label = uri.object.clone().unwrap_or_else(|| "confpass".into());
        // A CKA_ID no other object has, until the key id is known.
        let mut temp = [0u8; 16];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut temp)
            .map_err(|e| Error::Crypto(format!("no randomness for a temporary CKA_ID: {e}")))?;
        let h = s.generate(bits, &temp, &label)?;
        let named = (|| {
            let (public, _) = s.public_of(h)?;
            let kid = public.id();
            // Both halves get the key id, or both keep the temporary one.
            let id: Vec<u8> = if s.relabel(&temp, &kid.0)? {
                kid.0.to_vec()
            } else {
                s.relabel(&kid.0, &temp)?;
                temp.to_vec()
            };
            Ok(TokenKey {
                uri: uri.naming(&id, &label),
                public,
            })
        })();
        if named.is_err() {
            // Nothing names the pair yet, and nothing ever will: it goes.
            let _ = s.destroy(&temp);
        }
        named
    }

    pub(super) fn made_keys(uri: &TokenUri) -> Result<Vec<TokenKey>> {
        let Some(label) = uri.object.as_deref() else {
            return Ok(Vec::new());
        };
        let s = open(uri)?;
        let mut out = Vec::new();
        for h in s.find_private(None, Some(label))? {
            let (public, cka_id) = s.public_of(h)?;
            if cka_id == public.id().0 {
                out.push(TokenKey {
                    uri: uri.naming(&cka_id, label),
                    public,
                });
            }
        }
        Ok(out)
    }

    pub(super) fn destroy(uri: &TokenUri) -> Result<usize> {
        let s = open(uri)?;
        match &uri.id {
            Some(id) => s.destroy(id),
            None => Ok(0),
        }
    }

    pub(super) fn protected(uri: &TokenUri) -> Result<bool> {
        let s = open(uri)?;
        match one(&s, uri, uri.id.as_deref(), uri.object.as_deref())? {
            Some(h) => s.protected(h),
            None => Ok(false),
        }
    }
}

#[cfg(not(feature = "pkcs11"))]
mod imp {
    use super::*;

    fn unsupported(uri: &TokenUri) -> Error {
        Error::TokenUnsupported {
            uri: uri.to_string(),
        }
    }

    pub(super) fn key_for(uri: &TokenUri, _: Option<KeyId>) -> Result<TokenKey> {
        Err(unsupported(uri))
    }
    pub(super) fn decrypt(uri: &TokenUri, _: &[u8], _: KeyId) -> Result<Zeroizing<Vec<u8>>> {
        Err(unsupported(uri))
    }
    pub(super) fn generate(uri: &TokenUri, _: usize) -> Result<TokenKey> {
        Err(unsupported(uri))
    }
    pub(super) fn destroy(uri: &TokenUri) -> Result<usize> {
        Err(unsupported(uri))
    }
    pub(super) fn made_keys(uri: &TokenUri) -> Result<Vec<TokenKey>> {
        Err(unsupported(uri))
    }
    pub(super) fn protected(uri: &TokenUri) -> Result<bool> {
        Err(unsupported(uri))
    }
}
