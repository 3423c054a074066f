//! The second opinion on an edited file (PRODUCT.md §5.2): rust-ini, an
//! independent INI reader (escapes and quotes off), must read every entry
//! but the intended ones the same before and after the edit, for files of at
//! most [`SECOND_OPINION_MAX`] (128 KiB). [`crate::ops::check`] asks it
//! after its own reader has looked.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::ini::ConfigFile;
use crate::ops::intended::{Allowed, fail, kept};

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
pub(crate) fn second_opinion(old: &ConfigFile, new: &[u8], allowed: &Allowed<'_>) -> Result<()> {
    if old.bytes().len().max(new.len()) > SECOND_OPINION_MAX {
        return Ok(());
    }
    // confpass's own reading of the original, in rust-ini's terms.
    let mut own = Entries::new();
    for (s, o, v) in kept(old, allowed) {
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
    redact.set(allowed.layout.password, "");
    if let Some(o) = allowed.layout.previous {
        redact.set(o, "");
    }
    let redacted = Zeroizing::new(redact.finish());
    let before = rust_ini(&redacted, allowed);
    drop(redacted);
    if before != Some(own) {
        return Ok(());
    }
    if rust_ini(new, allowed) == before {
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
fn rust_ini(bytes: &[u8], allowed: &Allowed<'_>) -> Option<[u8; 32]> {
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
            if !allowed.intended(section.unwrap_or_default().as_bytes(), k.as_bytes()) {
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
