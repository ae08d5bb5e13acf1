//! The verified-cookie cache: which session cookie values already passed the shape check, the
//! HMAC check and the hashing, so a returning visitor's next request skips all three.
//!
//! A small fixed table per [`Codec`](crate::Codec), so per set of secrets: a new set of secrets
//! makes a new codec and so an empty cache. It maps the exact cookie value to a slot; the slot's
//! storage key lives on the JS side (`js/session-cookie.js`), which keeps the key string it
//! decoded when the slot was filled. Only values that verified are stored; a lookup compares the
//! whole value in constant time, so a near miss tells nothing about a stored value. The store
//! is still read on every request, so a destroyed session is never revived from here.

use subtle::ConstantTimeEq;

/// Slots in the table: enough for the returning visitors one isolate sees at a time, small
/// enough to scan nothing (a value has exactly one slot it can be in).
pub const SLOTS: usize = 32;
/// The longest cached value: a signed id, `<43-character id>.<43-character tag>`.
pub const VALUE_MAX: usize = 87;
/// Bytes a value is stored and compared in: [`VALUE_MAX`] rounded up to whole 8-byte words.
const PADDED: usize = VALUE_MAX.div_ceil(8) * 8;

/// One cached value: its bytes (zero-padded), its length (0 when empty) and whether it was
/// signed with a retired secret.
#[derive(Clone, Copy)]
struct Slot {
    value: [u8; PADDED],
    len: u8,
    resign: bool,
}

const EMPTY: Slot = Slot {
    value: [0; PADDED],
    len: 0,
    resign: false,
};

/// Whether `a` and `b` are equal, in time independent of their contents: every word is
/// compared with no early exit, and the verdict is `subtle`'s constant-time test.
fn same(a: &[u8; PADDED], b: &[u8; PADDED]) -> subtle::Choice {
    let mut diff = 0u64;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let word = |w: &[u8]| u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        diff |= word(x) ^ word(y);
    }
    diff.ct_eq(&0)
}

/// The table: `SLOTS` slots, each holding one value that verified.
pub struct Cache {
    slots: Box<[Slot; SLOTS]>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            slots: Box::new([EMPTY; SLOTS]),
        }
    }
}

impl Cache {
    /// The slot `value` lives in when cached: from its first four bytes, which are random in
    /// every id we issue (an attacker choosing them can only evict entries: a miss costs one
    /// verification, nothing else). `None` for values too short or too long to be cached.
    fn slot_of(value: &[u8]) -> Option<usize> {
        if value.len() < 4 || value.len() > VALUE_MAX {
            return None;
        }
        let x = u32::from_le_bytes([value[0], value[1], value[2], value[3]]);
        Some((x.wrapping_mul(0x9E37_79B1) >> 27) as usize)
    }

    /// The slot holding exactly `value`, with its resign flag. The comparison covers every
    /// byte of the slot and the length whatever the slot holds (empty included), so its time
    /// depends on neither the stored value nor where it differs.
    pub fn lookup(&self, value: &str) -> Option<(usize, bool)> {
        let bytes = value.as_bytes();
        let at = Cache::slot_of(bytes)?;
        let slot = &self.slots[at];
        let mut padded = [0u8; PADDED];
        padded[..bytes.len()].copy_from_slice(bytes);
        // `slot_of` bounds the length by VALUE_MAX (87), so it fits a u8.
        let len = bytes.len() as u8;
        let equal = same(&slot.value, &padded) & slot.len.ct_eq(&len);
        bool::from(equal).then_some((at, slot.resign))
    }

    /// Remember that `value` verified (signed with a retired secret when `resign`): it takes its
    /// slot, evicting whatever was there. Returns the slot, or `None` when `value` cannot be
    /// cached (then nothing changed).
    pub fn fill(&mut self, value: &str, resign: bool) -> Option<usize> {
        let bytes = value.as_bytes();
        let at = Cache::slot_of(bytes)?;
        let slot = &mut self.slots[at];
        slot.value = [0; PADDED];
        slot.value[..bytes.len()].copy_from_slice(bytes);
        slot.len = bytes.len() as u8;
        slot.resign = resign;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hits_only_the_exact_value() {
        let mut cache = Cache::default();
        assert_eq!(cache.lookup(ID), None, "empty");
        let at = cache.fill(ID, false).unwrap();
        assert_eq!(cache.lookup(ID), Some((at, false)));
        // Same slot (same first four bytes), different value: a miss, at every position.
        for i in 4..ID.len() {
            let mut other = ID.as_bytes().to_vec();
            other[i] = if other[i] == b'A' { b'B' } else { b'A' };
            let other = String::from_utf8(other).unwrap();
            assert_eq!(cache.lookup(&other), None, "{other}");
        }
        // A prefix or an extension of it: a miss, though the padded bytes agree.
        assert_eq!(cache.lookup(&ID[..42]), None);
        assert_eq!(cache.lookup(&format!("{ID}A")), None);
        assert_eq!(cache.lookup(&format!("{ID}\0")), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_new_value_in_the_same_slot_evicts_the_old_one() {
        let mut cache = Cache::default();
        let first = cache.fill(ID, true).unwrap();
        let other = format!("{}{}", &ID[..4], "Z".repeat(39));
        assert_eq!(
            cache.fill(&other, false),
            Some(first),
            "same first four bytes, same slot"
        );
        assert_eq!(cache.lookup(ID), None, "evicted");
        assert_eq!(cache.lookup(&other), Some((first, false)));
        // The resign flag is the slot's own.
        cache.fill(ID, true);
        assert_eq!(cache.lookup(ID), Some((first, true)));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_values_of_a_cacheable_length() {
        let mut cache = Cache::default();
        assert_eq!(cache.fill("abc", false), None);
        assert_eq!(cache.fill(&"a".repeat(VALUE_MAX + 1), false), None);
        assert_eq!(cache.lookup(&"a".repeat(VALUE_MAX + 1)), None);
        let longest = "b".repeat(VALUE_MAX);
        let at = cache.fill(&longest, false).unwrap();
        assert_eq!(cache.lookup(&longest), Some((at, false)));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn slots_spread_over_random_ids() {
        let mut used = [false; SLOTS];
        for _ in 0..1000 {
            used[Cache::slot_of(crate::id::generate().as_bytes()).unwrap()] = true;
        }
        assert!(
            used.iter().all(|&u| u),
            "1000 random ids leave a slot unused: {used:?}"
        );
    }
}
