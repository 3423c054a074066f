//! The `confpass` command line, end to end: the real binary on real files in
//! temporary directories, checked against stock OpenSSL and the library's
//! start-up call (PRODUCT.md sections 1-3, 5 and 6).

mod common;

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::Path;
#[cfg(unix)]
use std::path::PathBuf;
use std::process::Output;

use base64::Engine as _;
use common::*;
use confpass::ExposeSecret;

const BIN: &str = env!("CARGO_BIN_EXE_confpass");

// ---------------------------------------------------------------- helpers

/// Splits `ENC[RSA-OAEP-SHA256,kid:<16 hex>,data:<base64>]` into the key id
/// and the ciphertext, checking the form of every part on the way.
fn parse_enc(value: &str) -> (String, Vec<u8>) {
    let inner = value
        .strip_prefix("ENC[RSA-OAEP-SHA256,kid:")
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not an ENC[RSA-OAEP-SHA256,kid:...] value: {value:?}"));
    let (kid, data) = inner
        .split_once(",data:")
        .unwrap_or_else(|| panic!("no ,data: in {value:?}"));
    assert_eq!(kid.len(), 16, "key id is not 16 digits: {value:?}");
    assert!(
        kid.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "key id is not lowercase hex: {value:?}"
    );
    assert!(
        !value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ';' | '#' | '"' | '\'' | '\\')),
        "the value is not INI-safe: {value:?}"
    );
    let cipher = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap_or_else(|e| panic!("data is not standard padded base64 ({e}): {value:?}"));
    (kid.to_owned(), cipher)
}

/// The `password` value of a configuration file's bytes.
fn password_value(bytes: &[u8]) -> String {
    value_of(&String::from_utf8_lossy(bytes), "password").expect("a password option")
}

/// The password the library's start-up call returns for `config`.
fn startup_password(config: &Path) -> String {
    confpass::database_password(config, "confserv")
        .unwrap_or_else(|e| panic!("start-up call on {}: {e}", config.display()))
        .expose_secret()
        .to_owned()
}

/// Replaces the single occurrence of `old` in `text` by `new`.
fn replace_once(text: &str, old: &str, new: &str) -> String {
    assert_eq!(
        text.matches(old).count(),
        1,
        "{old:?} must occur exactly once in {text:?}"
    );
    text.replacen(old, new, 1)
}

/// The effective user id of this process.
#[cfg(unix)]
fn euid() -> u32 {
    fs::metadata("/proc/self").unwrap().uid()
}

#[cfg(unix)]
const NOBODY: u32 = 65534;

/// `confpass ARGS` run in `dir` as uid/gid 65534 (root ignores file modes),
/// or as the current user when the tests do not run as root.
#[cfg(unix)]
fn confpass_unprivileged(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = if euid() == 0 {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        std::process::Command::new(BIN)
    };
    cmd.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run confpass")
}

/// Gives `path` to uid/gid 65534 when running as root.
#[cfg(unix)]
fn give_to_nobody(path: &Path) {
    if euid() == 0 {
        std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

fn file_names(s: &Scratch) -> Vec<String> {
    s.snapshot()
        .keys()
        .map(|p| p.display().to_string())
        .collect()
}

// ------------------------------------------------ 1. end to end on the sample

#[test]
// Unix-only: runs through `sh` to set a umask of 000, and checks the modes 0644/0600.
#[cfg_attr(not(unix), ignore = "sh and umask; checks Unix modes")]
fn sample_fresh_install_under_umask_000_makes_keys_and_openssl_decrypts() {
    let s = Scratch::sample();
    let original = s.read_str("confserv.conf");
    // The one test that generates a key pair of the default size (3072 bits).
    let out = std::process::Command::new("sh")
        .args(["-c", "umask 000; exec \"$0\" \"$@\"", BIN, "-p"])
        .current_dir(s.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);

    // Key files: SPKI public 0644, PKCS#8 private 0600 even under umask 000.
    let enc = s.read_str("enc.pem");
    let dec = s.read_str("dec.pem");
    assert!(enc.starts_with("-----BEGIN PUBLIC KEY-----"), "{enc}");
    assert!(dec.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(s.mode("enc.pem"), 0o644, "enc.pem mode");
    assert_eq!(s.mode("dec.pem"), 0o600, "dec.pem mode under umask 000");
    assert_eq!(
        file_names(&s),
        ["confserv.conf", "dec.pem", "enc.pem"],
        "files left in the directory"
    );

    // The file: only `encryption` and `password` changed.
    let conf = s.read_str("confserv.conf");
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    let value = value_of(&conf, "password").unwrap();
    let (kid, cipher) = parse_enc(&value);
    assert_eq!(
        cipher.len(),
        384,
        "a default (3072-bit) key makes 384-byte ciphertexts"
    );
    let expected = replace_once(
        &replace_once(&original, "encryption = false", "encryption = true"),
        "password = S3cret!pass",
        &format!("password = {value}"),
    );
    assert_eq!(conf, expected);

    // Stock OpenSSL agrees on the plaintext and on the key id.
    assert_eq!(openssl_decrypt(&value, &s.path("dec.pem")), SAMPLE_PASSWORD);
    let openssl_kid = openssl_key_id(&s.path("enc.pem"));
    assert_eq!(kid, openssl_kid, "key id in the value vs OpenSSL's");

    // One line naming the file, the section and the key id.
    let line = stdout(&out);
    assert_eq!(line.lines().count(), 1, "stdout: {line:?}");
    assert!(line.contains("confserv.conf"), "stdout: {line:?}");
    assert!(line.contains("[dbserver]"), "stdout: {line:?}");
    assert!(line.contains(&openssl_kid), "stdout: {line:?}");

    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

// ------------------------------------------------------ 2. byte preservation

/// A way of writing a fixture's bytes: line ends, byte-order mark, final newline.
#[derive(Debug, Clone, Copy)]
struct Variant {
    crlf: bool,
    bom: bool,
    final_newline: bool,
}

const VARIANTS: [Variant; 6] = [
    Variant {
        crlf: false,
        bom: false,
        final_newline: true,
    },
    Variant {
        crlf: true,
        bom: false,
        final_newline: true,
    },
    Variant {
        crlf: false,
        bom: true,
        final_newline: true,
    },
    Variant {
        crlf: false,
        bom: false,
        final_newline: false,
    },
    Variant {
        crlf: true,
        bom: false,
        final_newline: false,
    },
    Variant {
        crlf: true,
        bom: true,
        final_newline: false,
    },
];

impl Variant {
    /// `lf_text` (LF line ends, a final newline) written this way.
    fn bytes(self, lf_text: &str) -> Vec<u8> {
        assert!(lf_text.ends_with('\n') && !lf_text.contains('\r'));
        let mut text = lf_text.to_owned();
        if !self.final_newline {
            text.pop();
        }
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        let mut bytes = Vec::new();
        if self.bom {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }
}

/// Runs `-p` with the test keys on every variant of `testdata/configs/<fixture>`
/// and compares the result byte for byte with the fixture after `edits`
/// (`(old, new)` pairs on the LF text; `{ENC}` in `new` stands for the new
/// encrypted value taken from the output).
fn check_preserved(fixture: &str, edits: &[(&str, &str)]) {
    let lf = fs::read_to_string(testdata(&format!("configs/{fixture}"))).unwrap();
    for variant in VARIANTS {
        let s = Scratch::with_config(&variant.bytes(&lf));
        s.install_keys("test");
        let keys_before: Vec<_> = s
            .snapshot()
            .into_iter()
            .filter(|(p, _)| p != Path::new("confserv.conf"))
            .collect();
        let out = s.confpass().arg("-p").output().unwrap();
        assert_exit(&out, 0);
        assert_no_password(&out, SAMPLE_PASSWORD);

        let actual = s.read("confserv.conf");
        let value = password_value(&actual);
        let (kid, _) = parse_enc(&value);
        assert_eq!(kid, TEST_KID, "{fixture} {variant:?}");
        let mut expected_lf = lf.clone();
        for (old, new) in edits {
            expected_lf = replace_once(&expected_lf, old, &new.replace("{ENC}", &value));
        }
        let expected = variant.bytes(&expected_lf);
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "{fixture} written as {variant:?}: the file differs from the original beyond the password and `encryption`"
        );
        assert_eq!(actual, expected, "{fixture} {variant:?}: bytes differ");

        // Nothing else in the directory changed or appeared.
        let keys_after: Vec<_> = s
            .snapshot()
            .into_iter()
            .filter(|(p, _)| p != Path::new("confserv.conf"))
            .collect();
        assert_eq!(keys_before, keys_after, "{fixture} {variant:?}: key files");
        assert_eq!(
            openssl_decrypt(&value, &s.path("dec.pem")),
            SAMPLE_PASSWORD,
            "{fixture} {variant:?}"
        );
        assert_eq!(
            startup_password(&s.path("confserv.conf")),
            SAMPLE_PASSWORD,
            "{fixture} {variant:?}"
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn preserves_bytes_with_comments_and_blank_lines_in_lf_crlf_bom_and_no_final_newline() {
    check_preserved(
        "comments.conf",
        &[
            ("encryption = false", "encryption = true"),
            ("password = S3cret!pass", "password = {ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn preserves_bytes_with_no_spaces_around_equals() {
    check_preserved(
        "spacing-none.conf",
        &[
            ("encryption=false", "encryption=true"),
            ("password=S3cret!pass", "password={ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn preserves_bytes_with_wide_spaces_around_equals() {
    check_preserved(
        "spacing-wide.conf",
        &[
            ("encryption   =   false", "encryption   =   true"),
            ("password   =   S3cret!pass", "password   =   {ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn preserves_bytes_with_tabs_and_indentation() {
    check_preserved(
        "spacing-tabs.conf",
        &[
            ("\tencryption\t=\tfalse", "\tencryption\t=\ttrue"),
            ("\tpassword\t=\tS3cret!pass", "\tpassword\t=\t{ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn preserves_bytes_and_spelling_of_password_and_dbserver_in_other_case() {
    check_preserved(
        "case-spellings.conf",
        &[
            ("Encryption = False", "Encryption = true"),
            ("Password = S3cret!pass", "Password = {ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn adds_exactly_one_encryption_line_at_end_of_server_options_in_files_own_line_ends() {
    check_preserved(
        "no-encryption.conf",
        &[
            (
                "encoding = utf-8\n",
                "encoding = utf-8\nencryption = true\n",
            ),
            ("password = S3cret!pass", "password = {ENC}"),
        ],
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn adds_encryption_line_to_a_server_section_that_ends_the_file_keeping_no_final_newline() {
    // In the no-final-newline variants the added line becomes the last line,
    // itself without a line end.
    check_preserved(
        "server-section-last.conf",
        &[
            (
                "server = dbserver\n",
                "server = dbserver\nencryption = true\n",
            ),
            ("password = S3cret!pass", "password = {ENC}"),
        ],
    );
}

// ----------------------------------------- 3. passwords with special characters

const SPECIAL_PASSWORDS: [&str; 3] = [
    r#"pä ss;#="\'x'"#,
    "密码 with spaces",
    r#"a = b ; c # d " e ' f \ g"#,
];

/// The sample with `password` set to `password`, verbatim.
fn sample_with_password(password: &str) -> Scratch {
    let sample = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
    let text = replace_once(
        &sample,
        "password = S3cret!pass",
        &format!("password = {password}"),
    );
    let s = Scratch::with_config(text.as_bytes());
    s.install_keys("test");
    s
}

/// Checks that the file now holds `password` encrypted for the test key, by
/// OpenSSL and by the start-up call, and that nothing printed it.
fn assert_encrypted(s: &Scratch, out: &Output, password: &str) {
    assert_exit(out, 0);
    assert_no_password(out, password);
    let conf = s.read_str("confserv.conf");
    assert!(
        !conf.contains(password),
        "the plain password is still in the file"
    );
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    let value = value_of(&conf, "password").unwrap();
    assert_eq!(parse_enc(&value).0, TEST_KID);
    assert_eq!(openssl_decrypt(&value, &s.path("dec.pem")), password);
    assert_eq!(startup_password(&s.path("confserv.conf")), password);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn special_password_in_the_file_round_trips_verbatim() {
    for password in SPECIAL_PASSWORDS {
        let s = sample_with_password(password);
        // The plain value is read verbatim before encryption, too.
        assert_eq!(startup_password(&s.path("confserv.conf")), password);
        let out = s.confpass().arg("-p").output().unwrap();
        assert_encrypted(&s, &out, password);
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn special_password_from_stdin_round_trips_exactly() {
    // One line, its line end (LF, CRLF or none) stripped.
    for (password, end) in SPECIAL_PASSWORDS.into_iter().zip(["\n", "\r\n", ""]) {
        let s = Scratch::sample();
        s.install_keys("test");
        let out = s
            .confpass()
            .args(["-p", "--password-stdin"])
            .write_stdin(format!("{password}{end}"))
            .output()
            .unwrap();
        assert_encrypted(&s, &out, password);
        assert_no_password(&out, SAMPLE_PASSWORD);
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn special_password_on_the_command_line_round_trips_and_warns_about_argv() {
    for password in SPECIAL_PASSWORDS {
        let s = Scratch::sample();
        s.install_keys("test");
        let out = s
            .confpass()
            .args(["-p", "dbserver", password])
            .output()
            .unwrap();
        assert_encrypted(&s, &out, password);
        let err = stderr(&out).to_lowercase();
        assert!(
            err.contains("warning") && err.contains("other users"),
            "no warning that argv is visible to other users: {err:?}"
        );
        assert!(err.contains("--password-stdin"), "{err:?}");
    }
}

// ------------------------------------------------------------- 4. key policy

/// Runs `-p -keys keys/pub.pem keys/priv.pem` with OpenSSL-made key files
/// `testdata/keys/<name>-{enc,dec}.pem` and checks they are used as they are.
fn check_openssl_keys_used_unchanged(name: &str, kid: &str) {
    let s = Scratch::sample();
    fs::create_dir(s.path("keys")).unwrap();
    s.install_key(&format!("{name}-enc.pem"), "keys/pub.pem");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("keys/pub.pem"), 0o644);
    s.install_key(&format!("{name}-dec.pem"), "keys/priv.pem");
    let keys_before = (
        s.read("keys/pub.pem"),
        s.mode("keys/pub.pem"),
        s.read("keys/priv.pem"),
        s.mode("keys/priv.pem"),
    );
    let out = s
        .confpass()
        .args(["-p", "-keys", "keys/pub.pem", "keys/priv.pem"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    let keys_after = (
        s.read("keys/pub.pem"),
        s.mode("keys/pub.pem"),
        s.read("keys/priv.pem"),
        s.mode("keys/priv.pem"),
    );
    assert!(
        keys_before == keys_after,
        "{name}: key files were rewritten"
    );
    assert_eq!(
        file_names(&s),
        ["confserv.conf", "keys/priv.pem", "keys/pub.pem"]
    );
    let value = password_value(&s.read("confserv.conf"));
    assert_eq!(parse_enc(&value).0, kid, "{name}");
    assert_eq!(openssl_key_id(&s.path("keys/pub.pem")), kid);
    assert!(stdout(&out).contains(kid), "{}", stdout(&out));
    assert_eq!(
        openssl_decrypt(&value, &s.path("keys/priv.pem")),
        SAMPLE_PASSWORD
    );
    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn openssl_pkcs8_and_spki_keys_work_and_are_not_rewritten() {
    check_openssl_keys_used_unchanged("test", TEST_KID);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn openssl_pkcs1_keys_work_and_are_not_rewritten() {
    check_openssl_keys_used_unchanged("pkcs1", PKCS1_KID);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn public_key_only_encrypts_and_creates_no_private_key() {
    let s = Scratch::sample();
    s.install_key("test-enc.pem", "enc.pem");
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("enc.pem"), 0o644);
    let enc_before = s.read("enc.pem");
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(!s.exists("dec.pem"), "a private key file was created");
    assert_eq!(file_names(&s), ["confserv.conf", "enc.pem"]);
    assert_eq!(s.read("enc.pem"), enc_before);
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("enc.pem"), 0o644);
    let conf = s.read_str("confserv.conf");
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    let value = value_of(&conf, "password").unwrap();
    assert_eq!(parse_enc(&value).0, TEST_KID);
    assert!(stdout(&out).contains(TEST_KID), "{}", stdout(&out));
    // The private key lives elsewhere; with it, OpenSSL recovers the password.
    assert_eq!(
        openssl_decrypt(&value, &testdata("keys/test-dec.pem")),
        SAMPLE_PASSWORD
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn private_key_only_derives_and_writes_the_matching_public_key() {
    let s = Scratch::sample();
    s.install_key("test-dec.pem", "dec.pem");
    let dec_before = s.read("dec.pem");
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    let enc = s.read_str("enc.pem");
    assert!(enc.starts_with("-----BEGIN PUBLIC KEY-----"), "{enc}");
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("enc.pem"), 0o644);
    assert_eq!(openssl_key_id(&s.path("enc.pem")), TEST_KID);
    assert_eq!(s.read("dec.pem"), dec_before, "dec.pem was rewritten");
    #[cfg(unix)] // Unix-only: file modes.
    assert_eq!(s.mode("dec.pem"), 0o600);
    let value = password_value(&s.read("confserv.conf"));
    assert_eq!(parse_enc(&value).0, TEST_KID);
    assert_eq!(openssl_decrypt(&value, &s.path("dec.pem")), SAMPLE_PASSWORD);
    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

#[test]
fn mismatched_default_key_files_are_refused_and_nothing_changes() {
    let s = Scratch::sample();
    s.install_key("test-enc.pem", "enc.pem");
    s.install_key("other-dec.pem", "dec.pem");
    let before = s.snapshot();
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 4);
    assert_no_password(&out, SAMPLE_PASSWORD);
    let err = stderr(&out);
    for needle in ["enc.pem", "dec.pem", TEST_KID, OTHER_KID] {
        assert!(err.contains(needle), "stderr lacks {needle}: {err}");
    }
    assert!(stdout(&out).is_empty(), "stdout: {}", stdout(&out));
    assert!(s.snapshot() == before, "a file changed after a refused run");
}

#[test]
fn mismatched_explicit_key_files_are_refused_and_nothing_changes() {
    let s = Scratch::sample();
    s.install_key("test-enc.pem", "public-a.pem");
    s.install_key("other-dec.pem", "private-b.pem");
    let before = s.snapshot();
    let out = s
        .confpass()
        .args(["-p", "-keys", "public-a.pem", "private-b.pem"])
        .output()
        .unwrap();
    assert_exit(&out, 4);
    assert_no_password(&out, SAMPLE_PASSWORD);
    let err = stderr(&out);
    for needle in ["public-a.pem", "private-b.pem", TEST_KID, OTHER_KID] {
        assert!(err.contains(needle), "stderr lacks {needle}: {err}");
    }
    assert!(s.snapshot() == before, "a file changed after a refused run");
}

// ------------------------------------------------ 5. -keys and decryption-key

/// Lines of section `name` (case-insensitive), without the header.
fn section_lines(conf: &str, name: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in conf.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t.trim_matches(['[', ']']).eq_ignore_ascii_case(name);
        } else if inside {
            out.push(line.to_owned());
        }
    }
    out
}

#[test]
fn keys_outside_the_config_directory_are_recorded_as_absolute_decryption_key() {
    // Layout: <scratch>/cs/confserv.conf, keys in <scratch>/keys, run from
    // <scratch> with relative paths: the option must be absolute.
    let s = Scratch::new();
    fs::create_dir(s.path("cs")).unwrap();
    fs::create_dir(s.path("keys")).unwrap();
    fs::copy(testdata("sample/confserv.conf"), s.path("cs/confserv.conf")).unwrap();
    s.install_key("test-enc.pem", "keys/enc.pem");
    s.install_key("test-dec.pem", "keys/dec.pem");
    let original = s.read_str("cs/confserv.conf");

    let out = s
        .confpass()
        .args([
            "-p",
            "-c",
            "cs/confserv.conf",
            "-keys",
            "keys/enc.pem",
            "keys/dec.pem",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);

    let conf = s.read_str("cs/confserv.conf");
    let server = section_lines(&conf, "confserv");
    let recorded = value_of(&server.join("\n"), "decryption-key")
        .unwrap_or_else(|| panic!("no decryption-key in [confserv]:\n{conf}"));
    assert!(
        Path::new(&recorded).is_absolute(),
        "not absolute: {recorded}"
    );
    assert_eq!(
        fs::canonicalize(&recorded).unwrap(),
        fs::canonicalize(s.path("keys/dec.pem")).unwrap()
    );
    assert_eq!(
        conf.matches("decryption-key").count(),
        1,
        "decryption-key outside [confserv]:\n{conf}"
    );
    // Exactly the password, `encryption` and one added line changed.
    let value = value_of(&conf, "password").unwrap();
    let expected = replace_once(
        &replace_once(&original, "encryption = false", "encryption = true"),
        "password = S3cret!pass",
        &format!("password = {value}"),
    );
    let line = format!("decryption-key = {recorded}\n");
    assert_eq!(
        conf.replacen(&line, "", 1),
        expected,
        "added line: {line:?}"
    );
    assert!(!s.exists("cs/dec.pem") && !s.exists("cs/enc.pem"));

    // The start-up call finds the key through the option, from any directory.
    assert_eq!(
        startup_password(&s.path("cs/confserv.conf")),
        SAMPLE_PASSWORD
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn double_dash_keys_generates_a_new_pair_at_the_named_paths() {
    let s = Scratch::sample();
    let keydir = tempfile::tempdir().unwrap();
    let enc = keydir.path().join("cs-enc.pem");
    let dec = keydir.path().join("cs-dec.pem");
    let out = s
        .confpass()
        .arg("-p")
        .arg("--keys")
        .arg(&enc)
        .arg(&dec)
        .args(["--bits", "2048"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(
        fs::read_to_string(&enc)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(
        fs::read_to_string(&dec)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    #[cfg(unix)] // Unix-only: file modes.
    {
        assert_eq!(fs::metadata(&enc).unwrap().mode() & 0o777, 0o644);
        assert_eq!(fs::metadata(&dec).unwrap().mode() & 0o777, 0o600);
    }
    assert_eq!(
        file_names(&s),
        ["confserv.conf"],
        "keys made beside the file"
    );

    let conf = s.read_str("confserv.conf");
    let recorded = value_of(
        &section_lines(&conf, "confserv").join("\n"),
        "decryption-key",
    )
    .unwrap_or_else(|| panic!("no decryption-key in [confserv]:\n{conf}"));
    assert_eq!(Path::new(&recorded), dec.as_path());
    let value = value_of(&conf, "password").unwrap();
    let (kid, cipher) = parse_enc(&value);
    assert_eq!(cipher.len(), 256, "--bits 2048");
    assert_eq!(kid, openssl_key_id(&enc));
    assert_eq!(openssl_decrypt(&value, &dec), SAMPLE_PASSWORD);
    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

#[test]
fn default_key_locations_add_no_decryption_key_option() {
    let forms: [&[&str]; 3] = [
        &["-p"],
        &["-p", "-keys"],
        &["-p", "-keys", "enc.pem", "dec.pem"],
    ];
    for args in forms {
        let s = Scratch::sample();
        s.install_keys("test");
        let out = s.confpass().args(args).output().unwrap();
        assert_exit(&out, 0);
        let conf = s.read_str("confserv.conf");
        assert!(
            !conf.contains("decryption-key"),
            "{args:?} added decryption-key:\n{conf}"
        );
        let sample = fs::read_to_string(testdata("sample/confserv.conf")).unwrap();
        assert_eq!(conf.lines().count(), sample.lines().count(), "{args:?}");
        assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
    }
}

#[test]
fn bare_keys_means_the_key_files_beside_the_config_file_not_the_cwd() {
    let s = Scratch::new();
    fs::create_dir(s.path("cs")).unwrap();
    fs::write(
        s.path("cs/confserv.conf"),
        fs::read(testdata("sample/confserv.conf")).unwrap(),
    )
    .unwrap();
    s.install_key("test-enc.pem", "cs/enc.pem");
    s.install_key("test-dec.pem", "cs/dec.pem");
    let lines_before = s.read_str("cs/confserv.conf").lines().count();
    let out = s
        .confpass()
        .args(["-p", "-c", "cs/confserv.conf", "-keys"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_eq!(
        file_names(&s),
        ["cs/confserv.conf", "cs/dec.pem", "cs/enc.pem"]
    );
    let conf = s.read_str("cs/confserv.conf");
    assert!(!conf.contains("decryption-key"), "{conf}");
    assert_eq!(conf.lines().count(), lines_before);
    assert_eq!(parse_enc(&value_of(&conf, "password").unwrap()).0, TEST_KID);
}

// ------------------------------------------------------------ 6. idempotence

#[test]
fn second_run_changes_nothing_then_stdin_rotates_then_same_password_changes_nothing() {
    let s = Scratch::sample();
    s.install_keys("test");
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    assert!(
        !stdout(&out).contains("nothing changed"),
        "{}",
        stdout(&out)
    );

    // Again, no new password: nothing changes, and it says so.
    let encrypted = s.snapshot();
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(s.snapshot() == encrypted, "a second -p changed a file");
    assert!(
        stdout(&out).contains("nothing changed"),
        "stdout: {}",
        stdout(&out)
    );
    assert!(stdout(&out).contains(TEST_KID), "stdout: {}", stdout(&out));

    // Rotation: a new password on stdin re-encrypts.
    let new_password = "N3w pass; rotated #2";
    let out = s
        .confpass()
        .args(["-p", "--password-stdin"])
        .write_stdin(format!("{new_password}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, new_password);
    assert!(
        !stdout(&out).contains("nothing changed"),
        "{}",
        stdout(&out)
    );
    let rotated = s.snapshot();
    assert_ne!(
        rotated[Path::new("confserv.conf")],
        encrypted[Path::new("confserv.conf")],
        "rotation did not change the file"
    );
    for key in ["enc.pem", "dec.pem"] {
        assert_eq!(rotated[Path::new(key)], encrypted[Path::new(key)], "{key}");
    }
    let conf = s.read_str("confserv.conf");
    assert!(!conf.contains(new_password));
    assert_eq!(startup_password(&s.path("confserv.conf")), new_password);

    // The same password once more: dec.pem shows it is already there.
    let out = s
        .confpass()
        .args(["-p", "--password-stdin"])
        .write_stdin(format!("{new_password}\n"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, new_password);
    assert!(s.snapshot() == rotated, "same password rewrote the file");
    assert!(
        stdout(&out).contains("nothing changed"),
        "stdout: {}",
        stdout(&out)
    );
}

// -------------------------------------------------- 7. symlinks and file mode

// Unix-only: a symlink (Windows needs a privilege to make one) and mode 0640.
#[cfg(unix)]
#[test]
fn symlinked_config_is_edited_at_its_target_and_the_link_stays() {
    let s = Scratch::new();
    s.write(
        "real.conf",
        &fs::read(testdata("sample/confserv.conf")).unwrap(),
    );
    set_mode(&s.path("real.conf"), 0o640);
    std::os::unix::fs::symlink("real.conf", s.path("link.conf")).unwrap();
    s.install_keys("test");
    let out = s
        .confpass()
        .args(["-p", "-c", "link.conf"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);

    let link = fs::symlink_metadata(s.path("link.conf")).unwrap();
    assert!(
        link.file_type().is_symlink(),
        "link.conf is no longer a symlink"
    );
    assert_eq!(
        fs::read_link(s.path("link.conf")).unwrap(),
        PathBuf::from("real.conf")
    );
    let conf = s.read_str("real.conf");
    assert!(!conf.contains(SAMPLE_PASSWORD));
    assert_eq!(parse_enc(&value_of(&conf, "password").unwrap()).0, TEST_KID);
    assert_eq!(s.mode("real.conf"), 0o640);
    assert_eq!(file_names(&s), ["dec.pem", "enc.pem", "real.conf"]);
    assert_eq!(startup_password(&s.path("link.conf")), SAMPLE_PASSWORD);
}

// Unix-only: file modes.
#[cfg(unix)]
#[test]
fn config_file_mode_0640_is_kept() {
    let s = Scratch::sample();
    s.install_keys("test");
    set_mode(&s.path("confserv.conf"), 0o640);
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(!s.read_str("confserv.conf").contains(SAMPLE_PASSWORD));
    assert_eq!(s.mode("confserv.conf"), 0o640);
}

// ---------------------------------------------- 8. read-only file or directory

/// A scratch directory that uid 65534 owns and can enter, holding the sample.
#[cfg(unix)]
fn nobody_scratch(dir_mode: u32, file_mode: u32) -> Scratch {
    let s = Scratch::sample();
    give_to_nobody(s.dir.path());
    give_to_nobody(&s.path("confserv.conf"));
    set_mode(&s.path("confserv.conf"), file_mode);
    set_mode(s.dir.path(), dir_mode);
    s
}

/// Runs `-p` as uid 65534 and checks exit 6 and that nothing changed.
#[cfg(unix)]
fn check_unwritable_refused(s: &Scratch) {
    let before = s.snapshot();
    let out = confpass_unprivileged(s.dir.path(), &["-p", "--bits", "2048"]);
    let leftovers: Vec<_> = fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Let the temporary directory be cleaned up even when not root.
    set_mode(s.dir.path(), 0o755);
    assert_exit(&out, 6);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert!(stderr(&out).contains("confserv.conf"), "{}", stderr(&out));
    assert_eq!(leftovers, ["confserv.conf"], "files left behind");
    assert!(
        !s.exists("enc.pem") && !s.exists("dec.pem"),
        "keys were generated"
    );
    assert!(s.snapshot() == before, "the configuration file changed");
}

// Unix-only: file modes, chown and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn read_only_config_file_is_refused_with_exit_6_and_no_keys() {
    let s = nobody_scratch(0o755, 0o444);
    check_unwritable_refused(&s);
    assert_eq!(s.mode("confserv.conf"), 0o444);
}

// Unix-only: file modes, chown and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn unwritable_directory_is_refused_with_exit_6_and_no_keys() {
    let s = nobody_scratch(0o555, 0o644);
    check_unwritable_refused(&s);
    assert_eq!(s.mode("confserv.conf"), 0o644);
}

// Unix-only: file modes, chown and `setpriv` (uid 65534).
#[cfg(unix)]
#[test]
fn writable_directory_owned_by_unprivileged_user_works() {
    // The control for the two tests above: the same set-up, writable, succeeds.
    let s = nobody_scratch(0o755, 0o644);
    let out = confpass_unprivileged(
        s.dir.path(),
        &["-p", "-keys", "enc.pem", "dec.pem", "--bits", "2048"],
    );
    assert_exit(&out, 0);
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_eq!(s.mode("dec.pem"), 0o600);
    assert_eq!(s.mode("confserv.conf"), 0o644);
    let meta = fs::metadata(s.path("confserv.conf")).unwrap();
    assert_eq!(meta.uid(), if euid() == 0 { NOBODY } else { euid() });
    let value = password_value(&s.read("confserv.conf"));
    assert_eq!(openssl_decrypt(&value, &s.path("dec.pem")), SAMPLE_PASSWORD);
}

// ------------------------------------------------------ 9. version and usage

#[test]
fn version_flags_print_name_version_and_crypto_backend() {
    let backend = confpass::crypto_backend().to_string();
    if cfg!(feature = "aws-lc") {
        assert!(backend.starts_with("AWS-LC "), "{backend}");
    } else {
        assert!(backend.starts_with("rsa 0.10 (RustCrypto)"), "{backend}");
    }
    let fips = if cfg!(feature = "fips") { "on" } else { "off" };
    assert!(
        backend.ends_with(&format!(", FIPS mode {fips}")),
        "{backend}"
    );
    for flag in ["-v", "-V", "--version"] {
        let s = Scratch::new();
        let out = s.confpass().arg(flag).output().unwrap();
        assert_exit(&out, 0);
        assert_eq!(
            stdout(&out).trim_end(),
            format!("confpass {}\ncrypto: {backend}", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
        assert!(s.snapshot().is_empty(), "{flag} wrote files");
    }
}

#[test]
fn no_arguments_is_a_usage_error_with_exit_2() {
    let s = Scratch::sample();
    let before = s.snapshot();
    let out = s.confpass().output().unwrap();
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("-p"),
        "usage message does not mention -p: {err}"
    );
    assert!(
        err.to_lowercase().contains("usage"),
        "no usage message: {err}"
    );
    assert!(
        s.snapshot() == before,
        "a run with no arguments changed files"
    );
}

// ------------------------------------------------ bytes that are not text

#[test]
fn nul_bytes_and_non_utf8_bytes_elsewhere_are_kept_byte_for_byte() {
    let original: &[u8] = b"[log]\nbanner = caf\xe9 \x00 end\n\xff\xfe raw line = \x01\n[confserv]\nserver = dbserver\nencryption = false\n[dbserver]\npassword = S3cret!pass\n";
    let s = Scratch::with_config(original);
    s.install_keys("test");
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    let after = s.read("confserv.conf");
    let value = password_value(&after);
    let expected = [
        &original
            [..original.len() - "encryption = false\n[dbserver]\npassword = S3cret!pass\n".len()],
        b"encryption = true\n[dbserver]\npassword = ",
        value.as_bytes(),
        b"\n",
    ]
    .concat();
    assert_eq!(after, expected);
    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

// Unix-only: chown to uid/gid 65534 and mode 0640.
#[cfg(unix)]
#[test]
fn the_owner_of_a_file_root_edits_is_kept() {
    let s = Scratch::sample();
    s.install_keys("test");
    std::os::unix::fs::chown(s.path("confserv.conf"), Some(65534), Some(65534)).unwrap();
    set_mode(&s.path("confserv.conf"), 0o640);
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    let meta = fs::metadata(s.path("confserv.conf")).unwrap();
    // Sessions and CI run as root, which may give a file away: chown above
    // needs it too.
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534), "owner kept");
    assert_eq!(file_mode(&meta), 0o640);
    assert_eq!(startup_password(&s.path("confserv.conf")), SAMPLE_PASSWORD);
}

// ------------------------------------------------------ the prompt (a pty)

/// Runs `confpass -p` on a pseudo-terminal (util-linux `script`), typing `input`.
fn on_a_terminal(s: &Scratch, input: &str) -> Output {
    std::process::Command::new("script")
        .args(["-qec", &format!("{BIN} -p"), "/dev/null"])
        .current_dir(s.dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .expect("script(1) from util-linux")
}

#[test]
// Unix-only: a pseudo-terminal through util-linux `script`.
#[cfg_attr(not(unix), ignore = "a pseudo-terminal through util-linux script")]
fn an_empty_password_is_asked_for_twice_on_a_terminal() {
    let s = Scratch::with_config(b"[confserv]\nserver = db\n[db]\npassword =\n");
    s.install_keys("test");
    let out = on_a_terminal(&s, "N3w pass\nN3w pass\n");
    assert!(out.status.success(), "{}", all_output(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Database password:") && text.contains("Again, to confirm:"),
        "{text}"
    );
    assert_eq!(startup_password(&s.path("confserv.conf")), "N3w pass");
}

#[test]
// Unix-only: a pseudo-terminal through util-linux `script`.
#[cfg_attr(not(unix), ignore = "a pseudo-terminal through util-linux script")]
fn fail_two_different_entries_at_the_prompt_change_nothing() {
    let s = Scratch::with_config(b"[confserv]\nserver = db\n[db]\npassword =\n");
    s.install_keys("test");
    let before = s.snapshot();
    let out = on_a_terminal(&s, "first-pass\nsecond-pass\n");
    // script(1) returns the child's exit status.
    assert_eq!(out.status.code(), Some(2), "{}", all_output(&out));
    assert!(stdout(&out).contains("the two passwords typed at the prompt differ"));
    assert!(s.snapshot() == before);
}

/// Issue 20's fuzz finding: a CRLF file whose last line ends in a lone
/// carriage return, with no `encryption` in the server section. `-p` gives
/// that line the file's own line end, adds `encryption=true` after it as
/// the file's last line (still without a line end), and changes nothing
/// else; the start-up call returns the password.
#[test]
fn p_adds_encryption_after_a_last_line_ending_in_a_lone_carriage_return() {
    let s = Scratch::new();
    s.write(
        "confserv.cfg",
        b"[db]\r\npassword=x\r\n[confserv]\r\nserver=db\r",
    );
    let out = s
        .confpass()
        .args(["-p", "-c", "confserv.cfg"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let after = s.read_str("confserv.cfg");
    let value = value_of(&after, "password").expect("a password line");
    assert!(value.starts_with("ENC["), "{value}");
    assert_eq!(
        after,
        format!("[db]\r\npassword={value}\r\n[confserv]\r\nserver=db\r\nencryption=true"),
        "only the password line and the added encryption line differ"
    );
    let got = confpass::database_password(s.path("confserv.cfg"), "confserv").unwrap();
    assert_eq!(got.expose_secret(), "x");
}
