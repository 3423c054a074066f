//! The second backend (feature `aws-lc`): AWS-LC through aws-lc-rs, the
//! FIPS 140-3 validated fork of BoringSSL that rustls also uses. Its
//! RSA-OAEP is constant-time C and assembly; its OAEP decoding checks the
//! leading byte, the label hash and the padding as RFC 8017 §7.1.2 says
//! (the Wycheproof groups and `testdata/vectors` show it refuses what
//! the `rsa` backend's own decoding refuses). With the `fips` feature it is the
//! validated module, built with CMake and Go (README, "The FIPS build").

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use zeroize::Zeroizing;

use super::{Backend, CryptoBackend, Refused};

/// AWS-LC, through aws-lc-rs.
pub(crate) struct AwsLc;

impl Backend for AwsLc {
    type Public = PublicEncryptingKey;
    type Private = PrivateDecryptingKey;

    fn public_from_spki_der(der: &[u8]) -> Result<PublicEncryptingKey, String> {
        PublicEncryptingKey::from_der(der).map_err(|e| e.to_string())
    }

    fn encrypt_oaep(key: &PublicEncryptingKey, message: &[u8]) -> Result<Vec<u8>, String> {
        let key = OaepPublicEncryptingKey::new(key.clone()).map_err(|e| e.to_string())?;
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(&OAEP_SHA256_MGF1SHA256, message, &mut out, None)
            .map_err(|e| e.to_string())?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn generate(bits: usize) -> Result<PrivateDecryptingKey, String> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => return Err(format!("AWS-LC does not generate {bits}-bit keys")),
        };
        PrivateDecryptingKey::generate(size).map_err(|e| e.to_string())
    }

    fn private_from_pkcs8_der(der: &[u8]) -> Result<PrivateDecryptingKey, String> {
        PrivateDecryptingKey::from_pkcs8(der).map_err(|e| e.to_string())
    }

    fn private_to_pkcs8_der(key: &PrivateDecryptingKey) -> Result<Zeroizing<Vec<u8>>, String> {
        let der: Pkcs8V1Der<'static> = key.as_der().map_err(|e| e.to_string())?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    fn public_spki_der(key: &PrivateDecryptingKey) -> Result<Vec<u8>, String> {
        let der: PublicKeyX509Der<'static> =
            key.public_key().as_der().map_err(|e| e.to_string())?;
        Ok(der.as_ref().to_vec())
    }

    fn decrypt_oaep(
        key: &PrivateDecryptingKey,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Refused> {
        let key = OaepPrivateDecryptingKey::new(key.clone()).map_err(|_| Refused)?;
        if ciphertext.len() != key.key_size_bytes() {
            return Err(Refused);
        }
        let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let len = key
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
            .map_err(|_| Refused)?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn about() -> CryptoBackend {
        CryptoBackend {
            name: format!(
                "AWS-LC {}{} (aws-lc-rs)",
                if cfg!(feature = "fips") { "FIPS " } else { "" },
                aws_lc_rs::awslc_version()
            ),
            fips: aws_lc_rs::try_fips_mode().is_ok(),
        }
    }
}
