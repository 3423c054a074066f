//! The one seam between confpass and an RSA implementation: what confpass
//! does with RSA, and nothing else (PRODUCT.md §5, ARCHITECTURE.md).
//!
//! [`Backend`] is that seam: a public key from its SubjectPublicKeyInfo DER,
//! RSA-OAEP-SHA-256 encryption with it; a private key from its PKCS#8 DER,
//! back to PKCS#8 DER, generated, its public half's DER, and RSA-OAEP-SHA-256
//! decryption with it. Two implementations: [`rustcrypto`] (RustCrypto's
//! `rsa` 0.10 with confpass's own strict OAEP decoding, [`oaep`];
//! the default) and [`awslc`] (AWS-LC through aws-lc-rs, feature `aws-lc`,
//! FIPS 140-3 validated with feature `fips`). Everything else (PEM, the
//! checks every key passes, PKCS#1 forms, the key id, the value format and
//! every message) is the same code above this module, which no module
//! outside `crypto/` sees: [`Selected`] is the one the build uses, and
//! [`crypto_backend`] says which (`--version`, `confpass_version()`).

use std::fmt;

use zeroize::Zeroizing;

#[cfg(feature = "aws-lc")]
pub(crate) mod awslc;
// With both features on, aws-lc is used, and `rsa` is compiled only for the
// tests that compare the two.
#[cfg(all(feature = "rustcrypto", any(not(feature = "aws-lc"), test)))]
mod oaep;
#[cfg(all(feature = "rustcrypto", any(not(feature = "aws-lc"), test)))]
pub(crate) mod rustcrypto;

#[cfg(not(any(feature = "rustcrypto", feature = "aws-lc")))]
compile_error!(
    "confpass needs a cryptographic backend: build it with the feature `rustcrypto` (the default) or `aws-lc`"
);

/// The backend this build uses: aws-lc when its feature is on, else `rsa`.
#[cfg(feature = "aws-lc")]
pub(crate) type Selected = awslc::AwsLc;
/// The backend this build uses: aws-lc when its feature is on, else `rsa`.
#[cfg(all(feature = "rustcrypto", not(feature = "aws-lc")))]
pub(crate) type Selected = rustcrypto::RustCrypto;

/// A ciphertext the private key refused; deliberately one case, whatever
/// check failed (no padding oracle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refused;

/// What confpass does with RSA. Keys arrive here already checked (RSA, two
/// primes, 2048 to 8192 bits: `crate::crypto::keys`); an error string is a
/// backend's own words, which the caller puts into its message.
pub(crate) trait Backend {
    /// A public key.
    type Public: Clone + Send + Sync;
    /// A private key; its memory is wiped when dropped.
    type Private: Send + Sync;

    /// A public key from its DER SubjectPublicKeyInfo.
    fn public_from_spki_der(der: &[u8]) -> Result<Self::Public, String>;
    /// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) encryption of `message`.
    fn encrypt_oaep(key: &Self::Public, message: &[u8]) -> Result<Vec<u8>, String>;

    /// A new key pair with a modulus of `bits` (2048, 3072 or 4096), from the
    /// system's random number generator.
    fn generate(bits: usize) -> Result<Self::Private, String>;
    /// A private key from its DER PKCS#8 PrivateKeyInfo.
    fn private_from_pkcs8_der(der: &[u8]) -> Result<Self::Private, String>;
    /// The private key as DER PKCS#8, in a buffer wiped when dropped.
    fn private_to_pkcs8_der(key: &Self::Private) -> Result<Zeroizing<Vec<u8>>, String>;
    /// The public half as DER SubjectPublicKeyInfo (whose hash is the key id).
    fn public_spki_der(key: &Self::Private) -> Result<Vec<u8>, String>;
    /// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) decryption, exactly as
    /// RFC 8017 §7.1.2 says: any ciphertext of the wrong length, with a
    /// leading byte other than 0, a wrong label hash or bad padding is
    /// [`Refused`], after the same work.
    fn decrypt_oaep(key: &Self::Private, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Refused>;

    /// What this backend is, for `--version`.
    fn about() -> CryptoBackend;
}

/// Which cryptographic backend a build of confpass uses, and whether it runs
/// in FIPS mode: what `confpass --version` and `confpass_version()` report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CryptoBackend {
    /// The implementation and its version: `rsa 0.10 (RustCrypto)` or
    /// `AWS-LC 5.12.0 (aws-lc-rs)` (`AWS-LC FIPS 4.2.0 …` for the validated module).
    pub name: String,
    /// Whether the FIPS 140-3 validated module runs in FIPS mode (only an
    /// aws-lc build with the `fips` feature can say yes).
    pub fips: bool,
}

impl fmt::Display for CryptoBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fips = if self.fips { "on" } else { "off" };
        write!(f, "{}, FIPS mode {fips}", self.name)
    }
}

/// The backend this build of confpass uses, and whether it runs in FIPS mode.
pub fn crypto_backend() -> CryptoBackend {
    Selected::about()
}

#[cfg(all(test, feature = "rustcrypto", feature = "aws-lc"))]
mod tests {
    //! With both backends built: each reads what the other writes.
    use super::awslc::AwsLc;
    use super::rustcrypto::RustCrypto;
    use super::*;

    fn round_trip<A: Backend, B: Backend>() {
        let a = A::generate(2048).unwrap();
        let spki = A::public_spki_der(&a).unwrap();
        // A's key file, read by B: the same key, the same public half.
        let b = B::private_from_pkcs8_der(&A::private_to_pkcs8_der(&a).unwrap()).unwrap();
        assert_eq!(B::public_spki_der(&b).unwrap(), spki);
        // A value written by B, read by A, and the other way round.
        let public_b = B::public_from_spki_der(&spki).unwrap();
        let ct = B::encrypt_oaep(&public_b, b"from B").unwrap();
        assert_eq!(A::decrypt_oaep(&a, &ct).unwrap().as_slice(), b"from B");
        let public_a = A::public_from_spki_der(&spki).unwrap();
        let ct = A::encrypt_oaep(&public_a, b"from A").unwrap();
        assert_eq!(B::decrypt_oaep(&b, &ct).unwrap().as_slice(), b"from A");
    }

    #[test]
    fn a_key_and_a_value_of_rsa_are_read_by_aws_lc() {
        round_trip::<RustCrypto, AwsLc>();
    }

    #[test]
    fn a_key_and_a_value_of_aws_lc_are_read_by_rsa() {
        round_trip::<AwsLc, RustCrypto>();
    }
}
