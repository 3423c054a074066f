//! Telling a file saved as UTF-16 or UTF-32, which confpass does not read,
//! so that every reader can say so instead of reporting odd lines.

/// The encoding of a file saved as UTF-16 (or UTF-32), which confpass does
/// not read: a byte-order mark, or, without one, a NUL byte in every other
/// position of the first bytes (ASCII text in UTF-16).
pub(super) fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
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
