//! Reading and byte-exact editing of a Genesys-style INI configuration file.
//!
//! [`ConfigFile`] keeps the file's bytes exactly as read and nothing else:
//! lines are classified as they are walked (section headers,
//! `option = value` lines, comments, blanks, and lines that are none of
//! these), so memory stays the size of the file whatever its lines are like.
//! Values are taken verbatim (no escapes, no quotes, a `;` or `#` inside a
//! value is part of it). Names match without regard to case, and two
//! candidates for one name are an error, never a guess. [`Editor`] replaces
//! values and adds option lines; every byte it was not told to change stays
//! as it was: comments, order, spacing, spelling, line ends, a byte-order
//! mark, a missing final newline. Bytes that are not UTF-8 are kept.
//!
//! A file is read only up to [`MAX_CONFIG_SIZE`]: its size is checked before
//! a byte is read, and a file that grows while it is read is cut off one
//! byte past the limit and refused.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

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

/// One line, found and classified while walking the bytes.
#[derive(Debug, Clone)]
struct Line {
    /// Bytes of the line without its line end.
    text: Range<usize>,
    /// Byte offset just past the line end (equals `text.end` on a last line without one).
    next: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Blank,
    Comment,
    Section {
        name: Range<usize>,
    },
    Option {
        name: Range<usize>,
        value: Range<usize>,
    },
    Invalid {
        reason: &'static str,
    },
}

/// The lines of `bytes` from a line start on, one at a time.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Iterator for Lines<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let bytes = self.bytes;
        let start = self.at;
        if start >= bytes.len() {
            return None;
        }
        let (end, next) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(nl) => (start + nl, start + nl + 1),
            None => (bytes.len(), bytes.len()),
        };
        let end = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        self.at = next;
        Some(Line {
            text: start..end,
            next,
            kind: classify(bytes, start..end),
        })
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Shrinks `r` so that it starts and ends with no space or tab.
fn trim(bytes: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && is_space(bytes[r.start]) {
        r.start += 1;
    }
    while r.end > r.start && is_space(bytes[r.end - 1]) {
        r.end -= 1;
    }
    r
}

fn classify(bytes: &[u8], text: Range<usize>) -> Kind {
    let t = trim(bytes, text.clone());
    match bytes[t.clone()].first() {
        None => Kind::Blank,
        Some(b';' | b'#') => Kind::Comment,
        Some(b'[') => match bytes[t.clone()].iter().position(|&b| b == b']') {
            None => Kind::Invalid {
                reason: "a section header without its closing `]`",
            },
            Some(close) => {
                let name = trim(bytes, t.start + 1..t.start + close);
                let rest = trim(bytes, t.start + close + 1..t.end);
                if name.is_empty() {
                    Kind::Invalid {
                        reason: "a section header with an empty name",
                    }
                } else if !rest.is_empty() && !matches!(bytes[rest.start], b';' | b'#') {
                    Kind::Invalid {
                        reason: "text after a section header's `]`",
                    }
                } else {
                    Kind::Section { name }
                }
            }
        },
        Some(_) => match bytes[t.clone()].iter().position(|&b| b == b'=') {
            None => Kind::Invalid {
                reason: "a line with no `=`",
            },
            Some(eq) => {
                let name = trim(bytes, t.start..t.start + eq);
                let value = trim(bytes, t.start + eq + 1..t.end);
                // An empty value sits at the end of the line, after any blanks.
                let value = if value.is_empty() {
                    text.end..text.end
                } else {
                    value
                };
                if name.is_empty() {
                    Kind::Invalid {
                        reason: "an option with an empty name",
                    }
                } else {
                    Kind::Option { name, value }
                }
            }
        },
    }
}

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

/// The encoding of a file saved as UTF-16 (or UTF-32), which confpass does
/// not read: a byte-order mark, or, without one, a NUL byte in every other
/// position of the first bytes (ASCII text in UTF-16).
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE\0\0") || bytes.starts_with(b"\0\0\xFE\xFF") {
        return Some("UTF-32");
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Some("UTF-16");
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let little = head.chunks_exact(2).all(|u| u[0] != 0 && u[1] == 0);
    let big = head.chunks_exact(2).all(|u| u[0] == 0 && u[1] != 0);
    (little || big).then_some("UTF-16")
}

/// Reads the configuration file `file` (opened from `path`) whole, within
/// [`MAX_CONFIG_SIZE`]: the size is checked before a byte is read.
///
/// # Errors
/// [`Error::ConfigTooLarge`], [`Error::ConfigRead`].
pub(crate) fn read_capped(file: &File, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let read_err = |e| Error::ConfigRead {
        path: path.to_path_buf(),
        source: e,
    };
    let too_large = |size| Error::ConfigTooLarge {
        path: path.to_path_buf(),
        size,
        limit: MAX_CONFIG_SIZE,
        edited: false,
    };
    let len = file.metadata().map_err(read_err)?.len();
    if len > MAX_CONFIG_SIZE {
        return Err(too_large(len));
    }
    match read_within(file, len).map_err(read_err)? {
        Some(bytes) => Ok(bytes),
        // It grew while it was read: its size now, or what was read of it.
        None => {
            let now = file.metadata().map_or(0, |m| m.len());
            Err(too_large(now.max(MAX_CONFIG_SIZE + 1)))
        }
    }
}

/// Reads `reader` to its end into a buffer sized once from `len`, its
/// expected length (so that no reallocation leaves an unzeroized copy of
/// the bytes behind); a reader that gives more than it said is read on, but
/// never more than one byte past [`MAX_CONFIG_SIZE`]: `None` then.
fn read_within(reader: impl Read, len: u64) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let cap = MAX_CONFIG_SIZE as usize + 1;
    // One byte more than expected, so that the end is seen without growing.
    let first = usize::try_from(len).map_or(cap, |l| l.saturating_add(1).min(cap));
    let mut bytes = Zeroizing::new(vec![0u8; first]);
    let mut filled = 0;
    let mut reader = reader.take(cap as u64);
    loop {
        if filled == bytes.len() {
            if filled >= cap {
                return Ok(None);
            }
            // More than expected: a larger buffer; the old one is zeroized
            // as it goes.
            let mut larger = Zeroizing::new(vec![0u8; (filled.saturating_mul(2)).clamp(4096, cap)]);
            larger[..filled].copy_from_slice(&bytes[..filled]);
            bytes = larger;
        }
        match reader.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(Some(bytes))
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

    /// Reads the file at `path`: a regular file of at most
    /// [`MAX_CONFIG_SIZE`] bytes, its size checked before it is read.
    ///
    /// # Errors
    /// [`Error::ConfigNotFound`], [`Error::ConfigNotAFile`],
    /// [`Error::ConfigTooLarge`], [`Error::ConfigRead`].
    pub fn read(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = match crate::platform::open_regular(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ConfigNotFound { path });
            }
            Err(e) if crate::platform::is_not_regular(&e) => {
                return Err(Error::ConfigNotAFile { path });
            }
            Err(e) => return Err(Error::ConfigRead { path, source: e }),
        };
        let mut bytes = read_capped(&file, &path)?;
        Ok(Self::parse(path, std::mem::take(&mut *bytes)))
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

    /// Starts a set of edits on this file.
    pub fn editor(&self) -> Editor<'_> {
        Editor {
            file: self,
            edits: Vec::new(),
        }
    }
}

/// A set of changes to a [`ConfigFile`], applied all at once by [`Editor::finish`].
pub struct Editor<'a> {
    file: &'a ConfigFile,
    /// (byte range to replace, replacement), in any order; ranges never overlap.
    edits: Vec<(Range<usize>, Vec<u8>)>,
}

impl Editor<'_> {
    /// Replaces the value of option `o` with `value`, keeping the rest of the line.
    pub fn set(&mut self, o: OptionRef, value: &str) {
        if let Some(Kind::Option { value: v, .. }) = self.file.line_at(o.0).map(|l| l.kind) {
            let b = &self.file.bytes;
            // `name =` with nothing after it: mirror the blank before the `=`.
            let pad =
                v.is_empty() && v.start >= 2 && b[v.start - 1] == b'=' && is_space(b[v.start - 2]);
            let mut text = if pad { b" ".to_vec() } else { Vec::new() };
            text.extend_from_slice(value.as_bytes());
            self.edits.push((v, text));
        }
    }

    /// Adds the line `name = value` at the end of section `s`, after its last
    /// option, in the file's line-end style and the section's spacing style.
    pub fn add(&mut self, s: SectionRef, name: &str, value: &str) {
        let f = self.file;
        // A reference into another file is ignored rather than trusted.
        let Some(header) = f.header_at(s.0) else {
            return;
        };
        let mut last: Option<Line> = None;
        // Indentation and the spacing around `=`, from the section's first option.
        let mut style: Option<(Range<usize>, Range<usize>)> = None;
        for line in f.body(s) {
            if let Kind::Option { name, value } = &line.kind {
                if style.is_none() {
                    style = f.bytes[name.end..]
                        .iter()
                        .position(|&b| b == b'=')
                        .map(|p| {
                            let eq = name.end + p;
                            let after = if value.is_empty() {
                                eq + 1
                            } else {
                                value.start
                            };
                            (line.text.start..name.start, name.end..after)
                        });
                }
                last = Some(line);
            }
        }
        let (indent, sep) =
            style.map_or((&b""[..], &b" = "[..]), |(i, s)| (&f.bytes[i], &f.bytes[s]));
        let anchor = last.unwrap_or(header);
        let eol = f.line_end();
        let mut text = Vec::new();
        // Only `\n` ends a line; a lone `\r` at the end of the file does not.
        let has_end = f.bytes[anchor.text.end..anchor.next].contains(&b'\n');
        if !has_end {
            text.extend_from_slice(eol);
        }
        text.extend_from_slice(indent);
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(sep);
        text.extend_from_slice(value.as_bytes());
        if has_end {
            text.extend_from_slice(eol);
        }
        self.edits.push((anchor.next..anchor.next, text));
    }

    /// Adds the line `name = value` right after option `o`'s line, with
    /// that line's indentation, spacing around `=` and line end.
    pub fn add_after(&mut self, o: OptionRef, name: &str, value: &str) {
        let f = self.file;
        let Some(line) = f.line_at(o.0) else {
            return;
        };
        let Kind::Option { name: n, value: v } = &line.kind else {
            return;
        };
        // The spacing around `=`; after an empty value, ` = `.
        let sep = if v.is_empty() {
            &b" = "[..]
        } else {
            &f.bytes[n.end..v.start]
        };
        let has_end = f.bytes[line.text.end..line.next].contains(&b'\n');
        let eol = if has_end {
            &f.bytes[line.text.end..line.next]
        } else {
            f.line_end()
        };
        let mut text = Vec::new();
        if !has_end {
            text.extend_from_slice(eol);
        }
        text.extend_from_slice(&f.bytes[line.text.start..n.start]);
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(sep);
        text.extend_from_slice(value.as_bytes());
        if has_end {
            text.extend_from_slice(eol);
        }
        self.edits.push((line.next..line.next, text));
    }

    /// Removes option `o`'s line, its line end included; the last line of a
    /// file without a final line end takes the line end before it, so that
    /// the file stays without one ([`Editor::add_after`] undone byte for byte).
    pub fn remove(&mut self, o: OptionRef) {
        let b = &self.file.bytes;
        let Some(line) = self.file.line_at(o.0) else {
            return;
        };
        if !matches!(line.kind, Kind::Option { .. }) {
            return;
        }
        let has_end = b[line.text.end..line.next].contains(&b'\n');
        let start = line.text.start;
        if has_end || start == 0 || b[start - 1] != b'\n' {
            self.edits.push((start..line.next, Vec::new()));
        } else {
            let cr = start >= 2 && b[start - 2] == b'\r';
            self.edits
                .push((start - 1 - usize::from(cr)..line.next, Vec::new()));
        }
    }

    /// The new content of the file.
    pub fn finish(mut self) -> Vec<u8> {
        self.edits.sort_by_key(|(r, _)| (r.start, r.end));
        let bytes = &self.file.bytes;
        let added: usize = self.edits.iter().map(|(_, t)| t.len()).sum();
        let mut out = Vec::with_capacity(bytes.len() + added);
        let mut at = 0;
        for (range, text) in &self.edits {
            out.extend_from_slice(&bytes[at..range.start]);
            out.extend_from_slice(text);
            at = range.end;
        }
        out.extend_from_slice(&bytes[at..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &[u8]) -> ConfigFile {
        ConfigFile::parse("confserv.conf", text.to_vec())
    }

    fn value(f: &ConfigFile, section: &str, option: &str) -> Option<Vec<u8>> {
        let s = f.section(section).unwrap()?;
        f.option(s, option).unwrap().map(|o| f.value(o).to_vec())
    }

    #[test]
    fn values_are_verbatim_and_trimmed_of_surrounding_blanks_only() {
        let f = file(b"[db]\npassword =  a;b #c = \"d\" \\e 'f'  \t\nempty =\nnospace=x\n");
        assert_eq!(
            value(&f, "db", "password").unwrap(),
            b"a;b #c = \"d\" \\e 'f'"
        );
        assert_eq!(value(&f, "db", "empty").unwrap(), b"");
        assert_eq!(value(&f, "db", "nospace").unwrap(), b"x");
    }

    #[test]
    fn names_match_without_regard_to_case() {
        let f = file(b"[DBServer]\nPassword = x\n");
        assert_eq!(value(&f, "dbserver", "password").unwrap(), b"x");
        assert_eq!(
            f.section_name(f.section("dbserver").unwrap().unwrap()),
            "DBServer"
        );
    }

    #[test]
    fn fail_two_candidates_are_an_error_never_a_guess() {
        let f = file(b"[db]\npassword = a\n[DB]\npassword = b\n");
        assert!(matches!(
            f.section("db"),
            Err(Error::DuplicateSection {
                first: 1,
                second: 3,
                ..
            })
        ));
        let f = file(b"[db]\npassword = a\nPASSWORD = b\n");
        let s = f.section("db").unwrap().unwrap();
        assert!(matches!(
            f.option(s, "password"),
            Err(Error::DuplicateOption {
                first: 2,
                second: 3,
                ..
            })
        ));
    }

    #[test]
    fn invalid_lines_matter_only_in_the_section_read() {
        let f = file(b"[other]\nthis is not ini\n[db]\npassword = a\n");
        assert_eq!(value(&f, "db", "password").unwrap(), b"a");
        let s = f.section("other").unwrap().unwrap();
        assert!(matches!(
            f.option(s, "x"),
            Err(Error::Syntax { line: 2, .. })
        ));
    }

    #[test]
    fn comments_headers_with_comments_and_global_options_are_recognised() {
        let f = file(b"top = 1\n; c\n# d\n  [db]  ; note\npassword=p\n");
        assert_eq!(f.entries()[0], (&b""[..], &b"top"[..], &b"1"[..]));
        assert_eq!(value(&f, "db", "password").unwrap(), b"p");
    }

    #[test]
    fn an_editor_without_edits_reproduces_every_byte() {
        for text in [
            &b"\xEF\xBB\xBF[a]\r\nx = 1\r\n\r\n; c\r\n"[..],
            b"[a]\nx=1",
            b"\n\n[a\nbroken\n\xff\xfe = \x00\n",
            b"",
            b"\r\n\r",
        ] {
            assert_eq!(file(text).editor().finish(), text);
        }
    }

    #[test]
    fn set_replaces_only_the_value() {
        let f = file(b"[db]\r\n  Password\t=  old value  ; kept\t\r\nx = 1\r\n");
        let s = f.section("db").unwrap().unwrap();
        let mut ed = f.editor();
        ed.set(f.option(s, "password").unwrap().unwrap(), "NEW");
        assert_eq!(ed.finish(), b"[db]\r\n  Password\t=  NEW\t\r\nx = 1\r\n");
    }

    #[test]
    fn set_fills_an_empty_value_in_the_line_s_own_spacing() {
        for (before, after) in [
            (&b"[db]\npassword =\n"[..], &b"[db]\npassword = X\n"[..]),
            (b"[db]\npassword= \n", b"[db]\npassword= X\n"),
            (b"[db]\npassword=\n", b"[db]\npassword=X\n"),
        ] {
            let f = file(before);
            let s = f.section("db").unwrap().unwrap();
            let mut ed = f.editor();
            ed.set(f.option(s, "password").unwrap().unwrap(), "X");
            assert_eq!(ed.finish(), after);
        }
    }

    #[test]
    fn add_follows_the_section_s_spacing_and_the_file_s_line_ends() {
        let f = file(b"[cs]\r\n  port=2020\r\nserver=db\r\n\r\n[db]\r\npassword=x\r\n");
        let mut ed = f.editor();
        ed.add(f.section("cs").unwrap().unwrap(), "encryption", "true");
        assert_eq!(
            ed.finish(),
            b"[cs]\r\n  port=2020\r\nserver=db\r\n  encryption=true\r\n\r\n[db]\r\npassword=x\r\n"
        );
    }

    #[test]
    fn add_after_a_last_line_without_newline_keeps_the_file_without_one() {
        let f = file(b"[db]\npassword = x\n[cs]\nserver = db");
        let mut ed = f.editor();
        ed.add(f.section("cs").unwrap().unwrap(), "encryption", "true");
        ed.add(
            f.section("cs").unwrap().unwrap(),
            "decryption-key",
            "/k/dec.pem",
        );
        assert_eq!(ed.finish(), b"[db]\npassword = x\n[cs]\nserver = db\nencryption = true\ndecryption-key = /k/dec.pem");
    }

    #[test]
    fn add_after_an_option_copies_its_line_s_style_and_remove_takes_the_line() {
        let f = file(b"[db]\r\n  password\t=  ENC[x]\r\nuser = u\r\n");
        let s = f.section("db").unwrap().unwrap();
        let pw = f.option(s, "password").unwrap().unwrap();
        let mut ed = f.editor();
        ed.add_after(pw, "previous-password", "ENC[y]");
        let added = ed.finish();
        assert_eq!(
            added,
            b"[db]\r\n  password\t=  ENC[x]\r\n  previous-password\t=  ENC[y]\r\nuser = u\r\n"
        );
        let g = file(&added);
        let s = g.section("db").unwrap().unwrap();
        let prev = g.option(s, "previous-password").unwrap().unwrap();
        let mut ed = g.editor();
        ed.remove(prev);
        assert_eq!(ed.finish(), f.bytes());
        // The last line, without a line end: the file stays without one.
        let f = file(b"[db]\npassword = x");
        let s = f.section("db").unwrap().unwrap();
        let pw = f.option(s, "password").unwrap().unwrap();
        let mut ed = f.editor();
        ed.set(pw, "ENC[z]");
        ed.add_after(pw, "previous-password", "ENC[x]");
        let added = ed.finish();
        assert_eq!(
            added,
            b"[db]\npassword = ENC[z]\nprevious-password = ENC[x]"
        );
        let g = file(&added);
        let s = g.section("db").unwrap().unwrap();
        let mut ed = g.editor();
        ed.remove(g.option(s, "previous-password").unwrap().unwrap());
        assert_eq!(ed.finish(), b"[db]\npassword = ENC[z]");
    }

    #[test]
    fn add_to_an_empty_section_goes_right_after_its_header() {
        let f = file(b"[cs]\n\n[db]\n");
        let mut ed = f.editor();
        ed.add(f.section("cs").unwrap().unwrap(), "server", "db");
        assert_eq!(ed.finish(), b"[cs]\nserver = db\n\n[db]\n");
    }

    #[test]
    fn bytes_that_are_not_utf8_elsewhere_are_kept() {
        let f = file(b"[x]\nname = caf\xe9\n[db]\npassword = a\n");
        let s = f.section("db").unwrap().unwrap();
        let mut ed = f.editor();
        ed.set(f.option(s, "password").unwrap().unwrap(), "b");
        assert_eq!(ed.finish(), b"[x]\nname = caf\xe9\n[db]\npassword = b\n");
    }

    #[test]
    fn reading_sizes_the_buffer_once_and_reads_what_is_there() {
        let text = b"[db]\npassword = a\n";
        let got = read_within(&text[..], text.len() as u64).unwrap().unwrap();
        assert_eq!(got.as_slice(), text);
        assert_eq!(got.capacity(), text.len() + 1);
        // Shorter or longer than its size said: what is there is read.
        assert_eq!(
            read_within(&text[..], 1000).unwrap().unwrap().as_slice(),
            text
        );
        assert_eq!(read_within(&text[..], 3).unwrap().unwrap().as_slice(), text);
        assert!(read_within(&b""[..], 0).unwrap().unwrap().is_empty());
    }

    /// Counts the bytes read through it.
    struct Counting<R>(R, std::rc::Rc<std::cell::Cell<u64>>);

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn fail_a_file_that_grows_past_the_limit_is_read_one_byte_past_it_and_refused() {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        let endless = Counting(std::io::repeat(b'x'), count.clone());
        assert!(read_within(endless, 10).unwrap().is_none());
        assert_eq!(count.get(), MAX_CONFIG_SIZE + 1);
    }

    #[test]
    fn utf16_and_utf32_are_recognised_and_utf8_is_not() {
        for (bytes, found) in [
            (&b"\xFF\xFE[\0c\0"[..], Some("UTF-16")),
            (b"\xFE\xFF\0[\0c", Some("UTF-16")),
            (b"[\0c\0o\0n\0f\0]\0", Some("UTF-16")),
            (b"\0[\0c\0o\0n\0f\0]", Some("UTF-16")),
            (b"\xFF\xFE\0\0[\0\0\0", Some("UTF-32")),
            (b"\xEF\xBB\xBF[confserv]\n", None),
            (b"[confserv]\nx = a\0b\n", None),
            (b"a\0", None),
            (b"", None),
        ] {
            assert_eq!(file(bytes).wide_encoding(), found, "{bytes:?}");
        }
    }

    #[test]
    fn names_with_control_characters_are_shown_escaped() {
        assert_eq!(shown("confserv"), "confserv");
        assert_eq!(shown("Ünïcode name"), "Ünïcode name");
        assert_eq!(shown("con\nfserv"), "\"con\\nfserv\"");
        assert_eq!(shown("a\0b"), "\"a\\0b\"");
        let f = file(b"[a\x01]\n[A\x01]\n");
        match f.section("a\x01") {
            Err(e @ Error::DuplicateSection { .. }) => {
                assert!(e.to_string().contains("[\"a\\u{1}\"]"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn line_numbers_count_from_the_first_line_after_a_bom() {
        let f = file(b"\xEF\xBB\xBF[db]\r\n\r\nx = 1\npassword = a\n");
        let s = f.section("db").unwrap().unwrap();
        assert_eq!(f.line_number(f.option(s, "password").unwrap().unwrap()), 4);
        let f = file(b"[db]\nx\n");
        let s = f.section("db").unwrap().unwrap();
        assert!(matches!(
            f.option(s, "y"),
            Err(Error::Syntax { line: 2, .. })
        ));
    }

    #[test]
    fn references_into_another_file_never_panic() {
        let big = file(b"[a]\nx = 1\n[b]\ny = 2\n[c]\npassword = p\n");
        let small = file(b"");
        let s = big.section("c").unwrap().unwrap();
        let o = big.option(s, "password").unwrap().unwrap();
        assert_eq!(small.value(o), b"");
        assert_eq!(small.section_name(s), "");
        assert_eq!(small.option(s, "password").unwrap(), None);
        let mut ed = small.editor();
        ed.set(o, "x");
        ed.add(s, "encryption", "true");
        assert_eq!(ed.finish(), b"");
    }
}
