//! Rebuilds `testdata/vectors/vectors.json`, the known-answer vectors of
//! docs/FORMAT.md, from the committed test-only keys in
//! `testdata/vectors/keys/`.
//!
//! Valid values are made by confpass itself (`EncryptedValue::encrypt`), one
//! by stock OpenSSL; values that must be rejected are derived from them by
//! hand, made by OpenSSL with other padding parameters, or built here from an
//! EME-OAEP encoding written out step by step (RFC 8017 §7.1.1) and the raw
//! RSA operation, so that a leading byte of 1 or a plaintext `-p` would never
//! store can be encrypted at all. RSA-OAEP is randomised: a rebuild gives new
//! ciphertexts with the same meaning. Run it with
//!
//! ```sh
//! cargo test --test vectors -- --ignored --exact regenerate_vectors
//! ```
//!
//! It is compiled into `tests/vectors.rs` (so it never rots) and runs only
//! when asked by name.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use confpass::{DecryptionKey, EncryptedValue, KeyId, SecretString};
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::OAEP_SHA256;

/// `testdata/vectors/`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors")
}

/// One test-only key pair of `testdata/vectors/keys/`.
pub struct KeySpec {
    /// The private key file, relative to `testdata/vectors/`.
    pub private: &'static str,
    /// The public key file, relative to `testdata/vectors/`.
    pub public: &'static str,
    /// The PEM forms of the two files.
    pub encoding: &'static str,
    /// The modulus size.
    pub bits: usize,
}

/// The committed key pairs, in the order vectors.json lists them.
pub const KEYS: [KeySpec; 5] = [
    KeySpec {
        private: "keys/test-dec.pem",
        public: "keys/test-enc.pem",
        encoding: "PKCS#8 (BEGIN PRIVATE KEY) / SubjectPublicKeyInfo (BEGIN PUBLIC KEY)",
        bits: 2048,
    },
    KeySpec {
        private: "keys/other-dec.pem",
        public: "keys/other-enc.pem",
        encoding: "PKCS#8 (BEGIN PRIVATE KEY) / SubjectPublicKeyInfo (BEGIN PUBLIC KEY)",
        bits: 2048,
    },
    KeySpec {
        private: "keys/pkcs1-dec.pem",
        public: "keys/pkcs1-enc.pem",
        encoding: "PKCS#1 (BEGIN RSA PRIVATE KEY) / PKCS#1 (BEGIN RSA PUBLIC KEY)",
        bits: 2048,
    },
    KeySpec {
        private: "keys/test3072-dec.pem",
        public: "keys/test3072-enc.pem",
        encoding: "PKCS#8 (BEGIN PRIVATE KEY) / SubjectPublicKeyInfo (BEGIN PUBLIC KEY)",
        bits: 3072,
    },
    KeySpec {
        private: "keys/test2052-dec.pem",
        public: "keys/test2052-enc.pem",
        encoding: "PKCS#8 (BEGIN PRIVATE KEY) / SubjectPublicKeyInfo (BEGIN PUBLIC KEY)",
        bits: 2052,
    },
];

const TEST: &str = "keys/test-dec.pem";
const OTHER: &str = "keys/other-dec.pem";
const PKCS1: &str = "keys/pkcs1-dec.pem";
const RSA3072: &str = "keys/test3072-dec.pem";
const RSA2052: &str = "keys/test2052-dec.pem";

fn load(private: &str) -> DecryptionKey {
    let path = dir().join(private);
    let pem = std::fs::read_to_string(&path).expect("key file");
    DecryptionKey::from_pem(&pem, &path).expect("test key loads")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn value_text(kid: KeyId, ciphertext: &[u8]) -> String {
    EncryptedValue::from_parts(kid, ciphertext.to_vec()).to_string()
}

/// `out ^= MGF1-SHA256(seed, out.len())` (RFC 8017 B.2.1).
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(32).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update((counter as u32).to_be_bytes());
        for (b, m) in chunk.iter_mut().zip(h.finalize()) {
            *b ^= m;
        }
    }
}

/// EME-OAEP encoding (SHA-256, MGF1-SHA-256, empty label) of `msg` for a
/// `k`-byte modulus, with leading byte `y` (0 in a correct encoding) and a
/// seed derived from `name`, so these vectors rebuild identically.
fn eme_oaep(msg: &[u8], k: usize, y: u8, name: &str) -> Vec<u8> {
    let mut db = Sha256::digest(b"").to_vec();
    db.resize(k - 32 - 1 - msg.len() - 1, 0);
    db.push(1);
    db.extend_from_slice(msg);
    let mut seed = Sha256::digest(format!("confpass test vector seed: {name}")).to_vec();
    mgf1_xor(&seed, &mut db);
    mgf1_xor(&db, &mut seed);
    [vec![y], seed, db].concat()
}

/// The raw RSA public operation `em^e mod n`, as `k` bytes (RSAEP, I2OSP).
fn rsaep(key: &DecryptionKey, em: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::DecodePublicKey as _;
    let public = rsa::PublicKey::from_public_key_der(key.public().to_der()).expect("SPKI");
    let public = &public;
    let m = BoxedUint::from_be_slice(em, public.n_bits_precision()).expect("em fits");
    let c = rsa::hazmat::rsa_encrypt(public, &m).expect("raw RSA");
    let bytes = c.to_be_bytes();
    let k = public.size();
    bytes[bytes.len() - k..].to_vec()
}

/// A ciphertext made by `openssl pkeyutl -encrypt` with the public key of
/// `private` and the options `opts`.
fn openssl_encrypt(private: &str, plaintext: &[u8], opts: &[&str]) -> Vec<u8> {
    use std::io::Write as _;
    let spec = KEYS.iter().find(|k| k.private == private).expect("key");
    let mut child = Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(dir().join(spec.public))
        .args(opts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(plaintext)
        .expect("write");
    let out = child.wait_with_output().expect("openssl runs");
    assert!(out.status.success(), "openssl pkeyutl -encrypt failed");
    out.stdout
}

fn valid(id: &str, key: &str, made_by: &str, password: &str, value: String, about: &str) -> Value {
    json!({
        "id": id,
        "description": about,
        "key": key,
        "made_by": made_by,
        "value": value,
        "password": password,
        "plaintext_hex": hex(password.as_bytes()),
    })
}

fn invalid(id: &str, key: &str, reject: &str, value: String, about: &str) -> Value {
    json!({
        "id": id,
        "description": about,
        "key": key,
        "reject": reject,
        "value": value,
    })
}

/// Builds the whole vectors.json document.
pub fn build() -> Value {
    let test = load(TEST);
    let other = load(OTHER);
    let pkcs1 = load(PKCS1);
    let rsa3072 = load(RSA3072);
    let rsa2052 = load(RSA2052);
    let encrypt = |key: &DecryptionKey, password: &str| {
        EncryptedValue::encrypt(key.public(), &SecretString::from(password.to_owned()))
            .expect("confpass encrypts")
    };

    let mut keys = Vec::new();
    for spec in &KEYS {
        let key = load(spec.private);
        keys.push(json!({
            "private": spec.private,
            "public": spec.public,
            "encoding": spec.encoding,
            "bits": spec.bits,
            "key_id": key.id().to_string(),
        }));
    }

    let mut ok = Vec::new();
    let ascii = "S3cret!pass";
    let special = "a;b#c=d\\e\"f 'g' [h] ;#=\\\"";
    let unicode = "pässwörd-пароль-密码-🔑";
    let max_2048 = "M".repeat(190);
    // 318 bytes: 159 two-byte characters.
    let max_3072 = "é".repeat(159);
    let spaces = "  padded password  ";
    ok.push(valid(
        "ascii",
        TEST,
        "confpass",
        ascii,
        encrypt(&test, ascii).to_string(),
        "printable ASCII",
    ));
    ok.push(valid(
        "ini-special",
        TEST,
        "confpass",
        special,
        encrypt(&test, special).to_string(),
        "the characters an INI reader treats specially (; # = \\ \" ' [ ]) and spaces: inside the ciphertext they need no escaping",
    ));
    ok.push(valid(
        "utf8",
        TEST,
        "confpass",
        unicode,
        encrypt(&test, unicode).to_string(),
        "non-ASCII UTF-8 (2-, 3- and 4-byte characters)",
    ));
    ok.push(valid(
        "surrounding-spaces",
        TEST,
        "confpass",
        spaces,
        encrypt(&test, spaces).to_string(),
        "leading and trailing spaces belong to the password: a reader must not trim the plaintext",
    ));
    ok.push(valid(
        "single-character",
        TEST,
        "confpass",
        "x",
        encrypt(&test, "x").to_string(),
        "the shortest password, one byte",
    ));
    ok.push(valid(
        "max-2048",
        TEST,
        "confpass",
        &max_2048,
        encrypt(&test, &max_2048).to_string(),
        "190 bytes, the most one RSA-OAEP-SHA256 block of a 2048-bit key holds (256 - 2*32 - 2)",
    ));
    // A ciphertext whose first byte is 0: it is still k bytes, never shortened.
    let leading_zero = loop {
        let v = encrypt(&test, ascii);
        if v.ciphertext()[0] == 0 {
            break v;
        }
    };
    ok.push(valid(
        "ciphertext-leading-zero",
        TEST,
        "confpass",
        ascii,
        leading_zero.to_string(),
        "a ciphertext whose first byte is 0x00: it is still 256 bytes (I2OSP to the modulus length); an encoder must not drop leading zero bytes, a decoder must not require the top byte to be non-zero",
    ));
    ok.push(valid(
        "pkcs1-key",
        PKCS1,
        "confpass",
        ascii,
        encrypt(&pkcs1, ascii).to_string(),
        "a key pair in the PKCS#1 PEM forms (BEGIN RSA PRIVATE KEY / BEGIN RSA PUBLIC KEY); the key id is still taken over the SubjectPublicKeyInfo DER",
    ));
    ok.push(valid(
        "rsa3072-ascii",
        RSA3072,
        "confpass",
        ascii,
        encrypt(&rsa3072, ascii).to_string(),
        "a 3072-bit key (confpass's default size): 384-byte ciphertext, base64 without padding",
    ));
    ok.push(valid(
        "max-3072",
        RSA3072,
        "confpass",
        &max_3072,
        encrypt(&rsa3072, &max_3072).to_string(),
        "318 bytes (159 two-byte UTF-8 characters), the most a 3072-bit key holds",
    ));
    let max_2052 = "O".repeat(191);
    ok.push(valid(
        "odd-size-2052",
        RSA2052,
        "confpass",
        &max_2052,
        encrypt(&rsa2052, &max_2052).to_string(),
        "a 2052-bit key, a modulus that is not a whole number of bytes: k = ceil(2052 / 8) = 257-byte ciphertext, 191-byte maximum plaintext (257 - 2*32 - 2)",
    ));
    ok.push(valid(
        "other-key",
        OTHER,
        "confpass",
        ascii,
        encrypt(&other, ascii).to_string(),
        "the second 2048-bit pair; the same value is refused with keys/test-dec.pem (wrong-key-id)",
    ));
    let by_openssl = "made-by-OpenSSL!";
    ok.push(valid(
        "openssl",
        TEST,
        "openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256",
        by_openssl,
        value_text(
            test.id(),
            &openssl_encrypt(TEST, by_openssl.as_bytes(), &OAEP_SHA256),
        ),
        "a ciphertext made by stock OpenSSL, wrapped in ENC[...] with the key id",
    ));

    // Values that must be rejected.
    let kid = test.id();
    let base = encrypt(&test, ascii);
    let base_text = base.to_string();
    let data = BASE64.encode(base.ciphertext());
    let with_data = |d: &str| format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:{d}]");
    // A ciphertext whose base64 holds `+` or `/`, for the URL-safe alphabet case.
    let url_safe = loop {
        let d = BASE64.encode(encrypt(&test, ascii).ciphertext());
        if d.contains('+') && d.contains('/') {
            break d.replace('+', "-").replace('/', "_");
        }
    };
    // 256 bytes: the last base64 group is `Xy==`; a `y` with its low 4 bits
    // set is not canonical (RFC 4648 §3.5).
    let non_canonical = {
        let mut d = data.clone().into_bytes();
        let i = d.len() - 3;
        d[i] = match d[i] {
            b'A' => b'B',
            b'Q' => b'R',
            b'g' => b'h',
            _ => b'x',
        };
        String::from_utf8(d).expect("ascii")
    };
    let mut bad = Vec::new();
    let mut malformed = |id: &str, value: String, about: &str| {
        bad.push(invalid(id, TEST, "malformed", value, about));
    };
    malformed(
        "bad-base64",
        with_data(&format!("{}!!!!", &data[..data.len() - 4])),
        "`!` is not a base64 character",
    );
    malformed(
        "missing-padding",
        with_data(data.trim_end_matches('=')),
        "standard base64 without its `=` padding",
    );
    malformed(
        "url-safe-base64",
        with_data(&url_safe),
        "the URL-safe alphabet (`-` and `_` for `+` and `/`)",
    );
    malformed(
        "base64-with-space",
        with_data(&format!("{} {}", &data[..100], &data[100..])),
        "a space inside the base64 (no whitespace is allowed anywhere in a value)",
    );
    malformed(
        "non-canonical-base64",
        with_data(&non_canonical),
        "the padding bits of the last base64 group are not zero (RFC 4648 §3.5)",
    );
    malformed("empty-data", with_data(""), "`data:` with nothing after it");
    malformed(
        "unknown-algorithm",
        base_text.replace("RSA-OAEP-SHA256", "RSA-OAEP-SHA1"),
        "an algorithm other than RSA-OAEP-SHA256",
    );
    malformed(
        "algorithm-lowercase",
        base_text.replace("RSA-OAEP-SHA256", "rsa-oaep-sha256"),
        "the algorithm name is case-sensitive",
    );
    malformed(
        "uppercase-kid",
        base_text.replace(&kid.to_string(), &kid.to_string().to_uppercase()),
        "the key id in uppercase hex",
    );
    malformed(
        "short-kid",
        base_text.replace(&kid.to_string(), &kid.to_string()[..15]),
        "a key id of 15 hex digits",
    );
    malformed(
        "missing-kid",
        format!("ENC[RSA-OAEP-SHA256,data:{data}]"),
        "no `kid:` field",
    );
    malformed(
        "missing-data",
        format!("ENC[RSA-OAEP-SHA256,kid:{kid}]"),
        "no `data:` field",
    );
    malformed(
        "fields-reordered",
        format!("ENC[RSA-OAEP-SHA256,data:{data},kid:{kid}]"),
        "`data:` before `kid:`: the fields have a fixed order",
    );
    malformed(
        "extra-field",
        format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:{data},label:]"),
        "a field after `data:`",
    );
    malformed(
        "space-after-comma",
        format!("ENC[RSA-OAEP-SHA256, kid:{kid}, data:{data}]"),
        "spaces after the commas",
    );
    malformed(
        "lowercase-prefix",
        format!("enc[RSA-OAEP-SHA256,kid:{kid},data:{data}]"),
        "`enc[` for `ENC[`",
    );
    malformed(
        "missing-bracket",
        base_text.trim_end_matches(']').to_owned(),
        "no closing `]` (a value cut short)",
    );

    let ct = base.ciphertext();
    bad.push(invalid(
        "truncated-ciphertext",
        TEST,
        "ciphertext-length",
        value_text(kid, &ct[..ct.len() - 1]),
        "a 255-byte ciphertext for a 2048-bit key: valid base64, one byte short",
    ));
    bad.push(invalid(
        "leading-zero-dropped",
        TEST,
        "ciphertext-length",
        value_text(kid, &leading_zero.ciphertext()[1..]),
        "the valid vector ciphertext-leading-zero with its leading 0x00 byte dropped (255 bytes): RFC 8017 §7.1.2 step 1b requires exactly k bytes (stock OpenSSL accepts this one; a reader must not)",
    ));
    bad.push(invalid(
        "long-ciphertext",
        TEST,
        "ciphertext-length",
        value_text(kid, &[ct, &[0u8][..]].concat()),
        "a 257-byte ciphertext for a 2048-bit key",
    ));
    let odd = EncryptedValue::parse(
        ok.iter()
            .find(|v| v["id"] == "odd-size-2052")
            .and_then(|v| v["value"].as_str())
            .expect("odd-size-2052 vector"),
    )
    .expect("parses");
    bad.push(invalid(
        "odd-size-256-bytes",
        RSA2052,
        "ciphertext-length",
        value_text(rsa2052.id(), &odd.ciphertext()[1..]),
        "the valid vector odd-size-2052 cut to 256 bytes (2052 / 8 rounded down): k is rounded up",
    ));
    bad.push(invalid(
        "wrong-key-id",
        TEST,
        "key-id-mismatch",
        ok.iter()
            .find(|v| v["id"] == "other-key")
            .and_then(|v| v["value"].as_str())
            .expect("other-key vector")
            .to_owned(),
        "the value of vector other-key (made for key id of keys/other-enc.pem) given with keys/test-dec.pem: refused on the key id before any decryption",
    ));
    bad.push(invalid(
        "key-id-altered",
        OTHER,
        "key-id-mismatch",
        base_text.clone(),
        "a ciphertext made for keys/test-enc.pem given with keys/other-dec.pem: the value names the test key's id",
    ));
    let mut corrupted = ct.to_vec();
    corrupted[128] ^= 0x01;
    bad.push(invalid(
        "corrupted-ciphertext",
        TEST,
        "decryption-failed",
        value_text(kid, &corrupted),
        "one bit of the ciphertext flipped",
    ));
    let mut last_bit = ct.to_vec();
    last_bit[255] ^= 0x01;
    bad.push(invalid(
        "corrupted-last-byte",
        TEST,
        "decryption-failed",
        value_text(kid, &last_bit),
        "the lowest bit of the ciphertext flipped",
    ));
    let k = test.public().ciphertext_len();
    bad.push(invalid(
        "leading-byte-1",
        TEST,
        "decryption-failed",
        value_text(kid, &rsaep(&test, &eme_oaep(b"leading-byte-1", k, 1, "leading-byte-1"))),
        "a correct EME-OAEP encoding of `leading-byte-1` except that its first byte Y is 0x01 (RFC 8017 §7.1.2 step 3g requires 0x00; Wycheproof's \"First byte is 1\"); stock OpenSSL refuses it, a decoder that ignores Y returns the message",
    ));
    bad.push(invalid(
        "ciphertext-not-below-modulus",
        TEST,
        "decryption-failed",
        value_text(kid, &[0xffu8; 256]),
        "256 bytes of 0xff: as an integer not less than the modulus (RFC 8017 §5.1.2 step 1)",
    ));
    bad.push(invalid(
        "ciphertext-zero",
        TEST,
        "decryption-failed",
        value_text(kid, &[0u8; 256]),
        "256 zero bytes",
    ));
    bad.push(invalid(
        "oaep-sha1",
        TEST,
        "decryption-failed",
        value_text(
            kid,
            &openssl_encrypt(
                TEST,
                ascii.as_bytes(),
                &["-pkeyopt", "rsa_padding_mode:oaep"],
            ),
        ),
        "RSA-OAEP with SHA-1 and MGF1-SHA-1 (OpenSSL's OAEP default) labelled RSA-OAEP-SHA256",
    ));
    bad.push(invalid(
        "oaep-sha256-mgf1-sha1",
        TEST,
        "decryption-failed",
        value_text(
            kid,
            &openssl_encrypt(
                TEST,
                ascii.as_bytes(),
                &[
                    "-pkeyopt",
                    "rsa_padding_mode:oaep",
                    "-pkeyopt",
                    "rsa_oaep_md:sha256",
                    "-pkeyopt",
                    "rsa_mgf1_md:sha1",
                ],
            ),
        ),
        "RSA-OAEP with SHA-256 but MGF1-SHA-1 (Java's OAEPWithSHA-256AndMGF1Padding default): the mask function must be MGF1-SHA-256",
    ));
    bad.push(invalid(
        "oaep-label",
        TEST,
        "decryption-failed",
        value_text(
            kid,
            &openssl_encrypt(
                TEST,
                ascii.as_bytes(),
                &[
                    OAEP_SHA256.as_slice(),
                    &["-pkeyopt", "rsa_oaep_label:636f6e6670617373"],
                ]
                .concat(),
            ),
        ),
        "RSA-OAEP-SHA256 with the label `confpass` (hex 636f6e6670617373): the label must be empty",
    ));
    bad.push(invalid(
        "pkcs1-v1_5",
        TEST,
        "decryption-failed",
        value_text(
            kid,
            &openssl_encrypt(
                TEST,
                ascii.as_bytes(),
                &["-pkeyopt", "rsa_padding_mode:pkcs1"],
            ),
        ),
        "PKCS#1 v1.5 encryption padding labelled RSA-OAEP-SHA256",
    ));

    let unusable: [(&str, &[u8], &str); 6] = [
        ("empty-plaintext", b"", "an empty plaintext"),
        (
            "plaintext-lf",
            b"pass\nword",
            "a plaintext with a line feed",
        ),
        (
            "plaintext-cr",
            b"pass\rword",
            "a plaintext with a carriage return",
        ),
        (
            "plaintext-trailing-crlf",
            b"password\r\n",
            "a plaintext ending in CR LF (a password file encrypted with its line end)",
        ),
        (
            "plaintext-not-utf8",
            b"pass\xff\xfeword",
            "a plaintext that is not UTF-8 (bytes 0xff 0xfe)",
        ),
        (
            "plaintext-latin1",
            b"p\xe4sswort",
            "a plaintext in ISO-8859-1 (`\u{e4}` as the single byte 0xe4), not UTF-8",
        ),
    ];
    for (id, plaintext, about) in unusable {
        let mut v = invalid(
            id,
            TEST,
            "unusable-plaintext",
            value_text(kid, &rsaep(&test, &eme_oaep(plaintext, k, 0, id))),
            &format!(
                "{about}: a correct RSA-OAEP-SHA256 ciphertext of a plaintext confpass -p never stores"
            ),
        );
        v["plaintext_hex"] = json!(hex(plaintext));
        bad.push(v);
    }

    json!({
        "description": "Known-answer vectors for the confpass encrypted value ENC[RSA-OAEP-SHA256,kid:<key id>,data:<base64>], specified in docs/FORMAT.md. Paths are relative to this file. Every key here is test-only and published: never use it for anything real.",
        "rebuild": "cargo test --test vectors -- --ignored --exact regenerate_vectors",
        "reject_classes": {
            "malformed": "the value does not match the ABNF of docs/FORMAT.md (syntax, algorithm name, key id form, base64)",
            "ciphertext-length": "the base64 decodes, but not to exactly k bytes, the modulus length of the key",
            "key-id-mismatch": "the key id in the value is not the key id of the private key given",
            "decryption-failed": "RSA-OAEP-SHA256 decryption (RFC 8017 §7.1.2) fails: one error, whatever the cause",
            "unusable-plaintext": "decryption succeeds (plaintext_hex is what RFC 8017 yields), but the plaintext is empty, holds CR or LF, or is not UTF-8",
        },
        "keys": keys,
        "valid": ok,
        "invalid": bad,
    })
}

/// The sample configuration of the quick start, encrypted as `-p` leaves
/// it, with `value` as its password.
pub fn config_file(value: &str) -> String {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sample/confserv.conf");
    let text = std::fs::read_to_string(sample).expect("sample configuration");
    let text = text
        .replace("encryption = false", "encryption = true")
        .replace("password = S3cret!pass", &format!("password = {value}"));
    assert!(
        text.contains(value),
        "the sample still has `password = S3cret!pass`"
    );
    text
}

/// Writes `testdata/vectors/vectors.json` and `testdata/vectors/confserv.conf`
/// (the sample configuration holding vector `ascii`).
pub fn write() {
    let doc = build();
    let text = serde_json::to_string_pretty(&doc).expect("json") + "\n";
    std::fs::write(dir().join("vectors.json"), text).expect("write vectors.json");
    let ascii = doc["valid"]
        .as_array()
        .and_then(|l| l.iter().find(|v| v["id"] == "ascii"))
        .and_then(|v| v["value"].as_str())
        .expect("vector ascii");
    std::fs::write(dir().join("confserv.conf"), config_file(ascii)).expect("write confserv.conf");
}
