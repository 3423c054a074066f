//! Shared helpers for the integration tests: a scratch directory holding a
//! configuration file and (test-only) keys, the real `confpass` binary, and
//! a snapshot of every file in the directory to prove "byte-identical".
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The sample configuration the README's quick start uses.
pub const SAMPLE: &str = "testdata/sample/confserv.conf";
/// The password in [`SAMPLE`].
pub const SAMPLE_PASSWORD: &str = "S3cret!pass";
/// Key id of `testdata/keys/test-*.pem` (OpenSSL: pkey -pubout -outform DER | sha256sum).
pub const TEST_KID: &str = "ce41f02ea24f8f2f";
/// Key id of `testdata/keys/other-*.pem`.
pub const OTHER_KID: &str = "a8167c1575d08250";
/// Key id of `testdata/keys/pkcs1-*.pem`.
pub const PKCS1_KID: &str = "4898fb5c526322a6";

/// The configuration file confpass reads when no `-c` is given:
/// `confserv.conf` on Unix, `confserv.cfg` on Windows.
pub const CONF: &str = if cfg!(windows) {
    "confserv.cfg"
} else {
    "confserv.conf"
};

/// Tests spell the default configuration file `confserv.conf`; on Windows
/// it is `confserv.cfg` ([`CONF`]), and [`Scratch`] maps that one name.
fn platform_name(rel: &str) -> &str {
    if rel == "confserv.conf" { CONF } else { rel }
}

/// A run's output as the tests spell it, whatever the platform: on Windows
/// the default file `confserv.cfg` reads as `confserv.conf`, and the key
/// files beside it (`.\dec.pem`) as `./dec.pem`. Windows' own spelling is
/// pinned by tests/wine.rs.
fn as_tests_spell_it(text: String) -> String {
    if cfg!(windows) {
        // JSON escapes the backslash (`.\\dec.pem` there).
        text.replace("confserv.cfg", "confserv.conf")
            .replace(".\\\\", "./")
            .replace(".\\", "./")
    } else {
        text
    }
}

/// A path in a scratch directory as the tests spell it: the default
/// configuration file ([`CONF`]) as `confserv.conf`, and `/` between the
/// parts (Windows lists `cs\dec.pem`).
pub fn as_tests_name(rel: &Path) -> PathBuf {
    if rel == Path::new(CONF) {
        PathBuf::from("confserv.conf")
    } else if cfg!(windows) {
        let parts: Vec<_> = rel.iter().map(|part| part.to_string_lossy()).collect();
        PathBuf::from(parts.join("/"))
    } else {
        rel.to_path_buf()
    }
}

/// A path as a run's output reads in the tests ([`as_tests_spell_it`]): the
/// way to spell the expected text of a message that names `path`.
pub fn shown(path: &Path) -> String {
    as_tests_spell_it(path.display().to_string())
}

/// A file under the repository's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// A temporary directory that is removed at the end of the test.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A scratch directory holding `confserv.conf` with `content`.
    pub fn with_config(content: &[u8]) -> Self {
        let s = Scratch::new();
        s.write("confserv.conf", content);
        s
    }

    /// A scratch directory holding the shipped sample as `confserv.conf`.
    pub fn sample() -> Self {
        Scratch::with_config(&fs::read(testdata("sample/confserv.conf")).unwrap())
    }

    /// `rel` in the directory; `confserv.conf` is the platform's default
    /// name ([`CONF`]).
    /// `rel` is spelt with `/`, which becomes the platform's separator.
    pub fn path(&self, rel: &str) -> PathBuf {
        platform_name(rel)
            .split('/')
            .fold(self.dir.path().to_path_buf(), |path, part| path.join(part))
    }

    pub fn write(&self, rel: &str, content: &[u8]) {
        fs::write(self.path(rel), content).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap()
    }

    pub fn read_str(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// The file's mode as [`file_mode`] gives it.
    pub fn mode(&self, rel: &str) -> u32 {
        file_mode(&fs::metadata(self.path(rel)).unwrap())
    }

    /// Copies `testdata/keys/<name>-dec.pem` and `-enc.pem` here as
    /// `dec.pem` (mode 0600) and `enc.pem`.
    pub fn install_keys(&self, name: &str) {
        self.install_key(&format!("{name}-dec.pem"), "dec.pem");
        self.install_key(&format!("{name}-enc.pem"), "enc.pem");
    }

    /// Copies one file of `testdata/keys/` here as `dest`; mode 0600 on
    /// Unix (on Windows the copy has its directory's inherited ACL).
    pub fn install_key(&self, source: &str, dest: &str) {
        let to = self.path(dest);
        fs::copy(testdata(&format!("keys/{source}")), &to).unwrap();
        #[cfg(unix)]
        set_mode(&to, 0o600);
    }

    /// Every file in the directory (recursively), with its bytes and mode
    /// ([`file_mode`]).
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
        fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u32)>) {
            for entry in fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                let meta = fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    walk(&path, base, out);
                } else if meta.is_file() {
                    let mode = file_mode(&meta);
                    out.insert(
                        as_tests_name(path.strip_prefix(base).unwrap()),
                        (fs::read(&path).unwrap(), mode),
                    );
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        out
    }

    /// The real binary, run in this directory.
    pub fn confpass(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_confpass"));
        cmd.current_dir(self.dir.path());
        cmd
    }
}

/// stdout and stderr of a run, as one string.
pub fn all_output(out: &Output) -> String {
    as_tests_spell_it(format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Panics if `password` appears in the run's stdout or stderr.
pub fn assert_no_password(out: &Output, password: &str) {
    let text = all_output(out);
    assert!(
        !text.contains(password),
        "the password appears in the output:\n{text}"
    );
}

/// The value of `option` in the first line that sets it, after `=`, trimmed.
pub fn value_of(config: &str, option: &str) -> Option<String> {
    config.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case(option)
            .then(|| value.trim().to_owned())
    })
}

/// Decrypts an `ENC[...]` value with stock OpenSSL and `dec` (a private key file).
pub fn openssl_decrypt(value: &str, dec: &Path) -> String {
    use base64::Engine as _;
    let data = value
        .split("data:")
        .nth(1)
        .and_then(|d| d.strip_suffix(']'))
        .expect("ENC[...,data:...]");
    let cipher = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cipher.bin");
    fs::write(&input, cipher).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-decrypt", "-inkey"])
        .arg(dec)
        .arg("-in")
        .arg(&input)
        .args(OAEP_SHA256)
        .output()
        .expect("openssl must be installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl pkeyutl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The key id of a public key file as PRODUCT.md §3 computes it with stock
/// tools: `openssl pkey -pubin -in enc.pem -outform DER | sha256sum | cut -c1-16`.
/// The digest comes from `openssl dgst -sha256` rather than `sha256sum`, and
/// no shell runs the pipeline, so that it needs nothing but `openssl`.
pub fn openssl_key_id(enc: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let der = dir.path().join("spki.der");
    let mut pkey = std::process::Command::new("openssl");
    pkey.args(["pkey", "-pubin", "-in"])
        .arg(enc)
        .args(["-outform", "DER", "-out"])
        .arg(&der);
    let out = pkey
        .output()
        .expect("openssl must be installed (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl pkey failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `-r` prints `<hex digest> *<file>`, as sha256sum does.
    let out = openssl(dir.path(), &["dgst", "-sha256", "-r", "spki.der"]);
    let line = String::from_utf8(out.stdout).unwrap();
    let digest = line.split_whitespace().next().unwrap_or_default();
    assert_eq!(digest.len(), 64, "openssl dgst printed {line:?}");
    digest[..16].to_owned()
}

/// Panics with the run's output unless it exited with `code`.
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}, got {:?}; output:\n{}",
        out.status,
        all_output(out)
    );
}

/// A run's stdout as text.
pub fn stdout(out: &Output) -> String {
    as_tests_spell_it(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A run's stderr as text.
pub fn stderr(out: &Output) -> String {
    as_tests_spell_it(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A file's mode for comparisons: its permission bits on Unix; on Windows,
/// which has no modes, its read-only flag mapped to 0o444 (set) or 0o666
/// (clear), so that a snapshot still sees that flag change.
pub fn file_mode(meta: &fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        if meta.permissions().readonly() {
            0o444
        } else {
            0o666
        }
    }
}

/// Sets a file's permission bits. Unix-only: Windows has no modes (its
/// read-only flag does not stand for them), so callers are Unix-only too.
#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// The `openssl pkeyutl` options of confpass's values: OAEP, SHA-256, MGF1 SHA-256.
pub const OAEP_SHA256: [&str; 6] = [
    "-pkeyopt",
    "rsa_padding_mode:oaep",
    "-pkeyopt",
    "rsa_oaep_md:sha256",
    "-pkeyopt",
    "rsa_mgf1_md:sha256",
];

/// Encrypts `password` with stock `openssl pkeyutl -encrypt -pubin`, the
/// public key file `enc` and the padding options `opts`.
pub fn openssl_encrypt(password: &str, enc: &Path, opts: &[&str]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(enc)
        .args(opts)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl must be installed (.ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl pkeyutl -encrypt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `program args` in `dir`; panics unless it succeeds.
pub fn run_tool(dir: &Path, program: &str, args: &[&str]) -> Output {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        all_output(&out)
    );
    out
}

/// Runs stock `openssl args` in `dir`; panics unless it succeeds.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    run_tool(dir, "openssl", args)
}

/// `openssl genpkey`: a new RSA private key of `bits` in `dir/out` (PKCS#8).
pub fn genpkey(dir: &Path, bits: u32, out: &str) {
    let bits = format!("rsa_keygen_bits:{bits}");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &bits,
            "-out",
            out,
        ],
    );
}
