//! What a Configuration Server's file means: where the password stands.
//!
//! The server section (named after the server application, `confserv` by
//! default) names the database section in its `server` option; that
//! section's `password` option holds the password. `encryption = true` in the
//! server section says the password is encrypted, and `decryption-key` says
//! where the private key is when it is not `dec.pem` beside the file.
//! [`Layout::locate`] finds all of these, [`Layout::stored`] reads the
//! password's state and insists that `encryption` and the value agree.

use std::path::{Path, PathBuf};

use crate::crypto::value::EncryptedValue;
use crate::error::{Error, Result};
use crate::ini::{ConfigFile, OptionRef, SectionRef, shown};

/// The server section's name unless told otherwise.
pub const DEFAULT_SERVER_SECTION: &str = "confserv";
/// The option naming the database section.
pub const SERVER_OPTION: &str = "server";
/// The option holding the password.
pub const PASSWORD_OPTION: &str = "password";
/// The option holding the previous password during a rotation across a
/// primary/backup pair (PRODUCT.md §10), stored exactly like `password`.
pub const PREVIOUS_PASSWORD_OPTION: &str = "previous-password";
/// The option saying whether the password is encrypted.
pub const ENCRYPTION_OPTION: &str = "encryption";
/// The option giving the private key's path.
pub const DECRYPTION_KEY_OPTION: &str = "decryption-key";
/// The default configuration file name on this platform.
pub const DEFAULT_CONFIG_FILE: &str = if cfg!(windows) {
    "confserv.cfg"
} else {
    "confserv.conf"
};

/// Where the password and the options around it stand in a file.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The server section.
    pub server: SectionRef,
    /// The server section's name as the file spells it.
    pub server_name: String,
    /// The database section.
    pub db: SectionRef,
    /// The database section's name as the file spells it.
    pub db_name: String,
    /// The `password` option.
    pub password: OptionRef,
    /// The `previous-password` option, if present.
    pub previous: Option<OptionRef>,
    /// The `encryption` option, if present.
    pub encryption: Option<OptionRef>,
    /// The `decryption-key` option, if present.
    pub decryption_key: Option<OptionRef>,
}

/// The password as it stands in the file.
#[derive(Debug)]
pub enum Stored<'a> {
    /// A plain value (possibly empty), verbatim.
    Plain(&'a str),
    /// An encrypted value.
    Encrypted(EncryptedValue),
}

impl Layout {
    /// Finds the server section `server_section`, the database section
    /// (`db_section`, else the server section's `server` option) and the
    /// options that matter.
    ///
    /// # Errors
    /// [`Error::SectionMissing`], [`Error::OptionMissing`], duplicates,
    /// [`Error::Syntax`] for an invalid line in either section, and
    /// [`Error::BadValue`] for an empty or non-UTF-8 `server` option.
    pub fn locate(
        file: &ConfigFile,
        server_section: &str,
        db_section: Option<&str>,
    ) -> Result<Layout> {
        let path = || file.path().to_path_buf();
        if let Some(encoding) = file.wide_encoding() {
            return Err(Error::ConfigEncoding {
                path: path(),
                encoding,
            });
        }
        no_control(
            file,
            server_section,
            "the name holds a control character (shown escaped), which no section name holds: check the name given with -s",
        )?;
        let server = file.section(server_section)?.ok_or_else(|| Error::SectionMissing {
            path: path(),
            section: server_section.to_owned(),
            fix: "name the server section with -s SECTION (it is named after the Configuration Server application), or add it",
        })?;
        let server_name = file.section_name(server);
        let encryption = file.option(server, ENCRYPTION_OPTION)?;
        let decryption_key = file.option(server, DECRYPTION_KEY_OPTION)?;
        let db_wanted = match db_section {
            // The argument after -p may be a password typed in the wrong
            // place: a name that matches no section is never repeated.
            Some(name) => {
                if name.chars().any(char::is_control) || file.section(name)?.is_none() {
                    return Err(Error::DbSectionNotFound { path: path() });
                }
                name.to_owned()
            }
            None => {
                let o = file.option(server, SERVER_OPTION)?.ok_or_else(|| Error::OptionMissing {
                    path: path(),
                    section: server_name.clone(),
                    option: SERVER_OPTION.into(),
                    fix: "add `server = DBSECTION` naming the database section, or name it after -p",
                })?;
                let name = text(file, server, o, SERVER_OPTION)?;
                if name.is_empty() {
                    return Err(bad_value(
                        file,
                        server,
                        SERVER_OPTION,
                        "is empty: set it to the database section's name",
                    ));
                }
                if name.chars().any(char::is_control) {
                    return Err(bad_value(
                        file,
                        server,
                        SERVER_OPTION,
                        &format!(
                            "names the section {}, which holds a control character (shown escaped) and never matches a section: set it to the database section's name",
                            shown(name)
                        ),
                    ));
                }
                name.to_owned()
            }
        };
        let db = file.section(&db_wanted)?.ok_or_else(|| Error::SectionMissing {
            path: path(),
            section: db_wanted.clone(),
            fix: "add the database section, or correct the `server` option (or the section named after -p)",
        })?;
        let db_name = file.section_name(db);
        let password = file
            .option(db, PASSWORD_OPTION)?
            .ok_or_else(|| Error::OptionMissing {
                path: path(),
                section: db_name.clone(),
                option: PASSWORD_OPTION.into(),
                fix: "add `password = ` followed by the database password, then run `confpass -p`",
            })?;
        let previous = file.option(db, PREVIOUS_PASSWORD_OPTION)?;
        Ok(Layout {
            server,
            server_name,
            db,
            db_name,
            password,
            previous,
            encryption,
            decryption_key,
        })
    }

    /// The `encryption` flag: `false` when the option is absent.
    ///
    /// # Errors
    /// [`Error::BadValue`] for anything but `true` or `false` (any case).
    pub fn encryption(&self, file: &ConfigFile) -> Result<bool> {
        let Some(o) = self.encryption else {
            return Ok(false);
        };
        let v = text(file, self.server, o, ENCRYPTION_OPTION)?;
        if v.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if v.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            let comment = if v.contains([';', '#']) {
                "; a `;` or `#` after the value is part of the value, so put the comment on its own line"
            } else {
                ""
            };
            Err(bad_value(
                file,
                self.server,
                ENCRYPTION_OPTION,
                &format!("is `{}`, but must be `true` or `false`{comment}", quoted(v)),
            ))
        }
    }

    /// The password as stored, checked against the `encryption` flag.
    ///
    /// # Errors
    /// [`Error::EncryptionMismatch`] when the flag and the value disagree,
    /// [`Error::MalformedValue`] for a broken `ENC[…]`, [`Error::BadValue`]
    /// for a value that is not UTF-8, and the errors of [`Layout::encryption`].
    pub fn stored<'f>(&self, file: &'f ConfigFile) -> Result<Stored<'f>> {
        let flag = self.encryption(file)?;
        let raw = text(file, self.db, self.password, PASSWORD_OPTION)?;
        let encrypted = EncryptedValue::looks_encrypted(raw.as_bytes());
        if flag != encrypted {
            return Err(Error::EncryptionMismatch {
                path: file.path().to_path_buf(),
                server_section: self.server_name.clone(),
                db_section: self.db_name.clone(),
                flag,
                found: if encrypted {
                    "an encrypted value"
                } else {
                    "plain text"
                },
                fix: if flag {
                    "put the encrypted value back, or set `encryption = false` and run `confpass -p` to encrypt the plain password"
                } else {
                    "set `encryption = true`, or put the plain password back"
                },
            });
        }
        if !encrypted {
            return Ok(Stored::Plain(raw));
        }
        EncryptedValue::parse_reason(raw)
            .map(Stored::Encrypted)
            .map_err(|reason| Error::MalformedValue {
                path: file.path().to_path_buf(),
                section: self.db_name.clone(),
                reason,
            })
    }

    /// The previous password as stored, if the file keeps one, checked
    /// against the `encryption` flag as the password is.
    ///
    /// # Errors
    /// [`Error::PreviousPassword`] when the flag and the value disagree, or
    /// for a malformed or non-UTF-8 value; the errors of [`Layout::encryption`].
    pub fn stored_previous<'f>(&self, file: &'f ConfigFile) -> Result<Option<Stored<'f>>> {
        let Some(o) = self.previous else {
            return Ok(None);
        };
        let flag = self.encryption(file)?;
        let raw = std::str::from_utf8(file.value(o)).map_err(|_| {
            self.previous_error(
                file,
                "is not valid UTF-8: put back the value confpass wrote, or remove it with `confpass --forget-previous` once the database has the current password".into(),
            )
        })?;
        let encrypted = EncryptedValue::looks_encrypted(raw.as_bytes());
        if flag != encrypted {
            let found = if encrypted {
                "an encrypted value"
            } else {
                "plain text"
            };
            return Err(self.previous_error(
                file,
                format!(
                    "is {found}, but [{}] says `encryption = {flag}`; it must be stored as `password` is: put back the value confpass wrote, or remove it with `confpass --forget-previous` once the database has the current password",
                    self.server_name
                ),
            ));
        }
        if !encrypted {
            return Ok(Some(Stored::Plain(raw)));
        }
        EncryptedValue::parse_reason(raw)
            .map(|v| Some(Stored::Encrypted(v)))
            .map_err(|reason| {
                self.previous_error(
                    file,
                    format!(
                        "malformed encrypted value: {reason}; put back the value confpass wrote, or remove it with `confpass --forget-previous` once the database has the current password"
                    ),
                )
            })
    }

    /// The password is plain where the operation needs it encrypted;
    /// `reason` says so and what to do.
    pub(crate) fn not_encrypted(&self, file: &ConfigFile, reason: &str) -> Error {
        Error::BadValue {
            path: file.path().to_path_buf(),
            section: self.db_name.clone(),
            option: PASSWORD_OPTION.into(),
            reason: reason.to_owned(),
        }
    }

    /// An [`Error::PreviousPassword`] of the configuration file's content.
    pub(crate) fn previous_error(&self, file: &ConfigFile, reason: String) -> Error {
        Error::PreviousPassword {
            path: file.path().to_path_buf(),
            section: self.db_name.clone(),
            reason,
            category: crate::error::Category::Config,
        }
    }

    /// Where the server reads its private key: the `decryption-key` option
    /// (relative to the file's directory), else `dec.pem` beside the file.
    ///
    /// # Errors
    /// [`Error::BadValue`] for an empty or non-UTF-8 `decryption-key`.
    pub fn decryption_key_path(&self, file: &ConfigFile) -> Result<PathBuf> {
        let dir = crate::fs::files::parent_dir(file.path());
        match self.decryption_key {
            None => Ok(dir.join("dec.pem")),
            Some(o) => {
                let v = text(file, self.server, o, DECRYPTION_KEY_OPTION)?;
                if v.is_empty() {
                    return Err(bad_value(
                        file,
                        self.server,
                        DECRYPTION_KEY_OPTION,
                        "is empty: give the private key's path, or remove the option to use dec.pem beside the file",
                    ));
                }
                if crate::fs::token::is_token(Path::new(v)) {
                    return Ok(PathBuf::from(v));
                }
                Ok(dir.join(Path::new(v)))
            }
        }
    }
}

/// The value of option `o` as text.
fn text<'f>(file: &'f ConfigFile, s: SectionRef, o: OptionRef, name: &str) -> Result<&'f str> {
    std::str::from_utf8(file.value(o)).map_err(|_| {
        bad_value(
            file,
            s,
            name,
            "is not valid UTF-8: save the file as UTF-8 (`encoding = utf-8`)",
        )
    })
}

/// A section name a caller gave: one with a control character never
/// matches a section and is refused, shown escaped.
fn no_control(file: &ConfigFile, name: &str, fix: &'static str) -> Result<()> {
    if name.chars().any(char::is_control) {
        return Err(Error::SectionMissing {
            path: file.path().to_path_buf(),
            section: shown(name).into_owned(),
            fix,
        });
    }
    Ok(())
}

/// A value read from the file (never a password), as a message quotes it:
/// control characters escaped, and cut after 60 characters.
fn quoted(v: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = v
        .chars()
        .take(MAX)
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    if v.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

fn bad_value(file: &ConfigFile, s: SectionRef, option: &str, reason: &str) -> Error {
    Error::BadValue {
        path: file.path().to_path_buf(),
        section: shown(&file.section_name(s)).into_owned(),
        option: option.to_owned(),
        reason: reason.to_owned(),
    }
}
