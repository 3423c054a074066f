//! Reading and byte-exact editing of a Genesys-style INI configuration file.
//!
//! [`ConfigFile`] keeps the file's bytes exactly as read and an index of its
//! lines: section headers, `option = value` lines, comments, blanks, and lines
//! that are none of these. Values are taken verbatim (no escapes, no quotes, a
//! `;` or `#` inside a value is part of it). Names match without regard to
//! case, and two candidates for one name are an error, never a guess.
//! [`Editor`] replaces values and adds option lines; every byte it was not told
//! to change stays as it was: comments, order, spacing, spelling, line ends, a
//! byte-order mark, a missing final newline. Bytes that are not UTF-8 are kept.

use std::ops::Range;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A configuration file held in memory, with an index of its lines.
#[derive(Clone)]
pub struct ConfigFile {
    path: PathBuf,
    /// Zeroized on drop: a plain password may be among these bytes.
    bytes: Zeroizing<Vec<u8>>,
    lines: Vec<Line>,
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

impl ConfigFile {
    /// Indexes `bytes`, the content of the file at `path`. Never fails: lines
    /// that are not valid INI are kept and reported only when an operation
    /// reads the section that holds them.
    pub fn parse(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        let bytes = Zeroizing::new(bytes);
        let mut lines = Vec::new();
        let mut start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        while start < bytes.len() {
            let (end, next) = match bytes[start..].iter().position(|&b| b == b'\n') {
                Some(nl) => (start + nl, start + nl + 1),
                None => (bytes.len(), bytes.len()),
            };
            let end = if end > start && bytes[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            let kind = classify(&bytes, start..end);
            lines.push(Line {
                text: start..end,
                next,
                kind,
            });
            start = next;
        }
        ConfigFile {
            path: path.into(),
            bytes,
            lines,
        }
    }

    /// Reads and indexes the file at `path`.
    ///
    /// # Errors
    /// [`Error::ConfigNotFound`], [`Error::ConfigNotAFile`], [`Error::ConfigRead`].
    pub fn read(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        match crate::fsutil::read_file(&path) {
            Ok(bytes) => Ok(Self::parse(path, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::ConfigNotFound { path })
            }
            Err(e) if crate::platform::is_not_regular(&e) => Err(Error::ConfigNotAFile { path }),
            Err(e) => Err(Error::ConfigRead { path, source: e }),
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

    /// The section named `name`, if there is one.
    ///
    /// # Errors
    /// [`Error::DuplicateSection`] when two headers match the name.
    pub fn section(&self, name: &str) -> Result<Option<SectionRef>> {
        let mut found: Option<usize> = None;
        for (i, line) in self.lines.iter().enumerate() {
            if let Kind::Section { name: n } = &line.kind
                && names_match(&self.bytes[n.clone()], name)
            {
                if let Some(first) = found {
                    return Err(Error::DuplicateSection {
                        path: self.path.clone(),
                        section: name.to_owned(),
                        first: first + 1,
                        second: i + 1,
                    });
                }
                found = Some(i);
            }
        }
        Ok(found.map(SectionRef))
    }

    /// The section's name as the file spells it.
    pub fn section_name(&self, s: SectionRef) -> String {
        match self.lines.get(s.0).map(|l| &l.kind) {
            Some(Kind::Section { name }) => {
                String::from_utf8_lossy(&self.bytes[name.clone()]).into_owned()
            }
            _ => String::new(),
        }
    }

    /// Line indices of the body of a section: from its header to the next one.
    fn body(&self, s: SectionRef) -> Range<usize> {
        let Some(after) = self.lines.get(s.0 + 1..) else {
            return 0..0;
        };
        let end = after
            .iter()
            .position(|l| matches!(l.kind, Kind::Section { .. }))
            .map_or(self.lines.len(), |p| s.0 + 1 + p);
        s.0 + 1..end
    }

    /// The option `name` in section `s`, if there is one.
    ///
    /// # Errors
    /// [`Error::DuplicateOption`] when two options match the name, and
    /// [`Error::Syntax`] when the section holds a line that is not valid INI.
    pub fn option(&self, s: SectionRef, name: &str) -> Result<Option<OptionRef>> {
        let mut found: Option<usize> = None;
        for i in self.body(s) {
            match &self.lines[i].kind {
                Kind::Invalid { reason } => {
                    return Err(Error::Syntax {
                        path: self.path.clone(),
                        line: i + 1,
                        reason: format!("{reason} in section [{}]", self.section_name(s)),
                    });
                }
                Kind::Option { name: n, .. } if names_match(&self.bytes[n.clone()], name) => {
                    if let Some(first) = found {
                        return Err(Error::DuplicateOption {
                            path: self.path.clone(),
                            section: self.section_name(s),
                            option: name.to_owned(),
                            first: first + 1,
                            second: i + 1,
                        });
                    }
                    found = Some(i);
                }
                _ => {}
            }
        }
        Ok(found.map(OptionRef))
    }

    /// The value of an option, verbatim, as bytes.
    pub fn value(&self, o: OptionRef) -> &[u8] {
        match self.lines.get(o.0).map(|l| &l.kind) {
            Some(Kind::Option { value, .. }) => &self.bytes[value.clone()],
            _ => &[],
        }
    }

    /// The 1-based line number of an option.
    pub fn line_number(&self, o: OptionRef) -> usize {
        o.0 + 1
    }

    /// Every `(section, option, value)` entry in file order, names as spelled;
    /// options before the first section have an empty section name. Used to
    /// check that an edit changed nothing it was not meant to.
    pub fn entries(&self) -> Vec<(&[u8], &[u8], &[u8])> {
        let mut section: &[u8] = b"";
        let mut out = Vec::new();
        for line in &self.lines {
            match &line.kind {
                Kind::Section { name } => section = &self.bytes[name.clone()],
                Kind::Option { name, value } => out.push((
                    section,
                    &self.bytes[name.clone()],
                    &self.bytes[value.clone()],
                )),
                _ => {}
            }
        }
        out
    }

    /// Every line in file order, with the section it stands in.
    pub fn lines(&self) -> impl Iterator<Item = LineView<'_>> {
        let mut section: &[u8] = b"";
        self.lines.iter().map(move |line| {
            let option = match &line.kind {
                Kind::Section { name } => {
                    section = &self.bytes[name.clone()];
                    None
                }
                Kind::Option { name, .. } => Some(&self.bytes[name.clone()]),
                _ => None,
            };
            LineView {
                section,
                option,
                text: &self.bytes[line.text.clone()],
                end: &self.bytes[line.text.end..line.next],
            }
        })
    }

    /// The line end this file uses: CRLF when most of its lines end so, else LF.
    fn line_end(&self) -> &'static [u8] {
        let crlf = self
            .lines
            .iter()
            .filter(|l| l.next > l.text.end + 1)
            .count();
        let lf = self
            .lines
            .iter()
            .filter(|l| l.next == l.text.end + 1)
            .count();
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
        if let Some(Kind::Option { value: v, .. }) = self.file.lines.get(o.0).map(|l| &l.kind) {
            let b = &self.file.bytes;
            // `name =` with nothing after it: mirror the blank before the `=`.
            let pad =
                v.is_empty() && v.start >= 2 && b[v.start - 1] == b'=' && is_space(b[v.start - 2]);
            let mut text = if pad { b" ".to_vec() } else { Vec::new() };
            text.extend_from_slice(value.as_bytes());
            self.edits.push((v.clone(), text));
        }
    }

    /// Adds the line `name = value` at the end of section `s`, after its last
    /// option, in the file's line-end style and the section's spacing style.
    pub fn add(&mut self, s: SectionRef, name: &str, value: &str) {
        let f = self.file;
        // A reference into another file is ignored rather than trusted.
        if !matches!(
            f.lines.get(s.0).map(|l| &l.kind),
            Some(Kind::Section { .. })
        ) {
            return;
        }
        let body = f.body(s);
        let last = body
            .clone()
            .rev()
            .find(|&i| matches!(f.lines[i].kind, Kind::Option { .. }))
            .unwrap_or(s.0);
        // Copy indentation and the spacing around `=` from the section's first option.
        let (indent, sep) = body
            .into_iter()
            .find_map(|i| match &f.lines[i].kind {
                Kind::Option { name, value } => {
                    let line = &f.lines[i];
                    let eq = name.end + f.bytes[name.end..].iter().position(|&b| b == b'=')?;
                    let after = if value.is_empty() {
                        eq + 1
                    } else {
                        value.start
                    };
                    Some((line.text.start..name.start, name.end..after))
                }
                _ => None,
            })
            .map_or((Vec::new(), b" = ".to_vec()), |(i, s)| {
                (f.bytes[i].to_vec(), f.bytes[s].to_vec())
            });
        let anchor = &f.lines[last];
        let eol = f.line_end();
        let mut text = Vec::new();
        let has_end = anchor.next > anchor.text.end;
        if !has_end {
            text.extend_from_slice(eol);
        }
        text.extend_from_slice(&indent);
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(&sep);
        text.extend_from_slice(value.as_bytes());
        if has_end {
            text.extend_from_slice(eol);
        }
        self.edits.push((anchor.next..anchor.next, text));
    }

    /// The new content of the file.
    pub fn finish(mut self) -> Vec<u8> {
        self.edits.sort_by_key(|(r, _)| (r.start, r.end));
        let bytes = &self.file.bytes;
        let mut out = Vec::with_capacity(bytes.len() + 1024);
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
