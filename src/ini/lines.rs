//! The line classifier under [`super::ConfigFile`]: each line of the bytes,
//! found on demand and classified as a section header, an `option = value`
//! line, a comment, a blank, or a line that is none of these (kept, and
//! reported only where a section confpass reads holds it).

use std::ops::Range;

/// One line, found and classified while walking the bytes.
#[derive(Debug, Clone)]
pub(super) struct Line {
    /// Bytes of the line without its line end.
    pub(super) text: Range<usize>,
    /// Byte offset just past the line end (equals `text.end` on a last line without one).
    pub(super) next: usize,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
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
pub(super) struct Lines<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
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

pub(super) fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Shrinks `r` so that it starts and ends with no space or tab.
pub(super) fn trim(bytes: &[u8], mut r: Range<usize>) -> Range<usize> {
    while r.start < r.end && is_space(bytes[r.start]) {
        r.start += 1;
    }
    while r.end > r.start && is_space(bytes[r.end - 1]) {
        r.end -= 1;
    }
    r
}

pub(super) fn classify(bytes: &[u8], text: Range<usize>) -> Kind {
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
