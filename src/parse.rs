//! Parsing a `Cookie` request header exactly as `cookie@1`'s `parse` does, by walking indexes.
use std::borrow::Cow;

use crate::percent;

/// The `(name, raw value)` pairs of a `Cookie` header, in the order `cookie@1`'s `parse` walks
/// them, duplicate names included. Names and values are trimmed of spaces and tabs only;
/// values are not percent-decoded (see [`percent::decode`]).
///
/// `parse` keeps the first value of each name; this iterator leaves that to its caller.
///
/// ```ignore
/// let all: Vec<_> = pairs("a=1; b = 2 ;a=3").collect();
/// assert_eq!(all, [("a", "1"), ("b", "2"), ("a", "3")]);
/// ```
#[derive(Clone, Debug)]
pub struct Pairs<'a> {
    header: &'a str,
    /// Where the walk goes on: `parse`'s `index`.
    index: usize,
}

/// The pairs of the `Cookie` header `header`; see [`Pairs`].
pub fn pairs(header: &str) -> Pairs<'_> {
    // `parse` returns nothing for a header shorter than 2 (UTF-16 units). A non-ASCII single
    // character is 2 or more bytes here, but holds no '=' so it yields nothing either.
    let index = if header.len() < 2 { header.len() } else { 0 };
    Pairs { header, index }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let bytes = self.header.as_bytes();
        let len = bytes.len();
        // The body of `parse`'s `do { ... } while (index < len)`, up to the next pair.
        while self.index < len {
            let index = self.index;
            // eqIndex: the next '=' from `index`; none means no more pairs.
            let Some(eq) = find(bytes, index, b'=') else {
                self.index = len;
                return None;
            };
            // endIndex: the next ';' from `index`, or the end.
            let end = find(bytes, index, b';').unwrap_or(len);
            if eq > end {
                // The '=' belongs to a later pair: go on after the last ';' before it.
                self.index = rfind(bytes, eq, b';').map_or(0, |i| i + 1);
                continue;
            }
            let name = value_slice(self.header, index, eq);
            let value = value_slice(self.header, eq + 1, end);
            self.index = end + 1;
            return Some((name, value));
        }
        None
    }
}

/// The value `parse(header)[name]` has in `cookie@1`: the first cookie called `name`,
/// percent-decoded as `cookie@1` decodes. Builds no map and allocates only to decode.
///
/// ```ignore
/// assert_eq!(get("a=1; sid=x%20y; sid=2", "sid").as_deref(), Some("x y"));
/// assert_eq!(get("a=1", "sid"), None);
/// ```
// The wasm face reads the raw session value instead (`Codec::locate`: ids never hold `%`); this
// is the reference the tests and the fuzzer check the walk against.
#[allow(dead_code)]
pub fn get<'a>(header: &'a str, name: &str) -> Option<Cow<'a, str>> {
    pairs(header)
        .find(|&(n, _)| n == name)
        .map(|(_, value)| percent::decode(value))
}

/// The index of the first `needle` in `bytes` at or after `from`: `indexOf`.
fn find(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| b == needle)
        .map(|i| from + i)
}

/// The index of the last `needle` in `bytes` before `before`: `lastIndexOf(needle, before - 1)`.
fn rfind(bytes: &[u8], before: usize, needle: u8) -> Option<usize> {
    bytes[..before].iter().rposition(|&b| b == needle)
}

/// `valueSlice`: `s[min..max]` without leading and trailing spaces and tabs (nothing else).
/// `min` and `max` sit on ASCII delimiters or the ends, so they are char boundaries.
fn value_slice(s: &str, min: usize, max: usize) -> &str {
    let bytes = s.as_bytes();
    let mut start = min;
    let mut end = max;
    while start < end && is_blank(bytes[start]) {
        start += 1;
    }
    while end > start && is_blank(bytes[end - 1]) {
        end -= 1;
    }
    &s[start..end]
}

/// Space or tab: all that `valueSlice` trims.
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(header: &str) -> Vec<(&str, &str)> {
        pairs(header).collect()
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn simple_pairs() {
        assert_eq!(all("foo=bar"), [("foo", "bar")]);
        assert_eq!(
            all("FOO    = bar;   baz  =   raz"),
            [("FOO", "bar"), ("baz", "raz")]
        );
        assert_eq!(all("f=;b="), [("f", ""), ("b", "")]);
        assert_eq!(all("\tfoo\t=\tbar\t"), [("foo", "bar")]);
        assert_eq!(all(" = bar "), [("", "bar")]);
        assert_eq!(all("a=b=c; d=e"), [("a", "b=c"), ("d", "e")]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn short_or_empty_headers_yield_nothing() {
        for h in ["", "=", "a", "é", ";", "🍪", "no-equals-here", ";;;"] {
            assert_eq!(all(h), [], "{h:?}");
        }
        assert_eq!(all("a="), [("a", "")]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn duplicates_kept_in_order() {
        assert_eq!(all("a=1; b=2; a=3"), [("a", "1"), ("b", "2"), ("a", "3")]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn segments_without_equals_are_skipped() {
        assert_eq!(all("foo=bar;fizz  ;  buzz"), [("foo", "bar")]);
        assert_eq!(all("  fizz; foo=  bar"), [("foo", "bar")]);
        assert_eq!(all("x;y;z=1;w"), [("z", "1")]);
        assert_eq!(all("a;b;c"), []);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn only_space_and_tab_are_trimmed() {
        assert_eq!(all("\na\n=\nb\n"), [("\na\n", "\nb\n")]);
        assert_eq!(all(" a = \" b \" "), [("a", "\" b \"")]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn non_ascii_is_kept_whole() {
        assert_eq!(all("é=ü; 🍪 = 🍪🍪 "), [("é", "ü"), ("🍪", "🍪🍪")]);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn get_finds_first_and_decodes() {
        let h = "a=1; sid=x%20y; sid=2; bad=%E0%A4%A";
        assert_eq!(get(h, "sid").as_deref(), Some("x y"));
        assert_eq!(get(h, "a").as_deref(), Some("1"));
        assert_eq!(get(h, "bad").as_deref(), Some("%E0%A4%A"));
        assert_eq!(get(h, "missing"), None);
        assert_eq!(get(h, "Sid"), None);
        assert!(matches!(get(h, "a"), Some(Cow::Borrowed("1"))));
        assert_eq!(get("x; =v", "").as_deref(), Some("v"));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn never_panics_on_arbitrary_input() {
        // Headers glued from pieces that stress the walk: separators, blanks, quotes, broken
        // escapes, multi-byte characters; from a fixed xorshift seed, so failures reproduce.
        const PIECES: [&str; 16] = [
            "a", "sid", "=", ";", " ", "\t", "\"", "%", "%2", "%zz", "%E2%82", "%20", "é", "🍪",
            "==", ";;",
        ];
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..20_000 {
            let mut h = String::new();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                h.push_str(PIECES[(x % 16) as usize]);
            }
            let pairs = all(&h);
            for (name, value) in &pairs {
                assert!(
                    !name.contains(';') && !name.contains('=') && !value.contains(';'),
                    "{h:?}"
                );
                let first = pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| percent::decode(v));
                assert_eq!(get(&h, name), first, "{h:?}");
            }
        }
    }
}
