//! A logged-in session with a PKCS#11 token, through `cryptoki`: find the
//! private key a URI or a key id names, read its public half, decrypt with
//! it on the token, make a pair on it, destroy one.
//!
//! A [`Session`] is opened for one step and closed when dropped: it logs
//! out, closes the session and, when no other session of this process uses
//! the module, finalizes it ([`Module`]). A TPM holds three loaded objects;
//! a client that leaves without closing leaks one (issue 22), so nothing
//! here outlives the call that needed it, on any path.

use std::path::Path;

use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use super::module::{Module, failed, reason, rv};
use super::uri::TokenUri;
use crate::crypto::keys::EncryptionKey;
use crate::error::{Error, Result};

/// A logged-in read-write session, closed on drop.
pub(super) struct Session {
    session: Option<cryptoki::session::Session>,
    /// What the token calls itself, for hints.
    model: String,
    shown: String,
    // Dropped after the session: the module is finalized last.
    _module: Module,
}

impl Session {
    /// Loads the module, finds the one token the URI names, opens a session
    /// and logs in with the PIN.
    pub(super) fn open(
        uri: &TokenUri,
        module: &Path,
        pin: AuthPin,
        pin_file: &Path,
    ) -> Result<Session> {
        let shown = uri.to_string();
        let m = Module::load(module, &shown)?;
        let fail = |e: P11Error| failed(&e, &shown);
        let mut matching = Vec::new();
        for slot in m.ctx.get_slots_with_token().map_err(fail)? {
            let info = m.ctx.get_token_info(slot).map_err(fail)?;
            let wanted = |want: &Option<String>, have: &str| {
                want.as_deref().is_none_or(|w| w == have.trim_end())
            };
            if wanted(&uri.token, info.label())
                && wanted(&uri.serial, info.serial_number())
                && wanted(&uri.manufacturer, info.manufacturer_id())
                && wanted(&uri.model, info.model())
                && uri.slot_id.is_none_or(|id| id == slot.id())
            {
                matching.push((slot, format!("{} {}", info.manufacturer_id(), info.model())));
            }
        }
        let (slot, model) = match matching.len() {
            1 => matching.remove(0),
            n => {
                return Err(Error::TokenAbsent {
                    uri: shown,
                    module: module.to_path_buf(),
                    found: if n == 0 {
                        "no token matches".into()
                    } else {
                        format!("{n} tokens match (add serial= to the URI to name one)")
                    },
                });
            }
        };
        let session = m.ctx.open_rw_session(slot).map_err(fail)?;
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(P11Error::Pkcs11(
                RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid,
                _,
            )) => {
                return Err(Error::TokenPin {
                    uri: shown,
                    reason: format!(
                        "refused the PIN in {}: put the token's user PIN in that file (one line)",
                        pin_file.display()
                    ),
                });
            }
            Err(P11Error::Pkcs11(RvError::PinLocked, _)) => {
                return Err(Error::TokenPin {
                    uri: shown,
                    reason: "has its user PIN locked after too many wrong PINs: unlock it with the security officer's PIN (`pkcs11-tool --login --login-type so --init-pin`)".into(),
                });
            }
            // A module that cannot log in for want of room (a TPM whose
            // object slots crashed programs filled) says no more than this.
            Err(
                e @ P11Error::Pkcs11(
                    RvError::GeneralError | RvError::DeviceError | RvError::DeviceMemory,
                    _,
                ),
            ) => {
                return Err(Error::TokenBusy {
                    uri: shown,
                    reason: reason(&e),
                });
            }
            Err(e) => return Err(fail(e)),
        }
        Ok(Session {
            session: Some(session),
            model: model.trim().to_owned(),
            shown,
            _module: m,
        })
    }

    fn s(&self) -> Result<&cryptoki::session::Session> {
        self.session.as_ref().ok_or_else(|| Error::TokenFailed {
            uri: self.shown.clone(),
            reason: "the session is closed".into(),
        })
    }

    fn fail(&self, e: &P11Error) -> Error {
        failed(e, &self.shown)
    }

    /// The private keys with CKA_ID `id` and/or CKA_LABEL `label`.
    pub(super) fn find_private(
        &self,
        id: Option<&[u8]>,
        label: Option<&str>,
    ) -> Result<Vec<ObjectHandle>> {
        let mut template = vec![Attribute::Class(ObjectClass::PRIVATE_KEY)];
        template.extend(id.map(|id| Attribute::Id(id.to_vec())));
        template.extend(label.map(|l| Attribute::Label(l.as_bytes().to_vec())));
        self.s()?.find_objects(&template).map_err(|e| self.fail(&e))
    }

    /// The public half and CKA_ID of private key `h`, which must be an RSA
    /// key that may decrypt.
    pub(super) fn public_of(&self, h: ObjectHandle) -> Result<(EncryptionKey, Vec<u8>)> {
        let attrs = self
            .s()?
            .get_attributes(
                h,
                &[
                    AttributeType::KeyType,
                    AttributeType::Decrypt,
                    AttributeType::Modulus,
                    AttributeType::PublicExponent,
                    AttributeType::Id,
                ],
            )
            .map_err(|e| self.fail(&e))?;
        let (mut rsa, mut decrypt, mut n, mut e, mut id) = (false, false, None, None, Vec::new());
        for a in attrs {
            match a {
                Attribute::KeyType(t) => rsa = t == KeyType::RSA,
                Attribute::Decrypt(d) => decrypt = d,
                Attribute::Modulus(v) => n = Some(v),
                Attribute::PublicExponent(v) => e = Some(v),
                Attribute::Id(v) => id = v,
                _ => {}
            }
        }
        let not_usable = |what: &str| Error::TokenObject {
            uri: self.shown.clone(),
            reason: format!(
                "holds the object, but {what}: name an RSA key pair made for decryption"
            ),
        };
        if !rsa {
            return Err(not_usable("it is not an RSA key"));
        }
        if !decrypt {
            return Err(not_usable("it may not decrypt (CKA_DECRYPT is false)"));
        }
        let (Some(n), Some(e)) = (n, e) else {
            return Err(not_usable(
                "the token does not give its modulus and exponent",
            ));
        };
        let key = EncryptionKey::from_components(&n, &e, Path::new(&self.shown))?;
        Ok((key, id))
    }

    /// RSA-OAEP-SHA-256 decryption with private key `h`, on the token.
    pub(super) fn decrypt(
        &self,
        h: ObjectHandle,
        ciphertext: &[u8],
        key_id: crate::keyid::KeyId,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let params = PkcsOaepParams::new(
            MechanismType::SHA256,
            PkcsMgfType::MGF1_SHA256,
            PkcsOaepSource::empty(),
        );
        match self
            .s()?
            .decrypt(&Mechanism::RsaPkcsOaep(params), h, ciphertext)
        {
            Ok(plain) => Ok(Zeroizing::new(plain)),
            Err(e) => Err(match rv(&e) {
                Some(RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange) => {
                    Error::Undecryptable { key_id }
                }
                // SoftHSM2 2.6 answers OAEP with SHA-256 with CKR_ARGUMENTS_BAD.
                Some(
                    RvError::MechanismInvalid
                    | RvError::MechanismParamInvalid
                    | RvError::ArgumentsBad,
                ) => self.no_oaep(),
                _ => self.fail(&e),
            }),
        }
    }

    fn no_oaep(&self) -> Error {
        Error::TokenMechanism {
            uri: self.shown.clone(),
            hint: if self.model.to_ascii_lowercase().contains("softhsm") {
                " (SoftHSM2 does RSA-OAEP with SHA-1 only)".into()
            } else {
                String::new()
            },
        }
    }

    /// Makes an RSA pair of `bits` on the token: the private half sensitive
    /// and never extractable, both with CKA_ID `id` and CKA_LABEL `label`.
    pub(super) fn generate(&self, bits: usize, id: &[u8], label: &str) -> Result<ObjectHandle> {
        let common = |private: bool| {
            vec![
                Attribute::Token(true),
                Attribute::Private(private),
                Attribute::Id(id.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
            ]
        };
        let mut public = common(false);
        public.extend([
            Attribute::Encrypt(true),
            Attribute::ModulusBits(
                std::ffi::c_ulong::try_from(bits)
                    .unwrap_or(std::ffi::c_ulong::MAX)
                    .into(),
            ),
            Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
        ]);
        let mut private = common(true);
        private.extend([
            Attribute::Decrypt(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
        ]);
        self.s()?
            .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
            .map(|(_, private)| private)
            .map_err(|e| match rv(&e) {
                Some(
                    RvError::KeySizeRange
                    | RvError::TemplateInconsistent
                    | RvError::AttributeValueInvalid,
                ) => Error::TokenKeySize {
                    uri: self.shown.clone(),
                    bits,
                    reason: reason(&e),
                },
                Some(RvError::MechanismInvalid) => self.no_oaep(),
                _ => self.fail(&e),
            })
    }

    /// Sets CKA_ID on the pair with CKA_ID `from` (the key id is known only
    /// once the pair exists). A token that refuses keeps `from`.
    pub(super) fn relabel(&self, from: &[u8], to: &[u8]) -> Result<bool> {
        let s = self.s()?;
        let all = s
            .find_objects(&[Attribute::Id(from.to_vec())])
            .map_err(|e| self.fail(&e))?;
        let mut done = true;
        for h in all {
            done &= s
                .update_attributes(h, &[Attribute::Id(to.to_vec())])
                .is_ok();
        }
        Ok(done)
    }

    /// Destroys every object (both halves) with CKA_ID `id`.
    pub(super) fn destroy(&self, id: &[u8]) -> Result<usize> {
        let s = self.s()?;
        let all = s
            .find_objects(&[Attribute::Id(id.to_vec())])
            .map_err(|e| self.fail(&e))?;
        for h in &all {
            s.destroy_object(*h).map_err(|e| self.fail(&e))?;
        }
        Ok(all.len())
    }

    /// Whether private key `h` is sensitive and not extractable.
    pub(super) fn protected(&self, h: ObjectHandle) -> Result<bool> {
        let attrs = self
            .s()?
            .get_attributes(h, &[AttributeType::Sensitive, AttributeType::Extractable])
            .map_err(|e| self.fail(&e))?;
        Ok(attrs.iter().all(|a| match a {
            Attribute::Sensitive(s) => *s,
            Attribute::Extractable(x) => !*x,
            _ => true,
        }))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            // Best effort: a failed logout still closes the session.
            let _ = s.logout();
            let _ = s.close();
        }
    }
}
