//! Reading a configuration file whole and within [`super::MAX_CONFIG_SIZE`]
//! (its size checked before a byte is read, a file that grows while read
//! cut off one byte past the limit), into memory zeroized on drop; and
//! telling a file saved as UTF-16 or UTF-32, which confpass does not read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use super::MAX_CONFIG_SIZE;
use crate::error::{Error, Result};

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
pub(super) fn read_within(
    reader: impl Read,
    len: u64,
) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
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
