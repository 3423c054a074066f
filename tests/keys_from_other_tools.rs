//! Keys written by other tools (PRODUCT.md §11), made while the test runs by
//! `ssh-keygen`, `openssl` and Python's `cryptography`, and used by the real
//! binary. Every form they write unencrypted loads as it is, is never
//! rewritten, and round-trips with stock OpenSSL both ways (what confpass
//! stores decrypts with `openssl pkeyutl`; what `openssl pkeyutl` encrypts
//! decrypts through the start-up call). Everything else (passphrases,
//! OpenSSH formats, certificates, keys that are not RSA or are under 2048
//! bits of modulus) exits 4 with a message that names the file, says what it
//! is and gives the command that converts it; every file stays
//! byte-identical; and where a command is given, running it makes a file
//! confpass then accepts.
//!
//! `ssh-keygen` (Debian's openssh-client) and Python's `cryptography` (the
//! `.venv-ansible` interpreter .ci/run makes, or `python3`) are needed: a
//! test that lacks one prints why and skips, except under `CI=true`, where it
//! fails.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use common::*;
use confpass::{DecryptionKey, EncryptionKey, Error, ExposeSecret};

/// The passphrase of every protected key made here (ssh-keygen wants five
/// characters or more for the PEM formats).
const PASSPHRASE: &str = "secret-pw";

// ---------------------------------------------------------------------------
// Tools

/// Whether a tool is there; if not, skips (prints why) or, under CI, fails.
fn available(tool: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{tool} is missing under CI=true: .ci/run installs it"
    );
    eprintln!("skipped: {tool} is not installed here (CI installs it)");
    false
}

fn have_ssh_keygen() -> bool {
    let present = Command::new("ssh-keygen")
        .arg("-?")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stderr).contains("usage"));
    available("ssh-keygen (openssh-client)", present)
}

/// The Python interpreter that has `cryptography`: `.venv-ansible`'s, else
/// `python3`.
fn python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ansible/bin/python3");
    let found = [venv, PathBuf::from("python3")].into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import cryptography"])
            .output()
            .is_ok_and(|out| out.status.success())
    });
    available("Python's cryptography", found.is_some());
    found
}

/// Runs a shell command line in `dir`; panics unless it succeeds.
fn shell(dir: &Path, line: &str) {
    run_tool(dir, "bash", &["-c", &format!("set -eo pipefail; {line}")]);
}

/// `ssh-keygen -q -t rsa -b 2048 -C test -f <name> <extra>`.
fn ssh_keygen(dir: &Path, name: &str, extra: &[&str]) {
    let mut args = vec!["-q", "-t", "rsa", "-b", "2048", "-C", "test", "-f", name];
    args.extend_from_slice(extra);
    run_tool(dir, "ssh-keygen", &args);
}

/// The modulus size of a private key file as `openssl rsa -text` counts it.
fn openssl_bits(dir: &Path, file: &str) -> usize {
    let out = run_tool(dir, "openssl", &["rsa", "-noout", "-text", "-in", file]);
    let text = String::from_utf8_lossy(&out.stdout);
    let bits = text
        .split_once("Private-Key: (")
        .and_then(|(_, rest)| rest.split_once(" bit"))
        .map(|(bits, _)| bits.to_owned())
        .unwrap_or_default();
    bits.parse()
        .unwrap_or_else(|_| panic!("openssl rsa -text: {text}"))
}

fn first_line(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap())
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------
// The two verdicts

/// The sample configuration with a `keys/` directory for the key files.
fn scratch() -> Scratch {
    let s = Scratch::sample();
    fs::create_dir(s.path("keys")).unwrap();
    s
}

/// Puts `keys/dec.pem` (mode 0600 on Unix) and `keys/enc.pem` in place from files
/// of `from`.
fn install(s: &Scratch, from: &Path, dec: &str, enc: &str) {
    fs::copy(from.join(dec), s.path("keys/dec.pem")).unwrap();
    fs::copy(from.join(enc), s.path("keys/enc.pem")).unwrap();
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("keys/dec.pem"), 0o600);
}

fn keys_args() -> [&'static str; 4] {
    ["-p", "-keys", "keys/enc.pem", "keys/dec.pem"]
}

/// Accepted: `confpass -p -keys keys/enc.pem keys/dec.pem` encrypts with
/// them, leaves both files as they were, stores a value stock OpenSSL
/// decrypts, and the start-up call decrypts what OpenSSL encrypts.
fn assert_accepted(what: &str, s: &Scratch) {
    let enc = s.path("keys/enc.pem");
    let dec = s.path("keys/dec.pem");
    let before = (fs::read(&enc).unwrap(), fs::read(&dec).unwrap());

    let out = s.confpass().args(keys_args()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{what}: {}", all_output(&out));
    assert_eq!(
        (fs::read(&enc).unwrap(), fs::read(&dec).unwrap()),
        before,
        "{what}: confpass rewrote a key file"
    );
    assert_no_password(&out, SAMPLE_PASSWORD);

    let config = s.read_str("confserv.conf");
    let value = value_of(&config, "password").unwrap();
    let kid = EncryptionKey::load(&enc).unwrap().id();
    assert!(
        value.starts_with(&format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:")),
        "{what}: {value}"
    );
    assert_eq!(openssl_decrypt(&value, &dec), SAMPLE_PASSWORD, "{what}");

    // The other way: a ciphertext made by `openssl pkeyutl` with enc.pem.
    let theirs = "made-by-openssl";
    let data = base64::engine::general_purpose::STANDARD.encode(openssl_encrypt(
        theirs,
        &enc,
        &OAEP_SHA256,
    ));
    let text = config.replace(
        &value,
        &format!("ENC[RSA-OAEP-SHA256,kid:{kid},data:{data}]"),
    );
    s.write("confserv.conf", text.as_bytes());
    let password = confpass::database_password(s.path("confserv.conf"), "confserv")
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(password.expose_secret(), theirs, "{what}");
    assert_eq!(
        (fs::read(&enc).unwrap(), fs::read(&dec).unwrap()),
        before,
        "{what}: a key file changed"
    );
}

/// Refused: `confpass -p -keys keys/enc.pem keys/dec.pem` exits 4 naming
/// `file` (`keys/dec.pem` or `keys/enc.pem`), with each of `says` in the
/// message, and changes no file.
fn assert_refused(what: &str, s: &Scratch, file: &str, says: &[&str]) -> String {
    let before = s.snapshot();
    let out = s.confpass().args(keys_args()).output().unwrap();
    assert_exit(&out, 4);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("confpass: error: key file {file} ")),
        "{what}: the message does not name {file}:\n{err}"
    );
    for part in says {
        assert!(err.contains(part), "{what}: no {part:?} in:\n{err}");
    }
    assert!(out.stdout.is_empty(), "{what}: {}", all_output(&out));
    assert_no_password(&out, SAMPLE_PASSWORD);
    assert_eq!(s.snapshot(), before, "{what}: a refusal changed a file");
    err
}

/// The private-key message for an unprotected OpenSSH-format key, and its command.
const OPENSSH_CONVERT: &str = "ssh-keygen -p -m PKCS8 -N '' -f keys/dec.pem";
/// The command for a passphrase-protected PEM private key.
const PKEY_CONVERT: &str = "openssl pkey -in keys/dec.pem -out dec-new.pem";
/// What follows every command that writes a new file.
const MOVE_DEC: &str = "mv dec-new.pem keys/dec.pem";
const MOVE_ENC: &str = "mv enc-new.pem keys/enc.pem";
/// What follows a command that extracts a public key from a file with other
/// uses (a certificate, an ssh `.pub` file), which is not to be replaced.
const USE_ENC: &str = "then use enc-new.pem as the public key (give it with -keys ENC DEC, or make it the configuration file's enc.pem)";

// ---------------------------------------------------------------------------
// ssh-keygen

/// Private keys by ssh-keygen in its PEM (PKCS#1) and PKCS#8 formats, with
/// their public halves as `ssh-keygen -e` writes them (PKCS#8 = SPKI, PEM =
/// PKCS#1): accepted.
#[test]
// Unix-only: `ssh-keygen -e` pipelines run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn ssh_keygen_pem_and_pkcs8_keys_are_accepted() {
    if !have_ssh_keygen() {
        return;
    }
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    ssh_keygen(dir, "pem", &["-m", "PEM", "-N", ""]);
    ssh_keygen(dir, "pkcs8", &["-m", "PKCS8", "-N", ""]);
    assert_eq!(
        first_line(&dir.join("pem")),
        "-----BEGIN RSA PRIVATE KEY-----"
    );
    assert_eq!(
        first_line(&dir.join("pkcs8")),
        "-----BEGIN PRIVATE KEY-----"
    );
    for (key, form) in [("pem", "PKCS8"), ("pkcs8", "PEM"), ("pem", "PEM")] {
        shell(
            dir,
            &format!("ssh-keygen -e -m {form} -f {key}.pub > {key}-{form}.pub.pem"),
        );
        let s = scratch();
        install(&s, dir, key, &format!("{key}-{form}.pub.pem"));
        assert_accepted(
            &format!("ssh-keygen -m {key} + ssh-keygen -e -m {form}"),
            &s,
        );
    }
}

/// ssh-keygen's default, the OpenSSH format: refused with the ssh-keygen
/// command, which then converts it in place into a key confpass accepts.
#[test]
// Unix-only: `ssh-keygen -e` and the conversion the message gives run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_ssh_keygen_openssh_format_private_key() {
    if !have_ssh_keygen() {
        return;
    }
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    ssh_keygen(dir, "id", &["-N", ""]);
    assert_eq!(
        first_line(&dir.join("id")),
        "-----BEGIN OPENSSH PRIVATE KEY-----"
    );
    shell(dir, "ssh-keygen -e -m PKCS8 -f id.pub > id.pub.pem");
    let s = scratch();
    install(&s, dir, "id", "id.pub.pem");
    let err = assert_refused(
        "ssh-keygen OpenSSH format",
        &s,
        "keys/dec.pem",
        &[
            "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`, ssh-keygen's default)",
            OPENSSH_CONVERT,
            "rewrites the file in place",
        ],
    );
    assert!(!err.contains("passphrase"), "{err}");
    shell(s.dir.path(), OPENSSH_CONVERT);
    assert_accepted("ssh-keygen OpenSSH format, converted as told", &s);
}

/// A passphrase on each of ssh-keygen's three formats: refused, each with
/// its command; with the passphrase given, the command makes a key
/// confpass accepts.
#[test]
// Unix-only: the conversions the messages give run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_ssh_keygen_keys_with_a_passphrase() {
    if !have_ssh_keygen() {
        return;
    }
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    let pkey = format!("{PKEY_CONVERT} -passin pass:{PASSPHRASE} && {MOVE_DEC}");
    let ssh = OPENSSH_CONVERT.replace("-p ", &format!("-p -P {PASSPHRASE} "));
    // (-m format, first line, what the message says, the command as run here)
    let cases = [
        (
            "PEM",
            "-----BEGIN RSA PRIVATE KEY-----",
            [
                "passphrase-protected private key (legacy PEM encryption, `Proc-Type: 4,ENCRYPTED`",
                PKEY_CONVERT,
                MOVE_DEC,
            ],
            &pkey,
        ),
        (
            "PKCS8",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            [
                "passphrase-protected private key (encrypted PKCS#8",
                PKEY_CONVERT,
                MOVE_DEC,
            ],
            &pkey,
        ),
        (
            "OpenSSH",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            [
                "is a passphrase-protected OpenSSH-format private key",
                OPENSSH_CONVERT,
                "asks for the passphrase",
            ],
            &ssh,
        ),
    ];
    for (format, label, says, convert) in cases {
        let mut args = vec!["-N", PASSPHRASE];
        if format != "OpenSSH" {
            // Without -m: ssh-keygen's default, the OpenSSH format.
            args.extend(["-m", format]);
        }
        ssh_keygen(dir, format, &args);
        assert_eq!(first_line(&dir.join(format)), label, "{format}");
        shell(
            dir,
            &format!("ssh-keygen -e -m PKCS8 -f {format}.pub > {format}.pub.pem"),
        );
        let s = scratch();
        install(&s, dir, format, &format!("{format}.pub.pem"));
        let what = format!("ssh-keygen -m {format} -N {PASSPHRASE}");
        assert_refused(&what, &s, "keys/dec.pem", &says);
        shell(s.dir.path(), convert);
        assert_accepted(&format!("{what}, converted as told"), &s);
    }
}

/// ssh-keygen's public key line (`id_rsa.pub`) and its RFC 4716 export,
/// given as the public key: refused with the command; the command's output
/// is accepted. As the private key: a public key where the private one is
/// needed.
#[test]
// Unix-only: `ssh-keygen -e` and the conversions the messages give run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_ssh_keygen_public_key_files() {
    if !have_ssh_keygen() {
        return;
    }
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    ssh_keygen(dir, "id", &["-m", "PKCS8", "-N", ""]);
    shell(dir, "ssh-keygen -e -f id.pub > id.rfc4716");
    shell(dir, "ssh-keygen -e -m PKCS8 -f id.pub > id.pub.pem");
    let line_convert = "ssh-keygen -e -m PKCS8 -f keys/enc.pem > enc-new.pem";
    let rfc_convert = "ssh-keygen -i -f keys/enc.pem > key.pub && ssh-keygen -e -m PKCS8 -f key.pub > enc-new.pem";
    for (file, what, convert) in [
        (
            "id.pub",
            "is an OpenSSH public key line (`ssh-",
            line_convert,
        ),
        ("id.rfc4716", "is an SSH2 public key (RFC 4716", rfc_convert),
    ] {
        let s = scratch();
        install(&s, dir, "id", file);
        assert_refused(file, &s, "keys/enc.pem", &[what, convert, USE_ENC]);
        shell(s.dir.path(), &format!("{convert} && {MOVE_ENC}"));
        assert_accepted(&format!("{file}, converted as told"), &s);

        let s = scratch();
        install(&s, dir, file, "id.pub.pem");
        assert_refused(
            &format!("{file} as dec.pem"),
            &s,
            "keys/dec.pem",
            &[
                "holds a public key where the private decryption key (dec.pem) is needed: give the files in the order -keys ENC DEC",
            ],
        );
    }
}

/// Ed25519 and ECDSA keys from ssh-keygen, private and public: not RSA,
/// with the command that makes an RSA pair. A 1024-bit ssh-rsa public key:
/// too small, counted in bits.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs ssh-keygen, a Linux program that wine cannot run with its exit status: covered by the Linux run"
)]
fn fail_ssh_keygen_keys_that_are_not_rsa_or_too_small() {
    if !have_ssh_keygen() {
        return;
    }
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2048, "rsa.pem");
    openssl(
        dir,
        &["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub.pem"],
    );
    let make_rsa = "make an RSA pair, for example `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out dec.pem`";
    for (kind, name, tool_kind) in [
        ("ed25519", "Ed25519", "ssh-ed25519"),
        ("ecdsa", "ECDSA (nistp256)", "ecdsa-sha2-nistp256"),
    ] {
        run_tool(dir, "ssh-keygen", &["-q", "-t", kind, "-N", "", "-f", kind]);
        let s = scratch();
        install(&s, dir, kind, "rsa.pub.pem");
        assert_refused(
            &format!("ssh-keygen -t {kind}"),
            &s,
            "keys/dec.pem",
            &[
                &format!("is an OpenSSH-format private key whose key type is {name}, not RSA"),
                make_rsa,
            ],
        );
        let s = scratch();
        install(&s, dir, "rsa.pem", &format!("{kind}.pub"));
        assert_refused(
            &format!("ssh-keygen -t {kind} .pub"),
            &s,
            "keys/enc.pem",
            &[
                &format!(
                    "is an OpenSSH public key line (`{tool_kind} AAAA…`, as in id_rsa.pub) whose key type is {name}, not RSA"
                ),
                make_rsa,
            ],
        );
    }
    run_tool(
        dir,
        "ssh-keygen",
        &["-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", "small"],
    );
    let s = scratch();
    install(&s, dir, "rsa.pem", "small.pub");
    assert_refused(
        "ssh-keygen -b 1024 .pub",
        &s,
        "keys/enc.pem",
        &["holds a 1024-bit RSA key; confpass accepts 2048 bits and more"],
    );
    let s = scratch();
    install(&s, dir, "small", "rsa.pub.pem");
    assert_refused(
        "ssh-keygen -b 1024",
        &s,
        "keys/dec.pem",
        &["holds a 1024-bit RSA key; confpass accepts 2048 bits and more"],
    );
}

// ---------------------------------------------------------------------------
// OpenSSL

/// `openssl genpkey` (PKCS#8 + SPKI) and `openssl genrsa -traditional`
/// (PKCS#1 + RSAPublicKey): accepted.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn openssl_genpkey_and_genrsa_traditional_keys_are_accepted() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2048, "p8.pem");
    openssl(
        dir,
        &["pkey", "-in", "p8.pem", "-pubout", "-out", "p8.pub.pem"],
    );
    openssl(dir, &["genrsa", "-traditional", "-out", "p1.pem", "2048"]);
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "p1.pem",
            "-RSAPublicKey_out",
            "-out",
            "p1.pub.pem",
        ],
    );
    assert_eq!(
        first_line(&dir.join("p1.pem")),
        "-----BEGIN RSA PRIVATE KEY-----"
    );
    for (dec, enc) in [("p8.pem", "p8.pub.pem"), ("p1.pem", "p1.pub.pem")] {
        let s = scratch();
        install(&s, dir, dec, enc);
        assert_accepted(&format!("openssl {dec} + {enc}"), &s);
    }
}

/// `openssl genrsa -traditional -aes256`: legacy PEM encryption, refused
/// with `openssl pkey`, which (given the passphrase) makes a key confpass
/// accepts.
#[test]
// Unix-only: the conversion the message gives runs in `bash` (and its mode 0600 is checked).
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_openssl_genrsa_traditional_aes256() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    let pass = format!("pass:{PASSPHRASE}");
    openssl(
        dir,
        &[
            "genrsa",
            "-traditional",
            "-aes256",
            "-passout",
            &pass,
            "-out",
            "dec.pem",
            "2048",
        ],
    );
    openssl(
        dir,
        &[
            "rsa", "-in", "dec.pem", "-passin", &pass, "-pubout", "-out", "enc.pem",
        ],
    );
    let s = scratch();
    install(&s, dir, "dec.pem", "enc.pem");
    assert_refused(
        "genrsa -traditional -aes256",
        &s,
        "keys/dec.pem",
        &[
            "is a passphrase-protected private key (legacy PEM encryption, `Proc-Type: 4,ENCRYPTED`",
            "which a server cannot open unattended",
            PKEY_CONVERT,
            MOVE_DEC,
        ],
    );
    shell(
        s.dir.path(),
        &format!("{PKEY_CONVERT} -passin {pass} && {MOVE_DEC}"),
    );
    assert_eq!(
        s.mode("keys/dec.pem"),
        0o600,
        "openssl pkey -out writes 0600"
    );
    assert_accepted("genrsa -aes256, converted as told", &s);
}

/// `openssl req -x509 -nodes`: the certificate as the public key is refused
/// with `openssl x509 -pubkey`, whose output is accepted; as the private key
/// it is refused; the key file it came with, and a file holding the
/// certificate and then the key (OpenSSL takes the key), are accepted.
#[test]
// Unix-only: the conversions the message gives run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_openssl_certificate_given_as_a_key() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=confpass test",
            "-days",
            "2",
        ],
    );
    assert_eq!(
        first_line(&dir.join("cert.pem")),
        "-----BEGIN CERTIFICATE-----"
    );
    let extract = "openssl x509 -in keys/enc.pem -pubkey -noout > enc-new.pem";
    let s = scratch();
    install(&s, dir, "key.pem", "cert.pem");
    assert_refused(
        "certificate as enc.pem",
        &s,
        "keys/enc.pem",
        &[
            "holds an X.509 certificate (`BEGIN CERTIFICATE`), not a bare public key",
            extract,
            USE_ENC,
        ],
    );
    shell(s.dir.path(), &format!("{extract} && {MOVE_ENC}"));
    assert_accepted("certificate, converted as told", &s);

    shell(dir, "openssl pkey -in key.pem -pubout -out key.pub.pem");
    let s = scratch();
    install(&s, dir, "cert.pem", "key.pub.pem");
    assert_refused(
        "certificate as dec.pem",
        &s,
        "keys/dec.pem",
        &[
            "holds an X.509 certificate (`BEGIN CERTIFICATE`), which carries only a public key, where the private decryption key (dec.pem) is needed",
        ],
    );

    let both = [
        fs::read(dir.join("cert.pem")).unwrap(),
        fs::read(dir.join("key.pem")).unwrap(),
    ]
    .concat();
    fs::write(dir.join("both.pem"), both).unwrap();
    let s = scratch();
    install(&s, dir, "both.pem", "key.pub.pem");
    assert_accepted("certificate, then its key, in dec.pem", &s);
}

/// A 2047-bit key (OpenSSL makes one when asked) is refused as 2047 bits,
/// private and public; 2049 bits is accepted, and its 257-byte ciphertexts
/// round-trip.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_openssl_2047_bit_key_is_counted_in_bits() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2047, "small.pem");
    assert_eq!(openssl_bits(dir, "small.pem"), 2047);
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            "small.pem",
            "-pubout",
            "-out",
            "small.pub.pem",
        ],
    );
    let says = "holds a 2047-bit RSA key; confpass accepts 2048 bits and more: make a new pair";
    genpkey(dir, 2048, "ok.pem");
    openssl(
        dir,
        &["pkey", "-in", "ok.pem", "-pubout", "-out", "ok.pub.pem"],
    );
    let s = scratch();
    install(&s, dir, "ok.pem", "small.pub.pem");
    assert_refused("2047-bit public key", &s, "keys/enc.pem", &[says]);
    let s = scratch();
    install(&s, dir, "small.pem", "ok.pub.pem");
    assert_refused("2047-bit private key", &s, "keys/dec.pem", &[says]);

    match DecryptionKey::load(&s.path("keys/dec.pem")) {
        Err(Error::KeyTooSmall { bits: 2047, .. }) => {}
        other => panic!("expected KeyTooSmall {{ bits: 2047 }}, got {other:?}"),
    }
    match EncryptionKey::load(&dir.join("small.pub.pem")) {
        Err(Error::KeyTooSmall { bits: 2047, .. }) => {}
        other => panic!("expected KeyTooSmall {{ bits: 2047 }}, got {other:?}"),
    }
}

/// A 2052-bit key (a modulus that is no whole number of bytes; OpenSSL
/// makes exactly 2052 bits when asked) is 2052 bits, its ciphertexts are
/// ceil(2052 / 8) = 257 bytes, and it works both ways with OpenSSL.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn openssl_2052_bit_key_is_accepted_with_its_true_size() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2052, "odd.pem");
    assert_eq!(openssl_bits(dir, "odd.pem"), 2052);
    openssl(
        dir,
        &["pkey", "-in", "odd.pem", "-pubout", "-out", "odd.pub.pem"],
    );
    let enc = EncryptionKey::load(&dir.join("odd.pub.pem")).unwrap();
    assert_eq!(enc.bits(), 2052);
    assert_eq!(enc.ciphertext_len(), 257);
    assert_eq!(enc.max_plaintext(), 257 - 66);
    let s = scratch();
    install(&s, dir, "odd.pem", "odd.pub.pem");
    assert_accepted("2052-bit key", &s);
}

/// A multi-prime key (`rsa_keygen_primes:3`): refused, saying so.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_openssl_multi_prime_key() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_keygen_primes:3",
            "-out",
            "mp.pem",
        ],
    );
    openssl(
        dir,
        &["pkey", "-in", "mp.pem", "-pubout", "-out", "mp.pub.pem"],
    );
    let s = scratch();
    install(&s, dir, "mp.pem", "mp.pub.pem");
    assert_refused(
        "3-prime key",
        &s,
        "keys/dec.pem",
        &["is a multi-prime RSA key", "openssl genpkey -algorithm RSA"],
    );
}

/// The same key as binary DER (`openssl pkey -outform DER`) or saved as
/// UTF-16 (Windows Notepad's "Unicode"): refused with the command, which
/// makes a file confpass accepts.
#[test]
// Unix-only: `iconv` and the conversions the messages give run in `bash` (modes checked).
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_der_and_utf16_key_files() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2048, "k.pem");
    openssl(
        dir,
        &["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub.pem"],
    );
    openssl(
        dir,
        &["pkey", "-in", "k.pem", "-outform", "DER", "-out", "k.der"],
    );
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            "k.pem",
            "-pubout",
            "-outform",
            "DER",
            "-out",
            "k.pub.der",
        ],
    );
    shell(dir, "iconv -f UTF-8 -t UTF-16 k.pem > k.utf16");
    shell(dir, "iconv -f UTF-8 -t UTF-16 k.pub.pem > k.pub.utf16");
    let cases = [
        (
            "k.der",
            "k.pub.pem",
            "keys/dec.pem",
            "is a binary (DER) file, not PEM text",
            "openssl pkey -inform DER -in keys/dec.pem -out dec-new.pem",
            MOVE_DEC,
        ),
        (
            "k.pem",
            "k.pub.der",
            "keys/enc.pem",
            "is a binary (DER) file, not PEM text",
            "openssl pkey -pubin -inform DER -in keys/enc.pem -out enc-new.pem",
            MOVE_ENC,
        ),
        (
            "k.utf16",
            "k.pub.pem",
            "keys/dec.pem",
            "is saved as UTF-16 text",
            "(umask 077; iconv -f UTF-16 -t UTF-8 keys/dec.pem > dec-new.pem)",
            MOVE_DEC,
        ),
        (
            "k.pem",
            "k.pub.utf16",
            "keys/enc.pem",
            "is saved as UTF-16 text",
            "iconv -f UTF-16 -t UTF-8 keys/enc.pem > enc-new.pem",
            MOVE_ENC,
        ),
    ];
    for (dec, enc, file, what, convert, then) in cases {
        let s = scratch();
        install(&s, dir, dec, enc);
        let name = format!("{dec} + {enc}");
        assert_refused(
            &name,
            &s,
            file,
            &[
                what,
                convert,
                &format!("then put it in place of the old file: `{then}`"),
            ],
        );
        shell(s.dir.path(), &format!("{convert} && {then}"));
        assert_eq!(s.mode("keys/dec.pem"), 0o600, "{name}");
        assert_accepted(&format!("{name}, converted as told"), &s);
    }
}

/// Two keys in one file: the first is used, as OpenSSL uses it; but a
/// private key first where the public one is needed (or the reverse) is
/// still refused, whatever follows it.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn two_keys_in_one_file_the_first_is_used() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    for name in ["a", "b"] {
        genpkey(dir, 2048, &format!("{name}.pem"));
        openssl(
            dir,
            &[
                "pkey",
                "-in",
                &format!("{name}.pem"),
                "-pubout",
                "-out",
                &format!("{name}.pub.pem"),
            ],
        );
    }
    let cat = |parts: &[&str], out: &str| {
        let bytes: Vec<u8> = parts
            .iter()
            .flat_map(|p| fs::read(dir.join(p)).unwrap())
            .collect();
        fs::write(dir.join(out), bytes).unwrap();
    };
    cat(&["a.pem", "b.pem"], "ab.pem");
    cat(&["a.pub.pem", "b.pub.pem"], "ab.pub.pem");
    let s = scratch();
    install(&s, dir, "ab.pem", "ab.pub.pem");
    assert_accepted("two private keys, two public keys", &s);
    let a = EncryptionKey::load(&dir.join("a.pub.pem")).unwrap().id();
    assert_eq!(
        DecryptionKey::load(&s.path("keys/dec.pem")).unwrap().id(),
        a
    );

    cat(&["a.pem", "a.pub.pem"], "mixed.pem");
    cat(&["a.pub.pem", "a.pem"], "mixed-rev.pem");
    let s = scratch();
    install(&s, dir, "a.pem", "mixed.pem");
    assert_refused(
        "private then public, as enc.pem",
        &s,
        "keys/enc.pem",
        &["holds a private key where the public encryption key (enc.pem) is needed"],
    );
    let s = scratch();
    install(&s, dir, "mixed-rev.pem", "a.pub.pem");
    assert_refused(
        "public then private, as dec.pem",
        &s,
        "keys/dec.pem",
        &["holds a public key where the private decryption key (dec.pem) is needed"],
    );
}

/// Text before BEGIN and after END, blank lines around the key, CRLF line
/// ends and trailing spaces: accepted by `-p` and by the start-up call (a
/// `dec.pem` that picked up a newline still starts the server).
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn text_around_the_key_crlf_and_blank_lines_are_accepted() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2048, "k.pem");
    openssl(
        dir,
        &["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub.pem"],
    );
    let key = fs::read_to_string(dir.join("k.pem")).unwrap();
    let public = fs::read_to_string(dir.join("k.pub.pem")).unwrap();
    let dec = format!(
        "{}\r\n\r\nrotated 2024-05 by ops\r\n\r\n",
        key.replace('\n', "  \r\n")
    );
    let enc = format!("Key for confserv (enc.pem)\n\n\n{public}\n\n");
    fs::write(dir.join("dec-edited.pem"), &dec).unwrap();
    fs::write(dir.join("enc-edited.pem"), &enc).unwrap();
    // Stock OpenSSL reads both as they are.
    openssl(dir, &["pkey", "-in", "dec-edited.pem", "-noout"]);
    openssl(dir, &["pkey", "-pubin", "-in", "enc-edited.pem", "-noout"]);

    let s = scratch();
    install(&s, dir, "dec-edited.pem", "enc-edited.pem");
    assert_accepted("text after END, CRLF, blank lines", &s);

    // The start-up call with dec.pem beside the configuration file.
    let s = Scratch::sample();
    s.write("dec.pem", dec.as_bytes());
    s.write("enc.pem", enc.as_bytes());
    #[cfg(unix)] // Unix-only: file modes.
    set_mode(&s.path("dec.pem"), 0o600);
    let before = (s.read("dec.pem"), s.read("enc.pem"));
    let out = s.confpass().arg("-p").output().unwrap();
    assert_exit(&out, 0);
    let password = confpass::database_password(s.path("confserv.conf"), "confserv").unwrap();
    assert_eq!(password.expose_secret(), SAMPLE_PASSWORD);
    assert_eq!((s.read("dec.pem"), s.read("enc.pem")), before);
}

/// Where OpenSSL refuses a PEM file, confpass refuses it too, saying which
/// line and what to do: a blank line inside the base64 text, text after
/// `-----END …-----` on the same line.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs stock openssl, a Linux program that wine cannot run with its exit status: covered by the Linux run and tests/wine.rs"
)]
fn fail_pem_damage_openssl_refuses_too() {
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    genpkey(dir, 2048, "k.pem");
    openssl(
        dir,
        &["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub.pem"],
    );
    let key = fs::read_to_string(dir.join("k.pem")).unwrap();
    let mut lines: Vec<&str> = key.lines().collect();
    lines.insert(4, "");
    fs::write(dir.join("blank.pem"), lines.join("\n") + "\n").unwrap();
    fs::write(
        dir.join("joined.pem"),
        key.trim_end().to_owned() + "# note\n",
    )
    .unwrap();
    for (file, says) in [
        (
            "blank.pem",
            "line 5, inside the base64 text of the `PRIVATE KEY` block, is blank, which OpenSSL refuses too: remove that line",
        ),
        (
            "joined.pem",
            "the `-----END PRIVATE KEY-----` line, has text after its closing dashes, which OpenSSL refuses too",
        ),
    ] {
        let openssl_reads = Command::new("openssl")
            .args(["pkey", "-noout", "-in", file])
            .current_dir(dir)
            .output()
            .unwrap()
            .status
            .success();
        assert!(!openssl_reads, "OpenSSL reads {file}");
        let s = scratch();
        install(&s, dir, file, "k.pub.pem");
        assert_refused(
            file,
            &s,
            "keys/dec.pem",
            &["is not a readable PEM file", says],
        );
    }
}

// ---------------------------------------------------------------------------
// Python's cryptography

/// Writes one 2048-bit key in every PEM/OpenSSH encoding `cryptography`
/// has into `dir`.
fn python_keys(python: &Path, dir: &Path) {
    let script = format!(
        r#"
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization as s
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pw = s.BestAvailableEncryption(b"{PASSPHRASE}")
none = s.NoEncryption()
files = {{
    "pkcs8.pem": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, none),
    "traditional.pem": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, none),
    "openssh.pem": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.OpenSSH, none),
    "pkcs8-pw.pem": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, pw),
    "traditional-pw.pem": key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, pw),
    "spki.pem": key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo),
    "pkcs1.pem": key.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.PKCS1),
    "openssh.pub": key.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH),
}}
for name, data in files.items():
    with open(name, "wb") as f:
        f.write(data)
"#
    );
    run_tool(dir, &python.to_string_lossy(), &["-c", &script]);
}

/// `cryptography`'s private PKCS8 and TraditionalOpenSSL and public
/// SubjectPublicKeyInfo and PKCS1 encodings: accepted, in every pairing.
#[test]
#[cfg_attr(
    windows,
    ignore = "runs Python's cryptography, a Linux program that wine cannot run with its exit status: covered by the Linux run"
)]
fn python_cryptography_pem_keys_are_accepted() {
    let Some(python) = python() else { return };
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    python_keys(&python, dir);
    for dec in ["pkcs8.pem", "traditional.pem"] {
        for enc in ["spki.pem", "pkcs1.pem"] {
            let s = scratch();
            install(&s, dir, dec, enc);
            assert_accepted(&format!("cryptography {dec} + {enc}"), &s);
        }
    }
}

/// `cryptography`'s OpenSSH encodings and its passphrase-protected ones:
/// refused, each with its command; the commands' output is accepted.
#[test]
// Unix-only: the conversions the messages give run in `bash`.
#[cfg_attr(not(unix), ignore = "shells out to bash")]
fn fail_python_cryptography_openssh_and_protected_keys() {
    let Some(python) = python() else { return };
    let tmp = Scratch::new();
    let dir = tmp.dir.path();
    python_keys(&python, dir);
    let pkey = format!("{PKEY_CONVERT} -passin pass:{PASSPHRASE} && {MOVE_DEC}");
    let cases: [(&str, &[&str], &str); 2] = [
        (
            "pkcs8-pw.pem",
            &[
                "passphrase-protected private key (encrypted PKCS#8, `BEGIN ENCRYPTED PRIVATE KEY`)",
                PKEY_CONVERT,
                MOVE_DEC,
            ],
            &pkey,
        ),
        (
            "traditional-pw.pem",
            &[
                "passphrase-protected private key (legacy PEM encryption, `Proc-Type: 4,ENCRYPTED`",
                PKEY_CONVERT,
                MOVE_DEC,
            ],
            &pkey,
        ),
    ];
    for (dec, says, convert) in cases {
        let s = scratch();
        install(&s, dir, dec, "spki.pem");
        assert_refused(&format!("cryptography {dec}"), &s, "keys/dec.pem", says);
        shell(s.dir.path(), convert);
        assert_accepted(&format!("cryptography {dec}, converted as told"), &s);
    }

    let s = scratch();
    install(&s, dir, "openssh.pem", "spki.pem");
    assert_refused(
        "cryptography OpenSSH private",
        &s,
        "keys/dec.pem",
        &[
            "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`",
            OPENSSH_CONVERT,
        ],
    );
    if have_ssh_keygen() {
        shell(s.dir.path(), OPENSSH_CONVERT);
        assert_accepted("cryptography OpenSSH private, converted as told", &s);
    }

    let s = scratch();
    install(&s, dir, "pkcs8.pem", "openssh.pub");
    let convert = "ssh-keygen -e -m PKCS8 -f keys/enc.pem > enc-new.pem";
    assert_refused(
        "cryptography OpenSSH public",
        &s,
        "keys/enc.pem",
        &[
            "is an OpenSSH public key line (`ssh-rsa AAAA…`",
            convert,
            USE_ENC,
        ],
    );
    if have_ssh_keygen() {
        shell(s.dir.path(), &format!("{convert} && {MOVE_ENC}"));
        assert_accepted("cryptography OpenSSH public, converted as told", &s);
    }
}
