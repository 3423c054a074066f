//! The software TPM the token tests stand on (`tests/support/tpm.rs`) works:
//! `swtpm` starts, the token takes a user login, a key generated on it is
//! read back as a public key and listed as sensitive and never extractable,
//! two TPMs run side by side, each with a token of its own, and objects left
//! loaded by a client show, as a full TPM does. Runs the real `swtpm`,
//! `libtpm2_pkcs11`, `pkcs11-tool` and tpm2-tools; never skips.
#![cfg(unix)]

mod common;
#[path = "support/mod.rs"]
mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::thread;
use std::time::Instant;

use support::tpm::{MODULE, PIN, Tpm};

/// The `pkcs11-tool --list-objects` block (a header line and its indented
/// lines) of the object of `kind` (e.g. `Private Key Object`) labelled
/// `label`.
fn object<'a>(listing: &'a str, kind: &str, label: &str) -> Vec<&'a str> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in listing.lines() {
        match blocks.last_mut() {
            Some(block) if line.starts_with(' ') => block.push(line.trim()),
            _ => blocks.push(vec![line.trim()]),
        }
    }
    let want_label = format!("label:      {label}");
    let mut found = blocks
        .into_iter()
        .filter(|b| b[0].starts_with(kind) && b.contains(&want_label.as_str()));
    let block = found
        .next()
        .unwrap_or_else(|| panic!("no {kind} {label}:\n{listing}"));
    assert!(found.next().is_none(), "two of {kind} {label}:\n{listing}");
    block
}

#[test]
fn tpm_starts_makes_a_token_and_logs_in() {
    let started = Instant::now();
    let tpm = Tpm::start();
    eprintln!("Tpm::start took {:?}", started.elapsed());
    assert!(tpm.login_works());
    assert_eq!(tpm.loaded_handles(), Vec::<String>::new());

    let pin = tpm.pin_file();
    assert_eq!(fs::read_to_string(pin).unwrap(), format!("{PIN}\n"));
    assert_eq!(
        fs::metadata(pin).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        tpm.uri("k1"),
        format!(
            "pkcs11:token=confpass;object=k1?module-path={MODULE}&pin-source=file:{}",
            pin.display()
        )
    );
    let names: Vec<_> = tpm.env().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["TPM2_PKCS11_TCTI", "TPM2_PKCS11_STORE", "TSS2_LOG"]);

    let pem = tpm.keypairgen(2048, "0102030405060708", "k1");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
    assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
    let text = Command::new("openssl")
        .args(["pkey", "-pubin", "-noout", "-text"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(pem.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Public-Key: (2048 bit)"), "{text}");

    let listing = tpm.list_objects();
    let private = object(&listing, "Private Key Object; RSA", "k1");
    assert!(
        private.contains(&"ID:         0102030405060708"),
        "{listing}"
    );
    assert!(
        private.contains(&"Access:     sensitive, always sensitive, never extractable, local"),
        "{listing}"
    );
    let public = object(&listing, "Public Key Object; RSA 2048 bits", "k1");
    assert!(public.contains(&"Access:     local"), "{listing}");
    assert_eq!(
        listing.matches("Private Key Object").count(),
        1,
        "{listing}"
    );
    assert!(tpm.login_works(), "a pkcs11-tool run filled the TPM");
    assert_eq!(
        tpm.loaded_handles(),
        Vec::<String>::new(),
        "pkcs11-tool leaked"
    );
}

#[test]
fn two_tpms_run_side_by_side() {
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(Tpm::start);
        let b = s.spawn(Tpm::start);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.env()[0], b.env()[0], "one port for two TPMs");
    assert_ne!(a.pin_file(), b.pin_file());
    thread::scope(|s| {
        s.spawn(|| a.keypairgen(2048, "0a", "on-a"));
        s.spawn(|| b.keypairgen(2048, "0b", "on-b"));
    });
    let (on_a, on_b) = (a.list_objects(), b.list_objects());
    object(&on_a, "Private Key Object; RSA", "on-a");
    object(&on_b, "Private Key Object; RSA", "on-b");
    assert!(!on_a.contains("on-b"), "{on_a}");
    assert!(!on_b.contains("on-a"), "{on_b}");

    drop(a);
    assert!(b.login_works(), "the other TPM went with the first");
}

/// `tpm2_createprimary` leaves its object loaded, as a client that exits
/// without finalizing the module does: one shows in `loaded_handles` and
/// leaves room for a login, the second fills the TPM.
#[test]
fn objects_left_loaded_show() {
    let tpm = Tpm::start();
    let (_, tcti) = &tpm.env()[0];
    let leak = || {
        let out = Command::new("tpm2_createprimary")
            .args(["-C", "o", "-c", "/dev/null"])
            .env("TPM2TOOLS_TCTI", tcti)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::all_output(&out));
    };
    leak();
    assert_eq!(tpm.loaded_handles(), ["0x80000000"]);
    assert!(tpm.login_works());
    leak();
    assert_eq!(tpm.loaded_handles().len(), 2);
    assert!(!tpm.login_works());
}
