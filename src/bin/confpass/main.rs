//! The `confpass` command: Configuration Server's `-p` and `-keys` modes,
//! the automation modes `--check`, `--rotate-keys` and `--reveal`, and the
//! generated documentation (`--completions SHELL`, `--man`, see [`docs`]).
//!
//! A thin shell over the library: it parses the command line ([`args`]),
//! gathers the password (argument, standard input, or a prompt), calls the
//! library, and prints through [`output`]: one line or one JSON object on
//! stdout, an error as one line (plus a hint where one helps) on stderr, and
//! an exit code by [`confpass::Category`].

#![forbid(unsafe_code)]

mod args;
mod diff;
mod docs;
mod output;
mod report;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use confpass::{Category, Error, ExposeSecret, PasswordOrigin, Request, SecretString};
use zeroize::Zeroizing;

use args::{Flags, Mode, PasswordSource, Plan};

/// The raw flags; `--version` prints the version and, on a second line,
/// the cryptographic backend and whether it runs in FIPS mode.
fn parse_flags(args: Vec<std::ffi::OsString>) -> Flags {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let version = format!(
        "{}\ncrypto: {}",
        env!("CARGO_PKG_VERSION"),
        confpass::crypto_backend()
    );
    // Once per process: clap keeps a borrowed version string.
    let version: &'static str = Box::leak(version.into_boxed_str());
    let matches = Flags::command().version(version).get_matches_from(args);
    Flags::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    // First of all: a crash from here on, while a password is in memory,
    // must not write it to a core file.
    if let Err(e) = confpass::disable_core_dumps() {
        eprintln!(
            "confpass: error: cannot switch core dumps off ({e}); refusing to handle a password"
        );
        return ExitCode::from(output::exit_code(Category::Internal));
    }
    let args = args::normalize(std::env::args_os());
    let wants_json = args.iter().any(|a| a == "--json");
    let flags = parse_flags(args);
    let plan = match Plan::from_flags(flags) {
        Ok(plan) => plan,
        Err(message) => {
            if wants_json {
                println!("{}", output::usage_json(&message));
            }
            eprintln!("confpass: error: {message}");
            eprintln!("hint: run `confpass --help` for the usage");
            return ExitCode::from(output::exit_code(Category::Usage));
        }
    };
    let (json, config_given) = (plan.json, plan.config_given);
    match run(plan) {
        Ok((text, code)) => {
            // A reader that went away (`confpass --man | head`) is no failure:
            // the work is done. Any other write error is one, without a panic.
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{}", text.as_str()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("confpass: error: cannot write to standard output: {e}");
                    ExitCode::from(output::exit_code(Category::Io))
                }
                _ => ExitCode::from(code),
            }
        }
        Err(e) => {
            if json {
                println!("{}", output::error_json(&e));
            }
            eprintln!("confpass: error: {e}");
            if let Some(hint) = hint(&e, config_given) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(output::exit_code(e.category()))
        }
    }
}

/// Runs the plan; returns what to print on stdout and the exit code.
fn run(plan: Plan) -> Result<(Zeroizing<String>, u8), Error> {
    match plan.mode {
        Mode::Completions(shell) => Ok((Zeroizing::new(docs::completions(shell)), 0)),
        Mode::Man => Ok((Zeroizing::new(docs::man()?), 0)),
        Mode::Check => {
            let report = confpass::check(&plan.config, &plan.section)?;
            Ok((
                Zeroizing::new(report::report(&report, plan.json)),
                report::report_code(&report),
            ))
        }
        Mode::Reveal => {
            let password = confpass::database_password(&plan.config, &plan.section)?;
            eprintln!(
                "confpass: warning: printing the database password in plain text, as asked by --reveal"
            );
            Ok((Zeroizing::new(password.expose_secret().to_owned()), 0))
        }
        Mode::PruneKeys => {
            let pruned =
                confpass::prune_keys(&plan.configs, &plan.section, &plan.keys, plan.dry_run)?;
            Ok((Zeroizing::new(output::pruned(&pruned, plan.json)), 0))
        }
        Mode::Encrypt | Mode::RotateKeys | Mode::ForgetPrevious => {
            let mut req = Request::new(&plan.config)
                .server_section(&plan.section)
                .keys(plan.keys)
                .bits(plan.bits)
                .dry_run(plan.dry_run);
            if let Some(db) = &plan.db_section {
                req = req.db_section(db);
            }
            let outcome = match plan.mode {
                Mode::RotateKeys => confpass::rotate_keys(req)?,
                Mode::ForgetPrevious => confpass::forget_previous(req)?,
                _ => confpass::encrypt_file(
                    with_password(req, plan.password)?.keep_previous(plan.keep_previous),
                )?,
            };
            for warning in &outcome.warnings {
                eprintln!("confpass: warning: {warning}");
            }
            let text = if plan.mode == Mode::ForgetPrevious {
                output::forgot(&outcome, plan.json)
            } else {
                output::outcome(&outcome, plan.json)
            };
            Ok((Zeroizing::new(text), 0))
        }
    }
}

/// Adds the password source of the plan to a `-p` request.
fn with_password(req: Request<'_>, source: PasswordSource) -> Result<Request<'_>, Error> {
    Ok(match source {
        PasswordSource::Argument(pw) => {
            eprintln!(
                "confpass: warning: a password on the command line can be read by other users of this machine (ps, /proc); prefer --password-stdin"
            );
            req.password(pw, PasswordOrigin::CommandLine)
        }
        PasswordSource::Stdin => req.password(read_stdin()?, PasswordOrigin::Stdin),
        PasswordSource::FileOrPrompt if std::io::stdin().is_terminal() => {
            req.prompt(Box::new(prompt))
        }
        PasswordSource::FileOrPrompt => req,
    })
}

/// One line from standard input, its line end stripped. On a terminal the
/// line is read with echo off, as at the prompt.
fn read_stdin() -> Result<SecretString, Error> {
    let origin = PasswordOrigin::Stdin;
    if std::io::stdin().is_terminal() {
        let line = rpassword::prompt_password("Database password: ")
            .map(Zeroizing::new)
            .map_err(|e| Error::Write {
                path: "the terminal".into(),
                source: e,
            })?;
        return Ok(SecretString::from(line.as_str().to_owned()));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    // More than any key can hold, so an overlong password is reported as such.
    std::io::stdin()
        .take(64 * 1024)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Write {
            path: "standard input".into(),
            source: e,
        })?;
    let line = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(&bytes);
    let text = std::str::from_utf8(line).map_err(|_| Error::PasswordNotUtf8 { origin })?;
    Ok(SecretString::from(text.to_owned()))
}

/// Asks twice, without echo, on the terminal.
fn prompt() -> Result<SecretString, Error> {
    let ask = |label: &str| -> Result<Zeroizing<String>, Error> {
        rpassword::prompt_password(label)
            .map(Zeroizing::new)
            .map_err(|e| Error::Write {
                path: "the terminal".into(),
                source: e,
            })
    };
    let first = ask("Database password: ")?;
    let second = ask("Again, to confirm: ")?;
    if first.as_str() != second.as_str() {
        return Err(Error::PasswordsDiffer);
    }
    Ok(SecretString::from(first.as_str().to_owned()))
}

/// A second line for errors where the command line offers a way out.
fn hint(e: &Error, config_given: bool) -> Option<String> {
    let text = match e {
        Error::ConfigNotFound { .. } if !config_given => {
            return Some(format!(
                "confpass looks for {} in the current directory unless -c FILE is given",
                confpass::confserv::DEFAULT_CONFIG_FILE
            ));
        }
        Error::NoPassword { .. } => {
            "for example: printf '%s\\n' \"$PASSWORD\" | confpass -p --password-stdin"
        }
        Error::KeyMismatch { .. } | Error::WrongKey { .. } => {
            "keys are never overwritten; if a --rotate-keys was interrupted, run it again to finish it; move a wrong file away only if you are sure it is not needed"
        }
        Error::Committed { .. } => {
            "the server can start with the new value now; run the same command again to finish the remaining step"
        }
        e if e.category() == Category::Internal => {
            "please report this, with the command you ran (never the password)"
        }
        _ => return None,
    };
    Some(text.to_owned())
}
