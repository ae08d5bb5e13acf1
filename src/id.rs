//! Session ids: 32 CSPRNG bytes as 43 base64url characters, and the format check for them.
//!
//! Random bytes come from getrandom (the platform CSPRNG: `crypto.getRandomValues` in wasm) in
//! pooled batches, because each call into it costs more than the rest of an id. Nothing is
//! drawn at module load: Workers forbid random values at global scope.

use std::cell::RefCell;

/// Bytes in an id: 256 bits, well above the 64 bits of entropy OWASP asks for.
pub const ID_BYTES: usize = 32;
/// Characters in an id: `ceil(32 * 8 / 6)` base64url characters, no padding.
pub const ID_LEN: usize = 43;
/// Ids drawn from the CSPRNG in one call.
const POOL_IDS: usize = 32;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct Pool {
    bytes: [u8; ID_BYTES * POOL_IDS],
    next: usize,
}

thread_local! {
    // Filled lazily on the first id, so module load draws nothing.
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; ID_BYTES * POOL_IDS], next: ID_BYTES * POOL_IDS })
    };
}

/// Fill `out` with 32 fresh random bytes from the pool, refilling it when it runs dry. Each
/// byte is handed out once and wiped from the pool.
fn take(out: &mut [u8; ID_BYTES]) {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.next == pool.bytes.len() {
            // A CSPRNG failure leaves us no safe id to give: stop rather than hand out a
            // predictable one.
            if getrandom::fill(&mut pool.bytes).is_err() {
                panic!("getrandom failed: no CSPRNG available for session ids");
            }
            pool.next = 0;
        }
        let at = pool.next;
        out.copy_from_slice(&pool.bytes[at..at + ID_BYTES]);
        pool.bytes[at..at + ID_BYTES].fill(0);
        pool.next = at + ID_BYTES;
    });
}

/// Encode 32 bytes as 43 characters of unpadded base64url.
pub fn encode(bytes: &[u8; ID_BYTES]) -> String {
    let mut out = Vec::with_capacity(ID_LEN);
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63]);
        out.push(ALPHABET[(n >> 12) as usize & 63]);
        out.push(ALPHABET[(n >> 6) as usize & 63]);
        out.push(ALPHABET[n as usize & 63]);
    }
    // 32 = 10 * 3 + 2: two bytes left, three characters.
    let rest = chunks.remainder();
    let n = (u32::from(rest[0]) << 16) | (u32::from(rest[1]) << 8);
    out.push(ALPHABET[(n >> 18) as usize & 63]);
    out.push(ALPHABET[(n >> 12) as usize & 63]);
    out.push(ALPHABET[(n >> 6) as usize & 63]);
    // SAFETY-free: every byte pushed is from ALPHABET, which is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// A new session id.
pub fn generate() -> String {
    let mut bytes = [0u8; ID_BYTES];
    take(&mut bytes);
    encode(&bytes)
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `s` is 43 base64url characters that 32 bytes encode to (the last character carries
/// four bits and two zero bits).
pub fn is_ours(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != ID_LEN || !b.iter().all(|&c| is_b64url(c)) {
        return false;
    }
    let last = ALPHABET
        .iter()
        .position(|&c| c == b[ID_LEN - 1])
        .unwrap_or(1);
    last % 4 == 0
}

/// Whether `s` is a UUID (8-4-4-4-12 hex digits, any case), the ids itty-session 0.4 issued
/// with `crypto.randomUUID()`.
pub fn is_legacy(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` could be a session id: ours, or a UUID left by itty-session 0.4.
pub fn is_valid(s: &str) -> bool {
    is_ours(s) || is_legacy(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn generated_ids_are_valid_distinct_and_ours() {
        let mut seen = std::collections::HashSet::new();
        // More than one pool's worth, so the refill path runs too.
        for _ in 0..(POOL_IDS * 3 + 5) {
            let id = generate();
            assert_eq!(id.len(), ID_LEN);
            assert!(is_ours(&id), "{id}");
            assert!(is_valid(&id));
            assert!(!is_legacy(&id));
            assert!(seen.insert(id), "an id repeated");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn encode_matches_known_base64url() {
        let zeros = [0u8; 32];
        assert_eq!(encode(&zeros), "A".repeat(43));
        let ones = [0xffu8; 32];
        // 0xffff in the last two bytes: 111111 111111 1111(00) -> "__8"
        assert_eq!(encode(&ones), format!("{}8", "_".repeat(42)));
        let mut seq = [0u8; 32];
        for (i, b) in seq.iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(encode(&seq), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_what_cannot_be_an_id() {
        let good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        assert!(is_valid(good));
        assert!(!is_valid(""));
        assert!(!is_valid(&good[..42]));
        assert!(!is_valid(&format!("{good}A")));
        // A last character with its two low bits set cannot come from 32 bytes.
        assert!(!is_valid("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9"));
        assert!(!is_valid("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH+8"));
        assert!(!is_valid("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH=8"));
        assert!(!is_valid("' OR 1=1 --"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn accepts_legacy_uuids_only_in_shape() {
        assert!(is_valid("3b241101-e2bb-4255-8caf-4136c566a962"));
        assert!(is_valid("3B241101-E2BB-4255-8CAF-4136C566A962"));
        assert!(!is_valid("3b241101-e2bb-4255-8caf-4136c566a96"));
        assert!(!is_valid("3b241101xe2bb-4255-8caf-4136c566a962"));
        assert!(!is_valid("3b241101-e2bb-4255-8caf-4136c566a96g"));
    }
}
