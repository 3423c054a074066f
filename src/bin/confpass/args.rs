//! The command line, in two steps: raw flags as typed, then a checked plan.
//!
//! Configuration Server spells its long options with one dash (`-keys`), so
//! [`normalize`] first rewrites those spellings to the two-dash form clap
//! parses. [`Flags`] is what clap reads; [`Plan::from_flags`] checks what
//! clap cannot (`-keys` with one path, two password sources at once) and
//! settles the defaults.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Parser};
use confpass::confserv::{DEFAULT_CONFIG_FILE, DEFAULT_SERVER_SECTION};
use confpass::keys::DEFAULT_BITS;
use confpass::{KeyFiles, SecretString};

const EXAMPLES: &str = "\
Examples:
  confpass -p                          encrypt the password in ./confserv.conf, making enc.pem/dec.pem
  confpass -p -c /opt/cs/confserv.conf -s confserv_main
  printf '%s\\n' \"$NEW\" | confpass -p --password-stdin     rotate the password (never on argv)
  confpass -p -keys /etc/cs/enc.pem /etc/cs/dec.pem      use (or create) keys elsewhere

Exit codes: 0 done or nothing to do, 1 internal error, 2 usage, 3 configuration file,
4 key file, 5 decryption failed, 6 input/output.";

/// The flags as clap reads them.
#[derive(Debug, Parser)]
#[command(
    name = "confpass",
    version,
    disable_version_flag = true,
    about = "Encrypts the Configuration Database password in confserv.conf (RSA-OAEP-SHA256)",
    after_help = EXAMPLES
)]
pub struct Flags {
    /// Encrypt the password in place. DBSECTION defaults to the server section's `server` option.
    #[arg(short = 'p', num_args = 0..=2, value_names = ["DBSECTION", "PASSWORD"])]
    p: Option<Vec<String>>,

    /// The configuration file [default: confserv.conf (confserv.cfg on Windows) in the current directory]
    #[arg(short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// The server section [default: confserv]
    #[arg(short = 's', value_name = "SECTION")]
    section: Option<String>,

    /// The key files; none given: enc.pem and dec.pem beside the configuration file. Also spelled -keys.
    #[arg(long = "keys", num_args = 0..=2, value_names = ["ENC", "DEC"])]
    keys: Option<Vec<PathBuf>>,

    /// Read the new password as one line from standard input.
    #[arg(long)]
    password_stdin: bool,

    /// Size of a newly generated key pair: 2048, 3072 or 4096.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BITS)]
    bits: usize,

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

/// A checked request.
pub struct Plan {
    pub config: PathBuf,
    /// Whether `-c` named the file (else the default name was assumed).
    pub config_given: bool,
    pub section: String,
    pub db_section: Option<String>,
    pub password: PasswordSource,
    pub keys: KeyFiles,
    pub bits: usize,
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
        let Some(mut p) = flags.p else {
            return Err("nothing to do: give -p to encrypt the password (see --help)".into());
        };
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
        let password_arg = if p.len() == 2 { p.pop() } else { None };
        let password = match (password_arg, flags.password_stdin) {
            (Some(_), true) => {
                return Err("give the password either after -p DBSECTION or with --password-stdin, not both".into());
            }
            (Some(pw), false) => PasswordSource::Argument(SecretString::from(pw)),
            (None, true) => PasswordSource::Stdin,
            (None, false) => PasswordSource::FileOrPrompt,
        };
        Ok(Plan {
            config_given: flags.config.is_some(),
            config: flags
                .config
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE)),
            section: flags
                .section
                .unwrap_or_else(|| DEFAULT_SERVER_SECTION.to_owned()),
            db_section: p.pop(),
            password,
            keys,
            bits: flags.bits,
        })
    }
}
