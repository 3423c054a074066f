//! RSA key pairs: generation, loading, saving and the key id.
//!
//! [`DecryptionKey`] holds a private key (it zeroizes on drop) together with
//! its public half; [`EncryptionKey`] holds a public key alone. Both carry a
//! [`KeyId`]: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo,
//! the same figure as `openssl pkey -pubin -outform DER | sha256sum`. Loading
//! accepts PKCS#8 and SubjectPublicKeyInfo PEM and the PKCS#1 forms older
//! OpenSSL writes, read as tolerantly as OpenSSL reads them (text around the
//! key, CRLF, the first key of several: `crate::pem`), refuses keys under
//! 2048 bits of modulus, and refuses a private key file that group or others
//! can read. Everything else other tools write (passphrase-protected keys,
//! OpenSSH formats, certificates, DER, keys of other algorithms) is refused
//! with a message that says what the file is and the command that converts
//! it. Saving writes `dec.pem` as PKCS#8 with mode 0600 from creation and
//! `enc.pem` as SubjectPublicKeyInfo with mode 0644, and never replaces an
//! existing file.

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs1::der::Decode as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, RsaPrivateKeyRef, RsaPublicKeyRef};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
    PrivateKeyInfoRef, SubjectPublicKeyInfoRef,
};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsutil;
pub use crate::keyid::KeyId;
use crate::pem::{self, PemError, SshKey};
use crate::platform::{self, Exposure, Owner};

/// The smallest modulus confpass accepts, in bits.
pub const MIN_BITS: usize = 2048;
/// The modulus size confpass generates unless told otherwise.
pub const DEFAULT_BITS: usize = 3072;
/// The sizes `--bits` accepts.
pub const ALLOWED_BITS: [usize; 3] = [2048, 3072, 4096];
/// The largest modulus the `rsa` crate reads, in bits.
const MAX_BITS: usize = 8192;

/// The object identifier of rsaEncryption, the only key algorithm accepted.
const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// A public key, enough to encrypt.
#[derive(Clone)]
pub struct EncryptionKey {
    key: PublicKey,
    id: KeyId,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({} bits, key id {})", self.bits(), self.id)
    }
}

impl EncryptionKey {
    fn new(key: PublicKey) -> Result<Self> {
        let der = key
            .to_public_key_der()
            .map_err(|e| Error::Crypto(format!("encoding a public key: {e}")))?;
        Ok(EncryptionKey {
            key,
            id: KeyId::of_spki_der(der.as_bytes()),
        })
    }

    /// This key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The modulus size in bits: the bit length of `n` (2047 for a
    /// 2047-bit key, not a whole number of bytes).
    pub fn bits(&self) -> usize {
        self.key.n().bit_width() as usize
    }

    /// The length in bytes of this key's ciphertexts: the modulus length
    /// `k = ceil(bits / 8)` of RFC 8017.
    pub fn ciphertext_len(&self) -> usize {
        self.key.size()
    }

    /// The longest plaintext, in bytes, one RSA-OAEP-SHA256 block of this key holds.
    pub fn max_plaintext(&self) -> usize {
        max_plaintext(self.bits())
    }

    /// The RSA public key.
    pub fn rsa(&self) -> &PublicKey {
        &self.key
    }

    /// The key as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`).
    pub fn to_pem(&self) -> Result<String> {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| Error::Crypto(format!("encoding a public key: {e}")))
    }

    /// Loads a public key from a PEM file (SubjectPublicKeyInfo or PKCS#1;
    /// the first key of the file, as OpenSSL reads it).
    ///
    /// # Errors
    /// [`Error::KeyNotFound`], [`Error::KeyRead`], [`Error::BadKey`] (not PEM,
    /// not RSA, a private key given where the public one is needed, a format
    /// confpass does not read, with the command that converts it) and
    /// [`Error::KeyTooSmall`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_key_file(path, "give the public key file with -keys ENC DEC")?;
        Self::from_bytes(&text, path)
    }

    /// Parses a public key from PEM text (SubjectPublicKeyInfo or PKCS#1);
    /// `path` names its origin in messages.
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], but for reading.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        Self::from_bytes(pem.as_bytes(), path)
    }

    fn from_bytes(text: &[u8], path: &Path) -> Result<Self> {
        let block = key_block(path, text, Role::Public)?;
        let key = match block.label.as_str() {
            "PUBLIC KEY" => public_from_spki(path, &block.der)?,
            "RSA PUBLIC KEY" => {
                let pkcs1 = RsaPublicKeyRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                check_size(path, pem::bit_length(pkcs1.modulus.as_bytes()))?;
                PublicKey::from_pkcs1_der(&block.der).map_err(|e| invalid(path, e))?
            }
            label if label.ends_with("PRIVATE KEY") => {
                return Err(bad(path, PRIVATE_FOR_PUBLIC));
            }
            label => return Err(other_key_label(path, label)),
        };
        EncryptionKey::new(key)
    }

    /// Writes the key as a new file with mode 0644; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, None, "enc")
    }

    /// [`EncryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner`; `role` names the step for
    /// the fault tests.
    pub(crate) fn save_for(&self, path: &Path, owner: &Owner, role: &str) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o644, Some(owner), role)
    }
}

/// A private key with its public half: what decrypts.
pub struct DecryptionKey {
    key: PrivateKey,
    public: EncryptionKey,
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DecryptionKey({} bits, key id {})",
            self.public.bits(),
            self.public.id
        )
    }
}

impl DecryptionKey {
    fn new(key: PrivateKey) -> Result<Self> {
        let public = EncryptionKey::new(key.to_public_key())?;
        Ok(DecryptionKey { key, public })
    }

    /// Generates a new key pair with a modulus of `bits` (2048, 3072 or 4096).
    ///
    /// # Errors
    /// [`Error::BadKeySize`] for any other size, [`Error::Crypto`] if the
    /// system random number generator fails.
    pub fn generate(bits: usize) -> Result<Self> {
        check_bits(bits)?;
        let key = PrivateKey::new(&mut rand::rngs::SysRng, bits)
            .map_err(|e| Error::Crypto(format!("generating a {bits}-bit key: {e}")))?;
        DecryptionKey::new(key)
    }

    /// The public half.
    pub fn public(&self) -> &EncryptionKey {
        &self.public
    }

    /// The key id (of the public half).
    pub fn id(&self) -> KeyId {
        self.public.id
    }

    /// The RSA private key.
    pub fn rsa(&self) -> &PrivateKey {
        &self.key
    }

    /// Loads a private key from a PEM file (PKCS#8 or PKCS#1; the first key
    /// of the file, as OpenSSL reads it).
    ///
    /// # Errors
    /// As [`EncryptionKey::load`], and [`Error::KeyPermissions`] when the file
    /// is readable by group or others.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_key_file(
            path,
            "give the private key file with -keys ENC DEC, or the `decryption-key` option",
        )?;
        let key = Self::from_bytes(&text, path)?;
        check_private_mode(path)?;
        Ok(key)
    }

    /// Parses a private key from PEM text (PKCS#8 or PKCS#1); `path` names
    /// its origin in messages. No file mode is checked here.
    ///
    /// # Errors
    /// As [`DecryptionKey::load`], but for reading and the mode.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self> {
        Self::from_bytes(pem.as_bytes(), path)
    }

    fn from_bytes(text: &[u8], path: &Path) -> Result<Self> {
        let block = key_block(path, text, Role::Private)?;
        let key = match block.label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" if block.encrypted => {
                return Err(passphrase_protected(
                    path,
                    "legacy PEM encryption, `Proc-Type: 4,ENCRYPTED`, as `openssl genrsa -aes256` and `ssh-keygen -m PEM` with a passphrase write it",
                ));
            }
            "PRIVATE KEY" => {
                let info = PrivateKeyInfoRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                algorithm_is_rsa(path, &info.algorithm.oid.to_string())?;
                let pkcs1 = RsaPrivateKeyRef::from_der(info.private_key.as_bytes())
                    .map_err(|e| invalid(path, e))?;
                check_private_pkcs1(path, &pkcs1)?;
                PrivateKey::from_pkcs8_der(&block.der).map_err(|e| invalid(path, e))?
            }
            "RSA PRIVATE KEY" => {
                let pkcs1 = RsaPrivateKeyRef::from_der(&block.der).map_err(|e| invalid(path, e))?;
                check_private_pkcs1(path, &pkcs1)?;
                PrivateKey::from_pkcs1_der(&block.der).map_err(|e| invalid(path, e))?
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(passphrase_protected(
                    path,
                    "encrypted PKCS#8, `BEGIN ENCRYPTED PRIVATE KEY`",
                ));
            }
            "OPENSSH PRIVATE KEY" => return Err(openssh_private(path, &block.der)),
            label if label.ends_with("PUBLIC KEY") => {
                return Err(bad(path, PUBLIC_FOR_PRIVATE));
            }
            label => return Err(other_key_label(path, label)),
        };
        DecryptionKey::new(key)
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), in a zeroizing buffer.
    pub fn to_pem(&self) -> Result<Zeroizing<String>> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::Crypto(format!("encoding a private key: {e}")))
    }

    /// Writes the key as a new file created with mode 0600; an existing file is never replaced.
    ///
    /// # Errors
    /// [`Error::KeyExists`] when the file appeared meanwhile, [`Error::Write`] otherwise.
    pub fn save(&self, path: &Path) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, None, "dec")
    }

    /// [`DecryptionKey::save`] for a file that belongs to a configuration
    /// file: as root, the new file takes `owner` (still mode 0600).
    pub(crate) fn save_for(&self, path: &Path, owner: &Owner, role: &str) -> Result<()> {
        fsutil::create_new_file(path, self.to_pem()?.as_bytes(), 0o600, Some(owner), role)
    }
}

/// The longest plaintext one RSA-OAEP-SHA256 block of a `bits`-bit key
/// holds: `k - 2 hLen - 2` bytes, with `k = ceil(bits / 8)` (RFC 8017 §7.1.1).
pub fn max_plaintext(bits: usize) -> usize {
    bits.div_ceil(8).saturating_sub(2 * 32 + 2)
}

/// Checks that confpass generates keys of this size.
///
/// # Errors
/// [`Error::BadKeySize`] for anything but 2048, 3072 or 4096.
pub fn check_bits(bits: usize) -> Result<()> {
    if ALLOWED_BITS.contains(&bits) {
        Ok(())
    } else {
        Err(Error::BadKeySize { bits })
    }
}

fn read_key_file(path: &Path, fix: &'static str) -> Result<Zeroizing<Vec<u8>>> {
    fsutil::read_file(path)
        .map(Zeroizing::new)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::KeyNotFound {
                path: path.to_path_buf(),
                fix,
            },
            _ if platform::is_not_regular(&e) => bad(
                path,
                "is not a regular file (a FIFO, device or directory): give the path of the key file itself",
            ),
            _ => Error::KeyRead {
                path: path.to_path_buf(),
                source: e,
            },
        })
}

/// Which half of the pair a file is loaded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `enc.pem`, the public key.
    Public,
    /// `dec.pem`, the private key.
    Private,
}

impl Role {
    /// The file a conversion command writes.
    fn new_file(self) -> &'static str {
        match self {
            Role::Public => "enc-new.pem",
            Role::Private => "dec-new.pem",
        }
    }

    /// What to do with that file when it holds the same key as `path`
    /// (another encoding of it, the passphrase removed): replace `path`.
    fn replace(self, path: &Path) -> String {
        format!(
            "then put it in place of the old file: `mv {} {}`",
            self.new_file(),
            shell_quote(path)
        )
    }

    /// What to do with that file when `path` has other uses (a certificate,
    /// an ssh `.pub` file), which replacing it would break.
    fn use_instead(self) -> String {
        let (which, default) = match self {
            Role::Public => ("public", "enc.pem"),
            Role::Private => ("private", "dec.pem"),
        };
        format!(
            "then use {} as the {which} key (give it with -keys ENC DEC, or make it the configuration file's {default})",
            self.new_file()
        )
    }
}

const PRIVATE_FOR_PUBLIC: &str = "holds a private key where the public encryption key (enc.pem) is needed: give the files in the order -keys ENC DEC";
const PUBLIC_FOR_PRIVATE: &str = "holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC";
const MAKE_RSA: &str = "confpass uses RSA-OAEP; make an RSA pair, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`";

/// The first key block of a PEM file (OpenSSL's choice: certificates,
/// parameters and other blocks before it are skipped, anything after it is
/// not read), or an error that says what the file is instead.
fn key_block(path: &Path, text: &[u8], role: Role) -> Result<pem::Block> {
    if !text.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(not_pem(path, text, role));
    }
    let mut first_other: Option<String> = None;
    for block in pem::blocks(text) {
        let block = block.map_err(|e| pem_error(path, &e))?;
        if pem::is_key_label(&block.label) {
            return Ok(block);
        }
        first_other.get_or_insert(block.label);
    }
    Err(match first_other {
        Some(label) => not_a_key(path, &label, role),
        None => not_pem(path, text, role),
    })
}

fn pem_error(path: &Path, e: &PemError) -> Error {
    bad(path, &format!("is not a readable PEM file: {e}"))
}

/// A file with no PEM block: say what it is, if another tool's format.
fn not_pem(path: &Path, text: &[u8], role: Role) -> Error {
    let q = shell_quote(path);
    let new = role.new_file();
    if pem::is_utf16(text) {
        // A private key must not pass through a file others can read.
        let iconv = format!("iconv -f UTF-16 -t UTF-8 {q} > {new}");
        let iconv = match role {
            Role::Public => iconv,
            Role::Private => format!("(umask 077; {iconv})"),
        };
        return bad(
            path,
            &format!(
                "is saved as UTF-16 text (Windows \"Unicode\"), which neither confpass nor OpenSSL reads: save it as UTF-8 or ASCII, or convert it with `{iconv}`, {}",
                role.replace(path)
            ),
        );
    }
    let is_text = std::str::from_utf8(text).is_ok_and(|t| !t.contains('\0'));
    if !is_text && text.first() == Some(&0x30) {
        let pubin = if role == Role::Public { " -pubin" } else { "" };
        return bad(
            path,
            &format!(
                "is a binary (DER) file, not PEM text: write it as PEM with `openssl pkey{pubin} -inform DER -in {q} -out {new}`, {}",
                role.replace(path)
            ),
        );
    }
    if !is_text {
        return bad(
            path,
            "is not a PEM file (it is not text): give a PEM key file, `-----BEGIN ...-----`",
        );
    }
    if let Some(key) = pem::openssh_public_line(text) {
        let what = format!(
            "an OpenSSH public key line (`{} AAAA…`, as in id_rsa.pub)",
            key.kind
        );
        let convert = format!("ssh-keygen -e -m PKCS8 -f {q} > {new}");
        return openssh_public(path, &key, role, &what, &convert);
    }
    if let Some(key) = pem::rfc4716_public(text) {
        let what = "an SSH2 public key (RFC 4716, `---- BEGIN SSH2 PUBLIC KEY ----`)";
        let convert =
            format!("ssh-keygen -i -f {q} > key.pub && ssh-keygen -e -m PKCS8 -f key.pub > {new}");
        return match key {
            Some(key) => openssh_public(path, &key, role, what, &convert),
            None if role == Role::Private => bad(path, PUBLIC_FOR_PRIVATE),
            None => bad(
                path,
                &format!(
                    "is {what}, which confpass and OpenSSL do not read: convert it with `{convert}`, {}",
                    role.use_instead()
                ),
            ),
        };
    }
    bad(
        path,
        "is not a PEM file (no `-----BEGIN` line): give a PEM key file such as `openssl genpkey` writes",
    )
}

/// An OpenSSH public key (a `.pub` line or RFC 4716).
fn openssh_public(path: &Path, key: &SshKey, role: Role, what: &str, convert: &str) -> Error {
    if role == Role::Private {
        return bad(path, PUBLIC_FOR_PRIVATE);
    }
    match key.rsa_bits {
        None => bad(
            path,
            &format!(
                "is {what} whose key type is {}, not RSA: {MAKE_RSA}",
                key.describe()
            ),
        ),
        Some(bits) if bits < MIN_BITS => Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        },
        Some(_) => bad(
            path,
            &format!(
                "is {what}, which confpass and OpenSSL do not read: write it as PEM with `{convert}`, {}",
                Role::Public.use_instead()
            ),
        ),
    }
}

/// An OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`).
fn openssh_private(path: &Path, der: &[u8]) -> Error {
    let Some(key) = pem::openssh_private(der) else {
        return bad(
            path,
            "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`) that cannot be read (the file is damaged): give an intact copy of the key file",
        );
    };
    let Some(bits) = key.rsa_bits else {
        return bad(
            path,
            &format!(
                "is an OpenSSH-format private key whose key type is {}, not RSA: {MAKE_RSA}",
                key.describe()
            ),
        );
    };
    if bits < MIN_BITS {
        return Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        };
    }
    let q = shell_quote(path);
    if key.encrypted {
        bad(
            path,
            &format!(
                "is a passphrase-protected OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`, ssh-keygen's default), which confpass and OpenSSL do not read and a server cannot open unattended: convert it to unprotected PKCS#8 with `ssh-keygen -p -m PKCS8 -N '' -f {q}` (ssh-keygen asks for the passphrase and rewrites the file in place)"
            ),
        )
    } else {
        bad(
            path,
            &format!(
                "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`, ssh-keygen's default), which confpass and OpenSSL do not read: convert it to PKCS#8 with `ssh-keygen -p -m PKCS8 -N '' -f {q}` (ssh-keygen rewrites the file in place)"
            ),
        )
    }
}

fn passphrase_protected(path: &Path, how: &str) -> Error {
    let q = shell_quote(path);
    bad(
        path,
        &format!(
            "is a passphrase-protected private key ({how}), which a server cannot open unattended: write it out unprotected with `openssl pkey -in {q} -out dec-new.pem` (openssl asks for the passphrase; the new file has mode 0600), {}",
            Role::Private.replace(path)
        ),
    )
}

/// A file whose PEM blocks hold no key: a certificate, a request, parameters.
fn not_a_key(path: &Path, label: &str, role: Role) -> Error {
    let q = shell_quote(path);
    let new = role.new_file();
    let (what, extract) = match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => (
            "an X.509 certificate",
            format!("openssl x509 -in {q} -pubkey -noout > {new}"),
        ),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => (
            "a certificate signing request",
            format!("openssl req -in {q} -pubkey -noout > {new}"),
        ),
        _ => return unexpected_label(path, label),
    };
    let label = pem::printable(label.as_bytes());
    match role {
        Role::Public => bad(
            path,
            &format!(
                "holds {what} (`BEGIN {label}`), not a bare public key: extract its public key with `{extract}`, {}",
                role.use_instead()
            ),
        ),
        Role::Private => bad(
            path,
            &format!(
                "holds {what} (`BEGIN {label}`), which carries only a public key, where the private decryption key (dec.pem) is needed: give the private key file that belongs to it"
            ),
        ),
    }
}

/// A key block confpass does not read (`EC PRIVATE KEY`, `DSA PRIVATE KEY`…).
fn other_key_label(path: &Path, label: &str) -> Error {
    let label = pem::printable(label.as_bytes());
    bad(
        path,
        &format!("holds a `BEGIN {label}` key, not an RSA key: {MAKE_RSA}"),
    )
}

fn unexpected_label(path: &Path, label: &str) -> Error {
    let label = pem::printable(label.as_bytes());
    bad(
        path,
        &format!(
            "holds `{label}`, not an RSA key: give a PEM RSA key (`BEGIN PRIVATE KEY` or `BEGIN PUBLIC KEY`)"
        ),
    )
}

fn public_from_spki(path: &Path, der: &[u8]) -> Result<PublicKey> {
    let info = SubjectPublicKeyInfoRef::from_der(der).map_err(|e| invalid(path, e))?;
    algorithm_is_rsa(path, &info.algorithm.oid.to_string())?;
    let raw = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| invalid(path, "the public key is not a whole number of bytes"))?;
    let pkcs1 = RsaPublicKeyRef::from_der(raw).map_err(|e| invalid(path, e))?;
    check_size(path, pem::bit_length(pkcs1.modulus.as_bytes()))?;
    PublicKey::from_public_key_der(der).map_err(|e| invalid(path, e))
}

fn algorithm_is_rsa(path: &Path, oid: &str) -> Result<()> {
    if oid == RSA_OID {
        return Ok(());
    }
    let name = match oid {
        "1.2.840.10045.2.1" => "an EC key",
        "1.3.101.112" => "an Ed25519 key",
        "1.3.101.110" => "an X25519 key",
        "1.2.840.113549.1.1.10" => "an RSA-PSS key",
        "1.2.840.10040.4.1" => "a DSA key",
        _ => "a key of another algorithm",
    };
    Err(bad(
        path,
        &format!("holds {name} (OID {oid}), not an RSA key: {MAKE_RSA}"),
    ))
}

/// Checks what the `rsa` crate would otherwise call malformed: the modulus
/// size, and more than two primes.
fn check_private_pkcs1(path: &Path, key: &RsaPrivateKeyRef<'_>) -> Result<()> {
    check_size(path, pem::bit_length(key.modulus.as_bytes()))?;
    if key.version() == rsa::pkcs1::Version::TwoPrime {
        Ok(())
    } else {
        Err(bad(
            path,
            "is a multi-prime RSA key (more than two primes, as `-pkeyopt rsa_keygen_primes:3` makes), which confpass does not read: make a new pair with two primes, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`",
        ))
    }
}

/// Checks the modulus size, counted in bits (a 2047-bit key is 2047 bits).
fn check_size(path: &Path, bits: usize) -> Result<()> {
    if bits < MIN_BITS {
        Err(Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        })
    } else if bits > MAX_BITS {
        Err(bad(
            path,
            &format!(
                "holds a {bits}-bit RSA key, larger than the {MAX_BITS} bits confpass reads: make a new pair (remove both key files and run `confpass -p`, which makes 3072 bits; --bits 4096 for more)"
            ),
        ))
    } else {
        Ok(())
    }
}

/// A path as a shell word, for the commands in messages: as it is when it
/// holds only characters no shell treats specially, in single quotes otherwise.
fn shell_quote(path: &Path) -> String {
    let s = path.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c))
        && !s.starts_with('-');
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn check_private_mode(path: &Path) -> Result<()> {
    let exposure = platform::private_key_exposure(path).map_err(|e| Error::KeyRead {
        path: path.to_path_buf(),
        source: e,
    })?;
    match exposure {
        None => Ok(()),
        Some(Exposure::Mode(mode)) => Err(Error::KeyPermissions {
            path: path.to_path_buf(),
            mode,
        }),
        Some(Exposure::Acl { who, fix }) => Err(Error::KeyAcl {
            path: path.to_path_buf(),
            who,
            fix,
        }),
    }
}

fn bad(path: &Path, reason: &str) -> Error {
    Error::BadKey {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    }
}

fn invalid(path: &Path, e: impl fmt::Display) -> Error {
    bad(
        path,
        &format!("is not a valid RSA key ({e}): give an intact PEM key file"),
    )
}

/// The default key files: `enc.pem` and `dec.pem` in `dir` (the
/// configuration file's directory).
pub fn default_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("enc.pem"), dir.join("dec.pem"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_matches_rfc8017_for_each_size() {
        assert_eq!(max_plaintext(2048), 190);
        assert_eq!(max_plaintext(3072), 318);
        assert_eq!(max_plaintext(4096), 446);
    }

    #[test]
    fn fail_bits_below_2048_and_odd_sizes_are_refused() {
        for bits in [0, 512, 1024, 2047, 3000, 8192] {
            assert!(
                matches!(check_bits(bits), Err(Error::BadKeySize { .. })),
                "{bits}"
            );
        }
        for bits in ALLOWED_BITS {
            assert!(check_bits(bits).is_ok());
        }
    }

    #[test]
    fn capacity_of_sizes_that_are_no_whole_number_of_bytes() {
        // k = ceil(bits / 8): a 2052-bit key makes 257-byte blocks.
        assert_eq!(max_plaintext(2052), 257 - 66);
        assert_eq!(max_plaintext(2047), 256 - 66);
    }

    #[test]
    fn paths_in_commands_are_shell_words() {
        assert_eq!(shell_quote(Path::new("keys/dec.pem")), "keys/dec.pem");
        assert_eq!(
            shell_quote(Path::new("/etc/gen esys/dec.pem")),
            "'/etc/gen esys/dec.pem'"
        );
        assert_eq!(shell_quote(Path::new("it's.pem")), r"'it'\''s.pem'");
        assert_eq!(shell_quote(Path::new("$HOME.pem")), "'$HOME.pem'");
    }
}
