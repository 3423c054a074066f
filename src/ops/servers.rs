//! What a whole file serves (PRODUCT.md §12): every server section, the
//! database section each reads, and every encrypted value with the key id it
//! names. The one place every mode asks what else a file holds, so that an
//! operation correct for `-s` never leaves another server section, or another
//! value, behind.
//!
//! A **server section** is a section whose `server` option names a section
//! of the same file that holds a `password` option. A value is **in use** by
//! a key when any `password` or `previous-password` of any section is an
//! `ENC[…]` value naming the key's id. [`crate::ops::starts`] checks, before
//! a commit, that every server section still starts.

use crate::crypto::keys::KeyId;
use crate::crypto::value::EncryptedValue;
use crate::error::Result;
use crate::ini::{ConfigFile, OptionRef, SectionRef, names_match};
use crate::ops::confserv::{self, Layout};

/// A server section of a file and where its password stands.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// The section's name as the file spells it.
    pub(crate) name: String,
    /// Its layout; an error when the section is a server section whose
    /// options cannot be read (a duplicate, a bad line).
    pub(crate) layout: std::result::Result<Layout, String>,
}

impl Server {
    /// Whether this server reads the database section `db` (by name).
    pub(crate) fn reads(&self, db: &str) -> bool {
        self.layout
            .as_ref()
            .is_ok_and(|l| names_match(l.db_name.as_bytes(), db))
    }
}

/// Every server section of `file`, in file order, each once.
pub(crate) fn servers(file: &ConfigFile) -> Vec<Server> {
    // One walk: the sections with a `server` option (and what it names),
    // and the sections that hold a `password`.
    let mut names: Vec<(String, String)> = Vec::new();
    let mut with_password: Vec<&[u8]> = Vec::new();
    for (section, option, value) in file.entries_iter() {
        if names_match(option, confserv::PASSWORD_OPTION) {
            if with_password.last() != Some(&section) {
                with_password.push(section);
            }
            continue;
        }
        if section.is_empty() || !names_match(option, confserv::SERVER_OPTION) {
            continue;
        }
        let (Ok(section), Ok(target)) = (std::str::from_utf8(section), std::str::from_utf8(value))
        else {
            continue;
        };
        if target.is_empty()
            || names
                .iter()
                .any(|(n, _)| names_match(n.as_bytes(), section))
        {
            continue;
        }
        names.push((section.to_owned(), target.to_owned()));
    }
    names
        .into_iter()
        .filter(|(_, target)| with_password.iter().any(|s| names_match(s, target)))
        .map(|(name, _)| {
            let layout = Layout::locate(file, &name, None).map_err(|e| e.to_string());
            Server { name, layout }
        })
        .collect()
}

/// The key ids that the values of `file` name, each once: every `ENC[…]`
/// value of every section's `password` and `previous-password`, whether or
/// not a server section reads it (a section named twice included): the keys
/// a file needs kept. A value that looks encrypted but cannot be parsed
/// names no key.
pub(crate) fn key_ids_in_use(file: &ConfigFile) -> Vec<KeyId> {
    let mut ids: Vec<KeyId> = Vec::new();
    for (_, option, value) in file.entries_iter() {
        if !names_match(option, confserv::PASSWORD_OPTION)
            && !names_match(option, confserv::PREVIOUS_PASSWORD_OPTION)
        {
            continue;
        }
        if let Some(v) = std::str::from_utf8(value)
            .ok()
            .and_then(|v| EncryptedValue::parse_reason(v).ok())
            && !ids.contains(&v.key_id())
        {
            ids.push(v.key_id());
        }
    }
    ids
}

/// The server sections other than `layout`'s that read its database
/// section: `-p` marks each of them.
pub(crate) fn readers_of<'s>(all: &'s [Server], layout: &Layout) -> Vec<&'s Server> {
    all.iter()
        .filter(|s| !names_match(s.name.as_bytes(), &layout.server_name))
        .filter(|s| s.reads(&layout.db_name))
        .collect()
}

/// The `password` and `previous-password` options of section `db`, with
/// their encrypted values where they hold one.
pub(crate) fn db_values(
    file: &ConfigFile,
    db: SectionRef,
) -> Result<Vec<(OptionRef, &'static str, Option<EncryptedValue>)>> {
    let mut out = Vec::new();
    for option in [
        confserv::PASSWORD_OPTION,
        confserv::PREVIOUS_PASSWORD_OPTION,
    ] {
        if let Some(o) = file.option(db, option)? {
            let value = std::str::from_utf8(file.value(o))
                .ok()
                .and_then(|v| EncryptedValue::parse_reason(v).ok());
            out.push((o, option, value));
        }
    }
    Ok(out)
}

/// A `password` or `previous-password` holding an encrypted value, with the
/// option to edit it by.
pub(crate) struct ValueRef {
    /// The section holding it, as spelled.
    pub(crate) section: String,
    /// The option.
    pub(crate) option: OptionRef,
    /// The value.
    pub(crate) value: EncryptedValue,
}

/// Every encrypted `password` and `previous-password` of every section
/// that can be named (a section whose name appears twice cannot, and no
/// server reads it).
pub(crate) fn value_refs(file: &ConfigFile) -> Vec<ValueRef> {
    let mut names: Vec<String> = Vec::new();
    for (s, _, _) in file.entries_iter() {
        if let Ok(s) = std::str::from_utf8(s)
            && !s.is_empty()
            && !names.iter().any(|n| names_match(n.as_bytes(), s))
        {
            names.push(s.to_owned());
        }
    }
    let mut out = Vec::new();
    for name in names {
        let Ok(Some(s)) = file.section(&name) else {
            continue;
        };
        for (option, _, value) in db_values(file, s).unwrap_or_default() {
            if let Some(value) = value {
                out.push(ValueRef {
                    section: name.clone(),
                    option,
                    value,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        ConfigFile::parse("c.conf", text.as_bytes().to_vec())
    }

    fn names(f: &ConfigFile) -> Vec<String> {
        servers(f).into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn a_server_section_names_a_section_of_the_file_holding_a_password() {
        let f = file(
            "[confserv]\nserver = dbserver\n[confserv_backup]\nSERVER = DBServer_Backup\n\
             [dbserver]\npassword = a\n[DBSERVER_BACKUP]\nPassword = b\n",
        );
        assert_eq!(names(&f), ["confserv", "confserv_backup"]);
        let all = servers(&f);
        assert!(all[1].reads("dbserver_backup"));
        assert!(!all[1].reads("dbserver"));
    }

    #[test]
    fn fail_sections_that_name_nothing_with_a_password_are_no_server_sections() {
        let f = file(
            "server = db\n[a]\nserver = nowhere\n[b]\nserver = log\n[c]\nserver =\n\
             [log]\nall = stderr\n[db]\npassword = x\n",
        );
        assert!(names(&f).is_empty(), "{:?}", names(&f));
    }

    #[test]
    fn a_broken_server_section_is_one_all_the_same() {
        let f = file("[cs]\nserver = db\nencryption = x\nencryption = y\n[db]\npassword = p\n");
        let all = servers(&f);
        assert_eq!(all.len(), 1);
        assert!(all[0].layout.is_err());
    }

    #[test]
    fn key_ids_in_use_come_from_every_section() {
        let v = |kid: &str| format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:AAAA]");
        let text = format!(
            "[cs]\nserver = db\n[db]\npassword = {}\nprevious-password = {}\n\
             [other]\nPASSWORD = {}\n[notes]\ncomment = {}\n[dup]\npassword = {}\n[dup]\npassword = {}\n",
            v("0000000000000001"),
            v("0000000000000002"),
            v("0000000000000003"),
            v("0000000000000009"),
            v("0000000000000004"),
            v("0000000000000001"),
        );
        let ids: Vec<String> = key_ids_in_use(&file(&text))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            ids,
            [
                "0000000000000001",
                "0000000000000002",
                "0000000000000003",
                "0000000000000004"
            ]
        );
        // Only sections that can be named carry values a rotation re-encrypts.
        let refs: Vec<String> = value_refs(&file(&text))
            .into_iter()
            .map(|r| r.section)
            .collect();
        assert_eq!(refs, ["db", "db", "other"]);
    }
}
