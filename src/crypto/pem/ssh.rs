//! The OpenSSH key formats, recognised so that a refusal can say what the
//! file is: `openssh-key-v1` private keys, `ssh-rsa AAAA…` lines and RFC 4716
//! public key files. Only public parts are read (a key's type, and the
//! modulus size of an RSA key), never anything secret.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// What the public part of an OpenSSH key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SshKey {
    /// The key type name, e.g. `ssh-rsa` or `ssh-ed25519`.
    pub(crate) kind: String,
    /// For `ssh-rsa`: the bit length of the modulus.
    pub(crate) rsa_bits: Option<usize>,
    /// For a private key: whether it is passphrase-protected.
    pub(crate) encrypted: bool,
}

impl SshKey {
    /// The key type in words, for messages.
    pub(crate) fn describe(&self) -> String {
        let kind = self.kind.as_str();
        if let Some(curve) = kind.strip_prefix("ecdsa-sha2-") {
            return format!("ECDSA ({curve})");
        }
        match kind {
            "ssh-rsa" => "RSA".to_owned(),
            "ssh-ed25519" => "Ed25519".to_owned(),
            "ssh-ed448" => "Ed448".to_owned(),
            "ssh-dss" => "DSA".to_owned(),
            _ if kind.starts_with("sk-") => format!("security-key ({kind})"),
            _ => format!("`{kind}`"),
        }
    }
}

/// The public part of an OpenSSH-format private key (`-----BEGIN OPENSSH
/// PRIVATE KEY-----`, "openssh-key-v1"); `None` when it is not one.
pub(crate) fn openssh_private(der: &[u8]) -> Option<SshKey> {
    let mut r = Reader(der.strip_prefix(b"openssh-key-v1\0")?);
    let cipher = r.string()?;
    let _kdf = r.string()?;
    let _kdf_options = r.string()?;
    if r.u32()? == 0 {
        return None;
    }
    let mut key = ssh_public_blob(r.string()?)?;
    key.encrypted = cipher != b"none";
    Some(key)
}

/// An OpenSSH public key line (`ssh-rsa AAAA… comment`, as in `id_rsa.pub`,
/// also with `authorized_keys` options or a `known_hosts` host name before
/// it): the first line of `text` that is neither blank nor a `#` comment.
pub(crate) fn openssh_public_line(text: &[u8]) -> Option<SshKey> {
    let text = std::str::from_utf8(text).ok()?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(2).find_map(|pair| {
        let blob = BASE64.decode(pair[1]).ok()?;
        let key = ssh_public_blob(&blob)?;
        (key.kind == pair[0]).then_some(key)
    })
}

/// An RFC 4716 public key (`---- BEGIN SSH2 PUBLIC KEY ----`, what
/// `ssh-keygen -e` and PuTTYgen write). `Some(None)` when the marker is
/// there but the key inside cannot be read.
pub(crate) fn rfc4716_public(text: &[u8]) -> Option<Option<SshKey>> {
    let text = std::str::from_utf8(text).ok()?;
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "---- BEGIN SSH2 PUBLIC KEY ----");
    lines.next()?;
    let mut b64 = String::new();
    let mut continued = false;
    for line in lines {
        if line == "---- END SSH2 PUBLIC KEY ----" {
            return Some(
                BASE64
                    .decode(&b64)
                    .ok()
                    .and_then(|blob| ssh_public_blob(&blob)),
            );
        }
        let header = continued || line.contains(':');
        continued = header && line.ends_with('\\');
        if !header {
            b64.push_str(line);
        }
    }
    Some(None)
}

/// The SSH wire form of a public key: a type name, then (for `ssh-rsa`)
/// `e` and `n`.
pub(super) fn ssh_public_blob(blob: &[u8]) -> Option<SshKey> {
    let mut r = Reader(blob);
    let kind = r.string()?;
    if kind.is_empty() || !kind.iter().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let kind = String::from_utf8(kind.to_vec()).ok()?;
    let rsa_bits = if kind == "ssh-rsa" {
        let _e = r.string()?;
        Some(bit_length(r.string()?))
    } else {
        None
    };
    Some(SshKey {
        kind,
        rsa_bits,
        encrypted: false,
    })
}

/// The bit length of a big-endian unsigned integer.
pub(crate) fn bit_length(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|&b| b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    bytes.len() * 8 - bytes[0].leading_zeros() as usize
}

/// A reader of SSH wire data: big-endian `uint32` and length-prefixed strings.
pub(super) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(s)
    }
}
