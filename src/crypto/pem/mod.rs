//! Key files as other tools write them: PEM blocks read the way OpenSSL
//! reads them, and the OpenSSH formats recognised so that a refusal can say
//! what the file is.
//!
//! [`blocks`] walks a file's PEM blocks in order. Like OpenSSL it skips text
//! before `-----BEGIN` and stops reading at the block the caller takes, so
//! anything after that block's `-----END` line is never looked at; it
//! accepts CRLF line ends, trailing whitespace, a UTF-8 byte order mark,
//! spaces inside base64 lines, lines of any length and one blank line (or RFC
//! 1421 headers and a blank line) after `-----BEGIN`. It refuses what OpenSSL
//! refuses (a blank line inside the base64 text, a `-----BEGIN` line that
//! does not start its line, text after the dashes of `-----END`, an `END`
//! label that differs, a NUL byte), so that a key confpass accepts is always
//! one that stock OpenSSL, the documented recovery path, can read. The
//! OpenSSH parsers read only the public parts of a key (its type, and the
//! modulus size of an RSA key), never anything secret.

mod ssh;
mod write;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

pub(crate) use ssh::{SshKey, bit_length, openssh_private, openssh_public_line, rfc4716_public};
pub(crate) use write::encode;

/// One PEM block: its label, whether it is legacy-encrypted, and its decoded bytes.
pub(crate) struct Block {
    /// The label of the `-----BEGIN <label>-----` line.
    pub(crate) label: String,
    /// True when an RFC 1421 header says `Proc-Type: 4,ENCRYPTED` (the
    /// legacy passphrase protection of `openssl genrsa -aes256`).
    pub(crate) encrypted: bool,
    /// The base64 text, decoded.
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Why a file's PEM text cannot be read; each says where and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemError {
    /// A `-----BEGIN` line without its `-----END` line.
    NoEnd { label: String, line: usize },
    /// `-----END` names another label than `-----BEGIN`.
    EndMismatch {
        label: String,
        found: String,
        line: usize,
    },
    /// Text after the closing dashes of the `-----END` line.
    BadEndLine { label: String, line: usize },
    /// A blank line inside the base64 text.
    BlankLine { label: String, line: usize },
    /// A line inside the block that is not base64.
    NotBase64 { label: String, line: usize },
    /// The base64 text does not decode (cut short, or extra characters).
    BadBase64 { label: String, line: usize },
    /// A block with no data.
    Empty { label: String, line: usize },
    /// `-----BEGIN` somewhere other than at the start of a line of its own.
    BeginNotAlone { line: usize },
    /// A NUL byte before the end of the key.
    Nul { line: usize },
}

const INTACT: &str = "give an intact copy of the key file";

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemError::NoEnd { label, line } => write!(
                f,
                "its `-----BEGIN {label}-----` line (line {line}) has no `-----END {label}-----` line after it (the file is cut short): {INTACT}"
            ),
            PemError::EndMismatch { label, found, line } => write!(
                f,
                "line {line} closes the `{label}` block with `-----END {found}-----`: {INTACT}"
            ),
            PemError::BadEndLine { label, line } => write!(
                f,
                "line {line}, the `-----END {label}-----` line, has text after its closing dashes, which OpenSSL refuses too: put a line break after `-----END {label}-----`"
            ),
            PemError::BlankLine { label, line } => write!(
                f,
                "line {line}, inside the base64 text of the `{label}` block, is blank, which OpenSSL refuses too: remove that line"
            ),
            PemError::NotBase64 { label, line } => write!(
                f,
                "line {line}, inside the `{label}` block, is not base64 (the file is damaged, or two lines were joined): {INTACT}"
            ),
            PemError::BadBase64 { label, line } => write!(
                f,
                "the base64 text of the `{label}` block (line {line}) does not decode (it is cut short or has characters too many): {INTACT}"
            ),
            PemError::Empty { label, line } => write!(
                f,
                "the `{label}` block (line {line}) holds no key data: {INTACT}"
            ),
            PemError::BeginNotAlone { line } => write!(
                f,
                "line {line} holds `-----BEGIN` but is not a `-----BEGIN ...-----` line of its own (text or spaces before it, or line ends other than LF or CRLF), which OpenSSL refuses too: put the `-----BEGIN ...-----` line on a line of its own, starting at its first column"
            ),
            PemError::Nul { line } => write!(
                f,
                "line {line} holds a NUL byte (the file is binary or damaged): {INTACT}"
            ),
        }
    }
}

/// The PEM blocks of `text`, in order; the iterator ends after the first
/// error. A `-----BEGIN` that is not at the start of its line is reported
/// (at the end) only when no block follows it.
pub(crate) fn blocks(text: &[u8]) -> Blocks<'_> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    Blocks {
        lines: text.split(is_newline as fn(&u8) -> bool).enumerate(),
        misplaced_begin: None,
        done: false,
    }
}

/// The numbered lines of a file, split at LF.
type Lines<'a> = std::iter::Enumerate<std::slice::Split<'a, u8, fn(&u8) -> bool>>;

/// The iterator [`blocks`] returns.
pub(crate) struct Blocks<'a> {
    lines: Lines<'a>,
    misplaced_begin: Option<usize>,
    done: bool,
}

impl Iterator for Blocks<'_> {
    type Item = Result<Block, PemError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let Some((i, raw)) = self.lines.next() else {
                self.done = true;
                return self
                    .misplaced_begin
                    .take()
                    .map(|line| Err(PemError::BeginNotAlone { line }));
            };
            let line = trim_end(raw);
            if line.contains(&0) {
                self.done = true;
                return Some(Err(PemError::Nul { line: i + 1 }));
            }
            if let Some(label) = begin_label(line) {
                self.misplaced_begin = None;
                let block = self.block(label, i + 1);
                self.done = block.is_err();
                return Some(block);
            }
            if contains(line, b"-----BEGIN") {
                self.misplaced_begin.get_or_insert(i + 1);
            }
        }
    }
}

impl Blocks<'_> {
    /// Reads the rest of the block that begins at line `begin` (1-based).
    fn block(&mut self, label: String, begin: usize) -> Result<Block, PemError> {
        let mut first = true;
        let mut in_header = false;
        let mut encrypted = false;
        let mut b64 = Zeroizing::new(Vec::new());
        // A blank line inside the data is an error once more of the block
        // follows; at the end of the file the block is cut short instead.
        let mut blank: Option<usize> = None;
        loop {
            let Some((i, raw)) = self.lines.next() else {
                return Err(PemError::NoEnd { label, line: begin });
            };
            let n = i + 1;
            let line = trim_end(raw);
            if line.contains(&0) {
                return Err(PemError::Nul { line: n });
            }
            if first {
                first = false;
                if line.is_empty() {
                    // An empty RFC 1421 header: OpenSSL allows one blank line here.
                    continue;
                }
                if !line.starts_with(b"-----") && line.contains(&b':') {
                    in_header = true;
                }
            }
            if in_header {
                if line.is_empty() {
                    in_header = false;
                } else if line.starts_with(b"-----") {
                    return Err(PemError::Empty { label, line: begin });
                } else if let Some((name, value)) = split_header(line)
                    && name.eq_ignore_ascii_case(b"Proc-Type")
                    && contains(value, b"ENCRYPTED")
                {
                    encrypted = true;
                }
                continue;
            }
            if line.is_empty() {
                blank.get_or_insert(n);
                continue;
            }
            if let Some(line) = blank {
                return Err(PemError::BlankLine { label, line });
            }
            if let Some(rest) = line.strip_prefix(b"-----END ") {
                return match rest.strip_suffix(b"-----") {
                    Some(end) if end == label.as_bytes() => {
                        if b64.is_empty() {
                            return Err(PemError::Empty { label, line: begin });
                        }
                        match BASE64.decode(b64.as_slice()) {
                            Ok(der) => Ok(Block {
                                label,
                                encrypted,
                                der: Zeroizing::new(der),
                            }),
                            Err(_) => Err(PemError::BadBase64 { label, line: begin }),
                        }
                    }
                    Some(end) => Err(PemError::EndMismatch {
                        label,
                        found: printable(end),
                        line: n,
                    }),
                    None => Err(PemError::BadEndLine { label, line: n }),
                };
            }
            if begin_label(line).is_some() {
                return Err(PemError::NoEnd { label, line: begin });
            }
            for &b in line {
                match b {
                    b' ' | b'\t' => {}
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' | b'=' => b64.push(b),
                    _ => return Err(PemError::NotBase64 { label, line: n }),
                }
            }
        }
    }
}

/// Whether a PEM label names a key (private or public, of any algorithm
/// and format), as opposed to a certificate, parameters or anything else.
pub(crate) fn is_key_label(label: &str) -> bool {
    label == "PRIVATE KEY"
        || label == "PUBLIC KEY"
        || label.ends_with(" PRIVATE KEY")
        || label.ends_with(" PUBLIC KEY")
}

/// Whether `text` is UTF-16 (a byte order mark, or ASCII with NUL bytes
/// between the letters): what Windows Notepad saves as "Unicode".
pub(crate) fn is_utf16(text: &[u8]) -> bool {
    text.starts_with(b"\xff\xfe")
        || text.starts_with(b"\xfe\xff")
        || contains(text, b"-\0-\0-\0-\0-\0")
        || contains(text, b"\0-\0-\0-\0-\0-")
}

fn is_newline(b: &u8) -> bool {
    *b == b'\n'
}

/// The label of a `-----BEGIN <label>-----` line (already trimmed at the end).
fn begin_label(line: &[u8]) -> Option<String> {
    let label = line.strip_prefix(b"-----BEGIN ")?.strip_suffix(b"-----")?;
    if label.is_empty() || !label.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    String::from_utf8(label.to_vec()).ok()
}

/// `Name: value` of an RFC 1421 header line.
fn split_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some((trim(&line[..colon]), trim(&line[colon + 1..])))
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

fn trim(s: &[u8]) -> &[u8] {
    let s = trim_end(s);
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[start..]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Up to 40 printable characters of a label read from a file, for messages.
pub(crate) fn printable(s: &[u8]) -> String {
    String::from_utf8_lossy(s)
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "MIIBCgKCAQEA";

    fn one(text: &str) -> Result<Block, PemError> {
        blocks(text.as_bytes()).next().expect("a block or an error")
    }

    #[test]
    fn reads_what_openssl_reads() {
        for text in [
            format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n"),
            format!("-----BEGIN PUBLIC KEY-----\r\n{BODY}\r\n-----END PUBLIC KEY-----\r\n"),
            format!("-----BEGIN PUBLIC KEY-----  \n{BODY}\t\n-----END PUBLIC KEY----- \n"),
            format!("text\nbefore\n\n-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----"),
            format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n\nafter\n"),
            format!("\u{feff}-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n"),
            format!("-----BEGIN PUBLIC KEY-----\n\n{BODY}\n-----END PUBLIC KEY-----\n"),
            "-----BEGIN PUBLIC KEY-----\n MIIB CgKC\nAQEA\n-----END PUBLIC KEY-----\n".to_owned(),
        ] {
            let block = one(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(block.label, "PUBLIC KEY");
            assert_eq!(
                block.der.as_slice(),
                BASE64.decode(BODY).unwrap().as_slice()
            );
            assert!(!block.encrypted);
        }
    }

    #[test]
    fn reads_legacy_encryption_headers() {
        let text = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n{BODY}\n-----END RSA PRIVATE KEY-----\n"
        );
        let block = one(&text).unwrap();
        assert!(block.encrypted);
        assert_eq!(block.label, "RSA PRIVATE KEY");
    }

    #[test]
    fn fail_refuses_what_openssl_refuses() {
        let cases = [
            (
                format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n\n{BODY}\n-----END PUBLIC KEY-----\n"),
                PemError::BlankLine {
                    label: "PUBLIC KEY".into(),
                    line: 3,
                },
            ),
            (
                format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----junk\n"),
                PemError::BadEndLine {
                    label: "PUBLIC KEY".into(),
                    line: 3,
                },
            ),
            (
                format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n"),
                PemError::EndMismatch {
                    label: "PUBLIC KEY".into(),
                    found: "PRIVATE KEY".into(),
                    line: 3,
                },
            ),
            (
                format!("-----BEGIN PUBLIC KEY-----\n{BODY}\n"),
                PemError::NoEnd {
                    label: "PUBLIC KEY".into(),
                    line: 1,
                },
            ),
            (
                format!("  -----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n"),
                PemError::BeginNotAlone { line: 1 },
            ),
            (
                format!("-----BEGIN PUBLIC KEY-----\n{BODY}-----END PUBLIC KEY-----\n"),
                PemError::NotBase64 {
                    label: "PUBLIC KEY".into(),
                    line: 2,
                },
            ),
            (
                "-----BEGIN PUBLIC KEY-----\nMIIBCgKCAQE\n-----END PUBLIC KEY-----\n".to_owned(),
                PemError::BadBase64 {
                    label: "PUBLIC KEY".into(),
                    line: 1,
                },
            ),
            (
                "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".to_owned(),
                PemError::Empty {
                    label: "PUBLIC KEY".into(),
                    line: 1,
                },
            ),
            (
                format!("\0\n-----BEGIN PUBLIC KEY-----\n{BODY}\n-----END PUBLIC KEY-----\n"),
                PemError::Nul { line: 1 },
            ),
            (
                format!("-----BEGIN PUBLIC KEY-----\r{BODY}\r-----END PUBLIC KEY-----\r"),
                PemError::BeginNotAlone { line: 1 },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(one(&text).err(), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn stops_at_the_block_taken() {
        let text = format!(
            "-----BEGIN CERTIFICATE-----\n{BODY}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----\n-----BEGIN broken\n"
        );
        let labels: Vec<String> = blocks(text.as_bytes())
            .take(2)
            .map(|b| b.unwrap().label)
            .collect();
        assert_eq!(labels, ["CERTIFICATE", "PRIVATE KEY"]);
    }

    #[test]
    fn key_labels() {
        for label in [
            "PRIVATE KEY",
            "RSA PUBLIC KEY",
            "OPENSSH PRIVATE KEY",
            "EC PRIVATE KEY",
        ] {
            assert!(is_key_label(label), "{label}");
        }
        for label in ["CERTIFICATE", "EC PARAMETERS", "PRIVATE KEYS", "X509 CRL"] {
            assert!(!is_key_label(label), "{label}");
        }
    }

    #[test]
    fn bit_length_counts_bits_not_bytes() {
        assert_eq!(bit_length(&[0x00, 0x7f, 0xff]), 15);
        assert_eq!(bit_length(&[0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x00]), 0);
        assert_eq!(bit_length(&[]), 0);
    }

    #[test]
    fn fail_ssh_parsers_never_panic_on_short_input() {
        for n in 0..40 {
            let data = vec![0xffu8; n];
            assert_eq!(openssh_private(&data), None);
            let _ = openssh_public_line(&data);
            let _ = rfc4716_public(&data);
        }
    }
}
