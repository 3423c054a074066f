//! The `confpass` command: Configuration Server's `-p` and `-keys` modes.
//!
//! A thin shell over the library: it parses the command line ([`args`]),
//! gathers the password (argument, standard input, or a prompt), calls
//! [`confpass::encrypt_file`], and turns the outcome into one line on stdout,
//! or an error into one line (plus a hint where one helps) on stderr and an
//! exit code by [`confpass::Category`].

#![forbid(unsafe_code)]

mod args;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;
use confpass::{Category, Error, Outcome, PasswordOrigin, Request, SecretString};
use zeroize::Zeroizing;

use args::{Flags, PasswordSource, Plan};

/// Exit codes, one per [`Category`] (README.md lists them).
fn exit_code(category: Category) -> u8 {
    match category {
        Category::Usage => 2,
        Category::Config => 3,
        Category::Key => 4,
        Category::Decrypt => 5,
        Category::Io => 6,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let flags = Flags::parse_from(args::normalize(std::env::args_os()));
    let plan = match Plan::from_flags(flags) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("confpass: error: {message}");
            eprintln!("hint: run `confpass --help` for the usage");
            return ExitCode::from(exit_code(Category::Usage));
        }
    };
    let config_given = plan.config_given;
    match run(plan) {
        Ok(outcome) => {
            println!("{}", summary(&outcome));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("confpass: error: {e}");
            if let Some(hint) = hint(&e, config_given) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(e.category()))
        }
    }
}

fn run(plan: Plan) -> Result<Outcome, Error> {
    let mut req = Request::new(&plan.config)
        .server_section(&plan.section)
        .keys(plan.keys)
        .bits(plan.bits);
    if let Some(db) = &plan.db_section {
        req = req.db_section(db);
    }
    match plan.password {
        PasswordSource::Argument(pw) => {
            eprintln!(
                "confpass: warning: a password on the command line can be read by other users of this machine (ps, /proc); prefer --password-stdin"
            );
            req = req.password(pw, PasswordOrigin::CommandLine);
        }
        PasswordSource::Stdin => req = req.password(read_stdin()?, PasswordOrigin::Stdin),
        PasswordSource::FileOrPrompt => {
            if std::io::stdin().is_terminal() {
                req = req.prompt(Box::new(prompt));
            }
        }
    }
    confpass::encrypt_file(req)
}

/// One line from standard input, its line end stripped.
fn read_stdin() -> Result<SecretString, Error> {
    let origin = PasswordOrigin::Stdin;
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

fn summary(o: &Outcome) -> String {
    let file = o.file.display();
    if !o.changed {
        return format!(
            "{file}: the password in [{}] is already encrypted with key {}; nothing changed",
            o.db_section, o.key_id
        );
    }
    let mut line = format!(
        "{file}: encrypted the password in [{}] with key {}",
        o.db_section, o.key_id
    );
    if !o.created.is_empty() {
        let names: Vec<String> = o.created.iter().map(|p| p.display().to_string()).collect();
        line.push_str(&format!(" (created {})", names.join(", ")));
    }
    line
}

/// A second line for errors where the command line offers a way out.
fn hint(e: &Error, config_given: bool) -> Option<&'static str> {
    match e {
        Error::ConfigNotFound { .. } if !config_given => Some(
            "confpass looks for confserv.conf in the current directory unless -c FILE is given",
        ),
        Error::NoPassword { .. } => {
            Some("for example: printf '%s\\n' \"$PASSWORD\" | confpass -p --password-stdin")
        }
        Error::KeyMismatch { .. } | Error::WrongKey { .. } => Some(
            "keys are never overwritten; move the wrong file away only if you are sure it is not needed",
        ),
        e if e.category() == Category::Internal => {
            Some("please report this, with the command you ran (never the password)")
        }
        _ => None,
    }
}
