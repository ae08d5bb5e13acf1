//! SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) with precomputed key states, no crates.

/// The round constants: the first 32 bits of the fractional parts of the cube roots of the
/// first 64 primes.
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The initial hash value: the first 32 bits of the fractional parts of the square roots of
/// the first 8 primes.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Bytes in a message block.
const BLOCK: usize = 64;

/// A streaming SHA-256: [`update`](Sha256::update) with any number of slices, then
/// [`finish`](Sha256::finish).
#[derive(Clone)]
pub struct Sha256 {
    /// The chaining value.
    state: [u32; 8],
    /// Bytes waiting for a full block; the first `fill` are meaningful.
    buf: [u8; BLOCK],
    /// How many bytes of `buf` are in use: always less than [`BLOCK`] between calls.
    fill: usize,
    /// Message bytes hashed so far, `buf` included.
    len: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl Sha256 {
    /// A hash of nothing yet.
    pub fn new() -> Self {
        Sha256::resume(H0, 0)
    }

    /// Carry on from `state` after `len` bytes, a multiple of [`BLOCK`].
    fn resume(state: [u32; 8], len: u64) -> Self {
        Sha256 {
            state,
            buf: [0; BLOCK],
            fill: 0,
            len,
        }
    }

    /// Hash `data` after what came before.
    pub fn update(&mut self, data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        let mut data = data;
        if self.fill > 0 {
            // Top up the pending block first.
            let taken = self
                .buf
                .iter_mut()
                .skip(self.fill)
                .zip(data)
                .map(|(b, &d)| *b = d)
                .count();
            self.fill += taken;
            data = data.get(taken..).unwrap_or_default();
            if self.fill < BLOCK {
                return;
            }
            compress(&mut self.state, &self.buf);
            self.fill = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            if let Ok(block) = <&[u8; BLOCK]>::try_from(block) {
                compress(&mut self.state, block);
            }
        }
        let rest = blocks.remainder();
        self.buf.iter_mut().zip(rest).for_each(|(b, &d)| *b = d);
        self.fill = rest.len();
    }

    /// The digest of everything given to [`update`](Sha256::update).
    pub fn finish(mut self) -> [u8; 32] {
        let bits = self.len.wrapping_mul(8);
        // Padding: a 1 bit, zeros, then the message length in bits as 64 bits big-endian,
        // ending on a block boundary.
        if let Some(b) = self.buf.get_mut(self.fill) {
            *b = 0x80;
        }
        self.buf.iter_mut().skip(self.fill + 1).for_each(|b| *b = 0);
        if self.fill >= BLOCK - 8 {
            compress(&mut self.state, &self.buf);
            self.buf = [0; BLOCK];
        }
        let [b0, b1, b2, b3, b4, b5, b6, b7] = bits.to_be_bytes();
        let [.., l0, l1, l2, l3, l4, l5, l6, l7] = &mut self.buf;
        (*l0, *l1, *l2, *l3, *l4, *l5, *l6, *l7) = (b0, b1, b2, b3, b4, b5, b6, b7);
        compress(&mut self.state, &self.buf);
        let mut out = [0u8; 32];
        let bytes = self.state.iter().flat_map(|s| s.to_be_bytes());
        out.iter_mut().zip(bytes).for_each(|(o, b)| *o = b);
        out
    }
}

/// The SHA-256 digest of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(data);
    h.finish()
}

/// One application of the compression function: fold the 64-byte `block` into `state`.
fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
    let mut w = [0u32; 64];
    for (w, b) in w.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16]
            .wrapping_add(s0)
            .wrapping_add(w[t - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (&k, &w) in K.iter().zip(&w) {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(k)
            .wrapping_add(w);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

/// An HMAC-SHA256 key with its inner and outer hash states computed once, so that a MAC of a
/// message of up to 55 bytes costs two compressions.
///
/// Deliberately not `Debug`: the states are as good as the key.
#[derive(Clone)]
pub struct HmacKey {
    /// The chaining value after the block `key ^ ipad`.
    inner: [u32; 8],
    /// The chaining value after the block `key ^ opad`.
    outer: [u32; 8],
}

impl HmacKey {
    /// The key `key`, of any length (keys longer than a block are hashed first, RFC 2104).
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block.iter_mut().zip(sha256(key)).for_each(|(b, k)| *b = k);
        } else {
            block.iter_mut().zip(key).for_each(|(b, &k)| *b = k);
        }
        let mut pad = [0u8; BLOCK];
        let mut inner = H0;
        pad.iter_mut().zip(&block).for_each(|(p, &k)| *p = k ^ 0x36);
        compress(&mut inner, &pad);
        let mut outer = H0;
        pad.iter_mut().zip(&block).for_each(|(p, &k)| *p = k ^ 0x5c);
        compress(&mut outer, &pad);
        HmacKey { inner, outer }
    }

    /// HMAC-SHA256 of `msg` under this key.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut h = Sha256::resume(self.inner, BLOCK as u64);
        h.update(msg);
        let inner = h.finish();
        let mut h = Sha256::resume(self.outer, BLOCK as u64);
        h.update(&inner);
        h.finish()
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
            hex(&h.finish()),
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
                h.update(&[]);
                h.update(&msg[split..len]);
                assert_eq!(h.finish(), whole, "len {len} split {split}");
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
