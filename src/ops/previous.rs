//! The previous password a rotation keeps (PRODUCT.md §10): a primary and a
//! backup Configuration Server each read the password only at start-up, so
//! while a rotation job moves the database to a new password, each file keeps
//! the old one as `previous-password`, stored exactly like `password`.
//!
//! [`database_password_candidates`] gives the server both, current first;
//! [`PreviousPlan`] is what a writing operation does to the option:
//! `-p --keep-previous` ([`crate::Request::keep_previous`], in `encrypt`)
//! stages a new password, `--rotate-keys` re-encrypts it, and
//! `crate::ops::forget` removes it (ARCHITECTURE.md, "Transactions").

use std::path::Path;

use secrecy::SecretString;

use crate::crypto::value::EncryptedValue;
use crate::error::{Category, Error, Result};
use crate::fs::keyring::decryptor_for;
use crate::ini::ConfigFile;
use crate::ops::confserv::{Layout, Stored};
use crate::ops::intended::PreviousEdit;
use crate::ops::starts::{KeyView, in_previous};
use crate::ops::startup::{decrypt_in, password_in, server_key_path};

/// Which stored value a [`Candidate`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Which {
    /// `password`: the one to try first.
    Current,
    /// `previous-password`: the one a rotation in progress keeps.
    Previous,
}

impl Which {
    /// The option that holds it.
    pub fn option(self) -> &'static str {
        match self {
            Which::Current => crate::ops::confserv::PASSWORD_OPTION,
            Which::Previous => crate::ops::confserv::PREVIOUS_PASSWORD_OPTION,
        }
    }
}

/// A password for the server to try, and which stored value it is.
#[derive(Debug)]
#[non_exhaustive]
pub struct Candidate {
    /// Which value it is.
    pub which: Which,
    /// The password (its Debug output is `[REDACTED]`).
    pub password: SecretString,
}

/// The passwords a server should try at start-up, in order: the current one
/// ([`crate::database_password`]), then the previous one when a rotation
/// keeps it. A server connects with the first that the database accepts.
///
/// # Errors
/// Those of [`crate::database_password`], and [`Error::PreviousPassword`]
/// when `previous-password` is there but unusable (confpass never writes
/// one): both values are checked, so a damaged file is found at the first
/// start-up rather than at the switch-over.
pub fn database_password_candidates(
    config: impl AsRef<Path>,
    server_section: &str,
) -> Result<Vec<Candidate>> {
    // One reading of the file for both values: a run committing in between
    // cannot pair one version's password with another's previous password.
    let file = ConfigFile::read(config.as_ref())?;
    let layout = Layout::locate(&file, server_section, None)?;
    let mut out = vec![Candidate {
        which: Which::Current,
        password: password_in(&file, &layout)?,
    }];
    match layout.stored_previous(&file)? {
        None => {}
        Some(Stored::Plain("")) => {}
        Some(Stored::Plain(p)) => out.push(Candidate {
            which: Which::Previous,
            password: SecretString::from(p.to_owned()),
        }),
        Some(Stored::Encrypted(value)) => {
            let key_path = server_key_path(&file, &layout)?;
            out.push(Candidate {
                which: Which::Previous,
                password: decrypt_previous(&file, &layout, &value, &key_path)?,
            });
        }
    }
    Ok(out)
}

/// Decrypts the stored `previous-password` with the key its id names
/// (found as the start-up call finds keys), naming that option in errors.
pub(crate) fn decrypt_previous(
    file: &ConfigFile,
    layout: &Layout,
    value: &EncryptedValue,
    key_path: &Path,
) -> Result<SecretString> {
    let (key, from) = decryptor_for(key_path, value.key_id())?;
    decrypt_in(file, layout, value, &*key, &from).map_err(|e| in_previous(e, file, layout))
}

/// What a writing run does to `previous-password`.
pub(crate) enum PreviousPlan {
    /// Leave it as it is (or absent).
    Keep,
    /// Set or add it with this value.
    Set(String),
    /// Remove it.
    Remove,
}

impl PreviousPlan {
    /// For `-p`: with `keep`, the value the new password replaces (verbatim
    /// when encrypted, encrypted with `enc` when plain); without it, a
    /// plain previous password is encrypted along with the password (an
    /// empty one removed), an encrypted one left as it is. `have_dec` says
    /// whether this run could have told the same password again (it did not
    /// find it, or `-p` would have changed nothing).
    pub(crate) fn for_p(
        keep: bool,
        file: &ConfigFile,
        layout: &Layout,
        stored: &Stored<'_>,
        enc: &crate::crypto::keys::EncryptionKey,
        have_dec: bool,
    ) -> Result<PreviousPlan> {
        let previous = layout.stored_previous(file)?;
        let encrypt = |p: &str| -> Result<PreviousPlan> {
            let value = EncryptedValue::encrypt(enc, &SecretString::from(p.to_owned()))?;
            Ok(PreviousPlan::Set(value.to_string()))
        };
        if !keep {
            return match previous {
                None | Some(Stored::Encrypted(_)) => Ok(PreviousPlan::Keep),
                Some(Stored::Plain("")) => Ok(PreviousPlan::Remove),
                Some(Stored::Plain(p)) => encrypt(p),
            };
        }
        if previous.is_some() {
            let (reason, category) = if have_dec {
                (
                    "is set, and the password is another one than the new one: a rotation is already in progress; once the database has the current password, run `confpass --forget-previous`, then rotate again",
                    Category::Config,
                )
            } else {
                (
                    "is set, and without the private key confpass cannot tell whether this is the same rotation again: run it where the decryption key is, or, once the database has the current password, run `confpass --forget-previous` first",
                    Category::Key,
                )
            };
            return Err(Error::PreviousPassword {
                path: file.path().to_path_buf(),
                section: layout.db_name.clone(),
                reason: reason.into(),
                category,
            });
        }
        match stored {
            Stored::Encrypted(_) => {
                let text = std::str::from_utf8(file.value(layout.password)).map_err(|_| {
                    Error::SelfCheck {
                        path: file.path().to_path_buf(),
                        reason: "an encrypted value that is not UTF-8".into(),
                    }
                })?;
                Ok(PreviousPlan::Set(text.to_owned()))
            }
            Stored::Plain("") => Ok(PreviousPlan::Keep),
            Stored::Plain(p) => encrypt(p),
        }
    }

    /// The plan, made such that the server finds the key of the previous
    /// password after the run (PRODUCT.md §12): a value the plan keeps or
    /// sets that names another key than `enc` stays as it is where the
    /// start-up lookup from `dec_path` finds its key among `after`; else it
    /// is re-encrypted for `enc`, where the key it names is at hand (found
    /// as the start-up call finds it, from the file's own key path or from
    /// `dec_path`); else the run is refused.
    pub(crate) fn findable(
        self,
        file: &ConfigFile,
        layout: &Layout,
        enc: &crate::crypto::keys::EncryptionKey,
        dec_path: &Path,
        after: &KeyView<'_>,
    ) -> Result<PreviousPlan> {
        let text = match &self {
            PreviousPlan::Set(v) => v.as_str(),
            PreviousPlan::Keep => match layout.previous {
                Some(o) => std::str::from_utf8(file.value(o)).unwrap_or_default(),
                None => return Ok(self),
            },
            PreviousPlan::Remove => return Ok(self),
        };
        let Ok(value) = EncryptedValue::parse_reason(text) else {
            return Ok(self);
        };
        let id = value.key_id();
        if id == enc.id() || after.finds(dec_path, id)? != Some(false) {
            return Ok(self);
        }
        let own = server_key_path(file, layout)?;
        for from in [own.as_path(), dec_path] {
            if let Ok((key, _)) = decryptor_for(from, id)
                && key.key_id() == id
            {
                let p = decrypt_in(file, layout, &value, &*key, from)
                    .map_err(|e| in_previous(e, file, layout))?;
                return Ok(PreviousPlan::Set(
                    EncryptedValue::encrypt(enc, &p)?.to_string(),
                ));
            }
        }
        Err(Error::PreviousPassword {
            path: file.path().to_path_buf(),
            section: layout.db_name.clone(),
            reason: format!(
                "would be encrypted for key id {id}, which a server reading {} would not find after this run, and the private key for {id} is not at hand to re-encrypt it: run where that key is, or once the database has the current password run `confpass --forget-previous` first",
                dec_path.display()
            ),
            category: Category::Key,
        })
    }

    /// Makes the change in `ed`: a new `previous-password` goes right after
    /// `password`, in its line's style.
    pub(crate) fn apply(&self, ed: &mut crate::ini::Editor<'_>, layout: &Layout) {
        match (self, layout.previous) {
            (PreviousPlan::Keep, _) | (PreviousPlan::Remove, None) => {}
            (PreviousPlan::Set(v), Some(o)) => ed.set(o, v),
            (PreviousPlan::Set(v), None) => ed.add_after(
                layout.password,
                crate::ops::confserv::PREVIOUS_PASSWORD_OPTION,
                v,
            ),
            (PreviousPlan::Remove, Some(o)) => ed.remove(o),
        }
    }

    /// What [`crate::ops::check::edited`] is to find.
    pub(crate) fn edit(&self) -> PreviousEdit<'_> {
        match self {
            PreviousPlan::Keep => PreviousEdit::Kept,
            PreviousPlan::Set(v) => PreviousEdit::Set(v),
            PreviousPlan::Remove => PreviousEdit::Removed,
        }
    }

    /// Whether the file keeps a previous password after the change.
    pub(crate) fn keeps(&self, layout: &Layout) -> bool {
        match self {
            PreviousPlan::Keep => layout.previous.is_some(),
            PreviousPlan::Set(_) => true,
            PreviousPlan::Remove => false,
        }
    }
}
