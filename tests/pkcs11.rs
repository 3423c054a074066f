//! Keys on a PKCS#11 token, end to end against a real software TPM (swtpm
//! behind tpm2-pkcs11, `tests/support/tpm.rs`): `-p` making the pair on the
//! token, `-p` with a key already there, `--check`, `--reveal`, the start-up
//! and candidates calls, OpenSSL encrypting for the exported public key, a
//! primary and a backup section, `--rotate-keys` and `--prune-keys` across
//! two files sharing the token key, failed and killed runs at every step of
//! `-p` and `--rotate-keys`, each error with its message and exit code, and a
//! hundred runs that leave the TPM accepting logins.
//!
//! Unix-only: swtpm and tpm2-pkcs11 are Linux software.
#![cfg(unix)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use common::*;
use confpass::Decryptor as _;
use confpass::ExposeSecret as _;
use support::tpm::{self, MODULE, Tpm};

/// A URI for `object` with the PIN file `pin`.
fn uri(object: &str, pin: &Path) -> String {
    format!(
        "pkcs11:token=confpass;object={object}?module-path={MODULE}&pin-source=file:{}",
        pin.display()
    )
}

/// The sample configuration and a copy of the TPM's PIN file beside it.
fn setup(t: &Tpm) -> (Scratch, PathBuf) {
    let s = Scratch::sample();
    s.write("pin", &std::fs::read(t.pin_file()).unwrap());
    set_mode(&s.path("pin"), 0o600);
    let pin = s.path("pin");
    (s, pin)
}

fn run(t: &Tpm, s: &Scratch, args: &[&str]) -> Run {
    let mut r = Run::new(s, args);
    r.cmd.envs(t.env());
    r
}

/// The number of private keys on the token.
fn private_keys(t: &Tpm) -> usize {
    t.list_objects().matches("Private Key Object").count()
}

/// [`setup`], with a backup server section reading the same database section.
fn setup_with_backup(t: &Tpm) -> (Scratch, PathBuf) {
    let (s, pin) = setup(t);
    let conf = s.read_str("confserv.conf") + "\n[confserv_backup]\nserver = dbserver\n";
    s.write("confserv.conf", conf.as_bytes());
    (s, pin)
}

/// `-p` makes the pair on the token; everything that reads the value works.
fn generates_and_serves(bits: &str) {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    let key = uri("dbkey", &pin);
    let out = run(&t, &s, &["-p", "-keys", "enc.pem", &key, "--bits", bits])
        .never_showing(&[SAMPLE_PASSWORD])
        .exit(0);
    let kid = openssl_key_id(&s.path("enc.pem"));
    assert!(stdout(&out).contains(&kid), "{}", all_output(&out));
    assert!(!s.exists("dec.pem"), "no private key file is written");
    let conf = s.read_str("confserv.conf");
    let recorded = value_of(&conf, "decryption-key").unwrap();
    let id: String = kid
        .as_bytes()
        .chunks(2)
        .map(|h| format!("%{}", std::str::from_utf8(h).unwrap().to_uppercase()))
        .collect();
    assert!(
        recorded.starts_with(&format!(
            "pkcs11:token=confpass;id={id};object=dbkey;type=private?"
        )),
        "{recorded}"
    );
    assert_eq!(value_of(&conf, "encryption").as_deref(), Some("true"));
    let value = value_of(&conf, "password").unwrap();
    assert!(value.contains(&format!("kid:{kid}")), "{value}");
    assert_eq!(
        value.split("data:").nth(1).unwrap().len(),
        if bits == "2048" { 344 + 1 } else { 512 + 1 },
        "a {bits}-bit ciphertext"
    );

    // Generated on the token: sensitive and never extractable, CKA_ID = key id.
    let objects = t.list_objects();
    assert!(objects.contains(&format!("ID:         {kid}")), "{objects}");
    assert!(
        objects.contains("sensitive, always sensitive, never extractable"),
        "{objects}"
    );
    assert_eq!(private_keys(&t), 1);

    let out = run(&t, &s, &["--check"]).exit(0);
    assert!(
        stdout(&out).contains(&format!("decrypts with key {kid}")),
        "{}",
        all_output(&out)
    );
    let out = run(&t, &s, &["--reveal"]).exit(0);
    assert_eq!(stdout(&out).trim_end(), SAMPLE_PASSWORD);

    // The library, in this process, as a server calls it.
    let _env = tpm::lock();
    t.set_env();
    let config = s.path("confserv.conf");
    let password = confpass::database_password(&config, "confserv").unwrap();
    assert_eq!(password.expose_secret(), SAMPLE_PASSWORD);
    let candidates = confpass::database_password_candidates(&config, "confserv").unwrap();
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].password.expose_secret(), SAMPLE_PASSWORD);
    let key = confpass::token::key_for(Path::new(&recorded), None).unwrap();
    assert_eq!(key.key_id().to_string(), kid);
    assert!(confpass::token::is_protected(&key).unwrap());
    assert!(t.loaded_handles().is_empty(), "{:?}", t.loaded_handles());
}

#[test]
fn p_generates_a_2048_bit_pair_on_the_token_and_every_reader_decrypts_there() {
    generates_and_serves("2048");
}

#[test]
fn p_generates_a_3072_bit_pair_on_the_token_and_every_reader_decrypts_there() {
    generates_and_serves("3072");
}

#[test]
fn p_with_an_existing_token_key_checks_it_against_enc_and_openssl_encrypts_for_it() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    s.write(
        "enc.pem",
        t.keypairgen(2048, "0102030405060708", "k1").as_bytes(),
    );
    let key = uri("k1", &pin);

    // Another public key than the token's: refused, nothing changed.
    s.install_key("other-enc.pem", "wrong-enc.pem");
    let before = s.snapshot();
    let out = run(&t, &s, &["-p", "-keys", "wrong-enc.pem", &key]).exit(4);
    assert!(
        stderr(&out).contains("are not one key pair") || stderr(&out).contains("not one pair"),
        "{}",
        all_output(&out)
    );
    assert!(s.snapshot() == before, "a refused run changed files");

    run(&t, &s, &["-p", "-keys", "enc.pem", &key]).exit(0);
    let kid = openssl_key_id(&s.path("enc.pem"));
    let conf = s.read_str("confserv.conf");
    assert!(value_of(&conf, "password").unwrap().contains(&kid));
    assert!(
        value_of(&conf, "decryption-key")
            .unwrap()
            .contains("id=%01%02%03%04%05%06%07%08;object=k1")
    );
    assert_eq!(private_keys(&t), 1, "no key was made");

    // Stock OpenSSL encrypts for the exported key; the token decrypts.
    let ct = openssl_encrypt("From OpenSSL 318", &s.path("enc.pem"), &OAEP_SHA256);
    let value = confpass::EncryptedValue::from_parts(confpass::KeyId::from_hex(&kid).unwrap(), ct)
        .to_string();
    s.write(
        "confserv.conf",
        conf.replace(&value_of(&conf, "password").unwrap(), &value)
            .as_bytes(),
    );
    let out = run(&t, &s, &["--reveal"]).exit(0);
    assert_eq!(stdout(&out).trim_end(), "From OpenSSL 318");

    // The key named by CONFPASS_DECRYPTION_KEY instead of decryption-key.
    let recorded = value_of(&s.read_str("confserv.conf"), "decryption-key").unwrap();
    let without: String = s
        .read_str("confserv.conf")
        .lines()
        .filter(|l| !l.starts_with("decryption-key"))
        .map(|l| format!("{l}\n"))
        .collect();
    s.write("env.conf", without.as_bytes());
    let out = run(&t, &s, &["--reveal", "-c", "env.conf"])
        .env("CONFPASS_DECRYPTION_KEY", &recorded)
        .exit(0);
    assert_eq!(stdout(&out).trim_end(), "From OpenSSL 318");
}

#[test]
fn primary_and_backup_start_and_a_kept_previous_password_decrypts_on_the_token() {
    let t = Tpm::start();
    let (s, pin) = setup_with_backup(&t);
    let key = uri("pair", &pin);
    run(&t, &s, &["-p", "-keys", "enc.pem", &key]).exit(0);
    for section in ["confserv", "confserv_backup"] {
        run(&t, &s, &["--check", "-s", section]).exit(0);
    }
    // The new password for the pair, keeping the old one for the backup.
    run(&t, &s, &["-p", "--password-stdin", "--keep-previous"])
        .password("N3w-pass")
        .exit(0);
    let _env = tpm::lock();
    t.set_env();
    for section in ["confserv", "confserv_backup"] {
        let got = confpass::database_password_candidates(s.path("confserv.conf"), section).unwrap();
        let got: Vec<&str> = got.iter().map(|c| c.password.expose_secret()).collect();
        assert_eq!(got, ["N3w-pass", SAMPLE_PASSWORD], "[{section}]");
    }
    assert_eq!(private_keys(&t), 1);
}

#[test]
fn fail_a_run_that_fails_before_its_commit_destroys_the_key_it_made() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    let before = s.snapshot();
    run(&t, &s, &["-p", "-keys", "enc.pem", &uri("dbkey", &pin)])
        .fail_at("rename:config:EIO")
        .exit(6);
    assert!(s.snapshot() == before, "the failed run changed files");
    assert_eq!(private_keys(&t), 0, "{}", t.list_objects());
    assert!(t.login_works());
}

#[test]
fn a_kill_after_the_token_made_the_key_leaves_the_file_and_a_rerun_uses_that_key() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    let key = uri("dbkey", &pin);
    let before = s.read("confserv.conf");
    run(&t, &s, &["-p", "-keys", "enc.pem", &key])
        .paused_at("token-generated")
        .kill();
    assert_eq!(s.read("confserv.conf"), before, "the file is as it was");
    // Still the plain password (exit 10 says so): the server starts.
    run(&t, &s, &["--check"]).exit(10);
    assert_eq!(private_keys(&t), 1);
    run(&t, &s, &["-p", "-keys", "enc.pem", &key]).exit(0);
    assert_eq!(
        private_keys(&t),
        1,
        "the rerun used the key the killed run made"
    );
    assert_eq!(
        stdout(&run(&t, &s, &["--reveal"]).exit(0)).trim_end(),
        SAMPLE_PASSWORD
    );
    assert!(t.login_works());
}

/// confpass's lines of a run's stderr (the module prints its own `ERROR:`
/// lines, which vary with its version), with the scratch directory spelled
/// `[DIR]` and a generated key's `id=` spelled `id=[KID]`.
fn message(out: &std::process::Output, s: &Scratch) -> String {
    let text = stderr(out).replace(&s.path("").display().to_string(), "[DIR]/");
    let mut lines = String::new();
    for line in text.lines().filter(|l| l.starts_with("confpass:")) {
        let mut line = line.to_owned();
        if let Some(at) = line.find("id=%") {
            let end = at + line[at..].find(';').unwrap();
            line.replace_range(at..end, "id=[KID]");
        }
        lines.push_str(&line);
        lines.push('\n');
    }
    lines
}

#[test]
fn fail_each_token_error_has_its_message_and_exit_code_and_no_pin() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    s.write("wrong-pin", b"wrong-pin-73519\n");
    set_mode(&s.path("wrong-pin"), 0o600);
    s.write("open-pin", b"1234\n");
    set_mode(&s.path("open-pin"), 0o644);
    let q = |query: &str| format!("pkcs11:token=confpass;object=dbkey?{query}");
    let cases: Vec<(&str, String, &[&str], i32)> = vec![
        ("wrong_pin", uri("dbkey", &s.path("wrong-pin")), &[], 4),
        ("open_pin_file", uri("dbkey", &s.path("open-pin")), &[], 4),
        ("missing_pin_file", uri("dbkey", &s.path("no-pin")), &[], 4),
        ("pin_value", q("pin-value=1234"), &[], 4),
        (
            "no_module",
            q(&format!(
                "module-path=/nonexistent/p11.so&pin-source=file:{}",
                pin.display()
            )),
            &[],
            4,
        ),
        (
            "no_token",
            uri("dbkey", &pin).replace("token=confpass", "token=nosuch"),
            &[],
            4,
        ),
        ("bits_4096", uri("dbkey", &pin), &["--bits", "4096"], 4),
    ];
    for (name, key, extra, code) in cases {
        let before = s.snapshot();
        let args = [&["-p", "-keys", "enc.pem", key.as_str()][..], extra].concat();
        let out = run(&t, &s, &args).exit(code);
        assert!(s.snapshot() == before, "{name}: files changed");
        assert_no_password(&out, "wrong-pin-73519");
        assert!(!all_output(&out).contains("pin-value=1234"), "{name}");
        assert_snapshot(&message(&out, &s), &format!("pkcs11/{name}.stderr"));
    }
    // An object that is no RSA key.
    t.pkcs11_tool(&[
        "--login",
        "--pin",
        tpm::PIN,
        "--keypairgen",
        "--key-type",
        "EC:prime256v1",
        "--label",
        "ec",
        "--id",
        "0e",
    ]);
    let out = run(&t, &s, &["-p", "-keys", "enc.pem", &uri("ec", &pin)]).exit(4);
    assert_snapshot(&message(&out, &s), "pkcs11/not_rsa.stderr");
    // A TPM whose object slots crashed programs filled: busy (exit 6).
    t.fill_object_slots();
    let out = run(&t, &s, &["-p", "-keys", "enc.pem", &uri("dbkey", &pin)]).exit(6);
    assert_snapshot(&message(&out, &s), "pkcs11/busy.stderr");
    t.flush();
    // The object a URI names is not there, while ENC is.
    s.install_key("test-enc.pem", "enc.pem");
    let out = run(&t, &s, &["-p", "-keys", "enc.pem", &uri("absent", &pin)]).exit(4);
    assert_snapshot(&message(&out, &s), "pkcs11/object_missing.stderr");
    assert!(t.login_works());
    assert!(t.loaded_handles().is_empty(), "{:?}", t.loaded_handles());
}

#[test]
fn a_hundred_runs_errors_included_leave_the_tpm_accepting_logins() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    s.write("open-pin", b"1234\n");
    set_mode(&s.path("open-pin"), 0o644);
    run(&t, &s, &["-p", "-keys", "enc.pem", &uri("dbkey", &pin)]).exit(0);
    // Errors before the module is loaded (the PIN file) and after (no such
    // token). Not a ciphertext that fails to decrypt: swtpm 0.7 answers one
    // with TPM_RC_FAILURE and accepts no command until restarted.
    let open_pin = uri("dbkey", &s.path("open-pin"));
    let no_token = uri("dbkey", &pin).replace("token=confpass", "token=nosuch");
    for i in 0..100 {
        match i % 5 {
            0 => drop(run(&t, &s, &["--check"]).exit(0)),
            1 => drop(run(&t, &s, &["--reveal"]).exit(0)),
            2 => drop(run(&t, &s, &["-p"]).exit(0)),
            3 => drop(
                run(&t, &s, &["--check"])
                    .env("CONFPASS_DECRYPTION_KEY", &open_pin)
                    .exit(4),
            ),
            _ => drop(
                run(&t, &s, &["--check"])
                    .env("CONFPASS_DECRYPTION_KEY", &no_token)
                    .exit(4),
            ),
        }
    }
    assert!(t.login_works(), "the TPM refuses logins after 100 runs");
    assert!(t.loaded_handles().is_empty(), "{:?}", t.loaded_handles());
}

/// Every server section of the file at `rel` starts with `password`.
fn every_server_starts(t: &Tpm, s: &Scratch, rel: &str, sections: &[&str], password: &str) {
    for section in sections {
        let out = run(t, s, &["--reveal", "-c", rel, "-s", section]).exit(0);
        assert_eq!(stdout(&out).trim_end(), password, "{rel} [{section}]");
    }
}

/// Both server sections of [`setup_with_backup`]'s file start.
fn pair_starts(t: &Tpm, s: &Scratch) {
    let both = ["confserv", "confserv_backup"];
    every_server_starts(t, s, "confserv.conf", &both, SAMPLE_PASSWORD);
}

/// The number of private and public key objects labelled `label`.
fn labelled(t: &Tpm, label: &str) -> usize {
    t.list_objects()
        .matches(&format!("label:      {label}\n  ID"))
        .count()
}

/// The key id of the value `option` of `rel`.
fn kid_of(s: &Scratch, rel: &str, option: &str) -> String {
    let value = value_of(&s.read_str(rel), option).unwrap();
    value.split("kid:").nth(1).unwrap()[..16].to_owned()
}

#[test]
fn rotate_keys_keeps_the_old_token_key_for_the_other_file_and_prune_destroys_it_once_unnamed() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    // File a (primary and backup) and file b share one key on the token.
    let conf = s.read_str("confserv.conf") + "\n[confserv_backup]\nserver = dbserver\n";
    std::fs::create_dir(s.path("a")).unwrap();
    std::fs::create_dir(s.path("b")).unwrap();
    s.write("a/confserv.conf", conf.as_bytes());
    s.write("b/confserv.conf", s.read_str("confserv.conf").as_bytes());
    run(
        &t,
        &s,
        &[
            "-p",
            "-c",
            "a/confserv.conf",
            "-keys",
            "a/enc.pem",
            &uri("db", &pin),
        ],
    )
    .exit(0);
    let k1 = kid_of(&s, "a/confserv.conf", "password");
    let shared = value_of(&s.read_str("a/confserv.conf"), "decryption-key").unwrap();
    run(
        &t,
        &s,
        &["-p", "-c", "b/confserv.conf", "-keys", "b/enc.pem", &shared],
    )
    .exit(0);
    assert_eq!(kid_of(&s, "b/confserv.conf", "password"), k1);

    let out = run(
        &t,
        &s,
        &["--rotate-keys", "-c", "a/confserv.conf", "--bits", "2048"],
    )
    .exit(0);
    let k2 = kid_of(&s, "a/confserv.conf", "password");
    assert_ne!(k1, k2, "{}", all_output(&out));
    assert_eq!(openssl_key_id(&s.path("a/enc.pem")), k2);
    assert!(s.exists(&format!("a/enc.retired-{k1}.pem")));
    // Both sections of a now name the new key; the old one stays for b.
    let a = s.read_str("a/confserv.conf");
    assert_eq!(a.matches(&format!("id={};", pct(&k2))).count(), 2, "{a}");
    assert_eq!(private_keys(&t), 2);
    both_files_start(&t, &s);

    // Pruning with both files keeps k1 (b names it); once b has rotated
    // too, k1 is named by no value and goes, with a's retired enc file.
    let both = [
        "--prune-keys",
        "-c",
        "a/confserv.conf",
        "-c",
        "b/confserv.conf",
    ];
    run(&t, &s, &both).exit(0);
    assert_eq!(private_keys(&t), 2);
    run(
        &t,
        &s,
        &["--rotate-keys", "-c", "b/confserv.conf", "--bits", "2048"],
    )
    .exit(0);
    let k3 = kid_of(&s, "b/confserv.conf", "password");
    assert_eq!(private_keys(&t), 3);
    let out = run(&t, &s, &both).exit(0);
    assert!(
        stdout(&out).contains(&format!("id={};", pct(&k1))),
        "{}",
        all_output(&out)
    );
    assert_eq!(private_keys(&t), 2);
    let objects = t.list_objects();
    assert!(
        !objects.contains(&k1) && objects.contains(&k2) && objects.contains(&k3),
        "{objects}"
    );
    assert!(!s.exists(&format!("a/enc.retired-{k1}.pem")));
    both_files_start(&t, &s);
    assert!(t.loaded_handles().is_empty(), "{:?}", t.loaded_handles());
}

/// Every server section of files a (primary and backup) and b starts.
fn both_files_start(t: &Tpm, s: &Scratch) {
    let a = ["confserv", "confserv_backup"];
    every_server_starts(t, s, "a/confserv.conf", &a, SAMPLE_PASSWORD);
    every_server_starts(t, s, "b/confserv.conf", &["confserv"], SAMPLE_PASSWORD);
}

/// A key id as a URI's `id=` spells it.
fn pct(kid: &str) -> String {
    kid.as_bytes()
        .chunks(2)
        .map(|h| format!("%{}", std::str::from_utf8(h).unwrap().to_uppercase()))
        .collect()
}

#[test]
fn fail_a_rotation_that_fails_before_its_commit_destroys_the_new_token_key() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    run(
        &t,
        &s,
        &["-p", "-keys", "enc.pem", &uri("db", &pin), "--bits", "2048"],
    )
    .exit(0);
    let before = s.snapshot();
    run(&t, &s, &["--rotate-keys", "--bits", "2048"])
        .fail_at("rename:config:EIO")
        .exit(6);
    assert!(s.snapshot() == before, "the failed rotation changed files");
    assert_eq!(private_keys(&t), 1, "{}", t.list_objects());
    every_server_starts(&t, &s, "confserv.conf", &["confserv"], SAMPLE_PASSWORD);
}

#[test]
fn a_kill_at_each_step_of_p_and_of_rotate_keys_leaves_every_server_able_to_start() {
    let t = Tpm::start();
    let p_steps = [
        "locked",
        "token-generated",
        "temp-written",
        "enc-written",
        "renamed",
    ];
    for step in p_steps {
        let (s, pin) = setup_with_backup(&t);
        let key = uri(&format!("p-{step}"), &pin);
        let args = ["-p", "-keys", "enc.pem", &key, "--bits", "2048"];
        run(&t, &s, &args).paused_at(step).kill();
        // Plain (exit 10) or encrypted (exit 0): either way, it starts.
        for section in ["confserv", "confserv_backup"] {
            let out = run(&t, &s, &["--check", "-s", section]).spawn().finish();
            assert!(
                matches!(out.status.code(), Some(0 | 10)),
                "{step} [{section}]: {}",
                all_output(&out)
            );
        }
        run(&t, &s, &args).exit(0);
        pair_starts(&t, &s);
        let mine = labelled(&t, &format!("p-{step}"));
        assert_eq!(mine, 2, "{step}: one pair on the token for this file");
    }
    let rotate_steps = [
        "locked",
        "token-generated",
        "temp-written",
        "rotate-staged-enc",
        "renamed",
        "rotate-promoted-enc",
    ];
    for step in rotate_steps {
        let (s, pin) = setup_with_backup(&t);
        run(
            &t,
            &s,
            &[
                "-p",
                "-keys",
                "enc.pem",
                &uri(&format!("r-{step}"), &pin),
                "--bits",
                "2048",
            ],
        )
        .exit(0);
        let args = ["--rotate-keys", "--bits", "2048"];
        run(&t, &s, &args).paused_at(step).kill();
        pair_starts(&t, &s);
        // The rerun finishes (or makes) the rotation; pruning leaves the
        // one key the file names.
        run(&t, &s, &args).exit(0);
        pair_starts(&t, &s);
        let kid = kid_of(&s, "confserv.conf", "password");
        assert_eq!(openssl_key_id(&s.path("enc.pem")), kid, "{step}");
        run(&t, &s, &["--prune-keys"]).exit(0);
        let objects = t.list_objects();
        let mine = labelled(&t, &format!("r-{step}"));
        // A kill before the commit may leave the unused new key: pruning
        // destroys it too (it is confpass's, and no value names it).
        assert_eq!(mine, 2, "{step}: {objects}");
        assert!(objects.contains(&kid), "{step}");
    }
    assert!(t.login_works());
}

#[test]
fn fail_a_token_without_oaep_sha256_is_named_softhsm2_with_exit_4_and_changes_nothing() {
    const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
    assert!(
        Path::new(SOFTHSM).is_file(),
        "no {SOFTHSM}: apt-get install softhsm2"
    );
    let s = Scratch::sample();
    // The token's own files change as it is used: outside the scratch
    // directory, whose files must not.
    let hsm = tempfile::tempdir().unwrap();
    let conf = format!(
        "directories.tokendir = {}\nobjectstore.backend = file\n",
        hsm.path().display()
    );
    s.write("softhsm2.conf", conf.as_bytes());
    let tool = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .env("SOFTHSM2_CONF", s.path("softhsm2.conf"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{program}: {}", all_output(&out));
    };
    tool(
        "softhsm2-util",
        &[
            "--init-token",
            "--free",
            "--label",
            "confpass",
            "--so-pin",
            "12345678",
            "--pin",
            "1234",
        ],
    );
    let p11 = [
        "--module",
        SOFTHSM,
        "--token-label",
        "confpass",
        "--login",
        "--pin",
        "1234",
    ];
    tool(
        "pkcs11-tool",
        &[
            &p11[..],
            &[
                "--keypairgen",
                "--key-type",
                "rsa:2048",
                "--id",
                "01",
                "--label",
                "k",
            ],
        ]
        .concat(),
    );
    let der = s.path("pub.der");
    let der = der.to_str().unwrap();
    tool(
        "pkcs11-tool",
        &[
            &p11[..4],
            &["--read-object", "--type", "pubkey", "--id", "01", "-o", der],
        ]
        .concat(),
    );
    tool(
        "openssl",
        &[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            der,
            "-out",
            s.path("enc.pem").to_str().unwrap(),
        ],
    );
    s.write("pin", b"1234\n");
    set_mode(&s.path("pin"), 0o600);
    let key = format!(
        "pkcs11:token=confpass;object=k?module-path={SOFTHSM}&pin-source=file:{}",
        s.path("pin").display()
    );
    let before = s.snapshot();
    let out = Run::new(&s, &["-p", "-keys", "enc.pem", &key])
        .env("SOFTHSM2_CONF", s.path("softhsm2.conf"))
        .exit(4);
    assert!(s.snapshot() == before, "files changed");
    assert_snapshot(&message(&out, &s), "pkcs11/no_oaep_sha256.stderr");
}

#[test]
fn p_marking_a_new_backup_records_the_uri_that_names_the_key_alone() {
    let t = Tpm::start();
    let (s, pin) = setup(&t);
    let key = uri("db", &pin);
    run(&t, &s, &["-p", "-keys", "enc.pem", &key, "--bits", "2048"]).exit(0);
    let conf = s.read_str("confserv.conf") + "\n[confserv_backup]\nserver = dbserver\n";
    s.write("confserv.conf", conf.as_bytes());
    // The same URI as given, without id=: the backup gets the exact one.
    run(&t, &s, &["-p", "-keys", "enc.pem", &key]).exit(0);
    let conf = s.read_str("confserv.conf");
    let recorded: Vec<&str> = conf
        .lines()
        .filter(|l| l.starts_with("decryption-key"))
        .collect();
    assert_eq!(recorded.len(), 2, "{conf}");
    assert_eq!(recorded[0], recorded[1]);
    assert!(recorded[0].contains(";id=%"), "{conf}");
    pair_starts(&t, &s);
}
