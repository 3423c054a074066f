//! File-system steps: reading regular files, new files created whole, renames
//! and hard links that are flushed, and the removal of what killed runs left.
//!
//! Every file confpass writes is first written in full to a temporary file
//! `.<name>.confpass-XXXXXX.tmp` in the same directory (mode 0600, `O_EXCL`),
//! flushed, and only then given its name: a new key file by a link that never
//! replaces an existing file, the configuration file by one rename
//! (`crate::fs::txn`). The `confpass-` in the name is what tells a killed
//! run's temporary from an administrator's file: the next run removes only
//! files of exactly that name shape, and beside the key files only those that
//! hold nothing or the start of a PEM block confpass writes
//! ([`remove_stale_temps`]).
//! Each write, flush, link, rename and removal passes a named test hook
//! (`crate::fault::io_point`) so that the fault tests can fail exactly that
//! step. The platform differences are in `crate::fs::platform`.

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::fault::io_point;
use crate::fs::platform::{self, Owner};

/// The largest key file confpass reads: a 16384-bit RSA private key in PEM
/// is about 13 KB, so anything near this is not a key.
pub(crate) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Reads a whole regular key file of at most [`MAX_KEY_FILE`] bytes; a FIFO,
/// device or directory is refused (`platform::is_not_regular`) without
/// blocking, and a larger file before it is read.
pub(crate) fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = platform::open_regular(path)?;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {MAX_KEY_FILE} bytes, which no key file is"),
        )
    };
    let len = file.metadata()?.len();
    if len > MAX_KEY_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_KEY_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_KEY_FILE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The directory a file lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries, as the step `dirsync:<role>`.
pub(crate) fn sync_dir(dir: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("dirsync:{role}"))?;
    platform::sync_dir(dir)
}

/// What marks a temporary file as confpass's: its name is
/// `.<name>` + this + [`TEMP_RANDOM`] random ASCII letters and digits +
/// [`TEMP_SUFFIX`], a name no administrator would choose for a backup.
const TEMP_MARKER: &str = ".confpass-";
/// How many random characters a temporary's name holds (tempfile's
/// `Builder::rand_bytes`: ASCII letters and digits).
const TEMP_RANDOM: usize = 6;
/// How a temporary's name ends.
const TEMP_SUFFIX: &str = ".tmp";

/// The start of the name of a temporary file for the target name `name`:
/// `.<name>.confpass-`, followed by the random characters and `.tmp`.
fn temp_prefix(name: &str) -> String {
    format!(".{name}{TEMP_MARKER}")
}

/// The target name of a temporary file named `file_name`, if that is exactly
/// the shape [`temp_with_mode`] gives: `.`, the target name (not empty),
/// `.confpass-`, six ASCII letters or digits, `.tmp`.
fn temp_target(file_name: &str) -> Option<&str> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(TEMP_SUFFIX)?;
    let split = rest.len().checked_sub(TEMP_RANDOM)?;
    let random = rest.as_bytes().get(split..)?;
    if !random.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    // The random part is ASCII, so `split` is a character boundary.
    let target = rest.get(..split)?.strip_suffix(TEMP_MARKER)?;
    (!target.is_empty()).then_some(target)
}

/// A new temporary file `.<name>.confpass-XXXXXX.tmp` in `path`'s directory,
/// that only its owner can use (`platform::create_new` with mode 0600).
pub(crate) fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    temp_with_mode(path, 0o600)
}

/// As [`temp_beside`], protected as `mode` says from its first moment
/// (`platform::create_new`).
fn temp_with_mode(path: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&temp_prefix(&name))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM)
        .make_in(parent_dir(path), |p| platform::create_new(p, mode))
        .map_err(without_temp_path)
}

/// tempfile adds the random temporary path to its errors (`… at path "…"`),
/// and keeps the original error only as text. Messages name the file the user
/// knows instead, so keep only what the operating system said.
pub(crate) fn without_temp_path(e: io::Error) -> io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    match text.split_once(" at path \"") {
        Some((os_said, _)) => io::Error::new(e.kind(), os_said.to_owned()),
        None => e,
    }
}

/// What the target of a temporary file is, which says what a stale one
/// may hold ([`remove_stale_temps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TempOf {
    /// The configuration file: its temporary may hold anything.
    Config,
    /// A key file (the pair, or a staged or retired name): its temporary
    /// holds nothing yet, or the start of the PEM block confpass writes.
    Key,
}

/// The PEM blocks confpass writes to key files ([`crate::crypto::keys`]:
/// PKCS#8 private keys, SubjectPublicKeyInfo public keys), as they start.
const KEY_PEM_STARTS: [&[u8]; 2] = [
    b"-----BEGIN PRIVATE KEY-----",
    b"-----BEGIN PUBLIC KEY-----",
];

/// How much of a key file's temporary the sweep reads: enough to hold the
/// longest of [`KEY_PEM_STARTS`].
const KEY_HEAD: u64 = 64;

/// Whether `head`, the start of a file, is what a key file's temporary holds
/// after a killed run: nothing, part of the first line of a PEM block
/// confpass writes (a write cut short), or that whole line and more.
fn is_key_pem_start(head: &[u8]) -> bool {
    KEY_PEM_STARTS.iter().any(|start| {
        let n = head.len().min(start.len());
        head[..n] == start[..n]
    })
}

/// Whether the regular file at `path` starts as [`is_key_pem_start`] says;
/// `false` when it cannot be read.
fn holds_key_pem_start(path: &Path) -> bool {
    let Ok(file) = platform::open_regular(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(KEY_HEAD as usize);
    file.take(KEY_HEAD).read_to_end(&mut head).is_ok() && is_key_pem_start(&head)
}

/// Removes the temporary files that killed runs left in `dir` for a target
/// name `wanted` accepts, and nothing an administrator may have put there:
/// only a regular file (never a symlink or a directory) whose name is exactly
/// `.<target>.confpass-XXXXXX.tmp` ([`temp_target`]: an administrator's
/// `.dec.pem.backup.tmp` or `.confserv.conf.a1B2c3.tmp` is kept), and, for a
/// key file's temporary ([`TempOf::Key`]), only one that holds nothing or the
/// start of a PEM block confpass writes ([`is_key_pem_start`]). Called with
/// the directory locked, which every run that writes such files holds too.
/// Best effort: a file that cannot be read or removed is left.
pub(crate) fn remove_stale_temps(dir: &Path, of: TempOf, wanted: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(target) = file_name.to_str().and_then(temp_target) else {
            continue;
        };
        // `DirEntry::file_type` does not follow a symlink.
        if !wanted(target) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        if of == TempOf::Key && !holds_key_pem_start(&path) {
            continue;
        }
        let _ = fs::remove_file(path);
    }
}

/// Writes `bytes` as a new file at `path` with permission bits `mode` from
/// creation on, owned like the configuration file when run as root: written
/// to a temporary file, flushed, then linked into place only if nothing is
/// there yet, then the directory flushed. On an error nothing is left.
///
/// # Errors
/// [`Error::KeyExists`] when `path` exists, [`Error::Write`] otherwise.
pub(crate) fn create_new_file(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<&Owner>,
    role: &str,
) -> Result<()> {
    let write_err = |e| Error::Write {
        path: path.to_path_buf(),
        source: without_temp_path(e),
    };
    // Created new (never an existing file), protected as `mode` says from
    // its first moment (mode 0600, or a protected DACL on Windows): a private
    // key is never readable by others, not even while it is empty.
    let mut temp = temp_with_mode(path, mode).map_err(write_err)?;
    if let Some(owner) = owner {
        platform::give_new_file(temp.as_file(), owner, mode).map_err(write_err)?;
    }
    io_point(&format!("write:{role}")).map_err(write_err)?;
    temp.as_file_mut().write_all(bytes).map_err(write_err)?;
    io_point(&format!("sync:{role}")).map_err(write_err)?;
    temp.as_file().sync_all().map_err(write_err)?;
    io_point(&format!("link:{role}")).map_err(write_err)?;
    temp.persist_noclobber(path)
        .map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => Error::KeyExists {
                path: path.to_path_buf(),
            },
            _ => write_err(e.error),
        })?;
    if let Err(e) = sync_dir(parent_dir(path), role) {
        let _ = fs::remove_file(path);
        return Err(write_err(e));
    }
    Ok(())
}

/// Gives the file at `from` a second name `to` (a hard link), or, where the
/// file system has none, writes a copy as a new file: either way `to` is new
/// and `from` stays as it is.
///
/// # Errors
/// [`Error::KeyExists`] when `to` exists, [`Error::Write`] otherwise.
pub(crate) fn link_or_copy(
    from: &Path,
    to: &Path,
    mode: u32,
    owner: Option<&Owner>,
    role: &str,
) -> Result<()> {
    let write_err = |e| Error::Write {
        path: to.to_path_buf(),
        source: e,
    };
    io_point(&format!("link:{role}")).map_err(write_err)?;
    match fs::hard_link(from, to) {
        Ok(()) => {
            if let Err(e) = sync_dir(parent_dir(to), role) {
                let _ = fs::remove_file(to);
                return Err(write_err(e));
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::KeyExists {
            path: to.to_path_buf(),
        }),
        Err(_) => {
            let bytes = zeroize::Zeroizing::new(read_file(from).map_err(write_err)?);
            create_new_file(to, &bytes, mode, owner, role)
        }
    }
}

/// Renames `from` over `to` and flushes the directory.
pub(crate) fn rename_synced(from: &Path, to: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("rename:{role}"))?;
    platform::replace(from, to)?;
    sync_dir(parent_dir(to), role)
}

/// Removes a file this run created, as the step `remove:<role>`.
pub(crate) fn remove(path: &Path, role: &str) -> io::Result<()> {
    io_point(&format!("remove:{role}"))?;
    fs::remove_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_with_the_marker_are_read_back_to_their_target() {
        for (name, target) in [
            (".confserv.conf.confpass-a1B2c3.tmp", "confserv.conf"),
            (".confserv.cfg.confpass-000000.tmp", "confserv.cfg"),
            (".dec.pem.confpass-ZZZZZZ.tmp", "dec.pem"),
            (".enc.pem.confpass-abcdef.tmp", "enc.pem"),
            (
                ".dec.staged-0123456789abcdef.pem.confpass-AbC123.tmp",
                "dec.staged-0123456789abcdef.pem",
            ),
            // A target name that itself holds the marker: the last one counts.
            (".a.confpass-b.confpass-Xy12ab.tmp", "a.confpass-b"),
            (".x.confpass-123456.tmp", "x"),
            (".ünï.conf.confpass-a1B2c3.tmp", "ünï.conf"),
        ] {
            assert_eq!(temp_target(name), Some(target), "{name}");
        }
    }

    #[test]
    fn fail_temp_names_without_the_exact_marker_shape_are_refused() {
        for name in [
            // An administrator's files (finding 9) and the old shape.
            ".dec.pem.backup.tmp",
            ".confserv.conf.before.tmp",
            ".confserv.conf.a1B2c3.tmp",
            ".dec.pem.Xy12ab.tmp",
            // The target, the marker or the suffix missing or misspelt.
            "confserv.conf.confpass-a1B2c3.tmp",
            "..confpass-a1B2c3.tmp",
            ".confpass-a1B2c3.tmp",
            ".confserv.confconfpass-a1B2c3.tmp",
            ".confserv.conf.confpass_a1B2c3.tmp",
            ".confserv.conf.confpassa1B2c3.tmp",
            ".confserv.conf.Confpass-a1B2c3.tmp",
            ".confserv.conf.CONFPASS-a1B2c3.tmp",
            ".confserv.conf.confpass-a1B2c3.TMP",
            ".confserv.conf.confpass-a1B2c3.tmp~",
            ".confserv.conf.confpass-a1B2c3.tmp.bak",
            ".confserv.conf.confpass-a1B2c3tmp",
            ".confserv.conf.confpass-a1B2c3",
            ".confserv.conf.confpass-.tmp",
            // Not six random characters.
            ".confserv.conf.confpass-a1B2c.tmp",
            ".confserv.conf.confpass-a1B2c3d.tmp",
            ".confserv.conf.confpass-a1B2c3d4.tmp",
            // Not ASCII letters and digits.
            ".confserv.conf.confpass-a1B2c-.tmp",
            ".confserv.conf.confpass-a1B_c3.tmp",
            ".confserv.conf.confpass-a1.2c3.tmp",
            ".confserv.conf.confpass-a1 2c3.tmp",
            ".confserv.conf.confpass-a1B2cé.tmp",
            ".confserv.conf.confpass-é1B2c3.tmp",
            ".confserv.conf.confpass-a1B2c٣.tmp",
            // Nothing but the marker.
            ".tmp",
            "..tmp",
            "",
            ".",
        ] {
            assert_eq!(temp_target(name), None, "{name:?}");
        }
    }

    #[test]
    fn the_temporaries_confpass_makes_are_the_ones_the_sweep_reads() {
        let dir = tempfile::tempdir().unwrap();
        for target in [
            "confserv.conf",
            "dec.pem",
            "dec.staged-0123456789abcdef.pem",
        ] {
            let temp = temp_beside(&dir.path().join(target)).unwrap();
            let name = temp
                .path()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            assert!(name.starts_with(&format!(".{target}.confpass-")), "{name}");
            assert_eq!(temp_target(&name), Some(target), "{name}");
        }
    }

    #[test]
    fn key_temporaries_hold_nothing_or_the_start_of_a_pem_block_confpass_writes() {
        let private = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg";
        let public = b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhk";
        for len in 0..=private.len() {
            assert!(is_key_pem_start(&private[..len]), "{len} bytes");
        }
        for len in 0..=public.len() {
            assert!(is_key_pem_start(&public[..len]), "{len} bytes");
        }
    }

    #[test]
    fn fail_key_temporaries_holding_anything_else_are_not_taken_for_confpass_s() {
        for head in [
            &b"-----BEGIN RSA PRIVATE KEY-----\n"[..],
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
            b"-----BEGIN CERTIFICATE-----\n",
            b"-----BEGIN PRIVATE KEY----\n",
            b"----- BEGIN PRIVATE KEY-----",
            b"\n-----BEGIN PRIVATE KEY-----",
            b" -----BEGIN PRIVATE KEY-----",
            b"\0\0\0\0",
            b"[confserv]\n",
            b"x",
        ] {
            assert!(!is_key_pem_start(head), "{}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn the_sweep_removes_only_marker_named_regular_files_of_wanted_targets() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| fs::write(dir.path().join(name), bytes).unwrap();
        write(".dec.pem.confpass-aaaaaa.tmp", b"");
        write(".dec.pem.confpass-bbbbbb.tmp", b"-----BEGIN PRIV");
        write(
            ".enc.pem.confpass-cccccc.tmp",
            b"-----BEGIN PUBLIC KEY-----\nMII",
        );
        write(".dec.pem.confpass-dddddd.tmp", b"an administrator's notes");
        write(".other.pem.confpass-eeeeee.tmp", b"");
        write(".dec.pem.backup.tmp", b"-----BEGIN PRIVATE KEY-----\n");
        write(".dec.pem.Xy12ab.tmp", b"");
        fs::create_dir(dir.path().join(".enc.pem.confpass-ffffff.tmp")).unwrap();
        let keys = |t: &str| t == "dec.pem" || t == "enc.pem";
        remove_stale_temps(dir.path(), TempOf::Key, keys);
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".dec.pem.Xy12ab.tmp",
                ".dec.pem.backup.tmp",
                ".dec.pem.confpass-dddddd.tmp",
                ".enc.pem.confpass-ffffff.tmp",
                ".other.pem.confpass-eeeeee.tmp",
            ]
        );

        // A configuration file's temporary may hold anything.
        write(".confserv.conf.confpass-gggggg.tmp", b"[confserv]\n");
        write(".confserv.conf.before.tmp", b"[confserv]\n");
        remove_stale_temps(dir.path(), TempOf::Config, |t| t == "confserv.conf");
        assert!(
            !dir.path()
                .join(".confserv.conf.confpass-gggggg.tmp")
                .exists()
        );
        assert!(dir.path().join(".confserv.conf.before.tmp").exists());
    }
}
