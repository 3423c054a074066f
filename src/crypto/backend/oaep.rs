//! RSA-OAEP decryption (SHA-256, MGF1-SHA-256, empty label), exactly as
//! RFC 8017 §7.1.2 says, on top of the `rsa` crate's blinded, constant-time
//! private-key operation.
//!
//! `rsa` 0.10 decodes OAEP without looking at the leading byte `Y` of the
//! encoded message (its own test `decrypt_ignores_first_octet`), so it
//! accepts ciphertexts that RFC 8017 step 3g, OpenSSL and Python's
//! `cryptography` reject (Wycheproof's "First byte is 1"). confpass promises
//! that stock OpenSSL can always recover what `--check` calls decryptable, so
//! it decodes here: the raw operation is `rsa::hazmat::rsa_decrypt_and_check`
//! (blinding and the CRT fault check kept), and `Y = 0` is folded into the one
//! constant-time validity flag together with the label hash and the padding,
//! so that every failure is the same error, reached after the same work
//! (SECURITY.md, "Algorithms").

use ctutils::{Choice, CtAssign, CtEq};
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The SHA-256 output size, `hLen`.
const H_LEN: usize = 32;

use super::Refused;

/// Decrypts an RSA-OAEP-SHA256 ciphertext with an empty label.
pub(crate) fn decrypt(
    key: &rsa::PrivateKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Refused> {
    let k = key.size();
    if ciphertext.len() != k || k < 2 * H_LEN + 2 {
        return Err(Refused);
    }
    let c = BoxedUint::from_be_slice(ciphertext, key.n_bits_precision()).map_err(|_| Refused)?;
    let m = rsa::hazmat::rsa_decrypt_and_check(key, Some(&mut rand::rngs::SysRng), &c)
        .map_err(|_| Refused)?;
    let mut em = Zeroizing::new(i2osp(&m, k).ok_or(Refused)?);
    decode(&mut em)
}

/// `I2OSP(m, k)`: `m` as exactly `k` big-endian bytes.
fn i2osp(m: &BoxedUint, k: usize) -> Option<Vec<u8>> {
    let bytes = Zeroizing::new(m.to_be_bytes());
    let (extra, tail) = bytes.split_at(bytes.len().saturating_sub(k));
    if extra.iter().any(|&b| b != 0) {
        return None;
    }
    let mut out = vec![0u8; k - tail.len()];
    out.extend_from_slice(tail);
    Some(out)
}

/// EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of `em = Y || maskedSeed ||
/// maskedDB`, in constant time up to the final verdict.
fn decode(em: &mut [u8]) -> Result<Zeroizing<Vec<u8>>, Refused> {
    if em.len() < 2 * H_LEN + 2 {
        return Err(Refused);
    }
    let l_hash = Sha256::digest(b"");
    let (y, rest) = em.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(H_LEN);
    mgf1_xor(db, seed);
    mgf1_xor(seed, db);

    let mut valid = y[0].ct_eq(&0u8) & db[..H_LEN].ct_eq(l_hash.as_slice());
    // After lHash': zero or more 0x00, then 0x01, then the message.
    let mut looking = Choice::TRUE;
    let mut index = 0u32;
    for (i, byte) in db[H_LEN..].iter().enumerate() {
        let is_one = byte.ct_eq(&1u8);
        let is_zero = byte.ct_eq(&0u8);
        index.ct_assign(&(i as u32), looking & is_one);
        valid &= !(looking & !is_one & !is_zero);
        looking &= !is_one;
    }
    valid &= !looking;
    if !valid.to_bool() {
        return Err(Refused);
    }
    let start = H_LEN + index as usize + 1;
    Ok(Zeroizing::new(db[start..].to_vec()))
}

/// `out ^= MGF1-SHA256(seed, out.len())` (RFC 8017 B.2.1).
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(H_LEN).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update((counter as u32).to_be_bytes());
        let mut mask: [u8; H_LEN] = h.finalize().into();
        for (b, m) in chunk.iter_mut().zip(mask.iter()) {
            *b ^= m;
        }
        zeroize::Zeroize::zeroize(&mut mask);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An encoded message for `msg` with seed bytes `seed`, built by hand
    /// from RFC 8017 §7.1.1 step 2 (the inverse of [`decode`]).
    fn encode(msg: &[u8], k: usize, seed: u8) -> Vec<u8> {
        let mut db = Sha256::digest(b"").to_vec();
        db.resize(k - H_LEN - 1 - msg.len() - 1, 0);
        db.push(1);
        db.extend_from_slice(msg);
        let mut seed = vec![seed; H_LEN];
        mgf1_xor(&seed, &mut db);
        mgf1_xor(&db, &mut seed);
        [vec![0u8], seed, db].concat()
    }

    #[test]
    fn decodes_messages_of_every_length_from_empty_to_the_maximum() {
        let k = 256;
        for len in [0, 1, 17, k - 2 * H_LEN - 2] {
            let msg = vec![0x5a; len];
            let mut em = encode(&msg, k, 7);
            assert_eq!(decode(&mut em).unwrap().as_slice(), msg.as_slice(), "{len}");
        }
    }

    #[test]
    fn fail_a_leading_byte_other_than_zero_is_refused() {
        for y in [1u8, 2, 0x80, 0xff] {
            let mut em = encode(b"password", 256, 3);
            em[0] = y;
            assert_eq!(decode(&mut em), Err(Refused), "Y = {y}");
        }
    }

    #[test]
    fn fail_a_wrong_label_hash_or_padding_is_refused() {
        let good = encode(b"password", 256, 9);
        // Any flipped byte of maskedSeed or maskedDB breaks lHash' or PS || 0x01.
        for i in [1, 20, 40, 100, 200] {
            let mut em = good.clone();
            em[i] ^= 0x80;
            assert_eq!(decode(&mut em), Err(Refused), "byte {i}");
        }
        assert_eq!(decode(&mut [0u8; 64]), Err(Refused), "too short");
    }
}
