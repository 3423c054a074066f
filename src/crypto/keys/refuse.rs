//! The messages for a file that is not the key wanted: another tool's
//! format (UTF-16 text, DER, OpenSSH keys and `.pub` lines), a passphrase,
//! a certificate or another algorithm, each with the command that converts
//! it.

use std::path::Path;

use super::MIN_BITS;
use super::parse::{MAKE_RSA, PUBLIC_FOR_PRIVATE, Role, bad, shell_quote};
use crate::crypto::pem::{self, SshKey};
use crate::error::Error;

/// A file with no PEM block: say what it is, if another tool's format.
pub(super) fn not_pem(path: &Path, text: &[u8], role: Role) -> Error {
    let q = shell_quote(path);
    let new = role.new_file();
    if pem::is_utf16(text) {
        // A private key must not pass through a file others can read.
        let iconv = format!("iconv -f UTF-16 -t UTF-8 {q} > {new}");
        let iconv = match role {
            Role::Public => iconv,
            Role::Private => format!("(umask 077; {iconv})"),
        };
        return bad(
            path,
            &format!(
                "is saved as UTF-16 text (Windows \"Unicode\"), which neither confpass nor OpenSSL reads: save it as UTF-8 or ASCII, or convert it with `{iconv}`, {}",
                role.replace(path)
            ),
        );
    }
    let is_text = std::str::from_utf8(text).is_ok_and(|t| !t.contains('\0'));
    if !is_text && text.first() == Some(&0x30) {
        let pubin = if role == Role::Public { " -pubin" } else { "" };
        return bad(
            path,
            &format!(
                "is a binary (DER) file, not PEM text: write it as PEM with `openssl pkey{pubin} -inform DER -in {q} -out {new}`, {}",
                role.replace(path)
            ),
        );
    }
    if !is_text {
        return bad(
            path,
            "is not a PEM file (it is not text): give a PEM key file, `-----BEGIN ...-----`",
        );
    }
    if let Some(key) = pem::openssh_public_line(text) {
        let what = format!(
            "an OpenSSH public key line (`{} AAAA…`, as in id_rsa.pub)",
            key.kind
        );
        let convert = format!("ssh-keygen -e -m PKCS8 -f {q} > {new}");
        return openssh_public(path, &key, role, &what, &convert);
    }
    if let Some(key) = pem::rfc4716_public(text) {
        let what = "an SSH2 public key (RFC 4716, `---- BEGIN SSH2 PUBLIC KEY ----`)";
        let convert =
            format!("ssh-keygen -i -f {q} > key.pub && ssh-keygen -e -m PKCS8 -f key.pub > {new}");
        return match key {
            Some(key) => openssh_public(path, &key, role, what, &convert),
            None if role == Role::Private => bad(path, PUBLIC_FOR_PRIVATE),
            None => bad(
                path,
                &format!(
                    "is {what}, which confpass and OpenSSL do not read: convert it with `{convert}`, {}",
                    role.use_instead()
                ),
            ),
        };
    }
    bad(
        path,
        "is not a PEM file (no `-----BEGIN` line): give a PEM key file such as `openssl genpkey` writes",
    )
}

/// An OpenSSH public key (a `.pub` line or RFC 4716).
pub(super) fn openssh_public(
    path: &Path,
    key: &SshKey,
    role: Role,
    what: &str,
    convert: &str,
) -> Error {
    if role == Role::Private {
        return bad(path, PUBLIC_FOR_PRIVATE);
    }
    match key.rsa_bits {
        None => bad(
            path,
            &format!(
                "is {what} whose key type is {}, not RSA: {MAKE_RSA}",
                key.describe()
            ),
        ),
        Some(bits) if bits < MIN_BITS => Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        },
        Some(_) => bad(
            path,
            &format!(
                "is {what}, which confpass and OpenSSL do not read: write it as PEM with `{convert}`, {}",
                Role::Public.use_instead()
            ),
        ),
    }
}

/// An OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`).
pub(super) fn openssh_private(path: &Path, der: &[u8]) -> Error {
    let Some(key) = pem::openssh_private(der) else {
        return bad(
            path,
            "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`) that cannot be read (the file is damaged): give an intact copy of the key file",
        );
    };
    let Some(bits) = key.rsa_bits else {
        return bad(
            path,
            &format!(
                "is an OpenSSH-format private key whose key type is {}, not RSA: {MAKE_RSA}",
                key.describe()
            ),
        );
    };
    if bits < MIN_BITS {
        return Error::KeyTooSmall {
            path: path.to_path_buf(),
            bits,
        };
    }
    let q = shell_quote(path);
    if key.encrypted {
        bad(
            path,
            &format!(
                "is a passphrase-protected OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`, ssh-keygen's default), which confpass and OpenSSL do not read and a server cannot open unattended: convert it to unprotected PKCS#8 with `ssh-keygen -p -m PKCS8 -N '' -f {q}` (ssh-keygen asks for the passphrase and rewrites the file in place)"
            ),
        )
    } else {
        bad(
            path,
            &format!(
                "is an OpenSSH-format private key (`BEGIN OPENSSH PRIVATE KEY`, ssh-keygen's default), which confpass and OpenSSL do not read: convert it to PKCS#8 with `ssh-keygen -p -m PKCS8 -N '' -f {q}` (ssh-keygen rewrites the file in place)"
            ),
        )
    }
}

pub(super) fn passphrase_protected(path: &Path, how: &str) -> Error {
    let q = shell_quote(path);
    bad(
        path,
        &format!(
            "is a passphrase-protected private key ({how}), which a server cannot open unattended: write it out unprotected with `openssl pkey -in {q} -out dec-new.pem` (openssl asks for the passphrase; the new file has mode 0600), {}",
            Role::Private.replace(path)
        ),
    )
}

/// A file whose PEM blocks hold no key: a certificate, a request, parameters.
pub(super) fn not_a_key(path: &Path, label: &str, role: Role) -> Error {
    let q = shell_quote(path);
    let new = role.new_file();
    let (what, extract) = match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => (
            "an X.509 certificate",
            format!("openssl x509 -in {q} -pubkey -noout > {new}"),
        ),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => (
            "a certificate signing request",
            format!("openssl req -in {q} -pubkey -noout > {new}"),
        ),
        _ => return unexpected_label(path, label),
    };
    let label = pem::printable(label.as_bytes());
    match role {
        Role::Public => bad(
            path,
            &format!(
                "holds {what} (`BEGIN {label}`), not a bare public key: extract its public key with `{extract}`, {}",
                role.use_instead()
            ),
        ),
        Role::Private => bad(
            path,
            &format!(
                "holds {what} (`BEGIN {label}`), which carries only a public key, where the private decryption key (dec.pem) is needed: give the private key file that belongs to it"
            ),
        ),
    }
}

/// A key block confpass does not read (`EC PRIVATE KEY`, `DSA PRIVATE KEY`…).
pub(super) fn other_key_label(path: &Path, label: &str) -> Error {
    let label = pem::printable(label.as_bytes());
    bad(
        path,
        &format!("holds a `BEGIN {label}` key, not an RSA key: {MAKE_RSA}"),
    )
}

pub(super) fn unexpected_label(path: &Path, label: &str) -> Error {
    let label = pem::printable(label.as_bytes());
    bad(
        path,
        &format!(
            "holds `{label}`, not an RSA key: give a PEM RSA key (`BEGIN PRIVATE KEY` or `BEGIN PUBLIC KEY`)"
        ),
    )
}
