//! Benchmarks for BENCHMARKS.md: key generation, encryption, decryption, the
//! start-up call, and `-p`'s file handling on very large files (time must grow
//! linearly with size). Run with `cargo bench --bench confpass`, and with
//! `--features aws-lc` for the other backend: the crypto benches' names end
//! with the backend's tag (`startup-call/3072/rsa`, `startup-call/3072/aws-lc`).
//! On Unix the same run measures OpenSSL (the system libssl) on the same key,
//! the baseline of issue 23: `openssl/oaep-sha256-decrypt/3072` and
//! `openssl/private-op/3072`. scripts/bench-backends.sh runs both backends.

use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use confpass::confserv::Layout;
use confpass::{ConfigFile, DecryptionKey, EncryptedValue, EncryptionKey, Request, SecretString};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/keys");

/// A configuration of about `size` bytes: filler sections, then the real ones.
/// `line` is the length of each filler value (1 MB lines for the long-line case).
fn big_config(size: usize, line: usize) -> String {
    let mut text = String::with_capacity(size + 1024);
    let mut i = 0;
    while text.len() < size {
        let _ = write!(
            text,
            "[app{i}]\n; filler\noption-{i} = {}\n\n",
            "v".repeat(line)
        );
        i += 1;
    }
    text.push_str(
        "[confserv]\nserver = dbserver\nencryption = false\n\n[dbserver]\npassword = S3cret!pass\n",
    );
    text
}

fn install_test_keys(dir: &Path) {
    fs::copy(Path::new(KEYS).join("test-dec.pem"), dir.join("dec.pem")).unwrap();
    fs::copy(Path::new(KEYS).join("test-enc.pem"), dir.join("enc.pem")).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    fs::set_permissions(dir.join("dec.pem"), fs::Permissions::from_mode(0o600)).unwrap();
}

fn keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keygen");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    for bits in [2048, 3072, 4096] {
        g.bench_with_input(BenchmarkId::from_parameter(bits), &bits, |b, &bits| {
            b.iter(|| DecryptionKey::generate(bits).unwrap())
        });
    }
    g.finish();
}

/// The backend this build uses, as a short tag for the benches' names: the
/// first word of its name, lower-cased (`rsa`, `aws-lc`).
fn backend_tag() -> String {
    let name = confpass::crypto_backend().name;
    name.split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_ascii_lowercase()
}

fn crypto(c: &mut Criterion) {
    let tag = backend_tag();
    let dir = tempfile::tempdir().unwrap();
    let dec = DecryptionKey::generate(3072).unwrap();
    let enc: &EncryptionKey = dec.public();
    let password = SecretString::from("S3cret!pass".to_owned());
    let value = EncryptedValue::encrypt(enc, &password).unwrap();
    c.bench_function(&format!("encrypt/3072/{tag}"), |b| {
        b.iter(|| EncryptedValue::encrypt(enc, &password).unwrap())
    });
    c.bench_function(&format!("decrypt/3072/{tag}"), |b| {
        b.iter(|| value.decrypt(&dec).unwrap())
    });

    // The start-up call: read the file, load dec.pem, decrypt.
    dec.save(&dir.path().join("dec.pem")).unwrap();
    enc.save(&dir.path().join("enc.pem")).unwrap();
    let conf = dir.path().join("confserv.conf");
    fs::write(&conf, big_config(0, 1)).unwrap();
    confpass::encrypt_file(Request::new(&conf)).unwrap();
    c.bench_function(&format!("startup-call/3072/{tag}"), |b| {
        b.iter(|| confpass::database_password(black_box(&conf), "confserv").unwrap())
    });

    #[cfg(unix)]
    openssl_baseline(
        c,
        &dir.path().join("dec.pem"),
        value.ciphertext(),
        b"S3cret!pass",
    );
}

/// OpenSSL on the same key (the dec.pem confpass saved), in the same run: the
/// RSA-OAEP-SHA256 decryption of a ciphertext confpass made, and the bare
/// private-key operation (a PKCS#1 v1.5 signature of 32 bytes, what
/// `openssl speed rsa3072` counts). The start-up call is compared with both.
#[cfg(unix)]
fn openssl_baseline(c: &mut Criterion, dec_pem: &Path, ciphertext: &[u8], password: &[u8]) {
    use openssl::hash::MessageDigest;
    use openssl::md::Md;
    use openssl::pkey::{PKey, Private};
    use openssl::pkey_ctx::PkeyCtx;
    use openssl::rsa::Padding;

    let key: PKey<Private> = PKey::private_key_from_pem(&fs::read(dec_pem).unwrap()).unwrap();
    assert_eq!(key.bits(), 3072);
    let decrypt = |ct: &[u8]| -> Vec<u8> {
        let mut ctx = PkeyCtx::new(&key).unwrap();
        ctx.decrypt_init().unwrap();
        ctx.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
        ctx.set_rsa_oaep_md(Md::sha256()).unwrap();
        ctx.set_rsa_mgf1_md(Md::sha256()).unwrap();
        let mut out = Vec::new();
        ctx.decrypt_to_vec(ct, &mut out).unwrap();
        out
    };
    // The same ciphertext both read: OpenSSL must find the same password.
    assert_eq!(decrypt(ciphertext), password);
    let digest = openssl::hash::hash(MessageDigest::sha256(), password).unwrap();
    let sign = |data: &[u8]| -> Vec<u8> {
        let mut ctx = PkeyCtx::new(&key).unwrap();
        ctx.sign_init().unwrap();
        ctx.set_rsa_padding(Padding::PKCS1).unwrap();
        let mut out = Vec::new();
        ctx.sign_to_vec(data, &mut out).unwrap();
        out
    };
    assert_eq!(sign(&digest).len(), 384);

    let mut g = c.benchmark_group("openssl");
    g.bench_function("oaep-sha256-decrypt/3072", |b| {
        b.iter(|| decrypt(black_box(ciphertext)))
    });
    g.bench_function("private-op/3072", |b| b.iter(|| sign(black_box(&digest))));
    g.finish();
}

fn large_files(c: &mut Criterion) {
    let mut g = c.benchmark_group("large-file");
    g.sample_size(10);
    for (name, size, line) in [
        // Up to just under confpass::config::MAX_CONFIG_SIZE (16 MiB): larger
        // files are refused before they are read.
        ("1MB", 1 << 20, 16),
        ("15MB", 15 << 20, 16),
        ("1MB-1MB-lines", 1 << 20, 1 << 20),
        ("15MB-1MB-lines", 15 << 20, 1 << 20),
    ] {
        let text = big_config(size, line);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(BenchmarkId::new("parse+locate", name), |b| {
            b.iter(|| {
                let f = ConfigFile::parse("big.conf", text.clone().into_bytes());
                let layout = Layout::locate(&f, "confserv", None).unwrap();
                black_box(layout.stored(&f).is_ok());
            })
        });
        // The whole -p on the file: lock, read, edit, check (both readers), write.
        let dir = tempfile::tempdir().unwrap();
        install_test_keys(dir.path());
        let conf = dir.path().join("confserv.conf");
        g.bench_function(BenchmarkId::new("encrypt_file", name), |b| {
            b.iter(|| {
                fs::write(&conf, &text).unwrap();
                confpass::encrypt_file(Request::new(&conf)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, keygen, crypto, large_files);
criterion_main!(benches);
