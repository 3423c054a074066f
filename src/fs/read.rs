//! Reading a configuration file ([`ConfigFile::read`]): a regular file only
//! (a FIFO or device is refused without blocking on it), whole and within
//! [`MAX_CONFIG_SIZE`] (its size checked before a byte is read, a file that
//! grows while read cut off one byte past the limit), into memory zeroized
//! on drop. The transaction reads with the same cap ([`read_capped`]).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fs::platform;
use crate::ini::{ConfigFile, MAX_CONFIG_SIZE};

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
    /// Reads the file at `path`: a regular file of at most
    /// [`MAX_CONFIG_SIZE`] bytes, its size checked before it is read.
    ///
    /// # Errors
    /// [`Error::ConfigNotFound`], [`Error::ConfigNotAFile`],
    /// [`Error::ConfigTooLarge`], [`Error::ConfigRead`].
    pub fn read(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let file = match platform::open_regular(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ConfigNotFound { path });
            }
            Err(e) if platform::is_not_regular(&e) => {
                return Err(Error::ConfigNotAFile { path });
            }
            Err(e) => return Err(Error::ConfigRead { path, source: e }),
        };
        let mut bytes = read_capped(&file, &path)?;
        Ok(Self::parse(path, std::mem::take(&mut *bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
