//! Percent-decoding and -encoding exactly as `cookie@1` does it with `decodeURIComponent` and
//! `encodeURIComponent`.
use std::borrow::Cow;

/// `cookie@1`'s `decode`: `s` itself (borrowed) when it holds no `%`; otherwise what
/// `decodeURIComponent(s)` returns, or `s` itself when `decodeURIComponent` would throw (a `%`
/// not followed by two hex digits, or escapes that do not spell valid UTF-8).
///
/// Every escape is decoded, reserved characters such as `%3B` (`;`) included.
///
/// ```ignore
/// assert_eq!(decode("a%20b"), "a b");
/// assert_eq!(decode("100%"), "100%");
/// ```
pub fn decode(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == b'%') else {
        return Cow::Borrowed(s);
    };
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        // A '%' needs two hex digits after it, or decodeURIComponent throws.
        let (Some(hi), Some(lo)) = (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2)))
        else {
            return Cow::Borrowed(s);
        };
        out.push(hi << 4 | lo);
        i += 3;
    }
    // Raw characters are whole UTF-8 sequences, so the result is valid UTF-8 exactly when the
    // escapes form whole, valid UTF-8 sequences: when decodeURIComponent would not throw.
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(s),
    }
}

/// `encodeURIComponent(s)`: every byte of `s` except `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes
/// `%XX` (upper-case hex). Borrowed when nothing needs encoding.
///
/// ```ignore
/// assert_eq!(encode("a b;é"), "a%20b%3B%C3%A9");
/// ```
pub fn encode(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    let Some(first) = bytes.iter().position(|&b| !is_unreserved(b)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(bytes.len() + 16);
    out.push_str(&s[..first]);
    for &b in &bytes[first..] {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[(b >> 4) as usize] as char);
            out.push(HEX_UPPER[(b & 0xF) as usize] as char);
        }
    }
    Cow::Owned(out)
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `encodeURIComponent` leaves the byte `b` as it is.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// The value of a hex digit (either case), `None` for anything else or no byte at all.
fn hex_value(b: Option<&u8>) -> Option<u8> {
    match *b? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::ptr_arg)]
    fn is_borrowed(c: &Cow<'_, str>) -> bool {
        matches!(c, Cow::Borrowed(_))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decode_without_percent_borrows() {
        let d = decode("plain+value=é");
        assert_eq!(d, "plain+value=é");
        assert!(is_borrowed(&d));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decode_all_escapes() {
        assert_eq!(decode("%20%22%2c%3b%2f"), " \",;/");
        assert_eq!(decode("%3B%3d%25"), ";=%");
        assert_eq!(decode("a%C3%A9b"), "aéb");
        assert_eq!(decode("%F0%9F%8D%AA"), "🍪");
        assert_eq!(decode("é%20é"), "é é");
        assert_eq!(decode("+"), "+");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn decode_failure_keeps_input() {
        for s in [
            "%",
            "%1",
            "a%",
            "%G0",
            "%0G",
            "foo%1;",
            "%%",
            "%C3",
            "%C3x",
            "%C3%",
            "%A9",
            "%C3é",
            "é%A9",
            "%ED%A0%80",
            "%C0%AF",
            "%F4%90%80%80",
            "%FF",
            "ok%20then%",
        ] {
            let d = decode(s);
            assert_eq!(d, s, "{s}");
            assert!(is_borrowed(&d), "{s}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn encode_like_encode_uri_component() {
        let e = encode("AZaz09-_.!~*'()");
        assert_eq!(e, "AZaz09-_.!~*'()");
        assert!(is_borrowed(&e));
        assert_eq!(encode(""), "");
        assert_eq!(encode("a b"), "a%20b");
        assert_eq!(
            encode("+ = ; , \" \\ / ? # & % @ : $"),
            "%2B%20%3D%20%3B%20%2C%20%22%20%5C%20%2F%20%3F%20%23%20%26%20%25%20%40%20%3A%20%24"
        );
        assert_eq!(encode("é🍪"), "%C3%A9%F0%9F%8D%AA");
        assert_eq!(encode("\0\x7f"), "%00%7F");
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn encode_then_decode_round_trips() {
        for s in ["", "a b", "é🍪;=%", "%%%", "\u{10FFFF}\u{7}"] {
            assert_eq!(decode(&encode(s)), s);
        }
    }
}
