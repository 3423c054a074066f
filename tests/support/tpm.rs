//! A real software TPM behind a real PKCS#11 module, for the tests of keys
//! held on a token: [`Tpm::start`] runs a fresh `swtpm` on loopback (TCP
//! ports P and P+1, state in a temporary directory), and points
//! `libtpm2_pkcs11` ([`MODULE`]) at it through [`Tpm::env`] with a sqlite
//! store of its own, holding one token `confpass` (SO PIN 12345678, user PIN
//! [`PIN`], also in [`Tpm::pin_file`]). Keys are made and inspected with
//! OpenSC's `pkcs11-tool`. Each test starts its own, so tests run in
//! parallel; dropping the [`Tpm`] kills `swtpm` and removes its files.
//!
//! The TPM holds only three objects at once, and no resource manager
//! cleans up after a client: one that exits without closing its session and
//! finalizing the module leaves an object and a session loaded
//! ([`Tpm::loaded_handles`]), and from the second such leak on every login
//! fails ([`Tpm::login_works`]). `start` flushes the object that
//! `pkcs11-tool --init-token` itself leaves, so each test starts with none.
//!
//! Needs Debian's `swtpm`, `libtpm2-pkcs11-1`, `libtss2-tcti-swtpm0`,
//! `opensc`, `tpm2-tools` and `openssl`; without them the tests fail (they
//! never skip).
#![allow(dead_code)]

use std::fs::{self, File, Permissions};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The PKCS#11 module of tpm2-pkcs11.
pub const MODULE: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so";
/// The user PIN of the token.
pub const PIN: &str = "1234";
/// The security officer's PIN of the token.
pub const SO_PIN: &str = "12345678";
/// The token's label.
pub const TOKEN: &str = "confpass";
const INSTALL_HINT: &str =
    "apt-get install swtpm libtpm2-pkcs11-1 libtss2-tcti-swtpm0 opensc tpm2-tools openssl";
/// Starts tried when `swtpm` exits at once (its port taken meanwhile).
const ATTEMPTS: usize = 10;
/// How long `swtpm` may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// `pkcs11-tool`'s arguments for a user login on the token.
const LOGIN: [&str; 5] = ["--token-label", TOKEN, "--login", "--pin", PIN];

/// One running `swtpm` with its token; killed, and its files removed, on drop.
pub struct Tpm {
    swtpm: Child,
    /// The data port; the control port is the next one, as the TCTI expects.
    port: u16,
    /// Holds `state/` (the TPM's), `store/` (the module's sqlite store),
    /// `pin` and `swtpm.log`.
    dir: tempfile::TempDir,
    pin_file: PathBuf,
}

/// Serialises the tests that set the module's environment in this process
/// ([`Tpm::set_env`]) and call the library there: environment variables are
/// process-wide. Take it before `set_env`, hold it until the calls are done.
/// A test that panicked while holding it does not poison it for the others.
pub fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tpm {
    /// Starts a fresh `swtpm` on a free pair of loopback ports, waits until it
    /// listens, and makes the token `confpass` with its PINs and the PIN file.
    /// A `swtpm` that exits at once (its port taken by a parallel test since
    /// it was found free) is started again on other ports.
    pub fn start() -> Tpm {
        assert!(Path::new(MODULE).is_file(), "no {MODULE}: {INSTALL_HINT}");
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            match Self::try_start() {
                Ok(tpm) => return tpm,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("swtpm failed {ATTEMPTS} times:\n{}", failures.join("\n"));
    }

    /// One start; `Err` when `swtpm` exited, which is worth another try.
    fn try_start() -> Result<Tpm, String> {
        let dir = tempfile::tempdir().unwrap();
        let (state, pid_file) = (dir.path().join("state"), dir.path().join("swtpm.pid"));
        fs::create_dir(&state).unwrap();
        fs::create_dir(dir.path().join("store")).unwrap();
        let port = free_port_pair();
        let log = File::create(dir.path().join("swtpm.log")).unwrap();
        let swtpm = Command::new("swtpm")
            .args(["socket", "--tpm2", "--flags", "not-need-init,startup-clear"])
            .arg(format!("--server=type=tcp,port={port}"))
            .arg(format!("--ctrl=type=tcp,port={}", port + 1))
            .arg(format!("--tpmstate=dir={}", state.display()))
            .arg(format!("--pid=file={}", pid_file.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run swtpm ({e}): {INSTALL_HINT}"));
        let pin_file = dir.path().join("pin");
        let mut tpm = Tpm {
            swtpm,
            port,
            dir,
            pin_file,
        };
        tpm.wait_ready()?;
        // In a directory of mode 0700 (tempfile's), so 0644 for a moment is fine.
        fs::write(&tpm.pin_file, format!("{PIN}\n")).unwrap();
        fs::set_permissions(&tpm.pin_file, Permissions::from_mode(0o600)).unwrap();
        let init_token = ["--slot-index", "0", "--init-token", "--label", TOKEN];
        let init_pin = [&LOGIN[..3], &["--init-pin", "--pin", PIN]].concat();
        for step in [&init_token[..], &init_pin] {
            let out = tpm.p11(&[step, &["--so-pin", SO_PIN]].concat());
            if !out.status.success() {
                tpm.exited()?;
                panic!("pkcs11-tool {step:?}: {}", describe(&out));
            }
        }
        tpm.checked("tpm2_flushcontext", &["-t", "-l"]); // the leftover of --init-token
        Ok(tpm)
    }

    /// Polls until `swtpm` has written its pid file, which it does only once
    /// it holds both ports (so a listener that took a port first is never
    /// taken for it), and accepts connections on them.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let pid_file = self.dir.path().join("swtpm.pid");
        loop {
            self.exited()?;
            let pid = fs::read_to_string(&pid_file).unwrap_or_default();
            if pid.trim() == self.swtpm.id().to_string()
                && [self.port, self.port + 1]
                    .iter()
                    .all(|&p| TcpStream::connect((Ipv4Addr::LOCALHOST, p)).is_ok())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                panic!("swtpm not ready after {READY_TIMEOUT:?}: {}", self.log());
            }
            sleep(Duration::from_millis(10));
        }
    }

    /// `Err` with its log if `swtpm` has exited.
    fn exited(&mut self) -> Result<(), String> {
        match self.swtpm.try_wait().unwrap() {
            None => Ok(()),
            Some(status) => Err(format!("swtpm {status}: {}", self.log())),
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("swtpm.log")).unwrap_or_default()
    }

    /// The environment the PKCS#11 module needs, for `Command::envs`.
    pub fn env(&self) -> Vec<(String, String)> {
        let tcti = self.tcti();
        let store = self.dir.path().join("store").to_str().unwrap().to_owned();
        vec![
            ("TPM2_PKCS11_TCTI".to_owned(), tcti),
            ("TPM2_PKCS11_STORE".to_owned(), store),
            ("TSS2_LOG".to_owned(), "all+NONE".to_owned()),
        ]
    }

    /// Sets [`Tpm::env`] in this process, for the library called in-process.
    /// Only while holding [`lock`]: the environment is process-wide.
    pub fn set_env(&self) {
        for (name, value) in self.env() {
            // SAFETY: the tests that read or write these variables hold
            // `lock()`, and nothing else in the test process sets variables.
            unsafe { std::env::set_var(name, value) };
        }
    }

    /// How the TSS reaches the TPM, in the module's and tpm2-tools' syntax.
    fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }

    /// The PIN file: [`PIN`] and a newline, mode 0600.
    pub fn pin_file(&self) -> &Path {
        &self.pin_file
    }

    /// A `pkcs11:` URI for the object labelled `object` on the token, with
    /// the module's path and the PIN file.
    pub fn uri(&self, object: &str) -> String {
        let pin = self.pin_file.display();
        format!("pkcs11:token={TOKEN};object={object}?module-path={MODULE}&pin-source=file:{pin}")
    }

    /// Runs `program` with [`Tpm::env`], and the TCTI for tpm2-tools.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .envs(self.env())
            .env("TPM2TOOLS_TCTI", self.tcti())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} ({e}): {INSTALL_HINT}"))
    }

    /// The stdout of [`Tpm::run`], which must succeed.
    fn checked(&self, program: &str, args: &[&str]) -> String {
        let out = self.run(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            describe(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn p11(&self, args: &[&str]) -> Output {
        self.run("pkcs11-tool", &[&["--module", MODULE][..], args].concat())
    }

    /// Runs `pkcs11-tool --module MODULE args…` with [`Tpm::env`]; its stdout.
    /// Panics with both outputs if it fails.
    pub fn pkcs11_tool(&self, args: &[&str]) -> String {
        self.checked("pkcs11-tool", &[&["--module", MODULE][..], args].concat())
    }

    /// Generates an RSA key pair of `bits` on the token, with the id `id_hex`
    /// (hex bytes) and `label`; its public key as SubjectPublicKeyInfo PEM.
    pub fn keypairgen(&self, bits: u32, id_hex: &str, label: &str) -> String {
        let key_type = format!("rsa:{bits}");
        let generate = ["--keypairgen", "--key-type", &key_type];
        let tag = ["--id", id_hex, "--label", label];
        self.pkcs11_tool(&[&LOGIN[..], &generate, &tag].concat());
        let der = self.dir.path().join(format!("{id_hex}.der"));
        let der = der.to_str().unwrap();
        let read = ["--read-object", "--type", "pubkey", "--id", id_hex];
        self.pkcs11_tool(&[&LOGIN[..2], &read, &["-o", der]].concat());
        self.checked("openssl", &["pkey", "-pubin", "-inform", "DER", "-in", der])
    }

    /// The token's objects as `pkcs11-tool --login --list-objects` prints them
    /// (a private key's `Access:` line reads
    /// `sensitive, always sensitive, never extractable, local`).
    pub fn list_objects(&self) -> String {
        self.pkcs11_tool(&[&LOGIN[..], &["--list-objects"]].concat())
    }

    /// Whether a user login still works: leaked objects and sessions have
    /// not filled the TPM (one leak still leaves room: see
    /// [`Tpm::loaded_handles`]).
    pub fn login_works(&self) -> bool {
        let args = [&LOGIN[..], &["--list-objects"]].concat();
        self.p11(&args).status.success()
    }

    /// Fills the TPM's three object slots, as programs that crashed holding
    /// objects would ([`Tpm::flush`] empties them).
    pub fn fill_object_slots(&self) {
        for i in 0..3 {
            let ctx = self.dir.path().join(format!("primary-{i}.ctx"));
            let ctx = ctx.to_str().unwrap();
            self.checked("tpm2_createprimary", &["-C", "o", "-c", ctx]);
        }
    }

    /// Flushes every transient object (`tpm2_flushcontext -t`).
    pub fn flush(&self) {
        self.checked("tpm2_flushcontext", &["-t"]);
    }

    /// The transient objects and sessions loaded in the TPM, as
    /// `tpm2_getcap` prints their handles: none between clients that close
    /// their sessions and finalize the module.
    pub fn loaded_handles(&self) -> Vec<String> {
        let list = |cap| self.checked("tpm2_getcap", &[cap]);
        let text = list("handles-transient") + &list("handles-loaded-session");
        text.lines()
            .filter_map(|line| Some(line.strip_prefix("- ")?.to_owned()))
            .collect()
    }
}

impl Drop for Tpm {
    fn drop(&mut self) {
        // Killed and reaped before the TempDir (a later field drop) goes.
        let _ = self.swtpm.kill();
        let _ = self.swtpm.wait();
    }
}

/// A data port whose next port is free too, found by binding both. Taken
/// below Linux's ephemeral range (32768 and up): the clients of every
/// swtpm, confpass runs included, leave their own ports there in
/// TIME_WAIT, and a port next to one the kernel just handed out often is.
fn free_port_pair() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    let seed = RandomState::new();
    for attempt in 0u32..500 {
        let port = 10_000 + (seed.hash_one(attempt) % 20_000) as u16;
        let free = |p: u16| TcpListener::bind((Ipv4Addr::LOCALHOST, p)).is_ok();
        if free(port) && free(port + 1) {
            return port;
        }
    }
    panic!("no free pair of loopback ports");
}

/// A failed command's status and both outputs.
fn describe(out: &Output) -> String {
    let text = |bytes| String::from_utf8_lossy(bytes).into_owned();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    format!("{}\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status)
}
