//! SHA-256 and HMAC-SHA256 from the audited RustCrypto crates (`sha2`, `hmac`), behind the two
//! calls the core makes; the known-answer tests below pin the adapter to FIPS 180-4 and RFC 4231.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// An HMAC-SHA256 key with its inner and outer hash states computed once (`Hmac<Sha256>` holds
/// them after the key block), so a MAC clones them and costs two compressions for a short
/// message.
///
/// Deliberately not `Debug`: the states are as good as the key.
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha256>);

impl HmacKey {
    /// The key `key`, of any length (keys longer than a block are hashed first, RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        // HMAC takes keys of every length: `new_from_slice` cannot fail for it.
        match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mac) => HmacKey(mac),
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        }
    }

    /// HMAC-SHA256 of `msg` under this key.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn fips_180_vectors() {
        let cases: [(&[u8], &str); 4] = [
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
            (
                b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno\
                  ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(
                hex(&sha256(msg)),
                want,
                "{:?}",
                String::from_utf8_lossy(msg)
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_million_a() {
        // Fed in uneven pieces so that the pending-block path runs too.
        let mut h = Sha256::new();
        let chunk = [b'a'; 997];
        let mut left = 1_000_000;
        while left > 0 {
            let n = left.min(chunk.len());
            h.update(&chunk[..n]);
            left -= n;
        }
        assert_eq!(
            hex(&h.finalize()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn padding_boundaries() {
        // Digests of n bytes 0, 1, 2, ... (mod 256), from `sha256sum`: the lengths where the
        // padding and the length field fit in one block, just fit, or spill into another.
        let cases = [
            (
                55,
                "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59",
            ),
            (
                56,
                "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562",
            ),
            (
                57,
                "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f",
            ),
            (
                63,
                "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488",
            ),
            (
                64,
                "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108",
            ),
            (
                65,
                "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781",
            ),
            (
                127,
                "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976",
            ),
            (
                128,
                "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5",
            ),
        ];
        for (n, want) in cases {
            let msg: Vec<u8> = (0..n).map(|i| i as u8).collect();
            assert_eq!(hex(&sha256(&msg)), want, "{n} bytes");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn streaming_matches_one_shot_at_every_split() {
        let msg: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 129, 200] {
            let whole = sha256(&msg[..len]);
            for split in 0..=len {
                let mut h = Sha256::new();
                h.update(&msg[..split]);
                h.update([]);
                h.update(&msg[split..len]);
                assert_eq!(
                    <[u8; 32]>::from(h.finalize()),
                    whole,
                    "len {len} split {split}"
                );
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rfc_4231_hmac_vectors() {
        let long_key = vec![0xaa; 131];
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            // Test case 5 gives only the first 128 bits.
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "a3b6167473100ee06e0c796c2955552b",
            ),
            (
                long_key.clone(),
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                long_key,
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the \
                  HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (i, (key, msg, want)) in cases.iter().enumerate() {
            let mac = HmacKey::new(key).mac(msg);
            assert_eq!(&hex(&mac)[..want.len()], *want, "test case {}", i + 1);
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hmac_key_lengths_around_the_block_size() {
        // From `openssl dgst -sha256 -mac HMAC` (Python's `hmac` for the empty key): keys of
        // 63 and 64 bytes (padded), 65 bytes (hashed first), and the empty key.
        let cases = [
            (
                0,
                "ab4d08249e579a689b2d54e37af36b381bb21118ead2f7ce09c4197f7f5eb651",
            ),
            (
                63,
                "9bdb5a88d97f895ce34a7f02696adcbb408c295a4861614813a4e7e147d7280a",
            ),
            (
                64,
                "5a392928d4441bd693829a9dc9a47ce427e0a603f1baa619eb236846a27d3b9b",
            ),
            (
                65,
                "ca06e746190603f8b540efaa85711078b647e91f0586f407c36858bce44e285c",
            ),
        ];
        for (n, want) in cases {
            let key = vec![b'k'; n];
            assert_eq!(
                hex(&HmacKey::new(&key).mac(b"itty-session")),
                want,
                "{n}-byte key"
            );
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn precomputed_states_are_reused_unchanged() {
        let key = HmacKey::new(b"Jefe");
        let msg = unhex("7768617420646f2079612077616e7420666f72206e6f7468696e673f");
        let first = key.mac(&msg);
        assert_eq!(key.mac(b"other"), HmacKey::new(b"Jefe").mac(b"other"));
        assert_eq!(key.mac(&msg), first);
        assert_eq!(
            hex(&first),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
