//! Randomized stress test of PRODUCT §5 item 7, "the password is never lost",
//! and of §12, "one file, several servers; one key pair, several files"
//! (the acceptance of issues 8 and 19). Two configuration files, `a.conf`
//! and `b.conf`, share one key directory; each has two server sections,
//! `[confserv]` and `[confserv_backup]`, in variants drawn from the seed (the
//! two files always differ in both ways): both reading `[dbserver]`, or each
//! its own database section (`[dbserver]`, `[dbserver_backup]`); and the
//! backup reading `dec.pem` beside the file, or the same file named by its
//! absolute path in its own `decryption-key`. A fixed seed (a splitmix64
//! generator written here; `CONFPASS_STRESS_SEED` overrides it to explore)
//! and a fixed number of steps keep the work bounded and every failure
//! reproducible. Each step runs one to three real `confpass` processes at
//! once: `-p`, `-p --password-stdin`, `-p --password-stdin --keep-previous`
//! (sometimes again with the password last given, as automation reruns a
//! command), `--forget-previous` and `--rotate-keys` on either server
//! section (`-s`) of either file, and `--prune-keys -c a.conf -c b.conf`;
//! some are SIGKILLed at a random pause point, and sometimes an
//! administrator renames a new plain file over a configuration while a run
//! holds the lock paused at `temp-written`. After every step an exact model
//! (ARCHITECTURE.md "Transactions": runs take turns under the directory
//! lock; one commit point, the rename, between the pause points before
//! `renamed` and `renamed` itself; what each mode does from each state)
//! replays the step's runs in every order, keeping those that agree with how
//! each run ended (a refusal, exit 3, changes nothing), and says what each
//! database section may hold: its password, the previous password a
//! rotation keeps, plain or encrypted. For every server section of every
//! file, the start-up call (`database_password`) must return the password
//! the model allows, and `database_password_candidates` that one first,
//! then the previous one. No file holds a plain password but a
//! configuration holding it plain (or a killed run's temporary of that
//! file), every private key file is 0600 (on Unix), every key file holds the
//! key its name says, `enc.pem` is `dec.pem`'s public half unless a
//! promotion is pending, and every key that any value of either file names
//! keeps a name the start-up lookup finds: no prune ever removes one. At the
//! end, `--prune-keys` on both files keeps exactly the staged and retired
//! keys they name. Failures print every step so far (labels, never
//! passwords); `CONFPASS_STRESS_SEED=<seed>` replays a printed seed.
//!
//! Beside it, deterministic cases: a backup section reading a copy of the
//! key in another directory makes `--rotate-keys` refuse, from either
//! section, changing nothing; and two sequences the random test found.

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
use confpass::{DecryptionKey, EncryptedValue, EncryptionKey, ExposeSecret, Which};

/// The default seed; `CONFPASS_STRESS_SEED=<u64>` runs another one.
const SEED: u64 = 0x00c0_f9a5_5e0d_2026;
/// Steps per run of the test.
const STEPS: usize = 80;
/// The two configuration files, in one directory with the key pair.
const CONFIGS: [&str; 2] = ["a.conf", "b.conf"];
/// The server sections of every configuration file.
const SECTIONS: [&str; 2] = ["confserv", "confserv_backup"];
/// The database sections: `[dbserver]`, and `[dbserver_backup]` in a file
/// whose backup server section reads its own.
const DBS: [&str; 2] = ["dbserver", "dbserver_backup"];
/// Mode of the configuration files (kept by every rewrite, PRODUCT §5.1).
const CONFIG_MODE: u32 = 0o640;
/// Pause points reached only after the commit (the rename of the
/// configuration file): a run killed there has committed its value.
const AFTER_COMMIT: [&str; 3] = ["renamed", "rotate-promoted-dec", "rotate-promoted-enc"];
/// The pause points of `--prune-keys`.
const PRUNE_STEPS: [&str; 2] = ["locked", "pruned-one"];
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
}

/// How the two server sections of a configuration file read their passwords.
#[derive(Clone, Copy, Debug)]
struct Variant {
    /// `[confserv_backup]` reads `[dbserver_backup]`; else `[dbserver]`, as
    /// `[confserv]` does.
    separate: bool,
    /// `[confserv_backup]` says `decryption-key = <absolute path of the
    /// dec.pem beside the file>`: the same key file, spelt another way.
    absolute_key: bool,
}

impl Variant {
    /// The database section (an index into [`DBS`]) that the server section
    /// `section` (an index into [`SECTIONS`]) reads.
    fn db_of(self, section: usize) -> usize {
        if self.separate { section } else { 0 }
    }

    /// How many database sections the file has.
    fn dbs(self) -> usize {
        if self.separate { 2 } else { 1 }
    }

    fn describe(self) -> String {
        format!(
            "{}; {}",
            if self.separate {
                "[confserv] reads [dbserver], [confserv_backup] reads [dbserver_backup]"
            } else {
                "both server sections read [dbserver]"
            },
            if self.absolute_key {
                "[confserv_backup] names dec.pem by its absolute path in `decryption-key`"
            } else {
                "both read dec.pem beside the file"
            }
        )
    }
}

/// A configuration file with `[confserv]` and `[confserv_backup]`: each
/// server section reads its own database section when `separate`, else both
/// read `[dbserver]`; `backup_key`, if any, is the backup's
/// `decryption-key`; `passwords` are those of the database sections (one,
/// or two when `separate`), all plain, each beside `host`.
fn config_text(separate: bool, backup_key: Option<&str>, passwords: &[&str], host: &str) -> String {
    assert_eq!(passwords.len(), if separate { 2 } else { 1 });
    let backup_db = DBS[usize::from(separate)];
    let backup_key = backup_key.map_or(String::new(), |k| format!("decryption-key = {k}\n"));
    let mut text = format!(
        "; Two Configuration Servers on one host (stress test)\n\
         [confserv]\nport = 2020\nmanagement-port = 2021\nserver = dbserver\n\
         encryption = false\nencoding = utf-8\n\n\
         [confserv_backup]\nport = 2030\nmanagement-port = 2031\nserver = {backup_db}\n\
         encryption = false\n{backup_key}encoding = utf-8\n\n\
         [log]\nverbose = standard\nall = stderr\n"
    );
    for (d, password) in passwords.iter().enumerate() {
        text.push_str(&format!(
            "\n[{}]\nhost = {host}\nport = 5432\ndbengine = postgre\ndbname = config\n\
             username = genesys\npassword = {password}\n",
            DBS[d]
        ));
    }
    text
}

/// What a database section holds, in the model.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Db {
    /// The password (an index into [`Passwords`]).
    current: usize,
    /// The previous password a rotation keeps (`previous-password`).
    previous: Option<usize>,
    /// Whether `password` holds it plain.
    plain: bool,
}

/// A configuration file in the model: its database sections, in [`DBS`]
/// order.
type FileState = Vec<Db>;

/// A file's state as messages print it: labels, never passwords.
fn show(state: &FileState, pw: &Passwords) -> String {
    state
        .iter()
        .enumerate()
        .map(|(d, db)| {
            format!(
                "[{}] {} <{}>{}",
                DBS[d],
                if db.plain { "plain" } else { "encrypted" },
                pw.label(db.current),
                db.previous
                    .map_or(String::new(), |p| format!(" previous <{}>", pw.label(p)))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    /// `-p`: encrypt the plain value, or report "unchanged".
    Encrypt,
    /// `-p --password-stdin` with a fresh password.
    NewPassword(usize),
    /// `-p --password-stdin --keep-previous` with a fresh password.
    KeepPrevious(usize),
    /// `--forget-previous`.
    Forget,
    /// `--rotate-keys --bits 2048`.
    Rotate,
    /// `--prune-keys -c a.conf -c b.conf`.
    Prune,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Encrypt => "-p",
            Op::NewPassword(_) => "-p --password-stdin",
            Op::KeepPrevious(_) => "-p --password-stdin --keep-previous",
            Op::Forget => "--forget-previous",
            Op::Rotate => "--rotate-keys",
            Op::Prune => "--prune-keys",
        }
    }

    /// Its deck of kill points: `-p`'s, the rotation's, the prune's.
    fn deck(self) -> usize {
        match self {
            Op::Rotate => 1,
            Op::Prune => 2,
            _ => 0,
        }
    }
}

/// What a run does to the database section it works on, by the model.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Effect {
    /// Refused before anything is written (exit 3).
    Refused,
    /// Nothing to write (exit 0).
    Unchanged,
    /// A new file written (by a rotation: or an interrupted one finished).
    Wrote,
}

/// What `op` may do to `db` (ARCHITECTURE.md "Transactions", the tables of
/// `-p`, `-p --keep-previous` and `--forget-previous`, `--rotate-keys`):
/// each possible effect with what `db` holds after it.
fn effects(op: Op, db: &Db) -> Vec<(Effect, Db)> {
    let mut after = db.clone();
    let holds = |p: usize| !db.plain && db.current == p;
    let effect = match op {
        Op::Encrypt if db.plain => {
            after.plain = false;
            Effect::Wrote
        }
        Op::Encrypt => Effect::Unchanged,
        // The same password again (a rerun): nothing to do where the value
        // names dec.pem's key, else it is encrypted for dec.pem's key anew.
        Op::NewPassword(p) if holds(p) => {
            return vec![(Effect::Unchanged, after.clone()), (Effect::Wrote, after)];
        }
        Op::NewPassword(p) => {
            // An encrypted previous password stays as it is.
            after.current = p;
            after.plain = false;
            Effect::Wrote
        }
        // A rerun of the rotation in progress: nothing ("value holds the
        // new password, private key at hand").
        Op::KeepPrevious(p) if holds(p) && db.previous.is_some() => Effect::Unchanged,
        // The value holds the password already, and no previous one is
        // kept: nothing (-p's "new password equal to the stored one"), or
        // the value kept as the previous one beside the same password
        // encrypted anew.
        Op::KeepPrevious(p) if holds(p) => {
            after.previous = Some(p);
            return vec![(Effect::Unchanged, db.clone()), (Effect::Wrote, after)];
        }
        // Another rotation is in progress.
        Op::KeepPrevious(_) if db.previous.is_some() => Effect::Refused,
        Op::KeepPrevious(p) => {
            after.previous = Some(db.current);
            after.current = p;
            after.plain = false;
            Effect::Wrote
        }
        // Nothing is being rotated beside a plain password.
        Op::Forget if db.plain => Effect::Refused,
        Op::Forget if after.previous.take().is_some() => Effect::Wrote,
        Op::Forget => Effect::Unchanged,
        // No key to rotate; else new keys, the same passwords.
        Op::Rotate if db.plain => Effect::Refused,
        Op::Rotate => Effect::Wrote,
        Op::Prune => unreachable!("--prune-keys changes no password"),
    };
    vec![(effect, after)]
}

#[derive(Debug)]
enum Outcome {
    Exited(i32),
    Killed(&'static str),
}

/// One spawned run of the binary.
struct Run {
    number: usize,
    /// The configuration file and the server section (indexes into
    /// [`CONFIGS`] and [`SECTIONS`]); `None` for `--prune-keys` on both files.
    target: Option<(usize, usize)>,
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
        let password = match self.op {
            Op::NewPassword(p) | Op::KeepPrevious(p) => format!(" <{}>", pw.label(p)),
            _ => String::new(),
        };
        let files = match self.target {
            Some((c, section)) => format!("-c {} -s {}", CONFIGS[c], SECTIONS[section]),
            None => format!("-c {} -c {}", CONFIGS[0], CONFIGS[1]),
        };
        let pause = match self.pause {
            Some((step, true)) => format!(", to be killed at {step}"),
            Some((_, false)) => ", paused for an administrator's move".to_owned(),
            None => String::new(),
        };
        format!(
            "run #{} `{}{password} {files}`{pause} (phase {})",
            self.number,
            self.op.name(),
            self.phase
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
        cmd.args(self.op.name().split(' '));
        match self.target {
            Some((c, section)) => cmd.args(["-c", CONFIGS[c], "-s", SECTIONS[section]]),
            None => cmd.args(["-c", CONFIGS[0], "-c", CONFIGS[1]]),
        };
        if !matches!(self.op, Op::Forget | Op::Prune) {
            cmd.args(["--bits", "2048"]);
        }
        if let Some((step, _)) = self.pause {
            cmd.env(
                "CONFPASS_TEST_PAUSE_AT",
                format!("{step}:{}", self.marker.display()),
            );
        }
        let password = match self.op {
            Op::NewPassword(p) | Op::KeepPrevious(p) => Some(p),
            _ => None,
        };
        cmd.stdin(if password.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("spawn confpass");
        if let Some(p) = password {
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

    /// Whether the run's end agrees with `effect`, the model's word on what
    /// it does where it stands in an order of the step's runs; and if so,
    /// whether its change is in the file. A normal end (0, or 7 = committed
    /// but a later step failed) is any effect but a refusal, and committed;
    /// exit 3 a refusal; exit 6 nothing committed. A kill at `locked`
    /// agrees with anything and commits nothing; a kill at any later point
    /// means the run got past its checks to write: before the commit it
    /// leaves nothing, at or after it its change.
    fn agrees(&self, effect: Effect) -> Option<bool> {
        match self.outcome {
            Some(Outcome::Exited(0 | 7)) => (effect != Effect::Refused).then_some(true),
            Some(Outcome::Exited(3)) => (effect == Effect::Refused).then_some(false),
            Some(Outcome::Exited(_)) => Some(false),
            Some(Outcome::Killed("locked")) => Some(false),
            Some(Outcome::Killed(step)) => {
                (effect == Effect::Wrote).then_some(AFTER_COMMIT.contains(&step))
            }
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

/// The states configuration `x` may be in after a step that started from
/// `start`: the runs take turns (one directory lock), so each phase's runs
/// on `x` ran in some order; every order, and every effect the model allows
/// each run there, that agrees with the runs' ends ([`Run::agrees`]) gives
/// one. Phase 0 (the run a move happened under) comes first, then the
/// administrator's move (`moved`, if it was `x`'s), then phase 1. Empty: no
/// order explains the ends.
fn possible(
    start: &FileState,
    variant: Variant,
    runs: &[Run],
    x: usize,
    moved: Option<&FileState>,
) -> BTreeSet<FileState> {
    let mut states = BTreeSet::from([start.clone()]);
    for phase in 0..2 {
        let these: Vec<&Run> = runs
            .iter()
            .filter(|r| r.phase == phase && r.target.is_some_and(|(c, _)| c == x))
            .collect();
        let mut next = BTreeSet::new();
        for state in &states {
            interleave(state, &these, variant, &mut next);
        }
        states = next;
        if phase == 0
            && let Some(m) = moved
            && !states.is_empty()
        {
            states = BTreeSet::from([m.clone()]);
        }
    }
    states
}

/// Adds to `out` every state that `left`, run one after another in any
/// order from `state`, may leave.
fn interleave(state: &FileState, left: &[&Run], variant: Variant, out: &mut BTreeSet<FileState>) {
    if left.is_empty() {
        out.insert(state.clone());
        return;
    }
    for (i, run) in left.iter().enumerate() {
        let mut rest = left.to_vec();
        rest.remove(i);
        let d = variant.db_of(run.target.unwrap().1);
        for (effect, after) in effects(run.op, &state[d]) {
            if let Some(applied) = run.agrees(effect) {
                let mut next = state.clone();
                if applied {
                    next[d] = after;
                }
                interleave(&next, &rest, variant, out);
            }
        }
    }
}

/// The value of `option` in `[section]` of a configuration file's text
/// (names without regard to case), trimmed.
fn section_value(text: &str, section: &str, option: &str) -> Option<String> {
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            inside = name.trim().eq_ignore_ascii_case(section);
        } else if inside
            && let Some((name, value)) = line.split_once('=')
            && name.trim().eq_ignore_ascii_case(option)
        {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// The key ids that the `ENC[…]` values of a configuration file name: every
/// `password` and `previous-password` of every section.
fn named_kids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once('=')?;
            let name = name.trim();
            let value = value.trim();
            ((name.eq_ignore_ascii_case("password")
                || name.eq_ignore_ascii_case("previous-password"))
                && value.starts_with("ENC["))
            .then(|| {
                EncryptedValue::parse(value)
                    .expect("a well-formed value")
                    .key_id()
                    .to_string()
            })
        })
        .collect()
}

/// What configuration `x` holds, read as servers read it: for every server
/// section, the start-up call and the candidates call (which must agree:
/// the current password first, then the previous one), and whether its
/// database section's value is plain. Fails the test on a section that
/// does not start, or a password the test never made.
fn observe(s: &Scratch, x: usize, variant: Variant, pw: &Passwords, story: &str) -> FileState {
    let name = CONFIGS[x];
    let text = s.read_str(name);
    let index = |password: &str, what: &str| {
        pw.find(password).unwrap_or_else(|| {
            panic!("{story}\n{what} of {name} is a password the test never used")
        })
    };
    let mut state: Vec<Option<Db>> = vec![None; variant.dbs()];
    for (i, section) in SECTIONS.iter().enumerate() {
        let got = confpass::database_password(s.path(name), section).unwrap_or_else(|e| {
            panic!("{story}\nthe start-up call on {name} [{section}] fails: {e}")
        });
        let current = index(
            got.expose_secret(),
            &format!("the start-up call's password for [{section}]"),
        );
        let candidates = confpass::database_password_candidates(s.path(name), section)
            .unwrap_or_else(|e| {
                panic!("{story}\nthe candidates call on {name} [{section}] fails: {e}")
            });
        assert!(
            (1..=2).contains(&candidates.len())
                && candidates[0].which == Which::Current
                && candidates[0].password.expose_secret() == got.expose_secret(),
            "{story}\nthe candidates of {name} [{section}] do not start with the current \
             password, <{}>: {:?}",
            pw.label(current),
            candidates.iter().map(|c| c.which).collect::<Vec<_>>()
        );
        let previous = candidates.get(1).map(|c| {
            assert_eq!(
                c.which,
                Which::Previous,
                "{story}\nthe second candidate of {name} [{section}]"
            );
            index(
                c.password.expose_secret(),
                &format!("the previous password of [{section}]"),
            )
        });
        let d = variant.db_of(i);
        let value = section_value(&text, DBS[d], "password")
            .unwrap_or_else(|| panic!("{story}\n{name} has no password in [{}]", DBS[d]));
        let db = Db {
            current,
            previous,
            plain: !value.starts_with("ENC["),
        };
        if let Some(other) = &state[d] {
            assert!(
                *other == db,
                "{story}\n[confserv] and [confserv_backup] of {name} read [{}] differently: {} \
                 and {}",
                DBS[d],
                show(&vec![other.clone()], pw),
                show(&vec![db], pw)
            );
        }
        state[d] = Some(db);
    }
    state.into_iter().map(|db| db.unwrap()).collect()
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

/// The plain passwords a configuration holds: those of its plain database
/// sections.
fn plain_passwords(state: &FileState) -> Vec<usize> {
    state
        .iter()
        .filter(|db| db.plain)
        .map(|db| db.current)
        .collect()
}

/// The invariants that hold after every step, whatever the runs did: the
/// files in the directory, their modes, their key contents, where plain
/// passwords may appear, and the keys the values name. `plain` holds, per
/// configuration, the passwords it holds plain.
fn check_directory(s: &Scratch, pw: &Passwords, plain: &[Vec<usize>; 2], when: &str) {
    let files = s.snapshot();
    for (path, (bytes, mode)) in &files {
        let name = path.to_string_lossy().into_owned();
        // Known names only: the configurations, the pair, staged and retired
        // keys, and temporaries (`.<name>.confpass-XXXXXX.tmp`) a killed run
        // left.
        let config = CONFIGS.iter().position(|c| *c == name);
        let temp = name.starts_with('.') && name.contains(".confpass-") && name.ends_with(".tmp");
        let known = config.is_some()
            || name == "dec.pem"
            || name == "enc.pem"
            || parked_key(&name).is_some()
            || temp;
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
        // No plain password anywhere, but those a configuration holds plain,
        // in it or in a killed run's temporary of it (the next run on that
        // file removes it before it writes).
        let holder = config.or_else(|| {
            let of = name.strip_prefix('.')?.split(".confpass-").next()?;
            temp.then(|| CONFIGS.iter().position(|c| *c == of))?
        });
        for i in 0..pw.0.len() {
            let p = pw.get(i).as_bytes();
            if bytes.windows(p.len()).any(|w| w == p) {
                let allowed = holder.is_some_and(|c| plain[c].contains(&i));
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
    // Every key a value of either file names keeps a name the start-up
    // lookup finds (every server section reads dec.pem of this directory,
    // by one path or another): no prune removed it, no rotation lost it.
    for name in CONFIGS {
        for kid in named_kids(&s.read_str(name)) {
            assert!(
                kid == dec
                    || s.exists(&format!("dec.staged-{kid}.pem"))
                    || s.exists(&format!("dec.retired-{kid}.pem")),
                "{when}: {name} names key {kid}, but no private key file of it is left"
            );
        }
    }
}

/// Plans one step: its runs, and whether the first one is the run an
/// administrator's move happens under. `states` is what each file holds
/// now: the run a move happens under must write (reach `temp-written`).
/// `given` holds the password last given on stdin for each (file,
/// database section): a run may give it again, as automation reruns a
/// command after a kill.
fn plan(
    rng: &mut Rng,
    decks: &mut [Deck; 3],
    pw: &mut Passwords,
    (states, variants): (&[FileState; 2], &[Variant; 2]),
    given: &mut BTreeMap<(usize, usize), usize>,
    next_run: &mut usize,
    markers: &Path,
) -> (Vec<Run>, bool) {
    let count = 1 + rng.below(3);
    let with_move = rng.chance(25);
    let move_config = rng.below(2);
    let mut runs = Vec::new();
    for i in 0..count {
        let mover = with_move && i == 0;
        let config = if mover { move_config } else { rng.below(2) };
        let section = rng.below(2);
        let d = variants[config].db_of(section);
        let op = if mover {
            let db = &states[config][d];
            let mut writes = vec![0];
            if db.previous.is_none() {
                writes.push(1);
            } else if !db.plain {
                writes.push(2);
            }
            if db.plain {
                writes.push(3);
            }
            match writes[rng.below(writes.len())] {
                0 => Op::NewPassword(stdin_password(rng, pw, given, (config, d), "P", false)),
                1 => Op::KeepPrevious(stdin_password(rng, pw, given, (config, d), "K", false)),
                2 => Op::Forget,
                _ => Op::Encrypt,
            }
        } else {
            match rng.below(100) {
                0..=11 => Op::Encrypt,
                12..=33 => Op::NewPassword(stdin_password(rng, pw, given, (config, d), "P", true)),
                34..=51 => Op::KeepPrevious(stdin_password(rng, pw, given, (config, d), "K", true)),
                52..=65 => Op::Forget,
                66..=89 => Op::Rotate,
                _ => Op::Prune,
            }
        };
        let pause = if mover {
            Some(("temp-written", false))
        } else if rng.chance(match op {
            Op::Rotate => 60,
            Op::Prune => 40,
            _ => 35,
        }) {
            Some((decks[op.deck()].draw(rng), true))
        } else {
            None
        };
        *next_run += 1;
        runs.push(Run {
            number: *next_run,
            target: (op != Op::Prune).then_some((config, section)),
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

/// The password for a `--password-stdin` run on `key` (file, database
/// section): with `rerun`, sometimes the one last given there again; else
/// a fresh one, labelled `prefix<n>`, which becomes the last given.
fn stdin_password(
    rng: &mut Rng,
    pw: &mut Passwords,
    given: &mut BTreeMap<(usize, usize), usize>,
    key: (usize, usize),
    prefix: &str,
    rerun: bool,
) -> usize {
    if let Some(&p) = given.get(&key)
        && rerun
        && rng.chance(30)
    {
        return p;
    }
    let len = 12 + rng.below(20);
    let text = rng.text(len, STDIN_CHARS);
    let p = pw.add(prefix, text);
    given.insert(key, p);
    p
}

#[derive(Default)]
struct Stats {
    runs: usize,
    ops: BTreeMap<&'static str, usize>,
    on_backup: usize,
    kills: usize,
    kills_after_commit: usize,
    kill_points: BTreeSet<&'static str>,
    moves: usize,
    lock_waits: usize,
    exits: BTreeMap<i32, usize>,
    /// Steps after which some database section kept a previous password.
    previous_kept: usize,
    /// Runs given a password on stdin that an earlier run was given.
    reruns: usize,
}

/// The seed: [`SEED`], or `CONFPASS_STRESS_SEED` to explore another one.
fn seed() -> u64 {
    std::env::var("CONFPASS_STRESS_SEED")
        .ok()
        .map(|v| v.parse::<u64>().expect("CONFPASS_STRESS_SEED is a u64"))
        .unwrap_or(SEED)
}

/// The stress with every kill point of the writing modes; the fixed seed
/// reaches each one that its runs pass, `rotate-promoted-dec` included.
#[test]
fn random_interleavings_with_kills_and_moves_never_lose_a_password() {
    let seed = seed();
    let stats = stress(seed);
    if seed == SEED {
        assert!(stats.kill_points.contains("rotate-promoted-dec"));
    }
}

/// PRODUCT §12: a backup server section that reads its private key from a
/// copy in another directory (`decryption-key = copy/dec.pem`) would not
/// find the key a rotation makes beside the original, nor the other way
/// round: `--rotate-keys` from either section is refused (exit 3, naming
/// the section left behind), whether both sections read one database
/// section or each its own, and nothing changes.
#[test]
fn fail_rotate_keys_when_the_backup_reads_a_copy_of_the_key_elsewhere() {
    for separate in [false, true] {
        let s = Scratch::new();
        s.install_keys("test");
        fs::create_dir(s.path("copy")).unwrap();
        s.install_key("test-dec.pem", "copy/dec.pem");
        s.install_key("test-enc.pem", "copy/enc.pem");
        let passwords = ["Primary-db-pass1", "Backup-db-pass22"];
        let passwords = &passwords[..if separate { 2 } else { 1 }];
        let text = config_text(separate, Some("copy/dec.pem"), passwords, "db1.example.com");
        s.write("a.conf", text.as_bytes());
        for section in SECTIONS {
            common::Run::new(&s, &["-p", "-c", "a.conf", "-s", section]).exit(0);
        }
        let before = s.snapshot();
        for (i, section) in SECTIONS.iter().enumerate() {
            let args = [
                "--rotate-keys",
                "-c",
                "a.conf",
                "-s",
                section,
                "--bits",
                "2048",
            ];
            let out = common::Run::new(&s, &args).never_showing(passwords).exit(3);
            let other = SECTIONS[1 - i];
            assert!(
                stderr(&out).contains(&format!("[{other}]")),
                "separate={separate}: the refusal of a rotation from [{section}] names \
                 [{other}]:\n{}",
                all_output(&out)
            );
            assert!(
                s.snapshot() == before,
                "separate={separate}: the refused rotation from [{section}] changed a file"
            );
        }
        for (i, section) in SECTIONS.iter().enumerate() {
            let got = confpass::database_password(s.path("a.conf"), section).unwrap();
            assert!(
                got.expose_secret() == passwords[if separate { i } else { 0 }],
                "separate={separate}: [{section}] starts with its password"
            );
        }
    }
}

/// Two files sharing the key pair, `a.conf` and `b.conf`, one server section
/// each, their passwords encrypted with the test key.
fn two_encrypted_files() -> Scratch {
    let s = Scratch::new();
    s.install_keys("test");
    for (name, password) in [("a.conf", "Alpha-pass-0001"), ("b.conf", "Bravo-pass-0002")] {
        let text = config_text(false, None, &[password], "db1.example.com");
        s.write(name, text.as_bytes());
        common::Run::new(&s, &["-p", "-c", name]).exit(0);
    }
    s
}

/// Found by the random test (seed 11, steps 4 to 6): a rotation killed
/// between promoting `dec.pem` and `enc.pem` leaves `enc.staged-<id>.pem`
/// waiting, `<id>` being `dec.pem`'s key; once no value names that key (an
/// administrator put a plain file back), `--prune-keys` must not take the
/// public half of the pair away: `enc.pem` would stay another key than
/// `dec.pem`'s with nothing left to promote, and every `-p` on a file of
/// the pair would fail (exit 4, "not one pair").
#[test]
fn prune_keys_leaves_the_pair_whole_while_a_promotion_is_pending() {
    let s = two_encrypted_files();
    common::Run::new(&s, &["--rotate-keys", "-c", "a.conf", "--bits", "2048"])
        .paused_at("rotate-promoted-dec")
        .kill();
    let plain = config_text(false, None, &["Alpha-pass-0003"], "db1.example.com");
    s.write("a.conf", plain.as_bytes());
    common::Run::new(&s, &["--prune-keys", "-c", "a.conf", "-c", "b.conf"]).exit(0);
    let dec = DecryptionKey::load(&s.path("dec.pem"))
        .unwrap()
        .id()
        .to_string();
    let enc = EncryptionKey::load(&s.path("enc.pem"))
        .unwrap()
        .id()
        .to_string();
    assert!(
        enc == dec || s.exists(&format!("enc.staged-{dec}.pem")),
        "after --prune-keys, enc.pem ({enc}) is not dec.pem's ({dec}) public key and no \
         promotion is pending: {:?}",
        names(&s)
    );
    common::Run::new(&s, &["-p", "-c", "a.conf"]).exit(0);
}

/// Found by the random test (seeds 2 and 15): `-p --password-stdin
/// --keep-previous` run again with the same password is a rerun and
/// changes nothing (ARCHITECTURE.md, "`-p --keep-previous`": "value holds
/// the new password, private key at hand: nothing"), also when the value
/// names a key that is no longer `dec.pem`'s but is at hand under its
/// retired or staged name: after another file's rotation of the shared
/// pair, or after this file's rotation killed between its commit and the
/// promotion.
#[test]
fn keep_previous_rerun_changes_nothing_after_the_pair_moved_on() {
    const NEW: &str = "New-pass;#0004";
    let mut failures = Vec::new();
    for killed in [false, true] {
        let s = two_encrypted_files();
        let keep = ["-p", "--password-stdin", "--keep-previous", "-c", "a.conf"];
        common::Run::new(&s, &keep).password(NEW).exit(0);
        let moved_on = if killed {
            common::Run::new(&s, &["--rotate-keys", "-c", "a.conf", "--bits", "2048"])
                .paused_at("renamed")
                .kill();
            "after a.conf's rotation was killed between its commit and the promotion"
        } else {
            common::Run::new(&s, &["--rotate-keys", "-c", "b.conf", "--bits", "2048"]).exit(0);
            "after b.conf rotated the shared pair"
        };
        let before = s.snapshot();
        let out = common::Run::new(&s, &keep)
            .password(NEW)
            .never_showing(&[NEW])
            .spawn()
            .finish();
        if out.status.code() != Some(0) || s.snapshot() != before {
            failures.push(format!(
                "{moved_on}, the rerun exited {:?} and {} the files:\n{}",
                out.status.code(),
                if s.snapshot() == before {
                    "left"
                } else {
                    "changed"
                },
                all_output(&out)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
        Deck::new(&PRUNE_STEPS),
    ];
    let mut pw = Passwords::default();
    let mut stats = Stats::default();

    let s = Scratch::new();
    s.install_keys("test");
    let markers = tempfile::tempdir().unwrap();
    // The backup's `decryption-key` in the absolute-key variant: dec.pem
    // beside the files, by its absolute path.
    let absolute_key = s.dir.path().join("dec.pem").display().to_string();
    // The variants: the two files differ in both ways, so every seed has
    // one database section read by both servers and one each, and one
    // backup naming dec.pem by its absolute path.
    let first = Variant {
        separate: rng.chance(50),
        absolute_key: rng.chance(50),
    };
    let variants = [
        first,
        Variant {
            separate: !first.separate,
            absolute_key: !first.absolute_key,
        },
    ];
    let write_config = |name: &str, variant: Variant, passwords: &[&str], host: &str| {
        let key = variant.absolute_key.then_some(absolute_key.as_str());
        let text = config_text(variant.separate, key, passwords, host);
        let new = s.path(&format!(".admin-{name}.new"));
        fs::write(&new, text).unwrap();
        #[cfg(unix)] // Unix-only: file modes.
        set_mode(&new, CONFIG_MODE);
        fs::rename(&new, s.path(name)).unwrap();
    };
    // The model: what each configuration holds, and its host.
    let mut states: [FileState; 2] = [Vec::new(), Vec::new()];
    let mut host = [String::new(), String::new()];
    for (x, name) in CONFIGS.iter().enumerate() {
        println!("seed {seed}: {name}: {}", variants[x].describe());
        for _ in 0..variants[x].dbs() {
            let len = 16 + rng.below(8);
            let text = rng.text(len, PLAIN_CHARS);
            let current = pw.add(&name[..1], text);
            states[x].push(Db {
                current,
                previous: None,
                plain: true,
            });
        }
        host[x] = "db1.example.com".to_owned();
        let passwords: Vec<&str> = states[x].iter().map(|db| pw.get(db.current)).collect();
        write_config(name, variants[x], &passwords, &host[x]);
    }
    let mut plain = [plain_passwords(&states[0]), plain_passwords(&states[1])];
    check_directory(&s, &pw, &plain, "at the start");

    let mut given = BTreeMap::new();
    let mut stdin_given = BTreeSet::new();
    let mut next_run = 0;
    for step in 1..=STEPS {
        let (mut runs, with_move) = plan(
            &mut rng,
            &mut decks,
            &mut pw,
            (&states, &variants),
            &mut given,
            &mut next_run,
            markers.path(),
        );
        let move_passwords: Vec<String> = (0..2)
            .map(|_| {
                let len = 16 + rng.below(8);
                rng.text(len, PLAIN_CHARS)
            })
            .collect();
        let move_host = format!("db-{:08x}.example.com", rng.next() as u32);
        // The file moved and what it holds after the move.
        let mut moved: Option<(usize, FileState)> = None;

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
                let x = runs[0].target.unwrap().0;
                // Runs on the same file, and prunes (which read it), wait
                // for its lock (ARCHITECTURE "Locks").
                drive(
                    &mut runs,
                    "runs on the moved file to wait for its lock",
                    |r| {
                        r[1..]
                            .iter()
                            .filter(|run| run.target.is_none_or(|(c, _)| c == x))
                            .all(|run| run.done() || run.lock_wait.exists())
                    },
                );
                // The administrator: a new plain file, renamed into place.
                let state: FileState = move_passwords[..variants[x].dbs()]
                    .iter()
                    .map(|p| Db {
                        current: pw.add("Q", p.clone()),
                        previous: None,
                        plain: true,
                    })
                    .collect();
                let passwords: Vec<&str> = state.iter().map(|db| pw.get(db.current)).collect();
                write_config(CONFIGS[x], variants[x], &passwords, &move_host);
                moved = Some((x, state));
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
            match &moved {
                Some((x, state)) => format!(
                    "; administrator moved {} over {}",
                    show(state, &pw),
                    CONFIGS[*x]
                ),
                None => String::new(),
            }
        );

        // Captured by the test harness: shown with a failure, to replay it.
        println!("{story}");

        // Exit codes: 0, 3 (refused, nothing written), 6 (nothing
        // committed), 7 (committed), or our kill; --prune-keys: 0 or our kill.
        for run in &runs {
            if let Op::NewPassword(p) | Op::KeepPrevious(p) = run.op
                && !stdin_given.insert(p)
            {
                stats.reruns += 1;
            }
            stats.runs += 1;
            *stats.ops.entry(run.op.name()).or_default() += 1;
            stats.on_backup += usize::from(run.target.is_some_and(|(_, section)| section == 1));
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
                    let allowed: &[i32] = if run.op == Op::Prune {
                        &[0]
                    } else {
                        &[0, 3, 6, 7]
                    };
                    assert!(
                        allowed.contains(&code),
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

        // The model: what each file may hold now, against what every server
        // section of it reads.
        let mut kept_previous = false;
        for (x, name) in CONFIGS.iter().enumerate() {
            let moved_here = moved.as_ref().filter(|(mx, _)| *mx == x).map(|(_, st)| st);
            let may = possible(&states[x], variants[x], &runs, x, moved_here);
            let got = observe(&s, x, variants[x], &pw, &story);
            assert!(
                may.contains(&got),
                "{story}\n{name} holds {}; the model allows {}\n(outputs of the runs:\n{})",
                show(&got, &pw),
                if may.is_empty() {
                    "nothing: no order of the runs on it explains their ends".to_owned()
                } else {
                    may.iter()
                        .map(|st| show(st, &pw))
                        .collect::<Vec<_>>()
                        .join(" | ")
                },
                runs.iter()
                    .map(|r| format!(
                        "{}: {:?} {}",
                        r.describe(&pw),
                        r.outcome,
                        r.output.as_ref().map(all_output).unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let expected_host = match moved_here {
                Some(_) => move_host.clone(),
                None => host[x].clone(),
            };
            let text = s.read_str(name);
            for db in &DBS[..variants[x].dbs()] {
                assert_eq!(
                    section_value(&text, db, "host").as_deref(),
                    Some(expected_host.as_str()),
                    "{story}\nthe host option of [{db}] in {name} (an administrator's edit is kept)"
                );
            }
            kept_previous |= got.iter().any(|db| db.previous.is_some());
            plain[x] = plain_passwords(&got);
            states[x] = got;
            host[x] = expected_host;
        }
        stats.previous_kept += usize::from(kept_previous);
        check_directory(&s, &pw, &plain, &story);
        for run in &runs {
            let _ = fs::remove_file(&run.marker);
            let _ = fs::remove_file(&run.lock_wait);
        }
    }

    // Settle: every database section encrypted (`-p` from each server
    // section), then one fresh rotation of a.conf (a pending one is
    // completed first), so that b.conf names only keys that are no longer
    // dec.pem's.
    for (x, name) in CONFIGS.iter().enumerate() {
        for section in SECTIONS {
            let out = s
                .confpass()
                .args(["-p", "-c", name, "-s", section, "--bits", "2048"])
                .output()
                .unwrap();
            assert_exit(&out, 0);
        }
        for db in &mut states[x] {
            db.plain = false;
        }
        plain[x] = Vec::new();
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
    let named: Vec<BTreeSet<String>> = CONFIGS.iter().map(|c| named_kids(&s.read_str(c))).collect();
    let dec_kid = DecryptionKey::load(&s.path("dec.pem"))
        .unwrap()
        .id()
        .to_string();
    let a_value = section_value(&s.read_str("a.conf"), "dbserver", "password").unwrap();
    assert_eq!(
        named_kid(&a_value).as_deref(),
        Some(dec_kid.as_str()),
        "a.conf names the new dec.pem"
    );
    assert!(
        !named[1].contains(&dec_kid) && !named[1].is_empty(),
        "b.conf names older keys only: {:?}, dec.pem is {dec_kid}",
        named[1]
    );
    let all_named: BTreeSet<&String> = named.iter().flatten().collect();
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
        .filter(|(name, _)| all_named.contains(&parked_key(name).unwrap().1))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    for kid in &named[1] {
        assert!(
            keep.contains_key(&format!("dec.retired-{kid}.pem"))
                || keep.contains_key(&format!("dec.staged-{kid}.pem")),
            "b.conf's key {kid} is kept beside the pair: {:?}",
            before.keys()
        );
    }

    let out = s
        .confpass()
        .args(["--prune-keys", "-c", "a.conf", "-c", "b.conf"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    for kid in &named[1] {
        assert!(
            stdout(&out).contains(kid.as_str()),
            "--prune-keys lists the key it keeps for b.conf ({kid}):\n{}",
            all_output(&out)
        );
    }
    assert_eq!(
        parked(&s),
        keep,
        "--prune-keys keeps exactly the staged and retired keys a.conf or b.conf names"
    );
    for (x, name) in CONFIGS.iter().enumerate() {
        let got = observe(&s, x, variants[x], &pw, "after --prune-keys");
        assert!(
            got == states[x],
            "after --prune-keys, {name} holds {}, not {}",
            show(&got, &pw),
            show(&states[x], &pw)
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
        "stress: seed {seed}, {STEPS} steps, {} operations ({:?}; {} on [confserv_backup]), \
         {} kills ({} after the commit; at {:?}), {} administrator moves, {} lock waits, \
         exit codes {:?}, {} steps ending with a previous password kept, {} reruns with \
         the same password",
        stats.runs,
        stats.ops,
        stats.on_backup,
        stats.kills,
        stats.kills_after_commit,
        stats.kill_points,
        stats.moves,
        stats.lock_waits,
        stats.exits,
        stats.previous_kept,
        stats.reruns
    );
    // The seed exercises what the test is about (a changed seed must too).
    assert!(
        stats.kills_after_commit > 0,
        "no run was killed after its commit"
    );
    assert!(stats.moves > 0, "no administrator's move happened");
    assert!(stats.lock_waits > 0, "no run waited for a lock");
    assert_eq!(stats.ops.len(), 6, "every operation ran: {:?}", stats.ops);
    assert!(stats.on_backup > 0, "no run on [confserv_backup]");
    assert!(stats.exits.contains_key(&3), "no run was refused");
    assert!(
        stats.previous_kept > 0,
        "no previous password was ever kept"
    );
    stats
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
