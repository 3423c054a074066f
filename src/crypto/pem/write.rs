//! Writing a key as PEM text, the way OpenSSL writes it (RFC 7468 strict:
//! `-----BEGIN <label>-----`, base64 in lines of 64 characters, `-----END
//! <label>-----`, each line ended by LF), whichever backend encoded the DER.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

/// `der` as a PEM block labelled `label`, in a buffer wiped when dropped
/// (the DER of a private key passes through it).
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let body = Zeroizing::new(BASE64.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(body.len() + body.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // Base64 is ASCII: every 64-byte chunk is whole characters.
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_64_characters_and_the_block_reads_back() {
        let der: Vec<u8> = (0..=255).cycle().take(300).collect();
        let pem = encode("PUBLIC KEY", &der);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN PUBLIC KEY-----");
        assert_eq!(*lines.last().unwrap(), "-----END PUBLIC KEY-----");
        assert!(lines[1..lines.len() - 2].iter().all(|l| l.len() == 64));
        assert!(pem.ends_with("-----\n"));
        let block = super::super::blocks(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(block.der.as_slice(), der.as_slice());
    }
}
