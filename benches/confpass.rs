//! Benchmarks for BENCHMARKS.md: key generation, encryption, decryption, the
//! start-up call, and `-p`'s file handling on very large files (time must grow
//! linearly with size). Run with `cargo bench --bench confpass`.

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

fn crypto(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let dec = DecryptionKey::generate(3072).unwrap();
    let enc: &EncryptionKey = dec.public();
    let password = SecretString::from("S3cret!pass".to_owned());
    let value = EncryptedValue::encrypt(enc, &password).unwrap();
    c.bench_function("encrypt/3072", |b| {
        b.iter(|| EncryptedValue::encrypt(enc, &password).unwrap())
    });
    c.bench_function("decrypt/3072", |b| b.iter(|| value.decrypt(&dec).unwrap()));

    // The start-up call: read the file, load dec.pem, decrypt.
    dec.save(&dir.path().join("dec.pem")).unwrap();
    enc.save(&dir.path().join("enc.pem")).unwrap();
    let conf = dir.path().join("confserv.conf");
    fs::write(&conf, big_config(0, 1)).unwrap();
    confpass::encrypt_file(Request::new(&conf)).unwrap();
    c.bench_function("startup-call/3072", |b| {
        b.iter(|| confpass::database_password(black_box(&conf), "confserv").unwrap())
    });
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
