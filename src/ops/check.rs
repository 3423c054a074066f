//! The check an edited file passes before it replaces the original.
//!
//! PRODUCT §5.2: the new content is parsed again, every section, option and
//! value other than the intended ones must be unchanged, and, where the
//! private key is at hand, the new value must decrypt to the password. Two
//! readers look: confpass's own, which also compares every other line byte
//! for byte, and rust-ini (escapes and quotes off), an independent INI parser,
//! whenever it can read the original and the file is at most
//! [`crate::ops::second_opinion::SECOND_OPINION_MAX`] (128 KiB): rust-ini holds a whole file as owned
//! strings, many times its size, so above that confpass's own reader, which
//! walks both files a line at a time, is the one that looks. Memory stays a
//! small multiple of the file's size. A failure is [`Error::SelfCheck`]: a
//! bug, reported before anything is written. Then the whole file
//! ([`crate::ops::starts`]): every server section that started before the
//! edit still starts after it, with the keys the run leaves, or the edit is
//! refused ([`Error::ServerLeftBehind`]) naming the section.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::decryptor::Decryptor;
use crate::crypto::keys::KeyId;
use crate::error::{Category, Error, Result};
use crate::ini::{ConfigFile, LineView, MAX_CONFIG_SIZE, names_match};
use crate::ops::confserv::{Layout, Stored};
use crate::ops::intended::{Allowed, PreviousEdit, fail, kept};
use crate::ops::keyfiles::normalize;
use crate::ops::starts::{KeyView, keep_every_server};

/// The lines of `f` the edit may not change, in file order.
fn other_lines<'a>(
    f: &'a ConfigFile,
    allowed: &'a Allowed<'a>,
) -> impl Iterator<Item = LineView<'a>> {
    f.lines()
        .filter(move |l| !l.option.is_some_and(|o| allowed.intended(l.section, o)))
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
    allowed: &Allowed<'_>,
    dec_path: &Path,
    key_id: KeyId,
    decrypt: Option<(&dyn Decryptor, &SecretString)>,
    whole: &Whole<'_, '_>,
) -> Result<()> {
    let layout = allowed.layout;
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
    if !kept(old, allowed).eq(kept(&new_file, allowed)) {
        return Err(fail(
            old,
            "an option other than password, encryption or decryption-key changed",
        ));
    }
    // Every other line, with its line end (but for the last, which may gain
    // one when a line is added after it).
    if !same_lines(other_lines(old, allowed), other_lines(&new_file, allowed)) {
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
    let key_path = crate::ops::startup::server_key_path(&new_file, &again)
        .map_err(|_| fail(old, "the edited file's decryption-key cannot be read back"))?;
    if normalize(&key_path) != normalize(dec_path) {
        // Only -keys naming other keys than the file's gets here.
        return Err(Error::KeysNotUsed {
            path: dec_path.to_path_buf(),
            reason: format!(
                "is not the private key [{}] reads at start-up ({}): give -keys the key files that section uses, or run without -keys",
                layout.server_name,
                key_path.display()
            ),
        });
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
    if let Some((dec, password)) = decrypt {
        match value.decrypt_with(dec) {
            Ok(p) if p.expose_secret() == password.expose_secret() => {}
            // A key on a token that cannot decrypt (its mechanism, a busy
            // token, a PIN) is the token's error, not the edit's.
            Err(e) if matches!(e.category(), Category::Key | Category::Io) => return Err(e),
            _ => return Err(fail(old, "the new value does not decrypt to the password")),
        }
    }
    let before = layout.previous.map(|o| old.value(o));
    let after = again.previous.map(|o| new_file.value(o));
    let wanted = match allowed.previous {
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
    let changed: Vec<&str> = whole.changed.iter().map(String::as_str).collect();
    keep_every_server(
        old,
        &new_file,
        whole.paths,
        &changed,
        whole.before,
        whole.after,
    )?;
    drop(new_file);
    crate::ops::second_opinion::second_opinion(old, new, allowed)
}

/// The whole file's part of the check: the paths a server may be given,
/// the database sections whose passwords the edit means to change, and the
/// keys before and after the run ([`crate::ops::starts`]).
pub(crate) struct Whole<'a, 'k> {
    pub(crate) paths: &'a [&'a Path],
    pub(crate) changed: Vec<String>,
    pub(crate) before: &'a KeyView<'k>,
    pub(crate) after: &'a KeyView<'k>,
}
