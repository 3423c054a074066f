//! The token's user PIN, read from the file the URI's `pin-source` names:
//! one line, its line end stripped, in a file no one but its owner can read
//! (checked as a private key file is). The PIN is never in the configuration
//! file, argv or any message; it lives in memory that is wiped when dropped.

use std::path::Path;

use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fs::files;
use crate::fs::platform::{self, Exposure};

/// The longest PIN file read: a PIN is a line, not a document.
const MAX_PIN_FILE: u64 = 1024;

/// Reads and checks the PIN file at `path`.
///
/// # Errors
/// [`Error::PinFile`]: missing, unreadable, readable by others, too long,
/// empty, or more than one line.
pub(super) fn read(path: &Path) -> Result<AuthPin> {
    let bad = |reason: String| Error::PinFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = Zeroizing::new(files::read_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(
            "does not exist: write the token's user PIN in it (one line), owned by the server's user with mode 0600".into(),
        ),
        _ if platform::is_not_regular(&e) => bad("is not a regular file: give the path of the PIN file itself".into()),
        _ => bad(format!("cannot be read ({e}): let the server's user read it")),
    })?);
    match platform::private_key_exposure(path)
        .map_err(|e| bad(format!("cannot be checked ({e})")))?
    {
        None => {}
        Some(Exposure::Mode(mode)) => {
            return Err(bad(format!(
                "is readable by group or others (mode {mode:03o}): run `chmod 600 {}`",
                path.display()
            )));
        }
        Some(Exposure::Acl { who, fix }) => {
            return Err(bad(format!("can be read by {who}: run {fix}")));
        }
    }
    if bytes.len() as u64 > MAX_PIN_FILE {
        return Err(bad(format!(
            "is over {MAX_PIN_FILE} bytes: a PIN file holds one line, the PIN"
        )));
    }
    let line = bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(&bytes);
    if line.is_empty() {
        return Err(bad(
            "is empty: write the token's user PIN in it (one line)".into()
        ));
    }
    if line.iter().any(|&b| b == b'\n' || b == b'\r' || b == 0) {
        return Err(bad(
            "holds more than one line: write the token's user PIN alone on its one line".into(),
        ));
    }
    let text = std::str::from_utf8(line)
        .map_err(|_| bad("is not UTF-8 text: write the PIN as text".into()))?;
    Ok(AuthPin::from(text.to_owned()))
}
