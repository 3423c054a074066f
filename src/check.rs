//! The check an edited file passes before it replaces the original.
//!
//! PRODUCT §5.2: the new content is parsed again, every section, option and
//! value other than the intended ones must be unchanged, and, where the
//! private key is at hand, the new value must decrypt to the password. Two
//! readers look: confpass's own, which also compares every other line byte
//! for byte, and rust-ini (escapes and quotes off), an independent INI parser,
//! whenever it can read the original. A failure is [`Error::SelfCheck`]: a
//! bug, reported before anything is written.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::config::{ConfigFile, names_match};
use crate::confserv::{self, Layout, Stored};
use crate::error::{Error, Result};
use crate::keyfiles::normalize;
use crate::keys::{DecryptionKey, EncryptionKey};

/// Whether an option is one the edit may change or add.
fn intended(layout: &Layout, section: &[u8], option: &[u8]) -> bool {
    let opt = |name: &str| names_match(option, name);
    (names_match(section, &layout.db_name) && opt(confserv::PASSWORD_OPTION))
        || (names_match(section, &layout.server_name)
            && (opt(confserv::ENCRYPTION_OPTION) || opt(confserv::DECRYPTION_KEY_OPTION)))
}

fn fail(file: &ConfigFile, reason: &str) -> Error {
    Error::SelfCheck {
        path: file.path().to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// Checks `new` against `old`: only the intended options differ, every other
/// line is byte-identical and in order, the new value is a well-formed value
/// for `enc` with `encryption = true`, and, given the private key, it decrypts
/// to `password`. And the start-up rule: read back as the server's start-up
/// call reads it (its own `server` option, its own key path), the new file
/// gives this value, and names `dec_path` as the private key.
///
/// # Errors
/// [`Error::SelfCheck`] naming the check that failed.
pub(crate) fn edited(
    old: &ConfigFile,
    new: &[u8],
    layout: &Layout,
    dec_path: &Path,
    enc: &EncryptionKey,
    decrypt: Option<(&DecryptionKey, &SecretString)>,
) -> Result<()> {
    let new_file = ConfigFile::parse(old.path(), new.to_vec());
    let keep = |f: &ConfigFile| -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        f.entries()
            .into_iter()
            .filter(|(s, o, _)| !intended(layout, s, o))
            .map(|(s, o, v)| (s.to_vec(), o.to_vec(), v.to_vec()))
            .collect()
    };
    if keep(old) != keep(&new_file) {
        return Err(fail(
            old,
            "an option other than password, encryption or decryption-key changed",
        ));
    }
    // Every other line, with its line end (but for the last, which may gain
    // one when a line is added after it).
    let other_lines = |f: &ConfigFile| -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut lines: Vec<_> = f
            .lines()
            .filter(|l| !l.option.is_some_and(|o| intended(layout, l.section, o)))
            .map(|l| (l.text.to_vec(), l.end.to_vec()))
            .collect();
        if let Some(last) = lines.last_mut() {
            last.1.clear();
        }
        lines
    };
    if other_lines(old) != other_lines(&new_file) {
        return Err(fail(old, "a line other than the edited options changed"));
    }
    if old.bytes().starts_with(b"\xEF\xBB\xBF") != new.starts_with(b"\xEF\xBB\xBF")
        || old.bytes().ends_with(b"\n") != new.ends_with(b"\n")
    {
        return Err(fail(
            old,
            "the byte-order mark or the final line end changed",
        ));
    }
    let again = Layout::locate(&new_file, &layout.server_name, None)
        .ok()
        .filter(|again| names_match(again.db_name.as_bytes(), &layout.db_name))
        .ok_or_else(|| {
            fail(
                old,
                "the server would not read the edited password at start-up",
            )
        })?;
    let key_path = again
        .decryption_key_path(&new_file)
        .map_err(|_| fail(old, "the edited file's decryption-key cannot be read back"))?;
    if normalize(&key_path) != normalize(dec_path) {
        return Err(fail(
            old,
            "the edited file would send the server to another key file than the one used",
        ));
    }
    let value = match again.stored(&new_file) {
        Ok(Stored::Encrypted(v)) if v.key_id() == enc.id() => v,
        _ => {
            return Err(fail(
                old,
                "the edited file does not hold a value encrypted for the key",
            ));
        }
    };
    if let Some((dec, password)) = decrypt
        && !value
            .decrypt(dec)
            .is_ok_and(|p| p.expose_secret() == password.expose_secret())
    {
        return Err(fail(old, "the new value does not decrypt to the password"));
    }
    second_opinion(old, new, layout)
}

/// Entries as rust-ini reads them, less the intended ones; `None` where it
/// cannot read the text at all.
type IniEntries = Vec<(Option<String>, String, String)>;

/// rust-ini's view: every entry but the intended ones is the same before and
/// after the edit. rust-ini is a second, independent reader, but not a
/// Genesys one: it cannot read bytes that are not UTF-8, and it joins lines
/// that confpass and Configuration Server read apart (after a value ending in
/// `\`, or an indented comment). Its opinion counts only where it reads the
/// original exactly as confpass does.
fn second_opinion(old: &ConfigFile, new: &[u8], layout: &Layout) -> Result<()> {
    fn entries(bytes: &[u8], layout: &Layout) -> Option<IniEntries> {
        let text = std::str::from_utf8(bytes).ok()?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let opt = ini::ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            ..Default::default()
        };
        let ini = ini::Ini::load_from_str_opt(text, opt).ok()?;
        let mut out = Vec::new();
        for (section, props) in ini.iter() {
            for (k, v) in props.iter() {
                if !intended(layout, section.unwrap_or_default().as_bytes(), k.as_bytes()) {
                    out.push((section.map(str::to_owned), k.to_owned(), v.to_owned()));
                }
            }
        }
        Some(out)
    }
    // confpass's own reading of the original, in rust-ini's terms.
    let own: Option<IniEntries> = old
        .entries()
        .into_iter()
        .filter(|(s, o, _)| !intended(layout, s, o))
        .map(|(s, o, v)| {
            let text = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_owned);
            let section = if s.is_empty() { None } else { Some(text(s)?) };
            Some((section, text(o)?, text(v)?))
        })
        .collect();
    let mut redact = old.editor();
    redact.set(layout.password, "");
    let redacted = Zeroizing::new(redact.finish());
    let before = entries(&redacted, layout);
    if before.is_none() || before != own {
        return Ok(());
    }
    match entries(new, layout) {
        Some(after) if Some(&after) == before.as_ref() => Ok(()),
        _ => Err(fail(
            old,
            "rust-ini reads other options differently after the edit",
        )),
    }
}
