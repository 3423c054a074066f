//! The default backend: RustCrypto's `rsa` 0.10, whose private-key operation
//! is blinded and constant-time, with confpass's own strict OAEP decoding on
//! top (`super::oaep`: `rsa` ignores the leading byte).
//!
//! `rsa` carries RUSTSEC-2023-0071 (the Marvin timing attack), with no fixed
//! release; SECURITY.md ("Advisories") says why confpass is not exposed.

use rsa::pkcs8::EncodePublicKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _};
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{Backend, CryptoBackend, Refused};

/// RustCrypto's `rsa`.
pub(crate) struct RustCrypto;

impl Backend for RustCrypto {
    type Public = PublicKey;
    type Private = PrivateKey;

    fn public_from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        PublicKey::from_public_key_der(der).map_err(|e| e.to_string())
    }

    fn encrypt_oaep(key: &PublicKey, message: &[u8]) -> Result<Vec<u8>, String> {
        key.oaep_encrypt::<Sha256>(message)
            .map_err(|e| e.to_string())
    }

    fn generate(bits: usize) -> Result<PrivateKey, String> {
        PrivateKey::new(&mut rand::rngs::SysRng, bits).map_err(|e| e.to_string())
    }

    fn private_from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, String> {
        PrivateKey::from_pkcs8_der(der).map_err(|e| e.to_string())
    }

    fn private_to_pkcs8_der(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, String> {
        let doc = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    fn public_spki_der(key: &PrivateKey) -> Result<Vec<u8>, String> {
        let doc = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| e.to_string())?;
        Ok(doc.into_vec())
    }

    fn decrypt_oaep(key: &PrivateKey, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Refused> {
        super::oaep::decrypt(key, ciphertext)
    }

    fn about() -> CryptoBackend {
        CryptoBackend {
            name: "rsa 0.10 (RustCrypto)".into(),
            fips: false,
        }
    }
}
