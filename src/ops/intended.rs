//! What an edit may change ([`Allowed`]): the options a writing mode names,
//! and nothing else; `crate::ops::check` and its second opinion
//! (`crate::ops::second_opinion`) compare everything else before and after.

use crate::error::Error;
use crate::ini::{ConfigFile, names_match};
use crate::ops::confserv::{self, Layout};

/// What an edit may change: the password options of its database section
/// and its server section's `encryption` and `decryption-key`, and the same
/// in the other sections it names (the server sections `-p` marks, the
/// database sections a rotation re-encrypts); `previous-password` of the
/// database section is then checked on its own ([`PreviousEdit`]).
pub(crate) struct Allowed<'a> {
    pub(crate) layout: &'a Layout,
    /// What the edit does to the database section's `previous-password`.
    pub(crate) previous: PreviousEdit<'a>,
    /// Other server sections whose `encryption`/`decryption-key` may change.
    pub(crate) servers: Vec<String>,
    /// Other database sections whose `password`/`previous-password` may change.
    pub(crate) dbs: Vec<String>,
}

impl<'a> Allowed<'a> {
    /// Only the sections of `layout`.
    pub(crate) fn only(layout: &'a Layout) -> Allowed<'a> {
        Allowed {
            layout,
            previous: PreviousEdit::Kept,
            servers: Vec::new(),
            dbs: Vec::new(),
        }
    }

    /// The same, with `previous-password` edited as `previous` says.
    pub(crate) fn previous(mut self, previous: PreviousEdit<'a>) -> Allowed<'a> {
        self.previous = previous;
        self
    }

    /// Whether option `option` of section `section` may change.
    pub(crate) fn intended(&self, section: &[u8], option: &[u8]) -> bool {
        let opt = |name: &str| names_match(option, name);
        let any = |first: &str, rest: &[String]| {
            names_match(section, first) || rest.iter().any(|n| names_match(section, n))
        };
        (any(&self.layout.db_name, &self.dbs)
            && (opt(confserv::PASSWORD_OPTION) || opt(confserv::PREVIOUS_PASSWORD_OPTION)))
            || (any(&self.layout.server_name, &self.servers)
                && (opt(confserv::ENCRYPTION_OPTION) || opt(confserv::DECRYPTION_KEY_OPTION)))
    }
}

pub(crate) fn fail(file: &ConfigFile, reason: &str) -> Error {
    Error::SelfCheck {
        path: file.path().to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// The entries of `f` the edit may not change, in file order.
pub(crate) fn kept<'a>(
    f: &'a ConfigFile,
    allowed: &'a Allowed<'a>,
) -> impl Iterator<Item = (&'a [u8], &'a [u8], &'a [u8])> + 'a {
    f.entries_iter()
        .filter(move |&(s, o, _)| !allowed.intended(s, o))
}

/// What an edit does to `previous-password` (PRODUCT.md §10), which
/// [`edited`] then finds in the new file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PreviousEdit<'a> {
    /// Left as it is (or absent, as it was).
    Kept,
    /// Set to, or added with, exactly this value.
    Set(&'a str),
    /// Removed.
    Removed,
}
