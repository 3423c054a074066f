//! The INI layer: a Genesys-style INI file held as its bytes, read and
//! edited byte for byte, knowing nothing of Configuration Servers, keys or
//! files on disk (`crate::fs::read` reads it). Public as `confpass::config`;
//! the rules it reads by are that module's docs, in `src/lib.rs`.
//!
//! `lines.rs` classifies a line, `editor.rs` is [`Editor`], `encoding.rs`
//! tells UTF-16 and UTF-32; this file is [`ConfigFile`], its lookups with
//! duplicate detection, and its line views.

mod editor;
mod encoding;
mod lines;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
pub use editor::Editor;
use encoding::wide_encoding;
use lines::{Kind, Line, Lines};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The largest configuration file confpass reads: 16 MiB. Real
/// Configuration Server files are a few kilobytes; a larger file is refused
/// ([`Error::ConfigTooLarge`]) before it is read, so memory stays bounded.
pub const MAX_CONFIG_SIZE: u64 = 16 * 1024 * 1024;

/// A configuration file held in memory.
#[derive(Clone)]
pub struct ConfigFile {
    path: PathBuf,
    /// Zeroized on drop: a plain password may be among these bytes.
    bytes: Zeroizing<Vec<u8>>,
}

/// One line of a [`ConfigFile`], as [`ConfigFile::lines`] shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineView<'a> {
    /// The name of the section the line stands in (empty before the first header).
    pub section: &'a [u8],
    /// The option's name, if this is an `option = value` line.
    pub option: Option<&'a [u8]>,
    /// The line's bytes without its line end.
    pub text: &'a [u8],
    /// The line end: `\n`, `\r\n`, or empty on a last line without one.
    pub end: &'a [u8],
}

/// The position of a section header in a [`ConfigFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionRef(usize);

/// The position of an `option = value` line in a [`ConfigFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionRef(usize);

/// Compares two names the way Configuration Server does: without regard to case.
pub fn names_match(a: &[u8], b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b.as_bytes());
    }
    match std::str::from_utf8(a) {
        Ok(a) => a == b || a.to_lowercase() == b.to_lowercase(),
        Err(_) => false,
    }
}

/// A name as messages show it: as it is, or, when it holds a control
/// character (a line break, a NUL byte, an escape…), quoted with those
/// characters escaped (`"con\nfserv"`), so that no message ever carries them raw.
pub(crate) fn shown(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_control) {
        Cow::Owned(format!("{name:?}"))
    } else {
        Cow::Borrowed(name)
    }
}

impl ConfigFile {
    /// Takes `bytes`, the content of the file at `path`. Never fails: lines
    /// that are not valid INI are kept and reported only when an operation
    /// reads the section that holds them.
    pub fn parse(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        ConfigFile {
            path: path.into(),
            bytes: Zeroizing::new(bytes),
        }
    }

    /// The path the file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes, exactly as read.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `Some("UTF-16")` (or `"UTF-32"`) for a file saved in an encoding
    /// confpass does not read, which would otherwise look like a file with
    /// no sections at all.
    pub fn wide_encoding(&self) -> Option<&'static str> {
        wide_encoding(&self.bytes)
    }

    /// Where the first line starts: after a UTF-8 byte-order mark, if any.
    fn first(&self) -> usize {
        if self.bytes.starts_with(BOM) {
            BOM.len()
        } else {
            0
        }
    }

    /// The lines from the line starting at byte `at` on.
    fn lines_from(&self, at: usize) -> Lines<'_> {
        Lines {
            bytes: &self.bytes,
            at,
        }
    }

    /// Every line, in file order.
    fn all_lines(&self) -> Lines<'_> {
        self.lines_from(self.first())
    }

    /// The line starting at byte `at`; `None` when no line starts there (a
    /// reference into another file is ignored rather than trusted).
    fn line_at(&self, at: usize) -> Option<Line> {
        let first = self.first();
        let starts_line = at == first || (at > first && self.bytes.get(at - 1) == Some(&b'\n'));
        if starts_line {
            self.lines_from(at).next()
        } else {
            None
        }
    }

    /// The 1-based number of the line that starts at byte `at`.
    fn line_number_at(&self, at: usize) -> usize {
        let upto = at.min(self.bytes.len());
        self.bytes[..upto].iter().filter(|&&b| b == b'\n').count() + 1
    }

    /// The section header starting at byte `at`, if that is one.
    fn header_at(&self, at: usize) -> Option<Line> {
        self.line_at(at)
            .filter(|l| matches!(l.kind, Kind::Section { .. }))
    }

    /// The section named `name`, if there is one.
    ///
    /// # Errors
    /// [`Error::DuplicateSection`] when two headers match the name.
    pub fn section(&self, name: &str) -> Result<Option<SectionRef>> {
        let mut found: Option<(usize, usize)> = None;
        for (i, line) in self.all_lines().enumerate() {
            if let Kind::Section { name: n } = &line.kind
                && names_match(&self.bytes[n.clone()], name)
            {
                if let Some((_, first)) = found {
                    return Err(Error::DuplicateSection {
                        path: self.path.clone(),
                        section: shown(name).into_owned(),
                        first: first + 1,
                        second: i + 1,
                    });
                }
                found = Some((line.text.start, i));
            }
        }
        Ok(found.map(|(at, _)| SectionRef(at)))
    }

    /// The section's name as the file spells it.
    pub fn section_name(&self, s: SectionRef) -> String {
        match self.header_at(s.0).map(|l| l.kind) {
            Some(Kind::Section { name }) => String::from_utf8_lossy(&self.bytes[name]).into_owned(),
            _ => String::new(),
        }
    }

    /// The lines of the body of a section: after its header, up to the next one.
    fn body(&self, s: SectionRef) -> impl Iterator<Item = Line> + '_ {
        let start = self.header_at(s.0).map_or(self.bytes.len(), |h| h.next);
        self.lines_from(start)
            .take_while(|l| !matches!(l.kind, Kind::Section { .. }))
    }

    /// The option `name` in section `s`, if there is one.
    ///
    /// # Errors
    /// [`Error::DuplicateOption`] when two options match the name, and
    /// [`Error::Syntax`] when the section holds a line that is not valid INI.
    pub fn option(&self, s: SectionRef, name: &str) -> Result<Option<OptionRef>> {
        let mut found: Option<usize> = None;
        for line in self.body(s) {
            match &line.kind {
                Kind::Invalid { reason } => {
                    return Err(Error::Syntax {
                        path: self.path.clone(),
                        line: self.line_number_at(line.text.start),
                        reason: format!("{reason} in section [{}]", shown(&self.section_name(s))),
                    });
                }
                Kind::Option { name: n, .. } if names_match(&self.bytes[n.clone()], name) => {
                    if let Some(first) = found {
                        return Err(Error::DuplicateOption {
                            path: self.path.clone(),
                            section: shown(&self.section_name(s)).into_owned(),
                            option: shown(name).into_owned(),
                            first: self.line_number_at(first),
                            second: self.line_number_at(line.text.start),
                        });
                    }
                    found = Some(line.text.start);
                }
                _ => {}
            }
        }
        Ok(found.map(OptionRef))
    }

    /// The value of an option, verbatim, as bytes.
    pub fn value(&self, o: OptionRef) -> &[u8] {
        match self.line_at(o.0).map(|l| l.kind) {
            Some(Kind::Option { value, .. }) => &self.bytes[value],
            _ => &[],
        }
    }

    /// The 1-based line number of an option.
    pub fn line_number(&self, o: OptionRef) -> usize {
        self.line_number_at(o.0)
    }

    /// Every `(section, option, value)` entry in file order, names as spelled;
    /// options before the first section have an empty section name. Used to
    /// check that an edit changed nothing it was not meant to.
    ///
    /// This collects them all; [`ConfigFile::lines`] walks the file without
    /// holding more than a line at a time.
    pub fn entries(&self) -> Vec<(&[u8], &[u8], &[u8])> {
        self.entries_iter().collect()
    }

    /// [`ConfigFile::entries`], one at a time.
    pub(crate) fn entries_iter(&self) -> impl Iterator<Item = (&[u8], &[u8], &[u8])> + '_ {
        let bytes: &[u8] = &self.bytes;
        let mut section: &[u8] = b"";
        self.all_lines().filter_map(move |line| match line.kind {
            Kind::Section { name } => {
                section = &bytes[name];
                None
            }
            Kind::Option { name, value } => Some((section, &bytes[name], &bytes[value])),
            _ => None,
        })
    }

    /// Every `option = value` line in file order, in every section (and
    /// before the first): its position for the [`Editor`], its name as
    /// spelled, and its value verbatim.
    pub(crate) fn options_iter(&self) -> impl Iterator<Item = (OptionRef, &[u8], &[u8])> + '_ {
        let bytes: &[u8] = &self.bytes;
        self.all_lines().filter_map(move |line| match line.kind {
            Kind::Option { name, value } => {
                Some((OptionRef(line.text.start), &bytes[name], &bytes[value]))
            }
            _ => None,
        })
    }

    /// Every line in file order, with the section it stands in.
    pub fn lines(&self) -> impl Iterator<Item = LineView<'_>> {
        let bytes: &[u8] = &self.bytes;
        let mut section: &[u8] = b"";
        self.all_lines().map(move |line| {
            let option = match line.kind {
                Kind::Section { name } => {
                    section = &bytes[name];
                    None
                }
                Kind::Option { name, .. } => Some(&bytes[name]),
                _ => None,
            };
            LineView {
                section,
                option,
                text: &bytes[line.text.clone()],
                end: &bytes[line.text.end..line.next],
            }
        })
    }

    /// The line end this file uses: CRLF when most of its lines end so, else LF.
    fn line_end(&self) -> &'static [u8] {
        let (mut crlf, mut lf) = (0usize, 0usize);
        for l in self.all_lines() {
            match l.next - l.text.end {
                2 => crlf += 1,
                1 => lf += 1,
                _ => {}
            }
        }
        if crlf > lf { b"\r\n" } else { b"\n" }
    }
}
