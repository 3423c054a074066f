//! The command line, in two steps: raw flags as typed, then a checked plan.
//!
//! Configuration Server spells its long options with one dash (`-keys`), so
//! [`normalize`] first rewrites those spellings to the two-dash form clap
//! parses. [`Flags`] is what clap reads; [`Plan::from_flags`] checks what
//! clap cannot (one mode at a time, `-keys` with one path, two password
//! sources at once, options that do not go with the mode) and settles the
//! defaults. Two modes print documentation generated from [`Flags`] and
//! take no other option: `--completions SHELL` and `--man` (see `docs`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};
use clap_complete::Shell;
use confpass::confserv::{DEFAULT_CONFIG_FILE, DEFAULT_SERVER_SECTION};
use confpass::keys::DEFAULT_BITS;
use confpass::{KeyFiles, SecretString};

/// The examples and exit codes after `--help`, written for `confserv.conf`;
/// [`examples`] names the platform's default file.
const EXAMPLES: &str = "\
Examples:
  confpass -p                          encrypt the password in ./confserv.conf, making enc.pem/dec.pem
  confpass -p -c /opt/cs/confserv.conf -s confserv_main
  printf '%s\\n' \"$NEW\" | confpass -p --password-stdin --json     rotate the password (never on argv)
  confpass -p -keys /etc/cs/enc.pem /etc/cs/dec.pem      use (or create) keys elsewhere
  confpass --check                     does the stored password decrypt with the server's key?
  confpass --rotate-keys --dry-run     show what a key rotation would change
  confpass --prune-keys -c a.conf -c b.conf   remove retired keys neither file names

Exit codes: 0 done or nothing to do, 1 internal error, 2 usage, 3 configuration file,
4 key file, 5 decryption failed, 6 input/output (nothing was changed),
7 committed: the file holds the new value, but a later step failed (run the command again);
--check: 0 decryptable, 10 plain, 11 encrypted for another key, 12 corrupt.

Shell completions and the man page: confpass --completions bash|zsh|fish|elvish|powershell,
confpass --man (README.md says where to put them).";

/// One line per mode, with the options that go with it ([`Plan::from_flags`]
/// refuses the others) and their values: the `Usage:` of `--help` and the
/// man page's SYNOPSIS. Continuation lines are indented under the first, as
/// clap prints it after `Usage: `.
const USAGE: &str = "\
confpass -p [DBSECTION [PASSWORD]] [--password-stdin] [--keep-previous] [-c FILE] [-s SECTION] [-keys [ENC DEC]] [--bits N] [--dry-run] [--json]
       confpass --forget-previous [-c FILE] [-s SECTION] [-keys [ENC DEC]] [--dry-run] [--json]
       confpass --check [-c FILE] [-s SECTION] [--json]
       confpass --rotate-keys [-c FILE] [-s SECTION] [-keys [ENC DEC]] [--bits N] [--dry-run] [--json]
       confpass --reveal [-c FILE] [-s SECTION]
       confpass --prune-keys [-c FILE]... [-s SECTION] [-keys [ENC DEC]] [--dry-run] [--json]
       confpass --completions SHELL | --man | -v | -h";

/// [`EXAMPLES`] with this platform's default file name (`confserv.cfg` on Windows).
fn examples() -> String {
    EXAMPLES.replace("confserv.conf", DEFAULT_CONFIG_FILE)
}

/// The one-line description, naming this platform's default file.
fn about() -> String {
    format!(
        "Encrypts the Configuration Database password in {DEFAULT_CONFIG_FILE} (RSA-OAEP-SHA256)"
    )
}

/// The flags as clap reads them.
#[derive(Debug, Parser)]
#[command(
    name = "confpass",
    version,
    disable_version_flag = true,
    about = about(),
    override_usage = USAGE,
    after_help = examples()
)]
pub struct Flags {
    /// Encrypt the password in place. DBSECTION defaults to the server section's `server` option.
    #[arg(short = 'p', num_args = 0..=2, value_names = ["DBSECTION", "PASSWORD"])]
    p: Option<Vec<String>>,

    /// Check that the stored password decrypts with the key the server would use (never prints it).
    #[arg(long)]
    check: bool,

    /// Make a new key pair, re-encrypt the password under it, and retire the old pair.
    #[arg(long)]
    rotate_keys: bool,

    /// Print the plain password to stdout (for migration). Only ever when asked by this name.
    #[arg(long)]
    reveal: bool,

    /// Remove the staged and retired key files that none of the given configuration files (-c, once per file) names.
    #[arg(long)]
    prune_keys: bool,

    /// The configuration file [default: confserv.conf (confserv.cfg on Windows) in the current directory]; with --prune-keys, once per file that uses the key pair
    #[arg(short = 'c', value_name = "FILE", action = ArgAction::Append)]
    config: Vec<PathBuf>,

    /// The server section [default: confserv]
    #[arg(short = 's', value_name = "SECTION")]
    section: Option<String>,

    /// The key files; none given: the private key the server section reads at start-up (CONFPASS_DECRYPTION_KEY, else decryption-key, else dec.pem beside the configuration file) and the public key beside it. Also spelled -keys.
    #[arg(long = "keys", num_args = 0..=2, value_names = ["ENC", "DEC"])]
    keys: Option<Vec<PathBuf>>,

    /// Read the new password as one line from standard input.
    #[arg(long)]
    password_stdin: bool,

    /// With -p and a new password: keep the one it replaces as previous-password, for a rotation across a primary/backup pair.
    #[arg(long)]
    keep_previous: bool,

    /// Remove previous-password once the database has the current password (the end of a rotation).
    #[arg(long)]
    forget_previous: bool,

    /// Size of a newly generated key pair: 2048, 3072 or 4096.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BITS)]
    bits: usize,

    /// With -p, --rotate-keys, --forget-previous or --prune-keys: show the change (a diff, every password masked) and write nothing.
    #[arg(long)]
    dry_run: bool,

    /// Print one JSON object on stdout instead of the summary line.
    #[arg(long)]
    json: bool,

    /// Print the completion script for SHELL on stdout.
    #[arg(long, value_name = "SHELL", hide = true)]
    completions: Option<Shell>,

    /// Print the man page (roff) on stdout.
    #[arg(long, hide = true)]
    man: bool,

    /// Print the version (also -V).
    #[arg(short = 'v', visible_short_alias = 'V', long = "version", action = ArgAction::Version)]
    version: Option<bool>,
}

/// Where the new password comes from, if anywhere.
pub enum PasswordSource {
    /// PASSWORD on the command line.
    Argument(SecretString),
    /// `--password-stdin`.
    Stdin,
    /// The file's own value, or a prompt when it has none.
    FileOrPrompt,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Encrypt,
    Check,
    RotateKeys,
    Reveal,
    /// `--prune-keys`: remove staged and retired keys no given file names.
    PruneKeys,
    /// `--forget-previous`: remove `previous-password`.
    ForgetPrevious,
    /// `--completions SHELL`: print the completion script.
    Completions(Shell),
    /// `--man`: print the man page.
    Man,
}

/// A checked request.
pub struct Plan {
    pub mode: Mode,
    pub config: PathBuf,
    /// Every `-c` given (`--prune-keys` takes several), else the default file.
    pub configs: Vec<PathBuf>,
    /// Whether `-c` named the file (else the default name was assumed).
    pub config_given: bool,
    pub section: String,
    pub db_section: Option<String>,
    pub password: PasswordSource,
    pub keys: KeyFiles,
    pub bits: usize,
    pub dry_run: bool,
    pub json: bool,
    /// `--keep-previous` (with `-p`).
    pub keep_previous: bool,
}

/// Rewrites Configuration Server's one-dash long options to clap's form.
pub fn normalize(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| match a.to_str() {
            Some("-keys") => "--keys".into(),
            Some("-password-stdin") => "--password-stdin".into(),
            Some("-bits") => "--bits".into(),
            Some("-version") => "--version".into(),
            _ => a,
        })
        .collect()
}

impl Plan {
    /// Checks the flags and settles the defaults.
    ///
    /// # Errors
    /// A usage message for what clap's grammar lets through.
    pub fn from_flags(flags: Flags) -> Result<Plan, String> {
        let modes = [
            (flags.p.is_some(), Mode::Encrypt),
            (flags.check, Mode::Check),
            (flags.rotate_keys, Mode::RotateKeys),
            (flags.reveal, Mode::Reveal),
            (flags.prune_keys, Mode::PruneKeys),
            (flags.forget_previous, Mode::ForgetPrevious),
            (flags.man, Mode::Man),
        ];
        let chosen: Vec<Mode> = modes
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, m)| *m)
            .chain(flags.completions.map(Mode::Completions))
            .collect();
        let mode = match chosen.as_slice() {
            [] => return Err("nothing to do: give -p to encrypt the password, or --check, --rotate-keys, --reveal, --prune-keys, --forget-previous (see --help)".into()),
            [mode] => *mode,
            _ => return Err("give one of -p, --check, --rotate-keys, --reveal, --prune-keys, --forget-previous, --completions and --man at a time".into()),
        };
        let docs = matches!(mode, Mode::Completions(_) | Mode::Man);
        let others = !flags.config.is_empty()
            || flags.section.is_some()
            || flags.keys.is_some()
            || flags.password_stdin
            || flags.keep_previous
            || flags.dry_run
            || flags.json;
        if docs && others {
            return Err("--completions and --man take no other option".into());
        }
        let keys = match flags.keys.as_deref() {
            None | Some([]) => KeyFiles::Default,
            Some([enc, dec]) => KeyFiles::Explicit {
                enc: enc.clone(),
                dec: dec.clone(),
            },
            Some(_) => {
                return Err("-keys takes two paths, ENC then DEC (or none, for enc.pem and dec.pem beside the configuration file)".into());
            }
        };
        let mut p = flags.p.unwrap_or_default();
        let password_arg = if p.len() == 2 { p.pop() } else { None };
        let password = match (password_arg, flags.password_stdin) {
            (Some(_), true) => {
                return Err("give the password either after -p DBSECTION or with --password-stdin, not both".into());
            }
            (Some(pw), false) => PasswordSource::Argument(SecretString::from(pw)),
            (None, true) => PasswordSource::Stdin,
            (None, false) => PasswordSource::FileOrPrompt,
        };
        let writes = matches!(
            mode,
            Mode::Encrypt | Mode::RotateKeys | Mode::ForgetPrevious
        );
        if flags.config.len() > 1 && mode != Mode::PruneKeys {
            return Err("-c names one configuration file; only --prune-keys takes several (one -c per file)".into());
        }
        if flags.password_stdin && mode != Mode::Encrypt {
            return Err("--password-stdin goes with -p only".into());
        }
        if flags.keep_previous
            && (mode != Mode::Encrypt || matches!(password, PasswordSource::FileOrPrompt))
        {
            return Err(
                "--keep-previous goes with -p and a new password: give it with --password-stdin"
                    .into(),
            );
        }
        if flags.dry_run && !writes && mode != Mode::PruneKeys {
            return Err(
                "--dry-run goes with -p, --rotate-keys, --forget-previous or --prune-keys".into(),
            );
        }
        if flags.keys.is_some() && !writes && mode != Mode::PruneKeys {
            return Err("-keys goes with -p, --rotate-keys, --forget-previous or --prune-keys; --check and --reveal use the key the server would use (decryption-key, or CONFPASS_DECRYPTION_KEY)".into());
        }
        if flags.json && mode == Mode::Reveal {
            return Err("--reveal prints the password alone; it has no --json form".into());
        }
        let config_given = !flags.config.is_empty();
        let configs = if flags.config.is_empty() {
            vec![PathBuf::from(DEFAULT_CONFIG_FILE)]
        } else {
            flags.config
        };
        Ok(Plan {
            mode,
            config_given,
            config: configs[0].clone(),
            configs,
            section: flags
                .section
                .unwrap_or_else(|| DEFAULT_SERVER_SECTION.to_owned()),
            db_section: p.pop(),
            password,
            keys,
            bits: flags.bits,
            dry_run: flags.dry_run,
            json: flags.json,
            keep_previous: flags.keep_previous,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mode's line of [`USAGE`], with each of its options given (a
    /// value for each name, PASSWORD left out as --password-stdin is in),
    /// is a plan: the synopsis lists no option its mode refuses.
    #[test]
    fn every_usage_line_with_all_its_options_is_accepted() {
        fn value(name: &str) -> Option<&str> {
            match name {
                "DBSECTION" => Some("dbserver"),
                "PASSWORD" => None,
                "FILE" => Some("a.conf"),
                "SECTION" => Some("confserv"),
                "ENC" => Some("e.pem"),
                "DEC" => Some("d.pem"),
                "N" => Some("4096"),
                flag => Some(flag),
            }
        }
        let lines: Vec<&str> = USAGE.lines().map(str::trim).collect();
        let (docs, modes) = lines.split_last().unwrap();
        assert!(
            docs.contains('|'),
            "the last line lists the one-word commands"
        );
        for line in modes {
            let argv: Vec<OsString> = line
                .replace(['[', ']'], " ")
                .replace("...", " ")
                .split_whitespace()
                .filter_map(value)
                .map(OsString::from)
                .collect();
            let flags = Flags::try_parse_from(normalize(argv)).unwrap();
            if let Err(e) = Plan::from_flags(flags) {
                panic!("{line}: {e}");
            }
        }
    }

    #[test]
    fn help_names_this_platforms_configuration_file_only() {
        let other = if DEFAULT_CONFIG_FILE == "confserv.cfg" {
            "confserv.conf"
        } else {
            "confserv.cfg"
        };
        for text in [examples(), about()] {
            assert!(text.contains(DEFAULT_CONFIG_FILE), "{text}");
            assert!(!text.contains(other), "{text}");
        }
    }
}
