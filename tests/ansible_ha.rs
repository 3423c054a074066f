//! The HA rotation playbook (`examples/ansible/rotate-db-password-ha.yml`)
//! run for real: a throw-away PostgreSQL on loopback, a real
//! `ansible-playbook` against two inventory hosts (local connection, each
//! with its own directory and key pair: `primary` and `backup`), and the
//! `confserv_startup` example as each host's start-up.
//!
//! The play is stopped after each of its steps in turn (by running only the
//! steps up to there, with tags), then run to the end: after every stop both
//! hosts' start-up connects, a rerun converges, and at the end a rerun
//! changes nothing. A `--check` run changes nothing. The password appears in
//! no output, in no command line (confpass, psql and the start-up check run
//! through wrappers that log their argv) and in no file but encrypted.
//!
//! Needs PostgreSQL and `ansible-playbook` (see `tests/support/`): skipped
//! with a message without them, except under `CI=true`, where it fails.
//!
//! Unix-only: Ansible's control node and the throw-away server are.
#![cfg(unix)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use common::*;
use support::ansible::{ansible_playbook_or_skip, hermetic, write_private, yaml_quote};
use support::postgres::{Server, example_binary, pg_bin_or_skip, sample_pointed_at};

const PLAYBOOK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/ansible/rotate-db-password-ha.yml"
);
const ROLE: &str = "genesys";
const DATABASE: &str = "config";
/// The role's first password, and the ones each rotation moves it to: SQL,
/// YAML, INI and shell would each trip on some of these characters.
const PASSWORDS: [&str; 4] = [
    r#"0ld p'w; #1="x" \"#,
    r#"r1 'q" #;{{ y }} \"#,
    r#"r2 $(id) `x` %s ''"#,
    r#"r3 é\n; --"#,
];
const HOSTS: [&str; 2] = ["primary", "backup"];

/// The two hosts' directories, the inventory, the wrappers, and the server.
struct Ha {
    scratch: Scratch,
    server: Server,
    ansible: PathBuf,
    example: PathBuf,
}

impl Ha {
    fn new(ansible: PathBuf, pg_bin: &Path) -> Ha {
        let started = Instant::now();
        let server = Server::start(pg_bin);
        server.create_role_and_database(ROLE, PASSWORDS[0], DATABASE);
        eprintln!("PostgreSQL up in {:.1?}", started.elapsed());
        let scratch = Scratch::new();
        for (host, keys) in HOSTS.iter().zip(["test", "other"]) {
            fs::create_dir(scratch.path(host)).unwrap();
            let config = sample_pointed_at(server.port, DATABASE, ROLE, PASSWORDS[0]);
            scratch.write(&format!("{host}/confserv.conf"), config.as_bytes());
            scratch.install_key(&format!("{keys}-enc.pem"), &format!("{host}/enc.pem"));
            scratch.install_key(&format!("{keys}-dec.pem"), &format!("{host}/dec.pem"));
            let out = scratch
                .confpass()
                .args(["-p", "-c"])
                .arg(scratch.path(&format!("{host}/confserv.conf")))
                .output()
                .unwrap();
            assert_no_password(&out, PASSWORDS[0]);
            assert_exit(&out, 0);
        }
        let example = example_binary();
        let ha = Ha {
            scratch,
            server,
            ansible,
            example,
        };
        ha.write_wrappers();
        ha.write_inventory();
        ha
    }

    /// confpass, psql and the start-up check behind wrappers that append
    /// their argv to `argv.log`, then run the real program.
    fn write_wrappers(&self) {
        let log = self.scratch.path("argv.log");
        let wrap = |name: &str, real: &Path| {
            let path = self.scratch.path(name);
            fs::write(
                &path,
                format!(
                    "#!/bin/sh\nprintf '%s\\n' \"$0 $*\" >> '{}'\nexec '{}' \"$@\"\n",
                    log.display(),
                    real.display()
                ),
            )
            .unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        };
        wrap("confpass", Path::new(env!("CARGO_BIN_EXE_confpass")));
        wrap("psql", &self.server.psql());
        wrap("confserv_startup", &self.example);
    }

    fn write_inventory(&self) {
        let s = &self.scratch;
        let path = |p: &str| yaml_quote(&s.path(p).display().to_string());
        let mut inventory = String::from("confserv_hosts:\n  hosts:\n");
        for host in HOSTS {
            inventory += &format!(
                "    {host}:\n      ansible_connection: local\n      confserv_conf: {}\n",
                path(&format!("{host}/confserv.conf"))
            );
        }
        inventory += &format!(
            "  vars:\n    confpass_bin: {}\n    psql_bin: {}\n    confserv_startup_bin: {}\n    \
             db_admin_conninfo: {}\n    db_role: {ROLE}\n",
            path("confpass"),
            path("psql"),
            path("confserv_startup"),
            yaml_quote(&self.server.superuser_conninfo()),
        );
        s.write("inventory.yml", inventory.as_bytes());
    }

    /// The play with `password` as new_db_password (in a 0600 vars file, as
    /// a vaulted file would hold it) and `extra` arguments; it must succeed.
    fn play(&self, password: &str, extra: &[&str]) -> Output {
        let out = self.try_play(password, extra);
        assert!(
            out.status.success(),
            "ansible-playbook {extra:?} failed:\n{}",
            all_output(&out)
        );
        out
    }

    /// As [`Ha::play`], whatever its outcome.
    fn try_play(&self, password: &str, extra: &[&str]) -> Output {
        let s = &self.scratch;
        let vars = s.path("vars.yml");
        let _ = fs::remove_file(&vars);
        write_private(
            &vars,
            &format!("new_db_password: !unsafe {}\n", yaml_quote(password)),
        );
        let mut cmd = hermetic(&self.ansible, s.dir.path());
        cmd.arg("-i")
            .arg(s.path("inventory.yml"))
            .arg("-e")
            .arg(format!("@{}", vars.display()))
            .args(extra)
            .arg(PLAYBOOK);
        let start = Instant::now();
        let out = cmd.output().expect("run ansible-playbook");
        eprintln!(
            "ansible-playbook {extra:?}: {:?} in {:.1?}",
            out.status,
            start.elapsed()
        );
        for p in PASSWORDS {
            assert_no_password(&out, p);
        }
        out
    }

    /// What each host's start-up says: `"current"` or `"previous"`, the
    /// password it connected with. Panics when a host cannot connect.
    fn connects(&self) -> [&'static str; 2] {
        HOSTS.map(|host| {
            let out = std::process::Command::new(&self.example)
                .arg("-c")
                .arg(self.scratch.path(&format!("{host}/confserv.conf")))
                .output()
                .unwrap();
            for p in PASSWORDS {
                assert_no_password(&out, p);
            }
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{host}'s start-up cannot connect: {}",
                all_output(&out)
            );
            if stdout.contains("with the current password") {
                "current"
            } else if stdout.contains("with the previous password") {
                "previous"
            } else {
                panic!("{host}: {stdout}")
            }
        })
    }

    /// Each host's (current, previous) passwords by the start-up call.
    fn candidates(&self) -> [(String, Option<String>); 2] {
        use confpass::ExposeSecret;
        HOSTS.map(|host| {
            let list = confpass::database_password_candidates(
                self.scratch.path(&format!("{host}/confserv.conf")),
                "confserv",
            )
            .unwrap();
            let mut it = list
                .into_iter()
                .map(|c| c.password.expose_secret().to_owned());
            (it.next().unwrap(), it.next())
        })
    }

    /// The hosts' files (configurations and keys).
    fn host_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        self.scratch
            .snapshot()
            .into_iter()
            .filter(|(p, _)| HOSTS.iter().any(|h| p.starts_with(h)))
            .map(|(p, (bytes, _))| (p, bytes))
            .collect()
    }

    /// No password in any argv the wrappers saw, in any file of the scratch
    /// directory but the vars file (the vault's stand-in), or in the
    /// server's log; and every configuration holds encrypted values only.
    fn assert_never_exposed(&self) {
        let argv = self.scratch.read_str("argv.log");
        for seen in [
            "--keep-previous",
            "--forget-previous",
            "/psql ",
            "/confserv_startup ",
        ] {
            assert!(argv.contains(seen), "the wrappers ran ({seen}):\n{argv}");
        }
        for (path, (bytes, _)) in self.scratch.snapshot() {
            if path == Path::new("vars.yml") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for p in PASSWORDS {
                assert!(!text.contains(p), "a password is in {}", path.display());
            }
        }
        let log = self.server.log();
        for p in PASSWORDS {
            assert!(!log.contains(p), "a password is in the server's log");
        }
        for host in HOSTS {
            let conf = self.scratch.read_str(&format!("{host}/confserv.conf"));
            for option in ["password", "previous-password"] {
                if let Some(v) = value_of(&conf, option) {
                    assert!(v.starts_with("ENC["), "{host}: {option} is not encrypted");
                }
            }
        }
    }
}

/// The `changed=N` count of every host in the play recap, summed.
fn changed(out: &Output) -> u32 {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|w| w.strip_prefix("changed="))
        })
        .map(|n| n.parse::<u32>().unwrap())
        .sum()
}

/// The tags that run the play's steps up to `stop` (all of them for "d").
fn up_to(stop: char) -> String {
    let steps = ["stage", "database", "verify", "forget"];
    let n = (stop as usize) - ('a' as usize) + 1;
    steps[..n].join(",")
}

#[test]
fn rotation_across_primary_and_backup_never_leaves_a_server_unable_to_start() {
    let Some(pg_bin) = pg_bin_or_skip() else {
        return;
    };
    let Some(ansible) = ansible_playbook_or_skip() else {
        return;
    };
    let ha = Ha::new(ansible, &pg_bin);
    assert_eq!(ha.connects(), ["current", "current"], "before any rotation");

    // A --check run of the play changes nothing: no file, not the database.
    let before = ha.host_files();
    ha.play(PASSWORDS[1], &["--check"]);
    assert_eq!(ha.host_files(), before, "check mode changed a file");
    assert_eq!(ha.connects(), ["current", "current"]);

    // Each rotation stops after one step, then runs to the end.
    let mut matrix = Vec::new();
    for (round, stop) in ['a', 'b', 'c'].into_iter().enumerate() {
        let (old, new) = (PASSWORDS[round], PASSWORDS[round + 1]);
        let out = ha.play(new, &["--tags", &up_to(stop)]);
        assert!(changed(&out) > 0, "{}", all_output(&out));
        let after_stop = ha.connects();
        let expected = if stop == 'a' {
            // Staged on both hosts, the database still has the old one.
            ["previous", "previous"]
        } else {
            ["current", "current"]
        };
        assert_eq!(after_stop, expected, "after stopping at ({stop})");
        for (current, previous) in ha.candidates() {
            assert_eq!((current.as_str(), previous.as_deref()), (new, Some(old)));
        }
        matrix.push((stop, after_stop));

        if stop == 'a' {
            // A play that fails at (b) (the database refuses the change)
            // stops there, every server still able to start.
            let out = ha.try_play(new, &["-e", "db_role=no_such_role"]);
            assert!(!out.status.success(), "{}", all_output(&out));
            let text = all_output(&out);
            assert!(
                text.contains("changing the password of role no_such_role failed"),
                "{text}"
            );
            assert_eq!(
                ha.connects(),
                ["previous", "previous"],
                "after a failed (b)"
            );
        }

        // The rerun converges: every step, to the end.
        ha.play(new, &[]);
        assert_eq!(
            ha.connects(),
            ["current", "current"],
            "after the rerun from ({stop})"
        );
        for (current, previous) in ha.candidates() {
            assert_eq!((current.as_str(), previous), (new, None));
        }
        matrix.push(('d', ha.connects()));

        // And once converged, the play changes nothing.
        let files = ha.host_files();
        let out = ha.play(new, &[]);
        assert_eq!(changed(&out), 0, "{}", all_output(&out));
        assert_eq!(ha.host_files(), files, "a converged rerun changed a file");
    }
    eprintln!("step x host (primary, backup): {matrix:?}");
    ha.assert_never_exposed();
}
