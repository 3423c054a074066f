//! A throw-away PostgreSQL server on loopback for the end-to-end tests
//! (`tests/postgres.rs`, `tests/ansible_ha.rs`): initdb in a temporary
//! directory, scram-sha-256 password authentication, the superuser on a
//! private socket; and the `confserv_startup` example that connects to it.
//!
//! PostgreSQL's `initdb`, `pg_ctl` and `postgres` are looked for in
//! `$CONFPASS_PG_BIN`, else the newest `/usr/lib/postgresql/<ver>/bin`
//! (Debian), else on PATH. Without them the tests are skipped, except under
//! `CI=true`, where they fail (.ci/run installs Debian's `postgresql`).
//!
//! initdb refuses to run as root: when the tests run as root, the server's
//! files belong to uid/gid 65534 and initdb/pg_ctl run under
//! `setpriv --reuid=65534 --regid=65534 --clear-groups`.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

use super::is_executable;
use crate::common::all_output;

/// The unprivileged uid/gid the server runs as when the tests run as root.
const NOBODY: u32 = 65534;
const INSTALL_HINT: &str = "apt-get install postgresql";

/// The shipped sample configuration with its `[dbserver]` pointed at the
/// test server on `port`: database `database`, role `role`, and `password`
/// as the plain value.
pub fn sample_pointed_at(port: u16, database: &str, role: &str, password: &str) -> String {
    let sample = fs::read_to_string(crate::common::testdata("sample/confserv.conf")).unwrap();
    let mut section = String::new();
    let mut replaced = 0;
    let mut config = String::new();
    for line in sample.lines() {
        if let Some(name) = line.strip_prefix('[') {
            section = name.trim_end_matches(']').to_owned();
        }
        let name = line.split_once('=').map(|(n, _)| n.trim());
        let value = match (section.as_str(), name) {
            ("dbserver", Some("host")) => "127.0.0.1".to_owned(),
            ("dbserver", Some("port")) => port.to_string(),
            ("dbserver", Some("dbname")) => database.to_owned(),
            ("dbserver", Some("username")) => role.to_owned(),
            ("dbserver", Some("password")) => password.to_owned(),
            _ => {
                config += line;
                config += "\n";
                continue;
            }
        };
        replaced += 1;
        config += &format!("{} = {value}\n", name.unwrap_or_default());
    }
    assert_eq!(replaced, 5, "the sample's [dbserver] changed:\n{config}");
    config
}

/// Runs a command with a bound on its duration.
pub fn run(cmd: &mut Command) -> Output {
    cmd.env_remove("CONFPASS_DECRYPTION_KEY")
        .timeout(Duration::from_secs(120))
        .output()
        .expect("run (or time out)")
}

/// A directory holding `initdb`, `pg_ctl` and `postgres`, or `None` after
/// saying why the test is skipped. Under `CI=true` a missing PostgreSQL is a
/// failure: the test must run in CI.
pub fn pg_bin_or_skip() -> Option<PathBuf> {
    let found = find_pg_bin();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PostgreSQL (initdb, pg_ctl, postgres) not found, and CI=true: .ci/run must \
             install it ({INSTALL_HINT}) or set CONFPASS_PG_BIN"
        );
        eprintln!("skipped: PostgreSQL not installed ({INSTALL_HINT})");
    }
    found
}

pub fn find_pg_bin() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|tool| is_executable(&dir.join(tool)))
    };
    if let Some(dir) = std::env::var_os("CONFPASS_PG_BIN").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            complete(&dir),
            "CONFPASS_PG_BIN={} does not hold initdb, pg_ctl and postgres",
            dir.display()
        );
        return Some(dir);
    }
    // Debian: /usr/lib/postgresql/<major>/bin, the newest major first.
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    debian.sort();
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    debian
        .into_iter()
        .rev()
        .map(|(_, dir)| dir)
        .chain(on_path)
        .find(|dir| complete(dir))
}

/// A running throw-away server. Dropping it stops the server (immediate
/// shutdown), also when the test panics, and then removes its files.
pub struct Server {
    bin: PathBuf,
    data: PathBuf,
    pub socket_dir: PathBuf,
    log: PathBuf,
    pub port: u16,
    as_root: bool,
    /// Whether `pg_ctl start` has been run (and so `stop` is due).
    started: bool,
    /// Last field: removed after `drop` has stopped the server.
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(bin: &Path) -> Server {
        let dir = tempfile::Builder::new()
            .prefix("confpass-pg-")
            .tempdir()
            .expect("temp dir");
        let as_root = fs::metadata(dir.path()).unwrap().uid() == 0;
        // The unprivileged server user must be able to traverse the temp dir.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o711)).unwrap();
        let home = dir.path().join("pg");
        let socket_dir = home.join("socket");
        fs::create_dir(&home).unwrap();
        fs::create_dir(&socket_dir).unwrap();
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700)).unwrap();
        if as_root {
            for d in [&home, &socket_dir] {
                std::os::unix::fs::chown(d, Some(NOBODY), Some(NOBODY)).unwrap();
            }
        }
        let mut server = Server {
            bin: bin.to_path_buf(),
            data: home.join("data"),
            log: home.join("server.log"),
            socket_dir,
            port: 0,
            as_root,
            started: false,
            _dir: dir,
        };

        let out = server.pg("initdb", Duration::from_secs(120), |c| {
            c.arg("-D")
                .arg(&server.data)
                .args(["-U", "postgres", "-A", "trust", "-E", "UTF8"])
                .args(["--locale=C", "--no-sync"]);
        });
        assert!(out.status.success(), "initdb failed:\n{}", all_output(&out));

        // Loopback only, password authentication with SCRAM; the superuser
        // gets in through the private socket directory for the set-up.
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(server.data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(
            &mut conf,
            format!(
                "\n# confpass tests/postgres.rs\n\
                 listen_addresses = '127.0.0.1'\n\
                 unix_socket_directories = '{}'\n\
                 password_encryption = 'scram-sha-256'\n\
                 fsync = off\n\
                 max_connections = 10\n\
                 shared_buffers = '16MB'\n",
                server.socket_dir.display()
            )
            .as_bytes(),
        )
        .unwrap();
        fs::write(
            server.data.join("pg_hba.conf"),
            "# confpass tests/postgres.rs\n\
             local all postgres trust\n\
             host all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();

        // A free port: bind one, let it go, start on it; again if another
        // process took it in between.
        for attempt in 1..=3 {
            server.port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let out = server.pg("pg_ctl", Duration::from_secs(90), |c| {
                c.arg("-D")
                    .arg(&server.data)
                    .arg("-l")
                    .arg(&server.log)
                    .args(["-o", &format!("-p {}", server.port)])
                    .args(["-w", "-t", "60", "start"]);
            });
            server.started = true;
            if out.status.success() {
                return server;
            }
            let log = fs::read_to_string(&server.log).unwrap_or_default();
            if attempt == 3 || !log.contains("could not bind") {
                panic!(
                    "pg_ctl start failed:\n{}\nserver log:\n{log}",
                    all_output(&out)
                );
            }
        }
        unreachable!()
    }

    /// Runs one of PostgreSQL's programs, as the unprivileged user when the
    /// tests run as root, with a bound on its duration.
    fn pg(&self, tool: &str, limit: Duration, args: impl FnOnce(&mut Command)) -> Output {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_root {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={NOBODY}"))
                .arg(format!("--regid={NOBODY}"))
                .arg("--clear-groups")
                .arg(program);
            c
        } else {
            Command::new(program)
        };
        args(&mut cmd);
        // A working directory the server user can enter; no stray PG* settings.
        cmd.current_dir(self.data.parent().unwrap())
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env_remove("PGHOST")
            .timeout(limit)
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e} (is setpriv installed?)"))
    }

    /// The role `role` with `password`, and its database `database`,
    /// created by the superuser over the socket.
    pub fn create_role_and_database(&self, role: &str, password: &str, database: &str) {
        let mut client = self.superuser();
        let literal = format!("'{}'", password.replace('\'', "''"));
        client
            .batch_execute(&format!("CREATE ROLE {role} LOGIN PASSWORD {literal}"))
            .expect("CREATE ROLE");
        client
            .batch_execute(&format!("CREATE DATABASE {database} OWNER {role}"))
            .expect("CREATE DATABASE");
        // The password is stored as a SCRAM verifier, so authentication is SCRAM.
        let stored: String = client
            .query_one(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                &[&role],
            )
            .unwrap()
            .get(0);
        assert!(
            stored.starts_with("SCRAM-SHA-256$"),
            "the role's password is not a SCRAM verifier"
        );
        client.close().unwrap();
    }

    /// A superuser connection over the private socket directory.
    pub fn superuser(&self) -> ::postgres::Client {
        ::postgres::Config::new()
            .host_path(&self.socket_dir)
            .port(self.port)
            .user("postgres")
            .dbname("postgres")
            .connect_timeout(Duration::from_secs(30))
            .connect(::postgres::NoTls)
            .expect("superuser connection over the socket")
    }

    /// The superuser's libpq connection string (socket, no password), as
    /// `psql` takes it.
    pub fn superuser_conninfo(&self) -> String {
        format!(
            "host={} port={} user=postgres dbname=postgres",
            self.socket_dir.display(),
            self.port
        )
    }

    /// The server's log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `psql` beside the server's programs, else the one on PATH.
    pub fn psql(&self) -> PathBuf {
        let beside = self.bin.join("psql");
        if is_executable(&beside) {
            beside
        } else {
            PathBuf::from("psql")
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.started {
            return;
        }
        let out = self.pg("pg_ctl", Duration::from_secs(60), |c| {
            c.arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "-t", "30", "stop"]);
        });
        if !out.status.success() {
            eprintln!("pg_ctl stop failed:\n{}", all_output(&out));
        }
        if std::thread::panicking() {
            eprintln!(
                "server log ({}):\n{}",
                self.log.display(),
                fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

/// `target/<profile>/examples/confserv_startup`, built (or brought up to
/// date) with the same cargo. `cargo test` builds examples, but `cargo test
/// --test postgres` does not, and a binary left from an earlier build may be
/// stale; when it is already fresh this costs a moment.
pub fn example_binary() -> PathBuf {
    // option_env!: capi/tests/c_example.rs includes this file too, from a
    // package without the binary; it never calls this function.
    let Some(confpass) = option_env!("CARGO_BIN_EXE_confpass") else {
        panic!("example_binary: only the root package's tests build the example");
    };
    let confpass = Path::new(confpass);
    let profile_dir = confpass.parent().unwrap();
    let example = profile_dir.join("examples").join("confserv_startup");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "--locked",
        "--example",
        "confserv_startup",
    ]);
    // The target directory this test was built in (`<target>/<profile>`).
    if let Some(target) = profile_dir.parent().filter(|_| {
        matches!(
            profile_dir.file_name().and_then(|n| n.to_str()),
            Some("debug" | "release")
        )
    }) {
        cmd.arg("--target-dir").arg(target);
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
    }
    let out = cmd
        .timeout(Duration::from_secs(600))
        .output()
        .expect("cargo build --example confserv_startup");
    assert!(
        out.status.success(),
        "cargo build --example confserv_startup failed:\n{}",
        all_output(&out)
    );
    assert!(
        is_executable(&example),
        "{} was not built",
        example.display()
    );
    example
}
