//! Documentation generated from the command line's definition ([`Flags`]):
//! shell completion scripts (`--completions SHELL`, through clap_complete)
//! and the man page (`--man`, roff, through clap_mangen). Generated from the
//! same definition clap parses, they cannot drift from the options; the
//! one-dash spellings (`-keys`) are offered in their two-dash form.

use clap::CommandFactory;
use clap_complete::Shell;
use confpass::Error;

use crate::args::Flags;

/// The command's name, as completions and the man page call it.
const BIN: &str = "confpass";

/// The completion script for `shell`, without its final line end (the
/// caller prints it with one).
pub fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Flags::command(), BIN, &mut out);
    text(out)
}

/// The man page, in roff, without its final line end.
///
/// # Errors
/// Only if rendering fails, which writing to memory does not.
pub fn man() -> Result<String, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Flags::command().name(BIN))
        .render(&mut out)
        .map_err(|e| Error::Write {
            path: "the man page".into(),
            source: e,
        })?;
    Ok(text(out))
}

/// Bytes the generators wrote (always UTF-8: they write the definition's
/// strings), less one final line end.
fn text(bytes: Vec<u8>) -> String {
    let mut s = String::from_utf8_lossy(&bytes).into_owned();
    if s.ends_with('\n') {
        s.pop();
    }
    s
}
