//! [`Editor`]: a set of changes to a [`ConfigFile`] (values replaced, option
//! lines added after a section's options or after another option, option
//! lines removed), applied at once; every byte it was not told to change
//! stays as it was.

use std::ops::Range;

use super::lines::{Kind, Line, is_space};
use super::{ConfigFile, OptionRef, SectionRef};

impl ConfigFile {
    /// Starts a set of edits on this file.
    pub fn editor(&self) -> Editor<'_> {
        Editor {
            file: self,
            edits: Vec::new(),
            completed: Vec::new(),
        }
    }
}

/// A set of changes to a [`ConfigFile`], applied all at once by [`Editor::finish`].
pub struct Editor<'a> {
    file: &'a ConfigFile,
    /// (byte range to replace, replacement), in any order; ranges never overlap.
    edits: Vec<(Range<usize>, Vec<u8>)>,
    /// Last lines without a complete line end that an added line has
    /// already given one (by where they end), so that a second line added
    /// after the same one is not given another.
    completed: Vec<usize>,
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
        let mut line = indent.to_vec();
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(sep);
        line.extend_from_slice(value.as_bytes());
        self.add_line(&anchor, eol, line);
    }

    /// Adds `line` (without its line end) after `anchor`. After a line with a
    /// complete line end, the new line takes `eol`. After the last line of a
    /// file without one (nothing, or a lone `\r`, which ends no line), that
    /// line is given `eol` in place of what it had, and the new line, now the
    /// last, has none: the file stays without a final line end, and no other
    /// byte changes.
    fn add_line(&mut self, anchor: &Line, eol: &[u8], mut line: Vec<u8>) {
        let f = self.file;
        // Only `\n` ends a line; a lone `\r` at the end of the file does not.
        if f.bytes[anchor.text.end..anchor.next].contains(&b'\n') {
            line.extend_from_slice(eol);
            self.edits.push((anchor.next..anchor.next, line));
            return;
        }
        let mut text = eol.to_vec();
        text.extend_from_slice(&line);
        if self.completed.contains(&anchor.next) {
            self.edits.push((anchor.next..anchor.next, text));
        } else {
            self.completed.push(anchor.next);
            self.edits.push((anchor.text.end..anchor.next, text));
        }
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
        let mut text = f.bytes[line.text.start..n.start].to_vec();
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(sep);
        text.extend_from_slice(value.as_bytes());
        self.add_line(&line, eol, text);
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
