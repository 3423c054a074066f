//! A minimal Configuration Server start-up: read `confserv.conf` through the
//! library, take the passwords to try with the start-up call
//! [`confpass::database_password_candidates`] (the current one, then, while a
//! rotation keeps it, the previous one), connect to the configured PostgreSQL
//! database with the first the database accepts, and run `SELECT 1`.
//!
//! ```text
//! cargo run --example confserv_startup -- [-c FILE] [-s SECTION]
//! ```
//!
//! On success it prints
//! `connected to <db> as <user> on <host>:<port> with the current password: SELECT 1 = 1`
//! (or `with the previous password`) and exits 0; on failure it prints one
//! error line on standard error, naming what each password met, and exits 1
//! (2 for a usage error). The password is never printed: it goes from the
//! [`SecretString`](confpass::SecretString) straight to the driver as bytes,
//! never through a connection string.
//!
//! The database section is the one the server section's `server` option
//! names; `host` (default `localhost`), `port` (default 5432), `dbname` and
//! `username` come from it.

use std::process::ExitCode;
use std::time::Duration;

use confpass::confserv::{DEFAULT_CONFIG_FILE, DEFAULT_SERVER_SECTION, Layout};
use confpass::{ConfigFile, ExposeSecret, SecretString};

const USAGE: &str = "usage: confserv_startup [-c FILE] [-s SECTION]";

/// Where the database is and who to connect as (everything but the password).
struct Target {
    host: String,
    port: u16,
    dbname: String,
    user: String,
}

fn main() -> ExitCode {
    let (config, section) = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("confserv_startup: error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match start(&config, &section) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line: a PostgreSQL error may carry DETAIL/HINT lines.
            eprintln!("confserv_startup: error: {}", e.replace('\n', "; "));
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<(String, String), String> {
    let mut config = DEFAULT_CONFIG_FILE.to_owned();
    let mut section = DEFAULT_SERVER_SECTION.to_owned();
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "-c" => &mut config,
            "-s" => &mut section,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unexpected argument `{other}`")),
        };
        *slot = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
    }
    Ok((config, section))
}

/// The start-up: configuration, passwords, connection, `SELECT 1`.
fn start(config: &str, section: &str) -> Result<String, String> {
    let target = target(config, section)?;
    let candidates =
        confpass::database_password_candidates(config, section).map_err(|e| e.to_string())?;
    let where_ = format!(
        "{} as {} on {}:{}",
        target.dbname, target.user, target.host, target.port
    );
    let mut failures = Vec::new();
    for candidate in candidates {
        let which = match candidate.which {
            confpass::Which::Previous => "the previous password",
            _ => "the current password",
        };
        match connect(&target, &where_, candidate.password) {
            Ok(one) => {
                return Ok(format!(
                    "connected to {where_} with {which}: SELECT 1 = {one}"
                ));
            }
            Err(e) => failures.push(format!("with {which}: {e}")),
        }
    }
    Err(format!(
        "cannot connect to {where_} {}",
        failures.join("; ")
    ))
}

/// One connection with `password`, and `SELECT 1`.
fn connect(target: &Target, where_: &str, password: SecretString) -> Result<i32, String> {
    let mut pg = postgres::Config::new();
    pg.host(&target.host)
        .port(target.port)
        .dbname(&target.dbname)
        .user(&target.user)
        .password(password.expose_secret().as_bytes())
        .application_name("confserv_startup")
        .connect_timeout(Duration::from_secs(10));
    let connected = pg.connect(postgres::NoTls);
    // The driver's configuration holds a copy of the password: drop it now.
    drop(pg);
    drop(password);
    let mut client = connected.map_err(|e| chain(&e))?;
    let one: i32 = client
        .query_one("SELECT 1", &[])
        .and_then(|row| row.try_get(0))
        .map_err(|e| format!("SELECT 1 failed on {where_}: {}", chain(&e)))?;
    client
        .close()
        .map_err(|e| format!("closing the connection to {where_}: {}", chain(&e)))?;
    Ok(one)
}

/// An error and its sources, `: `-separated: the driver's own message is
/// only the kind (`db error`); the server's words are in the source.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.ends_with(&s_text) {
            text = format!("{text}: {s_text}");
        }
        source = s.source();
    }
    text
}

/// Reads host, port, dbname and username from the database section.
fn target(config: &str, section: &str) -> Result<Target, String> {
    let file = ConfigFile::read(config).map_err(|e| e.to_string())?;
    let layout = Layout::locate(&file, section, None).map_err(|e| e.to_string())?;
    let get = |name: &str| -> Result<Option<String>, String> {
        let Some(o) = file.option(layout.db, name).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let v = std::str::from_utf8(file.value(o))
            .map_err(|_| format!("{}: [{}] {name} is not valid UTF-8", config, layout.db_name))?;
        Ok(Some(v.to_owned()).filter(|v| !v.is_empty()))
    };
    let required = |name: &str| -> Result<String, String> {
        get(name)?.ok_or_else(|| {
            format!(
                "configuration file {config} has no `{name}` in section [{}]: add it",
                layout.db_name
            )
        })
    };
    let port = match get("port")? {
        None => 5432,
        Some(p) => p.parse().map_err(|_| {
            format!(
                "configuration file {config}: [{}] port `{p}` is not a port number",
                layout.db_name
            )
        })?,
    };
    Ok(Target {
        host: get("host")?.unwrap_or_else(|| "localhost".to_owned()),
        port,
        dbname: required("dbname")?,
        user: required("username")?,
    })
}
