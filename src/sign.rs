//! Signed session cookies (`<id>.<HMAC-SHA256 tag>`) with key rotation, and ids hashed at rest.

use subtle::ConstantTimeEq;

use crate::id;
use crate::sha256::{sha256, HmacKey};

/// Characters in a tag: 32 bytes of HMAC-SHA256 as unpadded base64url, as long as one of our
/// ids.
const TAG_LEN: usize = id::ID_LEN;
/// Characters in a UUID, the ids itty-session 0.4 issued.
const UUID_LEN: usize = 36;

/// The key under which the session `id` is stored: SHA-256 of the id as 43 characters of
/// base64url, so that a copy of the session table opens no session.
pub fn hash_id(id: &str) -> String {
    id::encode(&sha256(id.as_bytes()))
}

/// The cookie-signing secrets: the first signs, all of them verify, so a secret can be
/// retired by moving it down the list and dropped once no cookie signed with it is alive.
pub struct Keys {
    keys: Vec<HmacKey>,
}

impl Keys {
    /// The keys for `secrets`, newest (signing) first. With no secrets nothing verifies and
    /// [`sign`](Keys::sign) gives an empty string: the caller is to refuse an empty list.
    pub fn new(secrets: &[&str]) -> Keys {
        Keys {
            keys: secrets.iter().map(|s| HmacKey::new(s.as_bytes())).collect(),
        }
    }

    /// `id` signed with the first key: `<id>.<tag>`, the tag being HMAC-SHA256(key, id) as 43
    /// characters of base64url (87 characters in all for one of our ids).
    pub fn sign(&self, id: &str) -> String {
        let Some(key) = self.keys.first() else {
            return String::new();
        };
        let tag = id::encode(&key.mac(id.as_bytes()));
        let mut out = String::with_capacity(id.len() + 1 + tag.len());
        out.push_str(id);
        out.push('.');
        out.push_str(&tag);
        out
    }

    /// The bare id in the signed cookie value `value`, with the index of the key whose tag it
    /// carries; `None` for anything that [`sign`](Keys::sign) did not make with one of these
    /// keys from a well-formed id.
    ///
    /// The shape is checked first (lengths, the `.`, the id, the tag's alphabet and its last
    /// character's two zero bits), so garbage costs no MAC; tags are compared in constant
    /// time.
    pub fn verify<'a>(&self, value: &'a str) -> Option<(&'a str, usize)> {
        let id_len = value.len().checked_sub(1 + TAG_LEN)?;
        if id_len != id::ID_LEN && id_len != UUID_LEN {
            return None;
        }
        let (id, rest) = value.split_at_checked(id_len)?;
        let tag = decode_tag(rest.strip_prefix('.')?.as_bytes())?;
        if !id::is_valid(id) {
            return None;
        }
        self.keys
            .iter()
            .position(|key| same_tag(&key.mac(id.as_bytes()), &tag))
            .map(|at| (id, at))
    }
}

/// The 32 bytes that 43 base64url characters encode; `None` for any other length or
/// character, or a last character whose two low bits are not zero (no 32 bytes encode to it,
/// so every tag has one spelling).
fn decode_tag(s: &[u8]) -> Option<[u8; 32]> {
    if s.len() != TAG_LEN {
        return None;
    }
    let mut out = [0u8; 32];
    let mut slots = out.iter_mut();
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in s {
        acc = (acc << 6) | u32::from(sextet(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *slots.next()? = (acc >> bits) as u8;
        }
    }
    // 43 * 6 = 32 * 8 + 2: two bits are left over, and must be zero.
    if acc & 3 != 0 {
        return None;
    }
    Some(out)
}

/// The value of a base64url character.
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Whether two tags are equal, in time independent of where they differ (`subtle`'s
/// constant-time comparison: every byte is compared, with no early exit).
fn same_tag(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const UUID: &str = "3b241101-e2bb-4255-8caf-4136c566a962";

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hash_id_known_answers() {
        // printf %s "$id" | sha256sum | cut -d' ' -f1 | xxd -r -p | base64 | tr '+/' '-_' | tr -d =
        assert_eq!(hash_id(ID), "6oZqdX5MOLq_qBJ8vppAnT4fk6AP8UiP9zX8-Rev_9A");
        assert_eq!(hash_id(UUID), "5ISUBfb9QjDPajz2ThzMPW5iMBOpFBg-2A451ySJ3UE");
        assert_eq!(hash_id(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
        let h = hash_id(&crate::id::generate());
        assert!(crate::id::is_ours(&h), "{h}");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn sign_known_answers() {
        // printf %s "$id" | openssl dgst -sha256 -hmac k1 -binary | base64 | tr '+/' '-_' | tr -d =
        let keys = Keys::new(&["k1", "k2"]);
        let signed = keys.sign(ID);
        assert_eq!(
            signed,
            format!("{ID}.ggMC_wOWVSzh7703ehMVcOmABMiqUFLOCpqjio11UQQ")
        );
        assert_eq!(signed.len(), 87);
        assert_eq!(
            Keys::new(&["k2"]).sign(ID),
            format!("{ID}.bWgZm-_QhGdYsSfikFNnGyUhG_wHXFir2A0LUygcwUY")
        );
        assert_eq!(
            keys.sign(UUID),
            format!("{UUID}.74Kd84ppVgWdZKVRScYVXDjrJHBzNSPUxc6VGnHvIlg")
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn round_trips() {
        let keys = Keys::new(&["a long random secret", "an older one"]);
        for _ in 0..50 {
            let id = crate::id::generate();
            let signed = keys.sign(&id);
            assert_eq!(keys.verify(&signed), Some((id.as_str(), 0)));
        }
        let signed = keys.sign(UUID);
        assert_eq!(signed.len(), 80);
        assert_eq!(keys.verify(&signed), Some((UUID, 0)));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn retired_keys_still_verify() {
        let old = Keys::new(&["k1"]).sign(ID);
        let rotated = Keys::new(&["k0", "k1"]);
        assert_eq!(rotated.verify(&old), Some((ID, 1)));
        assert_eq!(rotated.verify(&rotated.sign(ID)), Some((ID, 0)));
        // Once dropped from the list, it no longer does.
        assert_eq!(Keys::new(&["k0"]).verify(&old), None);
        // Keys longer than a block work like any other.
        let long = "x".repeat(200);
        let keys = Keys::new(&["k0", &long]);
        assert_eq!(keys.verify(&Keys::new(&[&long]).sign(ID)), Some((ID, 1)));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn rejects_tampering_and_garbage() {
        let keys = Keys::new(&["k1", "k2"]);
        let good = keys.sign(ID);
        assert!(keys.verify(&good).is_some());
        // Every single-character change, anywhere, is caught.
        for i in 0..good.len() {
            for c in ["A", "B", "8", "-", "_", ".", "="] {
                if &good[i..i + 1] == c {
                    continue;
                }
                let bad = format!("{}{c}{}", &good[..i], &good[i + 1..]);
                assert_eq!(keys.verify(&bad), None, "{bad}");
            }
        }
        let tag = &good[44..];
        let mut rejected = vec![
            String::new(),
            ".".to_string(),
            "..".to_string(),
            ID.to_string(),
            format!("{ID}."),
            format!(".{tag}"),
            good[..86].to_string(),
            good[1..].to_string(),
            format!("{good}A"),
            format!("A{good}"),
            format!("{good}."),
            format!("{ID}.{tag}.{tag}"),
            format!("{ID}{tag}A"),
            format!("{ID}.{}", &tag[..42]),
            format!("{ID}.{}A", &tag[..42]),
            // Signed under a key that is not on the list.
            Keys::new(&["k3"]).sign(ID),
            Keys::new(&[""]).sign(ID),
            // An id that is not well formed, even with a valid MAC.
            keys.sign("not an id but 43 characters long, honestly"),
            keys.sign(&ID[..42]),
            keys.sign(&format!("{}9", &ID[..42])),
            keys.sign("3b241101-e2bb-4255-8caf-4136c566a96g"),
            // Non-ASCII in place of ASCII, keeping the byte length or the char count.
            format!("{}é{}", &good[..42], &good[44..]),
            format!("{}é{}", &good[..43], &good[45..]),
            format!("{}é{}", &good[..44], &good[46..]),
            format!("{}é", &good[..85]),
            "é".repeat(87),
            "🍪".repeat(40),
            "a".repeat(1 << 20),
        ];
        // The tag spelled with padding, or with standard base64 characters.
        rejected.push(format!("{}=", &good[..86]));
        rejected.push(good.replace('-', "+").replace('_', "/"));
        for bad in &rejected {
            if bad == &good {
                continue;
            }
            assert_eq!(keys.verify(bad), None, "{bad:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn tags_have_one_spelling() {
        // The last tag character carries 4 bits and 2 zero bits: the other 3 characters with
        // the same 4 bits are rejected even though they decode to the same bytes.
        let keys = Keys::new(&["k1"]);
        let good = keys.sign(ID);
        let last = good.as_bytes()[86];
        let at = id::encode(&[0; 32]).len(); // 43, to keep the arithmetic honest
        assert_eq!(at, TAG_LEN);
        let value = sextet(last).unwrap();
        assert_eq!(value & 3, 0);
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for low in 1..4 {
            let other = ALPHABET[usize::from(value | low)] as char;
            let bad = format!("{}{other}", &good[..86]);
            assert_eq!(keys.verify(&bad), None, "{bad}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn no_keys_sign_nothing_and_verify_nothing() {
        let none = Keys::new(&[]);
        assert_eq!(none.sign(ID), "");
        assert_eq!(none.verify(&Keys::new(&["k1"]).sign(ID)), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn tag_decoding_and_comparison() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        assert_eq!(decode_tag(id::encode(&bytes).as_bytes()), Some(bytes));
        assert_eq!(
            decode_tag(id::encode(&[0xff; 32]).as_bytes()),
            Some([0xff; 32])
        );
        assert_eq!(decode_tag(b""), None);
        assert_eq!(decode_tag(&[b'A'; 44]), None);
        assert!(same_tag(&bytes, &bytes));
        for i in 0..32 {
            let mut other = bytes;
            other[i] ^= 0x80;
            assert!(!same_tag(&bytes, &other));
        }
    }
}
