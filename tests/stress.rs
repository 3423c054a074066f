//! Randomized stress test of PRODUCT §5 item 7, "the password is never lost"
//! (issue 8, acceptance: interleavings of `-p`, `-p --password-stdin`,
//! `--rotate-keys`, kills and a file moved into place, on two configuration
//! files that share one key pair). A fixed seed (a splitmix64 generator written
//! here; `CONFPASS_STRESS_SEED` overrides it to explore) and a fixed number of
//! steps keep the work bounded and every failure reproducible. Each step runs
//! one to three real `confpass` processes at once on `a.conf` or `b.conf`, some
//! SIGKILLed at a random pause point, and sometimes an administrator renames a
//! new plain file over a configuration while a run holds the lock paused at
//! `temp-written`. After every step an exact model (ARCHITECTURE.md
//! "Transactions": one commit point, the rename, between the pause points
//! before `renamed` and `renamed` itself) says which passwords each
//! configuration may hold, and the start-up call must return one of them; no
//! file holds a plain password but a plain configuration, every private key
//! file is 0600 (on Unix), every key file holds the key its name says. At the end,
//! `--prune-keys` on both files keeps every key they name. Failures print
//! every step so far (labels, never passwords); `CONFPASS_STRESS_SEED=<seed>`
//! replays a printed seed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write as _;
#[cfg(unix)]
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, ExposeSecret};

/// The default seed; `CONFPASS_STRESS_SEED=<u64>` runs another one.
const SEED: u64 = 0x00c0_f9a5_5e0d_2026;
/// Steps per run of the test.
const STEPS: usize = 40;
/// The two configuration files; both use `dec.pem`/`enc.pem` beside them.
const CONFIGS: [&str; 2] = ["a.conf", "b.conf"];
/// Mode of the configuration files (kept by every rewrite, PRODUCT §5.1).
const CONFIG_MODE: u32 = 0o640;
/// Pause points reached only after the commit (the rename of the
/// configuration file): a run killed there has committed its value.
const AFTER_COMMIT: [&str; 3] = ["renamed", "rotate-promoted-dec", "rotate-promoted-enc"];
/// Upper bound for any wait on a child process; only a hang reaches it.
const HANG: Duration = Duration::from_secs(180);
/// Characters of passwords written plain into a file by the administrator.
const PLAIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@%_-.";
/// Characters of passwords given on stdin (INI-special ones included).
const STDIN_CHARS: &[u8] =
    b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@%_-.;#=\\\"' ";

/// splitmix64: a tiny deterministic generator, enough for choosing steps.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A random string over `chars` whose first and last characters are
    /// letters (no leading or trailing blank for `--password-stdin` to trim).
    fn text(&mut self, len: usize, chars: &[u8]) -> String {
        (0..len)
            .map(|i| {
                let set = if i == 0 || i + 1 == len {
                    &PLAIN_CHARS[..48]
                } else {
                    chars
                };
                set[self.below(set.len())] as char
            })
            .collect()
    }
}

/// The kill points of one mode, drawn at random without replacement and
/// refilled when empty, so that a run of the test reaches every one of them.
struct Deck {
    steps: Vec<&'static str>,
    left: Vec<&'static str>,
}

impl Deck {
    fn new(steps: &[&'static str]) -> Self {
        let steps = steps.to_vec();
        Deck {
            left: steps.clone(),
            steps,
        }
    }

    fn draw(&mut self, rng: &mut Rng) -> &'static str {
        if self.left.is_empty() {
            self.left = self.steps.clone();
        }
        let i = rng.below(self.left.len());
        self.left.swap_remove(i)
    }
}

/// Every password the test ever used, each with a label that messages print
/// instead of the password.
#[derive(Default)]
struct Passwords(Vec<(String, String)>);

impl Passwords {
    fn add(&mut self, prefix: &str, password: String) -> usize {
        let label = format!("{prefix}{}", self.0.len());
        self.0.push((label, password));
        self.0.len() - 1
    }

    fn get(&self, i: usize) -> &str {
        &self.0[i].1
    }

    fn label(&self, i: usize) -> &str {
        &self.0[i].0
    }

    /// The index of `password`, if the test made it.
    fn find(&self, password: &str) -> Option<usize> {
        self.0.iter().position(|(_, p)| p == password)
    }

    fn labels(&self, set: &BTreeSet<usize>) -> Vec<&str> {
        set.iter().map(|&i| self.label(i)).collect()
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    /// `-p`: encrypt the plain value, or report "unchanged".
    Encrypt,
    /// `-p --password-stdin` with a fresh password.
    NewPassword(usize),
    /// `--rotate-keys --bits 2048`.
    Rotate,
}

#[derive(Debug)]
enum Outcome {
    Exited(i32),
    Killed(&'static str),
}

/// One spawned run of the binary.
struct Run {
    number: usize,
    config: usize,
    op: Op,
    /// The pause point, and whether the test kills the run there (else it
    /// is the run an administrator's move happens under).
    pause: Option<(&'static str, bool)>,
    /// 0 for the run the administrator's move happens under, else 1: runs
    /// of phase 1 read the configuration after the move.
    phase: usize,
    marker: PathBuf,
    lock_wait: PathBuf,
    child: Option<Child>,
    outcome: Option<Outcome>,
    output: Option<Output>,
}

impl Run {
    fn describe(&self, pw: &Passwords) -> String {
        let op = match self.op {
            Op::Encrypt => "-p".to_owned(),
            Op::NewPassword(p) => format!("-p --password-stdin <{}>", pw.label(p)),
            Op::Rotate => "--rotate-keys".to_owned(),
        };
        let pause = match self.pause {
            Some((step, true)) => format!(", to be killed at {step}"),
            Some((_, false)) => ", paused for an administrator's move".to_owned(),
            None => String::new(),
        };
        format!(
            "run #{} `{op} -c {}`{pause} (phase {})",
            self.number, CONFIGS[self.config], self.phase
        )
    }

    fn spawn(&mut self, dir: &Path, pw: &Passwords) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_confpass"));
        cmd.current_dir(dir)
            .env_remove("CONFPASS_DECRYPTION_KEY")
            .env_remove("CONFPASS_TEST_FAIL_AT")
            .env_remove("CONFPASS_TEST_TRACE")
            .env_remove("CONFPASS_TEST_PAUSE_AT")
            .env("CONFPASS_TEST_LOCK_WAIT", &self.lock_wait)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match self.op {
            Op::Encrypt => cmd.arg("-p"),
            Op::NewPassword(_) => cmd.args(["-p", "--password-stdin"]),
            Op::Rotate => cmd.arg("--rotate-keys"),
        };
        cmd.args(["-c", CONFIGS[self.config], "--bits", "2048"]);
        if let Some((step, _)) = self.pause {
            cmd.env(
                "CONFPASS_TEST_PAUSE_AT",
                format!("{step}:{}", self.marker.display()),
            );
        }
        cmd.stdin(match self.op {
            Op::NewPassword(_) => Stdio::piped(),
            _ => Stdio::null(),
        });
        let mut child = cmd.spawn().expect("spawn confpass");
        if let Op::NewPassword(p) = self.op {
            let mut pipe = child.stdin.take().unwrap();
            // A run that already failed closed its end; its exit code says why.
            let _ = pipe.write_all(format!("{}\n", pw.get(p)).as_bytes());
        }
        self.child = Some(child);
    }

    /// Paused at its pause point (the marker exists) and still alive.
    fn paused(&self) -> bool {
        self.child.is_some() && self.marker.exists()
    }

    /// Kills the run if it reached its kill point, collects it if it ended.
    fn poll(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        if let Some((step, true)) = self.pause
            && self.marker.exists()
        {
            child.kill().expect("SIGKILL");
            let status = child.wait().unwrap();
            #[cfg(unix)]
            assert_eq!(status.signal(), Some(9), "run #{} was killed", self.number);
            // Windows: TerminateProcess, with exit code 1.
            #[cfg(not(unix))]
            assert!(!status.success(), "run #{} was killed", self.number);
            self.child = None;
            self.outcome = Some(Outcome::Killed(step));
            return;
        }
        if child.try_wait().unwrap().is_some() {
            let out = self.child.take().unwrap().wait_with_output().unwrap();
            let code = out.status.code().unwrap_or_else(|| {
                panic!(
                    "run #{} ended by a signal it was not sent: {:?}\n{}",
                    self.number,
                    out.status,
                    all_output(&out)
                )
            });
            self.outcome = Some(Outcome::Exited(code));
            self.output = Some(out);
        }
    }

    fn done(&self) -> bool {
        self.outcome.is_some()
    }

    /// Whether the run's value was committed: a normal end (0, or 7 =
    /// committed but a later step failed) or a kill at or after the commit.
    fn committed(&self) -> bool {
        match self.outcome {
            Some(Outcome::Exited(code)) => code == 0 || code == 7,
            Some(Outcome::Killed(step)) => AFTER_COMMIT.contains(&step),
            None => unreachable!("the run is collected"),
        }
    }
}

/// Polls every run until `until` holds; fails the test on a hang.
fn drive(runs: &mut [Run], what: &str, until: impl Fn(&[Run]) -> bool) {
    let deadline = Instant::now() + HANG;
    loop {
        for run in runs.iter_mut() {
            run.poll();
        }
        if until(runs) {
            return;
        }
        assert!(Instant::now() < deadline, "hang while waiting for {what}");
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// A configuration file: the sample with `password` and `host` replaced.
fn config_text(template: &str, password: &str, host: &str) -> String {
    let text = template
        .replace("password = S3cret!pass", &format!("password = {password}"))
        .replace("host = db1.example.com", &format!("host = {host}"));
    assert_ne!(text, template, "the sample has the expected lines");
    text
}

/// The password value of a configuration file, as written.
fn stored_value(s: &Scratch, config: &str) -> String {
    value_of(&s.read_str(config), "password").expect("a password line")
}

/// The key id an encrypted value names, or None for a plain value.
fn named_kid(value: &str) -> Option<String> {
    value.starts_with("ENC[").then(|| {
        EncryptedValue::parse(value)
            .expect("a well-formed value")
            .key_id()
            .to_string()
    })
}

/// A staged or retired key file name: (dec?, kid).
fn parked_key(name: &str) -> Option<(bool, String)> {
    for (prefix, dec) in [
        ("dec.staged-", true),
        ("dec.retired-", true),
        ("enc.staged-", false),
        ("enc.retired-", false),
    ] {
        if let Some(kid) = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".pem"))
        {
            return Some((dec, kid.to_owned()));
        }
    }
    None
}

/// The invariants that hold after every step, whatever the runs did: the
/// files in the directory, their modes, their key contents, and where plain
/// passwords may appear. `plain` holds, per configuration, its plain
/// password when its value is plain.
fn check_directory(s: &Scratch, pw: &Passwords, plain: &[Option<usize>; 2], when: &str) {
    let files = s.snapshot();
    for (path, (bytes, mode)) in &files {
        let name = path.to_string_lossy().into_owned();
        // Known names only: the configurations, the pair, staged and retired
        // keys, and temporaries (`.<name>.XXXXXX.tmp`) a killed run left.
        let config = CONFIGS.iter().position(|c| *c == name);
        let known = config.is_some()
            || name == "dec.pem"
            || name == "enc.pem"
            || parked_key(&name).is_some()
            || (name.starts_with('.') && name.ends_with(".tmp"));
        assert!(known, "{when}: unexpected file {name} in the directory");
        // Unix-only: file modes (these checks are skipped on Windows).
        if cfg!(unix) && config.is_some() {
            assert_eq!(*mode, CONFIG_MODE, "{when}: mode of {name}");
        }
        // dec*.pem and anything else holding a private key: 0600.
        let private = bytes
            .windows(b"PRIVATE KEY-----".len())
            .any(|w| w == b"PRIVATE KEY-----");
        if cfg!(unix) && (private || (name.starts_with("dec") && name.ends_with(".pem"))) {
            assert_eq!(*mode, 0o600, "{when}: mode of {name} (a private key)");
        }
        // A staged or retired file holds the key its name says.
        if let Some((dec, kid)) = parked_key(&name) {
            let id = if dec {
                DecryptionKey::load(&s.path(&name)).map(|k| k.id())
            } else {
                EncryptionKey::load(&s.path(&name)).map(|k| k.id())
            }
            .unwrap_or_else(|e| panic!("{when}: {name} is not a complete key: {e}"));
            assert_eq!(id.to_string(), kid, "{when}: {name} holds another key");
        }
        // No plain password anywhere, but a plain configuration's own.
        for i in 0..pw.0.len() {
            let p = pw.get(i).as_bytes();
            if bytes.windows(p.len()).any(|w| w == p) {
                let allowed = config.is_some_and(|c| plain[c] == Some(i));
                assert!(
                    allowed,
                    "{when}: {name} holds the plain password <{}>",
                    pw.label(i)
                );
            }
        }
    }
    // The pair: dec.pem always exists; enc.pem is its public half, or the
    // old one while a rotation's promotion is half done (dec.pem promoted,
    // enc.staged-<dec.pem's id>.pem still waiting).
    let dec = DecryptionKey::load(&s.path("dec.pem"))
        .unwrap_or_else(|e| panic!("{when}: dec.pem: {e}"))
        .id()
        .to_string();
    let enc = EncryptionKey::load(&s.path("enc.pem"))
        .unwrap_or_else(|e| panic!("{when}: enc.pem: {e}"))
        .id()
        .to_string();
    assert!(
        enc == dec || s.exists(&format!("enc.staged-{dec}.pem")),
        "{when}: enc.pem ({enc}) is not dec.pem's ({dec}) public key and no promotion is pending"
    );
}

/// Plans one step: its runs, and whether the first one is the run an
/// administrator's move happens under.
fn plan(
    rng: &mut Rng,
    decks: &mut [Deck; 2],
    pw: &mut Passwords,
    encrypted: [bool; 2],
    next_run: &mut usize,
    markers: &Path,
) -> (Vec<Run>, bool) {
    let count = 1 + rng.below(3);
    let with_move = rng.chance(25);
    let move_config = rng.below(2);
    let mut runs = Vec::new();
    for i in 0..count {
        let (config, mover) = if with_move && i == 0 {
            (move_config, true)
        } else {
            (rng.below(2), false)
        };
        // A rotation needs an encrypted value, and one that stays encrypted
        // until it reads it: none on a plain file, none on the moved file.
        let may_rotate = encrypted[config] && !(with_move && config == move_config && !mover);
        let op = match rng.below(10) {
            // The moved-under run must write (so reach temp-written).
            0..=2 if !(mover && encrypted[config]) => Op::Encrypt,
            7..=9 if may_rotate => Op::Rotate,
            _ => {
                let len = 12 + rng.below(20);
                let text = rng.text(len, STDIN_CHARS);
                Op::NewPassword(pw.add("P", text))
            }
        };
        let pause = if mover {
            Some(("temp-written", false))
        } else if rng.chance(if op == Op::Rotate { 50 } else { 35 }) {
            let deck = &mut decks[usize::from(op == Op::Rotate)];
            Some((deck.draw(rng), true))
        } else {
            None
        };
        *next_run += 1;
        runs.push(Run {
            number: *next_run,
            config,
            op,
            pause,
            phase: usize::from(!mover),
            marker: markers.join(format!("paused-{next_run}")),
            lock_wait: markers.join(format!("lock-wait-{next_run}")),
            child: None,
            outcome: None,
            output: None,
        });
    }
    (runs, with_move)
}

#[derive(Default)]
struct Stats {
    runs: usize,
    rotations: usize,
    kills: usize,
    kills_after_commit: usize,
    kill_points: BTreeSet<&'static str>,
    moves: usize,
    lock_waits: usize,
    exits: BTreeMap<i32, usize>,
}

/// The seed: [`SEED`], or `CONFPASS_STRESS_SEED` to explore another one.
fn seed() -> u64 {
    std::env::var("CONFPASS_STRESS_SEED")
        .ok()
        .map(|v| v.parse::<u64>().expect("CONFPASS_STRESS_SEED is a u64"))
        .unwrap_or(SEED)
}

/// The stress with every kill point of both modes; the fixed seed reaches
/// each one, `rotate-promoted-dec` included.
#[test]
fn random_interleavings_with_kills_and_moves_never_lose_a_password() {
    let stats = stress(seed());
    assert!(stats.kill_points.contains("rotate-promoted-dec"));
}

/// Runs [`STEPS`] random steps from `seed`, checking the model after each;
/// then settles and prunes. Kill points: every pause step of each mode, and
/// the cleanup of a failed `-p`.
fn stress(seed: u64) -> Stats {
    let mut rng = Rng(seed);
    let encrypt_steps = [&confpass::fault::STEPS[..], &["cleanup-enc-removed"]].concat();
    let mut decks = [
        Deck::new(&encrypt_steps),
        Deck::new(&confpass::fault::ROTATION_STEPS),
    ];
    let mut pw = Passwords::default();
    let mut stats = Stats::default();
    let template = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();

    let s = Scratch::new();
    s.install_keys("test");
    let markers = tempfile::tempdir().unwrap();
    // The model: each configuration's password (an index into `pw`) and host.
    let mut current = [0usize; 2];
    let mut host = [String::new(), String::new()];
    for (c, name) in CONFIGS.iter().enumerate() {
        let len = 16 + rng.below(8);
        let text = rng.text(len, PLAIN_CHARS);
        current[c] = pw.add(&name[..1], text);
        host[c] = "db1.example.com".to_owned();
        s.write(
            name,
            config_text(&template, pw.get(current[c]), &host[c]).as_bytes(),
        );
        #[cfg(unix)] // Unix-only: file modes.
        set_mode(&s.path(name), CONFIG_MODE);
    }
    let mut plain = [Some(current[0]), Some(current[1])];
    check_directory(&s, &pw, &plain, "at the start");

    let mut next_run = 0;
    for step in 1..=STEPS {
        let encrypted = [plain[0].is_none(), plain[1].is_none()];
        let (mut runs, with_move) = plan(
            &mut rng,
            &mut decks,
            &mut pw,
            encrypted,
            &mut next_run,
            markers.path(),
        );
        let move_password = {
            let len = 16 + rng.below(8);
            rng.text(len, PLAIN_CHARS)
        };
        let move_host = format!("db-{:08x}.example.com", rng.next() as u32);
        let mut moved: Option<(usize, usize)> = None; // (config, password)

        if with_move {
            // The run the move happens under goes first and holds the lock,
            // paused at temp-written; the others start and wait for the lock.
            runs[0].spawn(s.dir.path(), &pw);
            drive(&mut runs[..1], "the first run to pause", |r| {
                r[0].paused() || r[0].done()
            });
            for run in &mut runs[1..] {
                run.spawn(s.dir.path(), &pw);
            }
            if runs[0].paused() {
                let x = runs[0].config;
                // Runs on the same file wait for its lock (ARCHITECTURE "Locks").
                drive(
                    &mut runs,
                    "runs on the moved file to wait for its lock",
                    |r| {
                        r[1..]
                            .iter()
                            .filter(|run| run.config == x)
                            .all(|run| run.done() || run.lock_wait.exists())
                    },
                );
                // The administrator: a new plain file, renamed into place.
                let i = pw.add("Q", move_password);
                let new = s.path(&format!(".admin-{}.new", CONFIGS[x]));
                fs::write(&new, config_text(&template, pw.get(i), &move_host)).unwrap();
                #[cfg(unix)] // Unix-only: file modes.
                set_mode(&new, CONFIG_MODE);
                fs::rename(&new, s.path(CONFIGS[x])).unwrap();
                moved = Some((x, i));
                stats.moves += 1;
                fs::remove_file(&runs[0].marker).unwrap(); // resume
            }
        } else {
            for run in &mut runs {
                run.spawn(s.dir.path(), &pw);
            }
        }
        drive(&mut runs, "every run of the step to end", |r| {
            r.iter().all(Run::done)
        });

        let when = format!("seed {seed} step {step}");
        let story: Vec<String> = runs.iter().map(|r| r.describe(&pw)).collect();
        let story = format!(
            "{when}: {}{}",
            story.join("; "),
            match moved {
                Some((x, i)) => format!(
                    "; administrator moved <{}> over {}",
                    pw.label(i),
                    CONFIGS[x]
                ),
                None => String::new(),
            }
        );

        // Captured by the test harness: shown with a failure, to replay it.
        println!("{story}");

        // Exit codes: 0, 6 (nothing committed), 7 (committed), or our kill.
        for run in &runs {
            stats.runs += 1;
            stats.rotations += usize::from(run.op == Op::Rotate);
            stats.lock_waits += usize::from(run.lock_wait.exists());
            match run.outcome {
                Some(Outcome::Killed(step)) => {
                    stats.kills += 1;
                    stats.kill_points.insert(step);
                    stats.kills_after_commit += usize::from(AFTER_COMMIT.contains(&step));
                }
                Some(Outcome::Exited(code)) => {
                    *stats.exits.entry(code).or_default() += 1;
                    let out = run.output.as_ref().unwrap();
                    assert!(
                        [0, 6, 7].contains(&code),
                        "{story}\n{} exited {code}:\n{}",
                        run.describe(&pw),
                        all_output(out)
                    );
                    for i in 0..pw.0.len() {
                        assert!(
                            !all_output(out).contains(pw.get(i)),
                            "{story}\n{} printed the password <{}>",
                            run.describe(&pw),
                            pw.label(i)
                        );
                    }
                }
                None => unreachable!(),
            }
        }
        // The run the file was moved under must notice and commit nothing.
        if moved.is_some() {
            assert!(
                matches!(runs[0].outcome, Some(Outcome::Exited(6))),
                "{story}\nthe configuration was replaced while {} was paused before its \
                 commit: it must stop with exit 6, got {:?}:\n{}",
                runs[0].describe(&pw),
                runs[0].outcome,
                runs[0].output.as_ref().map(all_output).unwrap_or_default()
            );
        }

        // The model, phase by phase: the passwords each file may hold now.
        for (x, name) in CONFIGS.iter().enumerate() {
            let mut may = BTreeSet::from([current[x]]);
            let mut expected_host = host[x].clone();
            for phase in 0..2 {
                let committed: BTreeSet<usize> = runs
                    .iter()
                    .filter(|r| r.phase == phase && r.config == x && r.committed())
                    .filter_map(|r| match r.op {
                        Op::NewPassword(p) => Some(p),
                        _ => None,
                    })
                    .collect();
                if !committed.is_empty() {
                    may = committed;
                }
                if phase == 0
                    && let Some((mx, i)) = moved
                    && mx == x
                {
                    may = BTreeSet::from([i]);
                    expected_host = move_host.clone();
                }
            }
            let got = confpass::database_password(s.path(name), "confserv")
                .unwrap_or_else(|e| panic!("{story}\nthe start-up call on {name} fails: {e}"));
            let got = pw.find(got.expose_secret());
            let got_label = got.map_or("an unknown password", |i| pw.label(i));
            assert!(
                got.is_some_and(|i| may.contains(&i)),
                "{story}\nthe start-up call on {name} returns <{got_label}>, expected one of {:?}",
                pw.labels(&may)
            );
            let got = got.unwrap();
            // A run that ended 0 with a new password: that password, unless
            // another run that may have overwritten it ran beside or after it.
            for run in &runs {
                if let (Op::NewPassword(p), Some(Outcome::Exited(0))) = (run.op, &run.outcome)
                    && run.config == x
                {
                    let overwritten = runs.iter().any(|o| {
                        o.number != run.number
                            && o.config == x
                            && o.phase >= run.phase
                            && matches!(o.op, Op::NewPassword(_))
                            && o.committed()
                    }) || (run.phase == 0
                        && moved.is_some_and(|(mx, _)| mx == x));
                    assert!(
                        overwritten || got == p,
                        "{story}\n{} exited 0 but the start-up call on {name} returns <{got_label}>",
                        run.describe(&pw)
                    );
                }
            }
            assert_eq!(
                value_of(&s.read_str(name), "host").as_deref(),
                Some(expected_host.as_str()),
                "{story}\nthe host option of {name} (an administrator's edit is kept)"
            );
            current[x] = got;
            host[x] = expected_host;
            plain[x] = (!stored_value(&s, name).starts_with("ENC[")).then_some(got);
        }
        check_directory(&s, &pw, &plain, &story);
        for run in &runs {
            let _ = fs::remove_file(&run.marker);
            let _ = fs::remove_file(&run.lock_wait);
        }
    }

    // Settle: both files encrypted, then one fresh rotation of a.conf (a
    // pending one is completed first), so that b.conf names a key that is no
    // longer dec.pem's.
    for (x, name) in CONFIGS.iter().enumerate() {
        let out = s
            .confpass()
            .args(["-p", "-c", name, "--bits", "2048"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        plain[x] = None;
    }
    let mut rotated = false;
    for _ in 0..3 {
        let out = s
            .confpass()
            .args(["--rotate-keys", "-c", "a.conf", "--bits", "2048", "--json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        if stdout(&out).contains("\"action\":\"rotated\"") {
            rotated = true;
            break;
        }
    }
    assert!(rotated, "a fresh rotation of a.conf within three runs");
    check_directory(&s, &pw, &plain, "after the final rotation");
    let named: Vec<String> = CONFIGS
        .iter()
        .map(|c| named_kid(&stored_value(&s, c)).expect("encrypted"))
        .collect();
    let dec_kid = DecryptionKey::load(&s.path("dec.pem"))
        .unwrap()
        .id()
        .to_string();
    assert_eq!(named[0], dec_kid, "a.conf names the new dec.pem");
    assert_ne!(named[1], dec_kid, "b.conf names an older key");
    let parked = |s: &Scratch| -> BTreeMap<String, (Vec<u8>, u32)> {
        s.snapshot()
            .into_iter()
            .map(|(p, v)| (p.to_string_lossy().into_owned(), v))
            .filter(|(name, _)| parked_key(name).is_some())
            .collect()
    };
    let before = parked(&s);
    let keep: BTreeMap<_, _> = before
        .iter()
        .filter(|(name, _)| named.contains(&parked_key(name).unwrap().1))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    assert!(
        keep.contains_key(&format!("dec.retired-{}.pem", named[1]))
            || keep.contains_key(&format!("dec.staged-{}.pem", named[1])),
        "b.conf's key {} is kept beside the pair: {:?}",
        named[1],
        before.keys()
    );

    let out = s
        .confpass()
        .args(["--prune-keys", "-c", "a.conf", "-c", "b.conf"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&named[1]),
        "--prune-keys lists the key it keeps for b.conf ({}):\n{}",
        named[1],
        all_output(&out)
    );
    assert_eq!(
        parked(&s),
        keep,
        "--prune-keys keeps exactly the staged and retired keys a.conf or b.conf names"
    );
    for (x, name) in CONFIGS.iter().enumerate() {
        let got = confpass::database_password(s.path(name), "confserv")
            .unwrap_or_else(|e| panic!("after --prune-keys, the start-up call on {name}: {e}"));
        assert!(
            got.expose_secret() == pw.get(current[x]),
            "after --prune-keys, {name} returns another password than <{}>",
            pw.label(current[x])
        );
    }
    check_directory(&s, &pw, &plain, "after --prune-keys");
    // Temporaries of killed runs are removed by later runs (issue 8, item 7).
    let leftovers: Vec<PathBuf> = s
        .snapshot()
        .into_keys()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    println!(
        "stress: seed {seed}, {STEPS} steps, {} operations ({} rotations), {} kills \
         ({} after the commit; at {:?}), {} administrator moves, {} lock waits, exit codes {:?}",
        stats.runs,
        stats.rotations,
        stats.kills,
        stats.kills_after_commit,
        stats.kill_points,
        stats.moves,
        stats.lock_waits,
        stats.exits
    );
    // The seed exercises what the test is about (a changed seed must too).
    assert!(
        stats.kills_after_commit > 0,
        "no run was killed after its commit"
    );
    assert!(stats.moves > 0, "no administrator's move happened");
    assert!(stats.lock_waits > 0, "no run waited for a lock");
    stats
}
