//! The INI reader and editor on arbitrary bytes: no panic, and an edit
//! changes nothing but what it was told to.
#![no_main]

use confpass::ConfigFile;
use confpass::confserv::Layout;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = ConfigFile::parse("fuzz.conf", data.to_vec());
    assert_eq!(file.editor().finish(), data, "an empty edit must reproduce the input");
    let _ = file.entries();
    if let Ok(layout) = Layout::locate(&file, "confserv", None) {
        let _ = layout.stored(&file);
        let _ = layout.decryption_key_path(&file);
        let mut ed = file.editor();
        ed.set(layout.password, "ENC[x]");
        ed.add(layout.server, "encryption", "true");
        let edited = ConfigFile::parse("fuzz.conf", ed.finish());
        let again = Layout::locate(&edited, &layout.server_name, Some(&layout.db_name))
            .expect("an edited file still locates the password");
        assert_eq!(edited.value(again.password), b"ENC[x]");
    }
});
