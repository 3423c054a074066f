//! Property tests: on generated configuration files `encrypt_file` changes
//! only the password and `encryption` lines (or adds the one `encryption`
//! line), the start-up call returns the generated password exactly, and the
//! reader, the editor and the value parser never panic on arbitrary input.
//!
//! No case generates a key: every case copies the test-only 2048-bit pair.

mod common;

use std::sync::LazyLock;

use common::*;
use confpass::confserv::Layout;
use confpass::{
    ConfigFile, DecryptionKey, EncryptedValue, ExposeSecret, KeyId, Request, database_password,
    encrypt_file,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------
// Generated configuration files
// ---------------------------------------------------------------------------

/// A line of a generated file and what it is.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    Other,
    /// An option line of the server section (the encryption line is added after the last one).
    ServerOption,
    /// The `encryption = false` line: text before and after the value.
    Encryption {
        before: String,
        after: String,
    },
    /// The `password` line: text before and after the value.
    Password {
        before: String,
        after: String,
    },
}

#[derive(Debug, Clone)]
struct GenFile {
    lines: Vec<(String, Role)>,
    ends: Vec<&'static str>,
    bom: bool,
    final_newline: bool,
    password: String,
}

impl GenFile {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.bom {
            out.extend_from_slice(BOM);
        }
        let n = self.lines.len();
        for (i, ((text, _), end)) in self.lines.iter().zip(&self.ends).enumerate() {
            out.extend_from_slice(text.as_bytes());
            if i + 1 < n || self.final_newline {
                out.extend_from_slice(end.as_bytes());
            }
        }
        out
    }

    fn index_of(&self, f: impl Fn(&Role) -> bool) -> Option<usize> {
        self.lines.iter().position(|(_, r)| f(r))
    }
}

/// Applies a case pattern: bit i of `mask` upper-cases letter i.
fn recase(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn space() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        3 => Just(" ".to_owned()),
        1 => Just("  ".to_owned()),
        1 => Just("\t".to_owned()),
        1 => Just(" \t ".to_owned()),
    ]
}

/// Text without line breaks, for comments and other options' values.
fn free_text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~é€中\t]{{0,{max}}}")).unwrap()
}

const RESERVED: [&str; 4] = ["server", "password", "encryption", "decryption-key"];

fn option_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "port",
            "host",
            "dbengine",
            "dbname",
            "username",
            "management-port",
            "encoding",
            "verbose",
            "all",
            "Timeout",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z][a-zA-Z0-9_.-]{0,10}",
    ]
    .prop_filter("a name confpass looks for", |n| {
        !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(n))
    })
}

/// A comment, a blank line, or an option line that confpass does not care about.
fn filler_line() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (space(), prop::sample::select(vec![';', '#']), free_text(40))
            .prop_map(|(indent, c, text)| format!("{indent}{c}{text}")),
        2 => prop::sample::select(vec!["", "", " ", "\t", "  \t"]).prop_map(str::to_owned),
        5 => (space(), option_name(), space(), space(), free_text(30))
            .prop_map(|(indent, name, a, b, value)| format!("{indent}{name}{a}={b}{value}")),
    ]
}

fn fillers(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(filler_line(), 0..=max)
}

/// A section header line for `name`, maybe spaced or with a trailing comment.
fn header(name: String) -> impl Strategy<Value = String> {
    (
        space(),
        space(),
        prop_oneof![3 => Just(String::new()), 1 => Just(" ; header comment".to_owned())],
    )
        .prop_map(move |(a, b, comment)| format!("[{a}{name}{b}]{comment}"))
}

/// An extra section that confpass does not care about (the name ends with a
/// digit, so it never matches the server or database section).
fn extra_section(n: usize) -> impl Strategy<Value = Vec<(String, Role)>> {
    ("[a-zA-Z][a-zA-Z_-]{0,7}", fillers(5))
        .prop_flat_map(move |(word, body)| (header(format!("{word}{n}")), Just(body)))
        .prop_map(|(h, body)| {
            std::iter::once(h)
                .chain(body)
                .map(|l| (l, Role::Other))
                .collect()
        })
}

fn extra_sections(max: usize, base: usize) -> impl Strategy<Value = Vec<(String, Role)>> {
    (0..=max).prop_flat_map(move |n| {
        (0..n)
            .map(|i| extra_section(base + i))
            .collect::<Vec<_>>()
            .prop_map(|v| v.into_iter().flatten().collect::<Vec<_>>())
    })
}

/// Printable UTF-8 without line breaks, 1..=100 bytes, no space or tab at
/// either end (confpass trims those), not starting with `ENC[`.
fn password() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range('!', '~'),
        2 => prop::sample::select(vec![';', '#', '=', '\\', '"', '\'', '[', ']', ' ', ' ', '\t']),
        1 => prop::sample::select(vec!['é', 'ß', '€', '中', '😀', '\u{a0}', 'Ω']),
    ];
    prop::collection::vec(ch, 1..=100)
        .prop_map(|cs| cs.into_iter().collect::<String>())
        .prop_map(|s| {
            let mut s = s.trim_matches([' ', '\t']).to_owned();
            while s.len() > 100 {
                s.pop();
                s = s.trim_matches([' ', '\t']).to_owned();
            }
            s
        })
        .prop_filter("empty or ENC[", |s| !s.is_empty() && !s.starts_with("ENC["))
}

#[derive(Debug, Clone, Copy)]
enum Ends {
    Lf,
    Crlf,
    Mixed,
}

fn gen_file() -> BoxedStrategy<GenFile> {
    let server_section = (
        any::<u64>(),
        any::<u64>(),
        prop::sample::select(vec!["dbserver", "DBServer", "db-main", "Database"]),
        any::<u64>(),
        (space(), space(), space()),
        fillers(6),
        any::<Index>(),
        prop::option::of((
            any::<u64>(),
            any::<u64>(),
            space(),
            space(),
            space(),
            any::<Index>(),
        )),
    )
        .prop_flat_map(|(hcase, scase, db, vcase, sp, body, at, enc)| {
            (
                header(recase("confserv", hcase)),
                Just((scase, db, vcase, sp, body, at, enc)),
            )
        });
    let db_section = (
        any::<u64>(),
        any::<u64>(),
        (space(), space(), space(), space()),
        fillers(6),
        any::<Index>(),
        password(),
    );
    (
        prop::collection::vec(filler_line(), 0..3),
        extra_sections(2, 0),
        server_section,
        extra_sections(2, 10),
        db_section,
        extra_sections(2, 20),
        any::<bool>(),
        prop_oneof![Just(Ends::Lf), Just(Ends::Crlf), Just(Ends::Mixed)],
        prop::collection::vec(any::<bool>(), 128),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(
            |(
                preamble,
                pre,
                (server_header, server),
                mid,
                db,
                post,
                db_first,
                ends,
                mix,
                bom,
                final_newline,
            )| {
                let (scase, db_name, vcase, (sa, sb, sc), mut sbody, at, enc) = server;
                let (dhcase, pcase, (pi, pa, pb, ptrail), mut dbody, pat, password) = db;
                let db_header_name = recase(db_name, dhcase);
                let server_value = recase(db_name, vcase);
                // The server section body.
                let mut server_lines: Vec<(String, Role)> = sbody
                    .drain(..)
                    .map(|l| {
                        let role = if classify_option(&l) {
                            Role::ServerOption
                        } else {
                            Role::Other
                        };
                        (l, role)
                    })
                    .collect();
                let server_line = (
                    format!("{sa}{}{sb}={sc}{server_value}", recase("server", scase)),
                    Role::ServerOption,
                );
                server_lines.insert(at.index(server_lines.len() + 1), server_line);
                if let Some((ncase, fcase, ea, eb, etrail, eat)) = enc {
                    let before = format!("{}{ea}={eb}", recase("encryption", ncase));
                    let line = format!("{before}{}{etrail}", recase("false", fcase));
                    server_lines.insert(
                        eat.index(server_lines.len() + 1),
                        (
                            line,
                            Role::Encryption {
                                before,
                                after: etrail,
                            },
                        ),
                    );
                }
                let server_all: Vec<(String, Role)> = std::iter::once((server_header, Role::Other))
                    .chain(server_lines)
                    .collect();
                // The database section body.
                let mut db_lines: Vec<(String, Role)> =
                    dbody.drain(..).map(|l| (l, Role::Other)).collect();
                let before = format!("{pi}{}{pa}={pb}", recase("password", pcase));
                db_lines.insert(
                    pat.index(db_lines.len() + 1),
                    (
                        format!("{before}{password}{ptrail}"),
                        Role::Password {
                            before,
                            after: ptrail,
                        },
                    ),
                );
                (
                    header(db_header_name),
                    Just((
                        preamble,
                        pre,
                        server_all,
                        mid,
                        db_lines,
                        post,
                        db_first,
                        ends,
                        mix,
                        bom,
                        final_newline,
                        password,
                    )),
                )
            },
        )
        .prop_map(
            |(
                db_header,
                (
                    preamble,
                    pre,
                    server,
                    mid,
                    db_lines,
                    post,
                    db_first,
                    ends,
                    mix,
                    bom,
                    final_newline,
                    password,
                ),
            )| {
                let db_all: Vec<(String, Role)> = std::iter::once((db_header, Role::Other))
                    .chain(db_lines)
                    .collect();
                let (first, second) = if db_first {
                    (db_all, server)
                } else {
                    (server, db_all)
                };
                let lines: Vec<(String, Role)> = preamble
                    .into_iter()
                    .map(|l| (l, Role::Other))
                    .chain(pre)
                    .chain(first)
                    .chain(mid)
                    .chain(second)
                    .chain(post)
                    .collect();
                let ends = (0..lines.len())
                    .map(|i| match ends {
                        Ends::Lf => "\n",
                        Ends::Crlf => "\r\n",
                        Ends::Mixed => {
                            if mix[i % mix.len()] {
                                "\r\n"
                            } else {
                                "\n"
                            }
                        }
                    })
                    .collect();
                GenFile {
                    lines,
                    ends,
                    bom,
                    final_newline,
                    password,
                }
            },
        )
        .boxed()
}

/// Whether a filler line is an option line (not a comment or blank).
fn classify_option(line: &str) -> bool {
    let t = line.trim_matches([' ', '\t']);
    !t.is_empty() && !t.starts_with([';', '#']) && t.contains('=')
}

// ---------------------------------------------------------------------------
// Line-preservation check
// ---------------------------------------------------------------------------

/// Splits content into (text, end) lines the way an INI reader sees them,
/// after an optional BOM.
fn split_lines(bytes: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(nl) => (&rest[..=nl], &rest[nl + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let (text, end) = if let Some(t) = line.strip_suffix(b"\r\n") {
            (t, &b"\r\n"[..])
        } else if let Some(t) = line.strip_suffix(b"\n") {
            (t, &b"\n"[..])
        } else {
            (line, &b""[..])
        };
        out.push((text.to_vec(), end.to_vec()));
        rest = next;
    }
    out
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// Checks `new` against the generated file: every line but the password and
/// encryption lines byte-identical, in order, line ends included; the one
/// `encryption = true` line added after the server section's last option
/// when there was none; BOM and final-newline state kept.
fn check_preserved(g: &GenFile, new: &[u8]) -> Result<(), TestCaseError> {
    let old = g.bytes();
    prop_assert_eq!(old.starts_with(BOM), new.starts_with(BOM), "BOM state");
    prop_assert_eq!(
        old.ends_with(b"\n"),
        new.ends_with(b"\n"),
        "final newline state"
    );
    let old_lines = split_lines(&old);
    let mut new_lines = split_lines(new);
    let pw = g
        .index_of(|r| matches!(r, Role::Password { .. }))
        .expect("a password line");
    let enc = g.index_of(|r| matches!(r, Role::Encryption { .. }));

    let value_prefix = format!("ENC[RSA-OAEP-SHA256,kid:{TEST_KID},data:");
    match enc {
        Some(e) => {
            prop_assert_eq!(new_lines.len(), old_lines.len(), "line count");
            let Role::Encryption { before, after } = &g.lines[e].1 else {
                unreachable!()
            };
            let want = format!("{before}true{after}");
            prop_assert_eq!(
                show(&new_lines[e].0),
                show(want.as_bytes()),
                "encryption line"
            );
            prop_assert_eq!(&new_lines[e].1, &old_lines[e].1, "encryption line end");
        }
        None => {
            prop_assert_eq!(new_lines.len(), old_lines.len() + 1, "line count");
            let last_option = g
                .lines
                .iter()
                .rposition(|(_, r)| matches!(r, Role::ServerOption))
                .unwrap();
            let k = last_option + 1;
            let (text, end) = new_lines.remove(k);
            let text = String::from_utf8(text).unwrap();
            let (name, value) = text.split_once('=').unwrap_or(("", ""));
            prop_assert_eq!(
                (
                    name.trim_matches([' ', '\t']),
                    value.trim_matches([' ', '\t'])
                ),
                ("encryption", "true"),
                "added line {:?} at {}",
                text,
                k
            );
            let old_ends: Vec<&[u8]> = old_lines
                .iter()
                .map(|(_, e)| e.as_slice())
                .filter(|e| !e.is_empty())
                .collect();
            let eol_ok = |e: &[u8]| {
                if old_ends.iter().all(|x| *x == b"\r\n") && !old_ends.is_empty() {
                    e == b"\r\n"
                } else if old_ends.iter().all(|x| *x == b"\n") {
                    e == b"\n"
                } else {
                    e == b"\n" || e == b"\r\n"
                }
            };
            if k == old_lines.len() && old_lines[k - 1].1.is_empty() {
                // Added after a last line without a line end: the line end
                // goes before it, and the file still ends without one.
                prop_assert!(end.is_empty(), "added last line has a line end");
                prop_assert!(eol_ok(&new_lines[k - 1].1), "line end style");
                new_lines[k - 1].1.clear();
            } else {
                prop_assert!(eol_ok(&end), "added line end {}", show(&end));
            }
        }
    }
    prop_assert_eq!(new_lines.len(), old_lines.len());
    for (i, (old_line, new_line)) in old_lines.iter().zip(&new_lines).enumerate() {
        if i == pw {
            let Role::Password { before, after } = &g.lines[pw].1 else {
                unreachable!()
            };
            let text = std::str::from_utf8(&new_line.0).unwrap();
            let value = text
                .strip_prefix(before.as_str())
                .and_then(|t| t.strip_suffix(after.as_str()))
                .unwrap_or("");
            prop_assert!(
                value.starts_with(&value_prefix) && value.ends_with(']'),
                "password line {:?}",
                text
            );
            prop_assert_eq!(&new_line.1, &old_line.1, "password line end");
        } else if Some(i) != enc {
            prop_assert_eq!(
                (show(&new_line.0), show(&new_line.1)),
                (show(&old_line.0), show(&old_line.1)),
                "line {} changed",
                i + 1
            );
        }
    }
    Ok(())
}

fn setup(g: &GenFile) -> Scratch {
    let s = Scratch::with_config(&g.bytes());
    s.install_keys("test");
    s
}

proptest! {
    #![proptest_config(config(48))]

    /// Properties 1 and 2: `encrypt_file` preserves every other line, and
    /// the start-up call returns the password exactly, before and after.
    #[test]
    fn encrypt_file_changes_only_the_password_and_encryption_lines(g in gen_file()) {
        let s = setup(&g);
        let conf = s.path("confserv.conf");
        let plain = database_password(&conf, "confserv")
            .map_err(|e| TestCaseError::fail(format!("plain read: {e}")))?;
        prop_assert_eq!(plain.expose_secret(), g.password.as_str());

        let out = encrypt_file(Request::new(&conf))
            .map_err(|e| TestCaseError::fail(format!("encrypt_file: {e}")))?;
        prop_assert!(out.changed);
        prop_assert!(out.created.is_empty());
        check_preserved(&g, &s.read("confserv.conf"))?;

        let got = database_password(&conf, "confserv")
            .map_err(|e| TestCaseError::fail(format!("encrypted read: {e}")))?;
        prop_assert_eq!(got.expose_secret(), g.password.as_str());
    }
}

proptest! {
    #![proptest_config(config(8))]

    /// The real binary's `-p` preserves lines just the same.
    #[test]
    fn cli_p_changes_only_the_password_and_encryption_lines(g in gen_file()) {
        let s = setup(&g);
        let out = s.confpass().arg("-p").output().unwrap();
        prop_assert!(out.status.success(), "{}", all_output(&out));
        // A short password could match the summary line by chance.
        if g.password.len() >= 12 {
            assert_no_password(&out, &g.password);
        }
        check_preserved(&g, &s.read("confserv.conf"))?;
        let got = database_password(s.path("confserv.conf"), "confserv")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got.expose_secret(), g.password.as_str());
    }
}

// ---------------------------------------------------------------------------
// Never panic; the editor reproduces its input
// ---------------------------------------------------------------------------

/// Bytes built from the pieces INI lines are made of, with the names
/// confpass looks for, so that the locating code gets far.
fn ini_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop::sample::select(vec![
        "[",
        "]",
        "=",
        ";",
        "#",
        "\r",
        "\n",
        "\r\n",
        " ",
        "\t",
        "a",
        "Z",
        "confserv",
        "ConfServ",
        "db",
        "server",
        "password",
        "Password",
        "encryption",
        "true",
        "false",
        "decryption-key",
        "dec.pem",
        "/",
        "..",
        "ENC[",
        "RSA-OAEP-SHA256",
        ",kid:",
        TEST_KID,
        ",data:",
        "AAAA",
        "\u{feff}",
        "é",
        "\u{0}",
        "\u{ff}",
    ]);
    (
        prop::collection::vec(token, 0..200),
        prop::collection::vec(any::<u8>(), 0..4),
    )
        .prop_map(|(tokens, junk)| {
            let mut out: Vec<u8> = tokens.concat().into_bytes();
            let at = out.len() / 2;
            out.splice(at..at, junk);
            out
        })
}

fn bytes_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2000),
        ini_like(),
        gen_file().prop_map(|g| g.bytes()),
    ]
}

/// Runs everything that reads a parsed file; errors are fine, panics are not.
fn exercise(bytes: Vec<u8>) {
    let file = ConfigFile::parse("confserv.conf", bytes);
    let _ = file.entries();
    let _ = file.lines().count();
    for (server, db) in [
        ("confserv", None),
        ("ConfServ", Some("db")),
        ("a", Some("Z")),
    ] {
        if let Ok(layout) = Layout::locate(&file, server, db) {
            let _ = layout.stored(&file);
            let _ = layout.encryption(&file);
            let _ = layout.decryption_key_path(&file);
            let mut ed = file.editor();
            ed.set(layout.password, "ENC[x]");
            if let Some(o) = layout.encryption {
                ed.set(o, "true");
            } else {
                ed.add(layout.server, "encryption", "true");
            }
            ed.add(layout.server, "decryption-key", "/k/dec.pem");
            let _ = ConfigFile::parse("again.conf", ed.finish());
        }
    }
}

static TEST_KEY: LazyLock<DecryptionKey> = LazyLock::new(|| {
    let s = Scratch::new();
    s.install_key("test-dec.pem", "dec.pem");
    DecryptionKey::load(&s.path("dec.pem")).unwrap()
});

fn value_like() -> impl Strategy<Value = String> {
    let kid = prop_oneof![
        Just(TEST_KID.to_owned()),
        Just(OTHER_KID.to_owned()),
        "[0-9a-fA-F]{0,18}",
    ];
    let data = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }),
        prop::collection::vec(any::<u8>(), 256..=256).prop_map(|b| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }),
        "[A-Za-z0-9+/=!,\\] ]{0,40}",
    ];
    (kid, data, "(\\]|,x:1\\]|)", any::<bool>()).prop_map(|(kid, data, tail, data_field)| {
        if data_field {
            format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:{data}{tail}")
        } else {
            format!("ENC[RSA-OAEP-SHA256,kid:{kid}{data}{tail}")
        }
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Property 3: the reader and the locating code never panic.
    #[test]
    fn config_parse_and_locate_never_panic(bytes in bytes_input()) {
        exercise(bytes);
    }

    /// Property 4: an editor with no edits reproduces the input exactly.
    #[test]
    fn editor_without_edits_reproduces_the_input(bytes in bytes_input()) {
        let file = ConfigFile::parse("confserv.conf", bytes.clone());
        prop_assert_eq!(file.bytes(), &bytes[..]);
        prop_assert_eq!(file.editor().finish(), bytes);
    }

    /// Property 3: the value parser never panics, and what it accepts
    /// formats back to a value it parses the same way.
    #[test]
    fn encrypted_value_parse_never_panics(s in prop_oneof![
        any::<String>(),
        "ENC\\[RSA-OAEP-SHA256,kid:.{0,60}",
        value_like(),
    ]) {
        if let Ok(v) = EncryptedValue::parse(&s) {
            prop_assert_eq!(EncryptedValue::parse(&v.to_string()).ok(), Some(v.clone()));
            // Decrypting arbitrary data fails cleanly.
            prop_assert!(v.decrypt(&TEST_KEY).is_err());
        }
    }

    /// Decrypting arbitrary ciphertexts under the right key id fails cleanly.
    #[test]
    fn decrypt_of_arbitrary_ciphertext_is_an_error(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let v = EncryptedValue::from_parts(KeyId::from_hex(TEST_KID).unwrap(), data);
        prop_assert!(v.decrypt(&TEST_KEY).is_err());
    }
}
