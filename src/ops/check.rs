//! The check an edited file passes before it replaces the original.
//!
//! PRODUCT §5.2: the new content is parsed again, every section, option and
//! value other than the intended ones must be unchanged, and, where the
//! private key is at hand, the new value must decrypt to the password. Two
//! readers look: confpass's own, which also compares every other line byte
//! for byte, and rust-ini (escapes and quotes off), an independent INI parser,
//! whenever it can read the original and the file is at most
//! [`SECOND_OPINION_MAX`] (128 KiB): rust-ini holds a whole file as owned
//! strings, many times its size, so above that confpass's own reader, which
//! walks both files a line at a time, is the one that looks. Memory stays a
//! small multiple of the file's size. A failure is [`Error::SelfCheck`]: a
//! bug, reported before anything is written.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::crypto::keys::{DecryptionKey, KeyId};
use crate::error::{Error, Result};
use crate::ini::{ConfigFile, LineView, MAX_CONFIG_SIZE, names_match};
use crate::ops::confserv::{self, Layout, Stored};
use crate::ops::keyfiles::normalize;

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

/// Whether an option is one the edit may change or add; `previous-password`
/// is then checked on its own ([`PreviousEdit`]).
fn intended(layout: &Layout, section: &[u8], option: &[u8]) -> bool {
    let opt = |name: &str| names_match(option, name);
    (names_match(section, &layout.db_name)
        && (opt(confserv::PASSWORD_OPTION) || opt(confserv::PREVIOUS_PASSWORD_OPTION)))
        || (names_match(section, &layout.server_name)
            && (opt(confserv::ENCRYPTION_OPTION) || opt(confserv::DECRYPTION_KEY_OPTION)))
}

fn fail(file: &ConfigFile, reason: &str) -> Error {
    Error::SelfCheck {
        path: file.path().to_path_buf(),
        reason: reason.to_owned(),
    }
}

/// The entries of `f` the edit may not change, in file order.
fn kept<'a>(
    f: &'a ConfigFile,
    layout: &'a Layout,
) -> impl Iterator<Item = (&'a [u8], &'a [u8], &'a [u8])> + 'a {
    f.entries_iter()
        .filter(move |&(s, o, _)| !intended(layout, s, o))
}

/// The lines of `f` the edit may not change, in file order.
fn other_lines<'a>(f: &'a ConfigFile, layout: &'a Layout) -> impl Iterator<Item = LineView<'a>> {
    f.lines()
        .filter(move |l| !l.option.is_some_and(|o| intended(layout, l.section, o)))
}

/// Whether two runs of lines are the same, text and line end, but for the
/// line end of the last line (which may gain one when a line is added
/// after it).
fn same_lines<'a>(
    a: impl Iterator<Item = LineView<'a>>,
    b: impl Iterator<Item = LineView<'a>>,
) -> bool {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                let last = a.peek().is_none();
                if last != b.peek().is_none() || x.text != y.text || (!last && x.end != y.end) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Checks `new` against `old`: only the intended options differ, every other
/// line is byte-identical and in order, the new value is a well-formed value
/// for key `key_id` with `encryption = true`, and, given the private key, it decrypts
/// to `password`. And the start-up rule: read back as the server's start-up
/// call reads it (its own `server` option, its own key path), the new file
/// gives this value, and names `dec_path` as the private key.
///
/// # Errors
/// [`Error::ConfigTooLarge`] when the edit would take the file over
/// [`MAX_CONFIG_SIZE`]; [`Error::SelfCheck`] naming the check that failed.
pub(crate) fn edited(
    old: &ConfigFile,
    new: &[u8],
    layout: &Layout,
    dec_path: &Path,
    key_id: KeyId,
    decrypt: Option<(&DecryptionKey, &SecretString)>,
    previous: PreviousEdit<'_>,
) -> Result<()> {
    // Never write a file that no reader would read back.
    if new.len() as u64 > MAX_CONFIG_SIZE {
        return Err(Error::ConfigTooLarge {
            path: old.path().to_path_buf(),
            size: new.len() as u64,
            limit: MAX_CONFIG_SIZE,
            edited: true,
        });
    }
    let new_file = ConfigFile::parse(old.path(), new.to_vec());
    // Both files are walked side by side, a line at a time: the check holds
    // no more than the new file's bytes, whatever the size of the file.
    if !kept(old, layout).eq(kept(&new_file, layout)) {
        return Err(fail(
            old,
            "an option other than password, encryption or decryption-key changed",
        ));
    }
    // Every other line, with its line end (but for the last, which may gain
    // one when a line is added after it).
    if !same_lines(other_lines(old, layout), other_lines(&new_file, layout)) {
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
        Ok(Stored::Encrypted(v)) if v.key_id() == key_id => v,
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
    let before = layout.previous.map(|o| old.value(o));
    let after = again.previous.map(|o| new_file.value(o));
    let wanted = match previous {
        PreviousEdit::Kept => before,
        PreviousEdit::Set(v) => Some(v.as_bytes()),
        PreviousEdit::Removed => None,
    };
    if after != wanted {
        return Err(fail(
            old,
            "previous-password is not what the edit was to leave",
        ));
    }
    drop(new_file);
    second_opinion(old, new, layout)
}

/// Above this size rust-ini is not asked: it holds every entry of the
/// file as owned strings, many times the file's size. Real files are a few
/// kilobytes; confpass's own reader checks files of every size.
pub(crate) const SECOND_OPINION_MAX: usize = 128 << 10;

/// rust-ini's view: every entry but the intended ones is the same before and
/// after the edit. rust-ini is a second, independent reader, but not a
/// Genesys one: it cannot read bytes that are not UTF-8, and it joins lines
/// that confpass and Configuration Server read apart (after a value ending in
/// `\`, or an indented comment). Its opinion counts only where it reads the
/// original exactly as confpass does, and for files of at most
/// [`SECOND_OPINION_MAX`] bytes. Each reading is kept as a SHA-256 digest of
/// its entries, so that only one rust-ini reading is in memory at a time.
fn second_opinion(old: &ConfigFile, new: &[u8], layout: &Layout) -> Result<()> {
    if old.bytes().len().max(new.len()) > SECOND_OPINION_MAX {
        return Ok(());
    }
    // confpass's own reading of the original, in rust-ini's terms.
    let mut own = Entries::new();
    for (s, o, v) in kept(old, layout) {
        let text = |b| std::str::from_utf8(b).ok();
        let (Some(o), Some(v)) = (text(o), text(v)) else {
            return Ok(());
        };
        let section = if s.is_empty() {
            None
        } else {
            match text(s) {
                Some(s) => Some(s),
                None => return Ok(()),
            }
        };
        own.push(section, o, v);
    }
    let own = own.finish();
    let mut redact = old.editor();
    redact.set(layout.password, "");
    if let Some(o) = layout.previous {
        redact.set(o, "");
    }
    let redacted = Zeroizing::new(redact.finish());
    let before = rust_ini(&redacted, layout);
    drop(redacted);
    if before != Some(own) {
        return Ok(());
    }
    if rust_ini(new, layout) == before {
        Ok(())
    } else {
        Err(fail(
            old,
            "rust-ini reads other options differently after the edit",
        ))
    }
}

/// The digest of rust-ini's entries of `bytes`, less the intended ones;
/// `None` where it cannot read the text at all.
fn rust_ini(bytes: &[u8], layout: &Layout) -> Option<[u8; 32]> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let opt = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..Default::default()
    };
    let ini = ini::Ini::load_from_str_opt(text, opt).ok()?;
    let mut out = Entries::new();
    for (section, props) in ini.iter() {
        for (k, v) in props.iter() {
            if !intended(layout, section.unwrap_or_default().as_bytes(), k.as_bytes()) {
                out.push(section, k, v);
            }
        }
    }
    Some(out.finish())
}

/// A sequence of `(section, option, value)` entries, kept as the SHA-256
/// digest of an unambiguous encoding (each field's length, then its bytes).
struct Entries(Sha256);

impl Entries {
    fn new() -> Self {
        Entries(Sha256::new())
    }

    fn push(&mut self, section: Option<&str>, option: &str, value: &str) {
        let h = &mut self.0;
        match section {
            None => h.update([0]),
            Some(s) => {
                h.update([1]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
        for field in [option, value] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }

    fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}
