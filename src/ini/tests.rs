//! Unit tests of the reader, the line classifier and the editor.

use super::*;

fn file(text: &[u8]) -> ConfigFile {
    ConfigFile::parse("confserv.conf", text.to_vec())
}

fn value(f: &ConfigFile, section: &str, option: &str) -> Option<Vec<u8>> {
    let s = f.section(section).unwrap()?;
    f.option(s, option).unwrap().map(|o| f.value(o).to_vec())
}

#[test]
fn values_are_verbatim_and_trimmed_of_surrounding_blanks_only() {
    let f = file(b"[db]\npassword =  a;b #c = \"d\" \\e 'f'  \t\nempty =\nnospace=x\n");
    assert_eq!(
        value(&f, "db", "password").unwrap(),
        b"a;b #c = \"d\" \\e 'f'"
    );
    assert_eq!(value(&f, "db", "empty").unwrap(), b"");
    assert_eq!(value(&f, "db", "nospace").unwrap(), b"x");
}

#[test]
fn names_match_without_regard_to_case() {
    let f = file(b"[DBServer]\nPassword = x\n");
    assert_eq!(value(&f, "dbserver", "password").unwrap(), b"x");
    assert_eq!(
        f.section_name(f.section("dbserver").unwrap().unwrap()),
        "DBServer"
    );
}

#[test]
fn fail_two_candidates_are_an_error_never_a_guess() {
    let f = file(b"[db]\npassword = a\n[DB]\npassword = b\n");
    assert!(matches!(
        f.section("db"),
        Err(Error::DuplicateSection {
            first: 1,
            second: 3,
            ..
        })
    ));
    let f = file(b"[db]\npassword = a\nPASSWORD = b\n");
    let s = f.section("db").unwrap().unwrap();
    assert!(matches!(
        f.option(s, "password"),
        Err(Error::DuplicateOption {
            first: 2,
            second: 3,
            ..
        })
    ));
}

#[test]
fn invalid_lines_matter_only_in_the_section_read() {
    let f = file(b"[other]\nthis is not ini\n[db]\npassword = a\n");
    assert_eq!(value(&f, "db", "password").unwrap(), b"a");
    let s = f.section("other").unwrap().unwrap();
    assert!(matches!(
        f.option(s, "x"),
        Err(Error::Syntax { line: 2, .. })
    ));
}

#[test]
fn comments_headers_with_comments_and_global_options_are_recognised() {
    let f = file(b"top = 1\n; c\n# d\n  [db]  ; note\npassword=p\n");
    assert_eq!(f.entries()[0], (&b""[..], &b"top"[..], &b"1"[..]));
    assert_eq!(value(&f, "db", "password").unwrap(), b"p");
}

#[test]
fn an_editor_without_edits_reproduces_every_byte() {
    for text in [
        &b"\xEF\xBB\xBF[a]\r\nx = 1\r\n\r\n; c\r\n"[..],
        b"[a]\nx=1",
        b"\n\n[a\nbroken\n\xff\xfe = \x00\n",
        b"",
        b"\r\n\r",
    ] {
        assert_eq!(file(text).editor().finish(), text);
    }
}

#[test]
fn set_replaces_only_the_value() {
    let f = file(b"[db]\r\n  Password\t=  old value  ; kept\t\r\nx = 1\r\n");
    let s = f.section("db").unwrap().unwrap();
    let mut ed = f.editor();
    ed.set(f.option(s, "password").unwrap().unwrap(), "NEW");
    assert_eq!(ed.finish(), b"[db]\r\n  Password\t=  NEW\t\r\nx = 1\r\n");
}

#[test]
fn set_fills_an_empty_value_in_the_line_s_own_spacing() {
    for (before, after) in [
        (&b"[db]\npassword =\n"[..], &b"[db]\npassword = X\n"[..]),
        (b"[db]\npassword= \n", b"[db]\npassword= X\n"),
        (b"[db]\npassword=\n", b"[db]\npassword=X\n"),
    ] {
        let f = file(before);
        let s = f.section("db").unwrap().unwrap();
        let mut ed = f.editor();
        ed.set(f.option(s, "password").unwrap().unwrap(), "X");
        assert_eq!(ed.finish(), after);
    }
}

#[test]
fn add_follows_the_section_s_spacing_and_the_file_s_line_ends() {
    let f = file(b"[cs]\r\n  port=2020\r\nserver=db\r\n\r\n[db]\r\npassword=x\r\n");
    let mut ed = f.editor();
    ed.add(f.section("cs").unwrap().unwrap(), "encryption", "true");
    assert_eq!(
        ed.finish(),
        b"[cs]\r\n  port=2020\r\nserver=db\r\n  encryption=true\r\n\r\n[db]\r\npassword=x\r\n"
    );
}

#[test]
fn add_after_a_last_line_without_newline_keeps_the_file_without_one() {
    let f = file(b"[db]\npassword = x\n[cs]\nserver = db");
    let mut ed = f.editor();
    ed.add(f.section("cs").unwrap().unwrap(), "encryption", "true");
    ed.add(
        f.section("cs").unwrap().unwrap(),
        "decryption-key",
        "/k/dec.pem",
    );
    assert_eq!(
        ed.finish(),
        b"[db]\npassword = x\n[cs]\nserver = db\nencryption = true\ndecryption-key = /k/dec.pem"
    );
}

#[test]
fn a_last_line_ending_in_a_lone_cr_takes_the_file_s_line_end_when_lines_follow_it() {
    // Issue 20: a lone `\r` ends no line, so it gives way to the file's own
    // line end, once, however many lines are added after it.
    let f = file(b"[db]\r\npassword=x\r\n[cs]\r\nserver=db\r");
    let cs = f.section("cs").unwrap().unwrap();
    let mut ed = f.editor();
    ed.add(cs, "encryption", "true");
    ed.add(cs, "decryption-key", "/k/dec.pem");
    assert_eq!(
        ed.finish(),
        b"[db]\r\npassword=x\r\n[cs]\r\nserver=db\r\nencryption=true\r\ndecryption-key=/k/dec.pem"
    );
    // The same after an option, in an LF file: the line takes `\n`.
    let f = file(b"[cs]\nserver = db\n[db]\npassword = x\r");
    let password = f
        .option(f.section("db").unwrap().unwrap(), "password")
        .unwrap()
        .unwrap();
    let mut ed = f.editor();
    ed.add_after(password, "previous-password", "y");
    ed.set(password, "z");
    assert_eq!(
        ed.finish(),
        b"[cs]\nserver = db\n[db]\npassword = z\nprevious-password = y"
    );
}

#[test]
fn add_after_an_option_copies_its_line_s_style_and_remove_takes_the_line() {
    let f = file(b"[db]\r\n  password\t=  ENC[x]\r\nuser = u\r\n");
    let s = f.section("db").unwrap().unwrap();
    let pw = f.option(s, "password").unwrap().unwrap();
    let mut ed = f.editor();
    ed.add_after(pw, "previous-password", "ENC[y]");
    let added = ed.finish();
    assert_eq!(
        added,
        b"[db]\r\n  password\t=  ENC[x]\r\n  previous-password\t=  ENC[y]\r\nuser = u\r\n"
    );
    let g = file(&added);
    let s = g.section("db").unwrap().unwrap();
    let prev = g.option(s, "previous-password").unwrap().unwrap();
    let mut ed = g.editor();
    ed.remove(prev);
    assert_eq!(ed.finish(), f.bytes());
    // The last line, without a line end: the file stays without one.
    let f = file(b"[db]\npassword = x");
    let s = f.section("db").unwrap().unwrap();
    let pw = f.option(s, "password").unwrap().unwrap();
    let mut ed = f.editor();
    ed.set(pw, "ENC[z]");
    ed.add_after(pw, "previous-password", "ENC[x]");
    let added = ed.finish();
    assert_eq!(
        added,
        b"[db]\npassword = ENC[z]\nprevious-password = ENC[x]"
    );
    let g = file(&added);
    let s = g.section("db").unwrap().unwrap();
    let mut ed = g.editor();
    ed.remove(g.option(s, "previous-password").unwrap().unwrap());
    assert_eq!(ed.finish(), b"[db]\npassword = ENC[z]");
}

#[test]
fn add_to_an_empty_section_goes_right_after_its_header() {
    let f = file(b"[cs]\n\n[db]\n");
    let mut ed = f.editor();
    ed.add(f.section("cs").unwrap().unwrap(), "server", "db");
    assert_eq!(ed.finish(), b"[cs]\nserver = db\n\n[db]\n");
}

#[test]
fn bytes_that_are_not_utf8_elsewhere_are_kept() {
    let f = file(b"[x]\nname = caf\xe9\n[db]\npassword = a\n");
    let s = f.section("db").unwrap().unwrap();
    let mut ed = f.editor();
    ed.set(f.option(s, "password").unwrap().unwrap(), "b");
    assert_eq!(ed.finish(), b"[x]\nname = caf\xe9\n[db]\npassword = b\n");
}

#[test]
fn utf16_and_utf32_are_recognised_and_utf8_is_not() {
    for (bytes, found) in [
        (&b"\xFF\xFE[\0c\0"[..], Some("UTF-16")),
        (b"\xFE\xFF\0[\0c", Some("UTF-16")),
        (b"[\0c\0o\0n\0f\0]\0", Some("UTF-16")),
        (b"\0[\0c\0o\0n\0f\0]", Some("UTF-16")),
        (b"\xFF\xFE\0\0[\0\0\0", Some("UTF-32")),
        (b"\xEF\xBB\xBF[confserv]\n", None),
        (b"[confserv]\nx = a\0b\n", None),
        (b"a\0", None),
        (b"", None),
    ] {
        assert_eq!(file(bytes).wide_encoding(), found, "{bytes:?}");
    }
}

#[test]
fn names_with_control_characters_are_shown_escaped() {
    assert_eq!(shown("confserv"), "confserv");
    assert_eq!(shown("Ünïcode name"), "Ünïcode name");
    assert_eq!(shown("con\nfserv"), "\"con\\nfserv\"");
    assert_eq!(shown("a\0b"), "\"a\\0b\"");
    let f = file(b"[a\x01]\n[A\x01]\n");
    match f.section("a\x01") {
        Err(e @ Error::DuplicateSection { .. }) => {
            assert!(e.to_string().contains("[\"a\\u{1}\"]"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn line_numbers_count_from_the_first_line_after_a_bom() {
    let f = file(b"\xEF\xBB\xBF[db]\r\n\r\nx = 1\npassword = a\n");
    let s = f.section("db").unwrap().unwrap();
    assert_eq!(f.line_number(f.option(s, "password").unwrap().unwrap()), 4);
    let f = file(b"[db]\nx\n");
    let s = f.section("db").unwrap().unwrap();
    assert!(matches!(
        f.option(s, "y"),
        Err(Error::Syntax { line: 2, .. })
    ));
}

#[test]
fn references_into_another_file_never_panic() {
    let big = file(b"[a]\nx = 1\n[b]\ny = 2\n[c]\npassword = p\n");
    let small = file(b"");
    let s = big.section("c").unwrap().unwrap();
    let o = big.option(s, "password").unwrap().unwrap();
    assert_eq!(small.value(o), b"");
    assert_eq!(small.section_name(s), "");
    assert_eq!(small.option(s, "password").unwrap(), None);
    let mut ed = small.editor();
    ed.set(o, "x");
    ed.add(s, "encryption", "true");
    assert_eq!(ed.finish(), b"");
}
