//! The INI reader and editor on arbitrary bytes: no panic, an empty edit
//! gives back the input byte for byte, and the edit `-p` makes (the password
//! value replaced; the existing `encryption` option set to `true`, or one
//! added only when the server section has none, as `src/ops/encrypt.rs` does)
//! yields a file that locates the new value, says `encryption = true`, and
//! differs from the input in no other line.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/ini.rs` and the
//! stable replay of `fuzz/corpus/ini/` in `tests/fuzz_replay.rs`.

use confpass::ConfigFile;
use confpass::confserv::{Layout, Stored};

/// An encrypted value as `-p` writes it (never decrypted here).
const VALUE: &str = "ENC[RSA-OAEP-SHA256,kid:0123456789abcdef,data:AAAA]";

/// One input.
pub fn run(data: &[u8]) {
    let file = ConfigFile::parse("fuzz.conf", data.to_vec());
    assert_eq!(
        file.editor().finish(),
        data,
        "an empty edit must reproduce the input"
    );
    let _ = file.entries();
    let _ = file.lines().count();
    let Ok(layout) = Layout::locate(&file, "confserv", None) else {
        return;
    };
    let _ = layout.stored(&file);
    let _ = layout.decryption_key_path(&file);

    // The edit of `-p` (src/ops/encrypt.rs, `edit`).
    let mut ed = file.editor();
    ed.set(layout.password, VALUE);
    match layout.encryption {
        Some(o) if file.value(o).eq_ignore_ascii_case(b"true") => {}
        Some(o) => ed.set(o, "true"),
        None => ed.add(layout.server, "encryption", "true"),
    }
    let edited = ConfigFile::parse("fuzz.conf", ed.finish());
    let again = match Layout::locate(&edited, &layout.server_name, Some(&layout.db_name)) {
        Ok(again) => again,
        Err(e) => panic!("the edited file no longer locates the password: {e}"),
    };
    assert_eq!(edited.value(again.password), VALUE.as_bytes());
    assert!(
        matches!(again.encryption(&edited), Ok(true)),
        "the edited file does not say encryption = true"
    );
    match again.stored(&edited) {
        Ok(Stored::Encrypted(v)) => assert_eq!(v.to_string(), VALUE),
        Ok(Stored::Plain(_)) => panic!("the edited value reads as plain"),
        Err(e) => panic!("the edited value does not read back: {e}"),
    }

    // Every other line is as it was (its line end aside: an option added
    // after a last line without one gives that line an end).
    let others = |f: &ConfigFile, skip: &[usize]| -> Vec<Vec<u8>> {
        f.lines()
            .enumerate()
            .filter(|(i, _)| !skip.contains(&(i + 1)))
            .map(|(_, l)| l.text.to_vec())
            .collect()
    };
    let line =
        |f: &ConfigFile, o: Option<confpass::config::OptionRef>| o.map_or(0, |o| f.line_number(o));
    let before = others(
        &file,
        &[
            file.line_number(layout.password),
            line(&file, layout.encryption),
        ],
    );
    let after = others(
        &edited,
        &[
            edited.line_number(again.password),
            line(&edited, again.encryption),
        ],
    );
    assert!(
        before == after,
        "the edit changed a line it was not meant to"
    );
    let added = usize::from(layout.encryption.is_none());
    assert_eq!(
        edited.lines().count(),
        file.lines().count() + added,
        "the edit added or removed a line it was not meant to"
    );
}
