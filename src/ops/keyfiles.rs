//! Which key files a run uses, and what is in them.
//!
//! [`KeyFiles`] names the pair (`-keys ENC DEC`, or `enc.pem`/`dec.pem`
//! beside the configuration file). The key policy of `-p` lives here: load
//! both and check they are one pair, use the public key alone, derive the
//! public key from the private one, or generate a pair. So does the lookup
//! the start-up call and `--check` share, the private key for a value's key
//! id, is in [`crate::fs::keyring`] (re-exported here).

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::decryptor::Decryptor as _;
use crate::crypto::keys::{DecryptionKey, EncryptionKey};
use crate::crypto::value::{EncryptedValue, check_password, check_password_for_bits};
use crate::error::{Error, PasswordOrigin, Result};
use crate::fault;
use crate::fs::keyring::{self, exists};
pub use crate::fs::keyring::{decryption_key_for, staged_path};
use crate::fs::token::{self, TokenKey};
use crate::ini::ConfigFile;
use crate::ops::confserv::Layout;

/// Where the key files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFiles {
    /// `enc.pem` and `dec.pem` in the configuration file's directory.
    Default,
    /// The public (ENC) and private (DEC) key files named by `-keys ENC DEC`.
    Explicit {
        /// The public key file.
        enc: PathBuf,
        /// The private key file.
        dec: PathBuf,
    },
}

/// The key material a run works with.
pub(crate) struct Keys {
    pub(crate) enc: EncryptionKey,
    pub(crate) dec: Option<DecryptionKey>,
    /// The private key on a token, when DEC is a `pkcs11:` URI.
    pub(crate) token: Option<OnToken>,
    /// Whether this run must write the private key file (it is new).
    pub(crate) write_dec: bool,
    /// Whether this run must write the public key file (new or derived).
    pub(crate) write_enc: bool,
}

/// The key files this run uses: `-keys ENC DEC`, else the private key the
/// server section's start-up call reads (`CONFPASS_DECRYPTION_KEY`, else
/// `decryption-key`, else `dec.pem` beside the file) with its public key
/// beside it ([`enc_beside`]). With `CONFPASS_DECRYPTION_KEY` set, `-keys`
/// must name that private key: a server started in this environment reads
/// no other.
pub(crate) fn key_paths(
    file: &ConfigFile,
    layout: &Layout,
    keys: &KeyFiles,
) -> Result<(PathBuf, PathBuf)> {
    match keys {
        KeyFiles::Explicit { enc, dec } => {
            if let Some(env) = std::env::var_os(crate::ops::startup::DECRYPTION_KEY_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                && normalize(&env) != normalize(dec)
            {
                return Err(Error::KeysNotUsed {
                    path: dec.clone(),
                    reason: format!(
                        "is not the key a server started in this environment reads: CONFPASS_DECRYPTION_KEY names {}; unset it for this run, or give -keys ENC {}",
                        env.display(),
                        env.display()
                    ),
                });
            }
            Ok((enc.clone(), dec.clone()))
        }
        KeyFiles::Default => {
            let dec = crate::ops::startup::server_key_path(file, layout)?;
            if token::is_token(&dec) {
                // A token key's public half is also the token's: ENC is the
                // default enc.pem beside the file (-p writes it when missing).
                let (enc, _) =
                    crate::crypto::keys::default_paths(crate::fs::files::parent_dir(file.path()));
                return Ok((enc, dec));
            }
            Ok((enc_beside(&dec), dec))
        }
    }
}

/// The key policy: both files → load and check the pair; ENC only → encrypt
/// with it; DEC only → derive ENC; neither → generate. The password is
/// checked against the key size before anything is generated.
pub(crate) fn settle_keys(
    enc_path: &Path,
    dec_path: &Path,
    bits: usize,
    password: &SecretString,
    origin: PasswordOrigin,
) -> Result<Keys> {
    if token::is_token(dec_path) {
        return settle_on_token(enc_path, dec_path, bits, password, origin);
    }
    let keys = match (exists(enc_path)?, exists(dec_path)?) {
        (true, true) => {
            let dec = DecryptionKey::load(dec_path)?;
            let enc = EncryptionKey::load(enc_path)?;
            // A rotation stopped between promoting dec.pem and enc.pem: the
            // staged public key is dec.pem's own half. Encrypt with it; the
            // rerun of --rotate-keys finishes the promotion.
            let pending = enc.id() != dec.id()
                && keyring::public_named(&staged_path(enc_path, dec.id()), dec.id())?.is_some();
            if pending {
                return finish_settling(
                    Keys {
                        enc: dec.public().clone(),
                        dec: Some(dec),
                        token: None,
                        write_dec: false,
                        write_enc: false,
                    },
                    password,
                    origin,
                );
            }
            if enc.id() != dec.id() {
                return Err(Error::KeyMismatch {
                    enc: enc_path.to_path_buf(),
                    enc_id: enc.id(),
                    dec: dec_path.to_path_buf(),
                    dec_id: dec.id(),
                });
            }
            Keys {
                enc,
                dec: Some(dec),
                token: None,
                write_dec: false,
                write_enc: false,
            }
        }
        (true, false) => Keys {
            enc: EncryptionKey::load(enc_path)?,
            dec: None,
            token: None,
            write_dec: false,
            write_enc: false,
        },
        (false, true) => {
            let dec = DecryptionKey::load(dec_path)?;
            Keys {
                enc: dec.public().clone(),
                dec: Some(dec),
                token: None,
                write_dec: false,
                write_enc: true,
            }
        }
        (false, false) => {
            check_password_for_bits(password.expose_secret(), origin, bits)?;
            let dec = DecryptionKey::generate(bits)?;
            fault::pause_point("keys-generated");
            Keys {
                enc: dec.public().clone(),
                dec: Some(dec),
                token: None,
                write_dec: true,
                write_enc: true,
            }
        }
    };
    finish_settling(keys, password, origin)
}

/// A private key on a token that this run uses. One the run made is
/// destroyed when this is dropped before [`OnToken::keep`]: a run that
/// fails before its commit leaves the token as it found it.
pub(crate) struct OnToken {
    pub(crate) key: TokenKey,
    made: bool,
}

impl OnToken {
    /// A key this run made: destroyed on drop unless [`OnToken::keep`].
    pub(crate) fn made(key: TokenKey) -> OnToken {
        OnToken { key, made: true }
    }

    /// The URI that names this key alone, as `decryption-key` records it.
    pub(crate) fn place(&self) -> PathBuf {
        PathBuf::from(self.key.uri().to_string())
    }

    /// The run committed: the key it made stays.
    pub(crate) fn keep(mut self) {
        self.made = false;
    }
}

impl Drop for OnToken {
    fn drop(&mut self) {
        if self.made {
            // Best effort: a key left behind serves nothing, and a rerun of
            // -p finds it by its label and uses it.
            let _ = token::destroy(&self.key);
        }
    }
}

/// The key policy with a token for DEC: the object the URI names and ENC
/// are checked to be one pair; the object alone gives ENC; neither → the
/// pair is made on the token. ENC without the object is refused: the
/// server would find no key.
fn settle_on_token(
    enc_path: &Path,
    dec_path: &Path,
    bits: usize,
    password: &SecretString,
    origin: PasswordOrigin,
) -> Result<Keys> {
    let enc_there = exists(enc_path)?;
    let (on, write_enc) = match (token::find(dec_path)?, enc_there) {
        (Some(key), there) => (OnToken { key, made: false }, !there),
        (None, true) => {
            return Err(Error::TokenObject {
                uri: token::uri_of(dec_path)?.to_string(),
                reason: format!(
                    "holds no private key that the URI names, but {} exists: name the token object that key belongs to, or move {} away so that -p makes a new pair on the token",
                    enc_path.display(),
                    enc_path.display()
                ),
            });
        }
        (None, false) => {
            check_password_for_bits(password.expose_secret(), origin, bits)?;
            let key = token::generate(dec_path, bits)?;
            // The session is closed here: a kill leaves the key, not a session.
            crate::fault::pause_point("token-generated");
            (OnToken { key, made: true }, true)
        }
    };
    let enc = if enc_there {
        let enc = EncryptionKey::load(enc_path)?;
        let id = on.key.key_id();
        // A rotation stopped before renaming enc.pem: the staged public key
        // is the token key's own half, and a rerun of --rotate-keys renames it.
        if enc.id() != id && keyring::public_named(&staged_path(enc_path, id), id)?.is_some() {
            on.key.public().clone()
        } else if enc.id() != on.key.key_id() {
            return Err(Error::KeyMismatch {
                enc: enc_path.to_path_buf(),
                enc_id: enc.id(),
                dec: on.place(),
                dec_id: on.key.key_id(),
            });
        } else {
            enc
        }
    } else {
        on.key.public().clone()
    };
    finish_settling(
        Keys {
            enc,
            dec: None,
            token: Some(on),
            write_dec: false,
            write_enc,
        },
        password,
        origin,
    )
}

/// The last check of the key policy: the password fits the key.
fn finish_settling(keys: Keys, password: &SecretString, origin: PasswordOrigin) -> Result<Keys> {
    check_password(password.expose_secret(), origin, &keys.enc)?;
    Ok(keys)
}

/// Checks an encrypted value that `-p` is about to leave as it is against the
/// key files at hand: with the private key, it must decrypt; with the public
/// key alone, it must name that key and have its length. With no key file
/// here there is nothing to check it against.
pub(crate) fn verify_stored(
    file: &ConfigFile,
    layout: &Layout,
    value: &EncryptedValue,
    enc_path: &Path,
    dec_path: &Path,
) -> Result<()> {
    if exists(dec_path)? {
        let (dec, from) = crate::fs::keyring::decryptor_for(dec_path, value.key_id())?;
        return crate::ops::startup::decrypt_in(file, layout, value, &*dec, &from).map(drop);
    }
    if !exists(enc_path)? {
        return Ok(());
    }
    let enc = EncryptionKey::load(enc_path)?;
    if value.key_id() != enc.id() {
        return Err(Error::WrongKey {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            value_id: value.key_id(),
            key: enc_path.to_path_buf(),
            key_id: enc.id(),
        });
    }
    if value.ciphertext().len() != enc.ciphertext_len() {
        return Err(Error::MalformedValue {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            reason: format!(
                "the ciphertext is {} bytes, but key id {} makes {}-byte ciphertexts (the value is truncated or altered)",
                value.ciphertext().len(),
                enc.id(),
                enc.ciphertext_len()
            ),
        });
    }
    Ok(())
}

/// A path made absolute with its directory's symlinks resolved, for comparing.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match (abs.parent().map(std::fs::canonicalize), abs.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => abs,
    }
}

/// The public key file that goes with the private key file `dec` when only
/// the private key's path is known (a `decryption-key` option, or
/// `CONFPASS_DECRYPTION_KEY`): `dec.pem` → `enc.pem`; a name holding `dec`
/// → the first `dec` made `enc` (`cs-dec.pem` → `cs-enc.pem`); else
/// `enc.pem` in the same directory.
pub fn enc_beside(dec: &Path) -> PathBuf {
    let name = dec.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let enc = if name.contains("dec") {
        name.replacen("dec", "enc", 1)
    } else {
        "enc.pem".to_owned()
    };
    dec.with_file_name(enc)
}
