//! Shared helpers for the integration tests: a scratch directory holding a
//! configuration file and (test-only) keys, the real `confpass` binary (run
//! to its end, or step by step with [`Run`]), a snapshot of every file in the
//! directory to prove "byte-identical", and the snapshot files under
//! `tests/snapshots/` that pin the command line's messages
//! ([`assert_snapshot`]).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
#[cfg(unix)]
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

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

// ------------------------------------------------------------ snapshots

/// Panics unless `actual` is, byte for byte, the snapshot file
/// `tests/snapshots/<name>` (`name` such as `bad_input/fail_no_p.stderr`):
/// the expected text of a message, kept out of the test's code.
/// `SNAPSHOTS=overwrite cargo test --test NAME` writes the files afresh from
/// what the runs print (then review them with `git diff tests/snapshots`).
///
/// The comparison is exact but for line ends (CRLF reads as LF): no
/// wildcards, no redactions, no path separator folding (snapbox's defaults
/// would turn a `\` in a message into `/`); callers spell paths as the tests
/// do ([`stderr`], [`shown`]).
#[track_caller]
pub fn assert_snapshot(actual: &str, name: &str) {
    let file = name.split('/').fold(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"),
        |path, part| path.join(part),
    );
    snapbox::Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .normalize_paths(false)
        .eq(
            actual.to_owned(),
            snapbox::Data::read_from(&file, None).raw(),
        );
}

// ------------------------------------------------------------------ runs

/// How long a run or a pause point may take before a test calls it a hang
/// (a bound that fails the test, never a timing assertion).
pub const BOUND: Duration = Duration::from_secs(120);

/// The real binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_confpass");

/// A fresh directory for pause and lock-wait markers, writable by every
/// user (runs as other users write their markers there).
pub fn markers() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(dir.path(), 0o777);
    dir
}

/// One run of a program (the real binary unless said otherwise), set up
/// step by step, then started: [`Run::exit`] runs it to its end, or
/// [`Run::spawn`], [`Run::paused_at`] and [`Run::waiting_on_lock`] leave it
/// running for the test to act on.
pub struct Run {
    pub cmd: std::process::Command,
    input: Option<Vec<u8>>,
    secrets: Vec<String>,
}

impl Run {
    /// `confpass ARGS` in the scratch directory.
    pub fn new(s: &Scratch, args: &[&str]) -> Run {
        Run::program(s.dir.path(), BIN, args)
    }

    /// `confpass ARGS` in the scratch directory as `uid:gid`, without
    /// supplementary groups (setpriv from util-linux).
    #[cfg(unix)]
    pub fn as_user(s: &Scratch, (uid, gid): (u32, u32), args: &[&str]) -> Run {
        Run::setpriv(s.dir.path(), (uid, gid), BIN, args)
    }

    /// `program ARGS` in `dir` as `uid:gid`, without supplementary groups.
    #[cfg(unix)]
    pub fn setpriv(dir: &Path, (uid, gid): (u32, u32), program: &str, args: &[&str]) -> Run {
        let mut run = Run::program(dir, "setpriv", &["--clear-groups"]);
        run.cmd
            .arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg(program)
            .args(args);
        run
    }

    /// Any program, in `dir`, with none of confpass's environment variables
    /// and no standard input.
    pub fn program(dir: &Path, program: &str, args: &[&str]) -> Run {
        let mut cmd = std::process::Command::new(program);
        cmd.current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for var in [
            "CONFPASS_TEST_PAUSE_AT",
            "CONFPASS_TEST_FAIL_AT",
            "CONFPASS_TEST_TRACE",
            "CONFPASS_TEST_LOCK_WAIT",
            "CONFPASS_DECRYPTION_KEY",
        ] {
            cmd.env_remove(var);
        }
        Run {
            cmd,
            input: None,
            secrets: Vec::new(),
        }
    }

    pub fn env(mut self, var: &str, value: impl AsRef<OsStr>) -> Run {
        self.cmd.env(var, value);
        self
    }

    /// Pauses the run at `step` (CONFPASS_TEST_PAUSE_AT): it writes `marker`
    /// and waits while the marker exists.
    pub fn pause_at(self, step: &str, marker: &Path) -> Run {
        self.env(
            "CONFPASS_TEST_PAUSE_AT",
            format!("{step}:{}", marker.display()),
        )
    }

    /// Fails an I/O point: `<op>:<role>:<ENOSPC|EIO>[:<n>]`.
    pub fn fail_at(self, spec: &str) -> Run {
        self.env("CONFPASS_TEST_FAIL_AT", spec)
    }

    /// The run writes `marker` when it first finds a lock held by another run.
    pub fn lock_wait(self, marker: &Path) -> Run {
        self.env("CONFPASS_TEST_LOCK_WAIT", marker)
    }

    /// `text` on standard input, as it is.
    pub fn stdin(mut self, text: &str) -> Run {
        self.input = Some(text.as_bytes().to_vec());
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// The password as one line on standard input (`--password-stdin`).
    pub fn password(self, password: &str) -> Run {
        self.stdin(&format!("{password}\n"))
    }

    /// None of `secrets` may appear in the run's output ([`Running::finish`]).
    pub fn never_showing(mut self, secrets: &[&str]) -> Run {
        self.secrets
            .extend(secrets.iter().map(|secret| (*secret).to_owned()));
        self
    }

    pub fn spawn(mut self) -> Running {
        // Under wine on a loaded machine, CreateProcess now and then fails
        // with ERROR_INTERNAL_ERROR (1359) before the program runs at all:
        // a few tries, then the error. Nothing of the run has happened yet.
        let mut tries = 0;
        let mut child = loop {
            match self.cmd.spawn() {
                Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 5 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(200));
                }
                started => break started.expect("start the run"),
            }
        };
        if let Some(text) = self.input.take() {
            let mut pipe = child.stdin.take().unwrap();
            // A run that ends before reading its input is judged by its exit code.
            let _ = pipe.write_all(&text);
        }
        Running {
            child: Some(child),
            secrets: self.secrets,
            _markers: None,
        }
    }

    /// Runs to the end (bounded) and asserts the exit code.
    pub fn exit(self, code: i32) -> Output {
        self.spawn().exit(code)
    }

    /// Starts the run and waits (bounded) until it pauses at `step`; `Err`
    /// holds the output of a run that ended without reaching it.
    pub fn try_paused_at(self, step: &str) -> Result<Paused, Output> {
        let dir = markers();
        let marker = dir.path().join("paused");
        let mut run = self.pause_at(step, &marker).spawn();
        run._markers = Some(dir);
        let deadline = Instant::now() + BOUND;
        while !marker.exists() {
            if !run.is_running() {
                return Err(run.finish());
            }
            assert!(
                Instant::now() < deadline,
                "no pause at {step} within {BOUND:?}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(Paused { run, marker })
    }

    /// As [`Run::try_paused_at`], for a run that must reach `step`.
    pub fn paused_at(self, step: &str) -> Paused {
        self.try_paused_at(step).unwrap_or_else(|out| {
            panic!(
                "the run ended ({}) before the pause at {step}:\n{}",
                out.status,
                all_output(&out)
            )
        })
    }

    /// Starts the run and waits (bounded) until it finds a lock held by
    /// another run and waits for it (CONFPASS_TEST_LOCK_WAIT).
    pub fn waiting_on_lock(self) -> Running {
        let dir = markers();
        let marker = dir.path().join("waiting");
        let mut run = self.lock_wait(&marker).spawn();
        run._markers = Some(dir);
        run.reach(&marker, "the wait on a lock another run holds");
        assert!(
            run.is_running(),
            "the run went ahead while the lock was held"
        );
        run
    }
}

/// A run stopped at a pause point, holding its locks.
pub struct Paused {
    run: Running,
    marker: PathBuf,
}

impl Paused {
    /// Lets the run go on from its pause point.
    pub fn resume(self) -> Running {
        fs::remove_file(&self.marker).expect("the pause marker exists");
        self.run
    }

    pub fn pid(&mut self) -> u32 {
        self.run.pid()
    }

    /// Sends `signal` (by name) to the paused run; returns its end. (The
    /// marker directory lives until then: its removal would resume the run.)
    #[cfg(unix)]
    pub fn signal_and_finish(mut self, signal: &str) -> Output {
        self.run.signal(signal);
        self.run.finish()
    }

    /// SIGKILLs the paused run (TerminateProcess on Windows).
    pub fn kill(self) -> Output {
        self.run.kill()
    }
}

/// A started run; SIGKILLed if the test ends (or fails) before it does.
pub struct Running {
    child: Option<Child>,
    secrets: Vec<String>,
    /// The directory of the run's pause or lock-wait marker, kept while it runs.
    _markers: Option<tempfile::TempDir>,
}

impl Running {
    pub fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the run is still owned")
    }

    pub fn pid(&mut self) -> u32 {
        self.child().id()
    }

    pub fn is_running(&mut self) -> bool {
        self.child().try_wait().unwrap().is_none()
    }

    /// Waits (bounded) until `marker` exists; fails if the run ends first.
    pub fn reach(&mut self, marker: &Path, what: &str) {
        self.wait_until(what, |_| marker.exists());
    }

    /// Waits (bounded) until `ready(pid)` holds; fails if the run ends first.
    pub fn wait_until(&mut self, what: &str, ready: impl Fn(u32) -> bool) {
        let deadline = Instant::now() + BOUND;
        let pid = self.pid();
        while !ready(pid) {
            if !self.is_running() {
                let out = self.child.take().unwrap().wait_with_output().unwrap();
                panic!(
                    "the run ended ({}) before {what}:\n{}",
                    out.status,
                    all_output(&out)
                );
            }
            assert!(Instant::now() < deadline, "no {what} within {BOUND:?}");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Sends a signal by name (`kill -s`).
    #[cfg(unix)]
    pub fn signal(&mut self, name: &str) {
        let pid = self.pid().to_string();
        let status = std::process::Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name} {pid}");
    }

    /// SIGKILL (TerminateProcess on Windows), and the run's end.
    pub fn kill(mut self) -> Output {
        self.child().kill().unwrap();
        let out = self.finish();
        #[cfg(unix)]
        assert_eq!(out.status.signal(), Some(9), "the run died of SIGKILL");
        #[cfg(not(unix))]
        assert!(!out.status.success(), "the killed run reported success");
        out
    }

    /// The run's end, within [`BOUND`] (else it is killed and the test
    /// fails); no panic, and none of the secrets ([`Run::never_showing`])
    /// in its output.
    pub fn finish(mut self) -> Output {
        let deadline = Instant::now() + BOUND;
        while self.is_running() {
            if Instant::now() > deadline {
                let mut child = self.child.take().unwrap();
                child.kill().unwrap();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "the run did not end within {BOUND:?} and was killed; output:\n{}",
                    all_output(&out)
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let out = self.child.take().unwrap().wait_with_output().unwrap();
        for secret in &self.secrets {
            assert_no_password(&out, secret);
        }
        assert!(!stderr(&out).contains("panicked"), "{}", all_output(&out));
        out
    }

    pub fn exit(self, code: i32) -> Output {
        let out = self.finish();
        assert_exit(&out, code);
        out
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ------------------------------------------------------------- outputs

/// stdout of a `--json` run: one line holding one JSON object.
pub fn json(out: &Output) -> serde_json::Value {
    let text = stdout(out);
    assert_eq!(text.lines().count(), 1, "one line of JSON:\n{text}");
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{text}"));
    assert!(v.is_object(), "not a JSON object: {text}");
    v
}

/// The names of every file in the scratch directory, relative to it, with
/// `/` between folders on every OS, sorted.
pub fn names(s: &Scratch) -> Vec<String> {
    s.snapshot()
        .into_keys()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect()
}

/// The lines of a dry run's diff that start with `-` or `+` (but the
/// `---`/`+++` header).
pub fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect()
}
