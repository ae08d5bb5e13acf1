//! A small borrowing JSON reader: just enough to compare two session documents.

/// A parsed JSON value that borrows its text from the source document.
///
/// Numbers and strings are kept as raw slices of the input (strings without their quotes,
/// escapes untouched), so writing a value back reproduces its original spelling.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its raw (validated) text.
    Number(&'a str),
    /// A string, as the raw text between the quotes with escapes kept.
    String(&'a str),
    /// An array, elements in order.
    Array(Vec<Value<'a>>),
    /// An object, members in document order (duplicate keys kept); keys are raw text between
    /// the quotes, escapes kept.
    Object(Vec<(&'a str, Value<'a>)>),
}

/// How deeply arrays and objects may nest before [`parse`] gives up (returns `None`).
const MAX_DEPTH: usize = 128;

/// Parse exactly one RFC 8259 JSON text (whitespace allowed around it, nothing else).
/// `None` for anything malformed, or nested deeper than 128 arrays/objects.
pub fn parse(text: &str) -> Option<Value<'_>> {
    Parser::new(text, false).document()
}

/// A JSON object document read without building its values: see [`object`].
pub struct Object<'a> {
    /// The root object's members, in document order.
    pub members: Vec<Member<'a>>,
    /// The root's keys in [`cmp_keys`] order, `at` their member's index; empty when the
    /// document was read against an old one whose keys it has in the same order.
    pub sorted: Vec<Key<'a>>,
}

/// A member of the root object of an [`Object`].
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The raw key (escapes kept).
    pub key: &'a str,
    /// The raw value text, without surrounding whitespace.
    pub value: &'a str,
    /// Read against an old document: the index of the old member with this key (compared
    /// decoded), if any.
    pub was: Option<usize>,
    /// The value's text is the old member's text, byte for byte (so the same value).
    pub same: bool,
}

/// Read `text` as one JSON object (the same grammar and depth limit as [`parse`]) whose objects,
/// at every depth, have no key twice; `None` if it is not JSON, not an object, or an object in
/// it has a duplicate key (keys compared decoded). Linear in the text, plus sorting each
/// object's keys once.
///
/// Read `against` an old document, each root member is matched to the old member with its key
/// (the one at the same index when the raw keys are equal, else by binary search), and a value
/// whose text is the old member's text is known equal from one byte comparison and not read
/// again: reading the old document already checked that text.
pub fn object<'a>(text: &'a str, against: Option<&'a Object<'a>>) -> Option<Object<'a>> {
    let mut p = Parser::new(text, true);
    p.against = against;
    p.ws();
    if p.peek() != Some(b'{') {
        return None;
    }
    p.document()?;
    Some(Object {
        members: p.top,
        sorted: p.keys,
    })
}

/// An object member's key, for ordering and matching keys by their decoded text.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The raw key (the string body, escapes kept).
    pub raw: &'a str,
    /// The member's index in its object.
    pub at: usize,
    /// Whether `raw` is ASCII without escapes: its bytes are its code units.
    plain: bool,
}

impl<'a> Key<'a> {
    /// The key `raw` of member `at`.
    pub fn new(raw: &'a str, at: usize) -> Self {
        Key {
            raw,
            at,
            plain: raw.bytes().all(|b| b.is_ascii() && b != b'\\'),
        }
    }
}

/// A total order of keys by decoded text: by UTF-16 code unit. `Equal` exactly when the keys
/// decode to the same code units. Plain keys (ASCII, no escapes) compare as their bytes, the
/// same order; others are decoded on the fly, without allocating.
pub fn cmp_keys(a: &Key, b: &Key) -> core::cmp::Ordering {
    #[cfg(test)]
    COMPARES.with(|c| c.set(c.get() + 1));
    if (a.plain && b.plain) || a.raw == b.raw {
        a.raw.cmp(b.raw)
    } else {
        Units::new(a.raw).cmp(Units::new(b.raw))
    }
}

/// Sort `keys` with [`cmp_keys`]; whether no two are equal.
pub fn unique_keys(keys: &mut [Key]) -> bool {
    if keys.len() > 1 {
        let mut scratch = keys.to_vec();
        sort(keys, &mut scratch);
    }
    keys.iter()
        .zip(keys.iter().skip(1))
        .all(|(a, b)| cmp_keys(a, b).is_ne())
}

/// Sort `keys` with [`cmp_keys`], `scratch` as long as `keys`: a merge sort (O(n log n)
/// comparisons, n - 1 on sorted input), written out without indexing because the standard
/// library's sorts, with their panic paths, add kilobytes to the wasm.
fn sort<'a>(keys: &mut [Key<'a>], scratch: &mut [Key<'a>]) {
    if keys.len() <= 8 {
        // Insertion sort.
        for i in 1..keys.len() {
            for j in (1..=i).rev() {
                match keys.get_mut(j - 1..=j) {
                    Some([a, b]) if cmp_keys(a, b).is_gt() => core::mem::swap(a, b),
                    _ => break,
                }
            }
        }
        return;
    }
    let mid = keys.len() / 2;
    let (Some((left, right)), Some((left_scratch, right_scratch))) = (
        keys.split_at_mut_checked(mid),
        scratch.split_at_mut_checked(mid),
    ) else {
        return;
    };
    sort(left, left_scratch);
    sort(right, right_scratch);
    if let (Some(last), Some(first)) = (left.last(), right.first()) {
        if cmp_keys(last, first).is_le() {
            return;
        }
    }
    for (to, from) in scratch.iter_mut().zip(keys.iter()) {
        *to = *from;
    }
    let Some((left, right)) = scratch.split_at_checked(mid) else {
        return;
    };
    let (mut left, mut right) = (left.iter().peekable(), right.iter().peekable());
    for slot in keys.iter_mut() {
        let next = match (left.peek(), right.peek()) {
            (Some(a), Some(b)) if cmp_keys(a, b).is_gt() => right.next(),
            (Some(_), _) => left.next(),
            (None, _) => right.next(),
        };
        if let Some(next) = next {
            *slot = *next;
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many times this thread called [`cmp_keys`] or [`same_string`]: tests bound the
    /// diff's work with it.
    pub static COMPARES: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

/// Decode a raw JSON string body (the text between the quotes) into a `String`.
/// `None` if it is not a valid body (bad escape, control character, unescaped `"`).
/// Lone surrogates (`\ud800`) become U+FFFD.
#[allow(dead_code)] // used by tests; kept for other modules
pub fn unescape(raw: &str) -> Option<String> {
    if scan_string(raw.as_bytes(), 0)? != raw.len() {
        return None;
    }
    Some(
        char::decode_utf16(Units::new(raw))
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// Whether two raw (valid) string bodies spell the same string, i.e. the same UTF-16 code
/// units once escapes are decoded (`"\u00e9"` and `"é"` are the same; lone surrogates are
/// compared exactly).
pub fn same_string(a: &str, b: &str) -> bool {
    #[cfg(test)]
    COMPARES.with(|c| c.set(c.get() + 1));
    a == b || Units::new(a).eq(Units::new(b))
}

/// Write `v` as compact JSON (no whitespace), from its raw slices.
pub fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (n, (k, item)) in members.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// Write a raw string body with its quotes.
pub fn write_str(raw: &str, out: &mut String) {
    out.push('"');
    out.push_str(raw);
    out.push('"');
}

/// The UTF-16 code units of a valid raw string body, escapes decoded.
struct Units<'a> {
    chars: core::str::Chars<'a>,
    low: u16,
}

impl<'a> Units<'a> {
    fn new(raw: &'a str) -> Self {
        Units {
            chars: raw.chars(),
            low: 0,
        }
    }
}

impl Iterator for Units<'_> {
    type Item = u16;
    fn next(&mut self) -> Option<u16> {
        if self.low != 0 {
            // A low surrogate is never 0, so 0 means "none pending".
            return Some(core::mem::take(&mut self.low));
        }
        let c = self.chars.next()?;
        if c != '\\' {
            let mut buf = [0u16; 2];
            if c.encode_utf16(&mut buf).len() == 2 {
                self.low = buf[1];
            }
            return Some(buf[0]);
        }
        Some(match self.chars.next()? {
            'b' => 8,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            't' => 9,
            'u' => {
                let mut u = 0u16;
                for _ in 0..4 {
                    let digit = self.chars.next().and_then(|c| c.to_digit(16));
                    u = (u << 4) | digit.unwrap_or(0) as u16;
                }
                u
            }
            // `"`, `\` and `/` stand for themselves.
            c => c as u16,
        })
    }
}

/// Scan a string body from `i` (just after the opening quote): the index of the closing
/// (unescaped) `"`, or `b.len()` if the body runs to the end. `None` on a control character
/// or a bad escape.
fn scan_string(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i),
            0..=0x1f => return None,
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let digits = b.get(i + 2..i + 6)?;
                    if !digits.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            _ => i += 1,
        }
    }
    Some(i)
}

/// A recursive-descent reader over `s`, at byte `i`.
struct Parser<'a> {
    s: &'a str,
    i: usize,
    /// Check mode ([`object`]): build no values, refuse duplicate keys, and keep the root
    /// object's members in `top` and its sorted keys in `keys`. Otherwise ([`parse`]), build
    /// the tree and allow duplicate keys.
    check: bool,
    /// In check mode, the keys of the objects being read, innermost last.
    keys: Vec<Key<'a>>,
    /// In check mode, the root object's members.
    top: Vec<Member<'a>>,
    /// In check mode, the old document the root's members are matched against.
    against: Option<&'a Object<'a>>,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str, check: bool) -> Self {
        Parser {
            s,
            i: 0,
            check,
            keys: Vec::new(),
            top: Vec::new(),
            against: None,
        }
    }

    /// Root member `at`, `key`, read against the old document: the index of the old member
    /// with that key, and whether that member's value text is next in the input, ending where
    /// it ends there (then skipped).
    fn match_old(&mut self, key: &'a str, at: usize) -> (Option<usize>, bool) {
        let Some(old) = self.against else {
            return (None, false);
        };
        let was = match old.members.get(at) {
            Some(m) if m.key == key => Some(at),
            _ => {
                let key = Key::new(key, at);
                let found = old.sorted.binary_search_by(|k| cmp_keys(k, &key));
                found.ok().and_then(|i| old.sorted.get(i)).map(|k| k.at)
            }
        };
        let Some(text) = was
            .and_then(|w| old.members.get(w))
            .map(|m| m.value.as_bytes())
        else {
            return (was, false);
        };
        let Some(rest) = self.s.as_bytes().get(self.i..) else {
            return (was, false);
        };
        // Strings, arrays, objects and literals end where they end; a number could go on.
        let number = text
            .first()
            .is_some_and(|&b| b == b'-' || b.is_ascii_digit());
        let goes_on = rest.get(text.len()).is_some_and(|&b| {
            number && matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        });
        let same = rest.starts_with(text) && !goes_on;
        if same {
            self.i += text.len();
        }
        (was, same)
    }

    /// Whether the root's keys are, raw, the old document's first keys in order (so they are
    /// unique as the old ones are, and need no sorting).
    fn in_order(&self) -> bool {
        self.against.is_some_and(|old| {
            old.members.len() >= self.top.len()
                && self
                    .top
                    .iter()
                    .zip(&old.members)
                    .all(|(m, o)| m.key == o.key)
        })
    }

    /// One value and nothing after it but whitespace.
    fn document(&mut self) -> Option<Value<'a>> {
        let v = self.value(0)?;
        self.ws();
        (self.i == self.s.len()).then_some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Skip whitespace, then expect byte `c`.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        self.ws();
        match self.peek()? {
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                } else {
                    loop {
                        let item = self.value(depth + 1)?;
                        if !self.check {
                            items.push(item);
                        }
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                Some(Value::Array(items))
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                let mut members = Vec::new();
                let first = self.keys.len();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    for at in 0.. {
                        self.ws();
                        if self.peek()? != b'"' {
                            return None;
                        }
                        let key = self.string()?;
                        self.eat(b':')?;
                        self.ws();
                        let start = self.i;
                        if !self.check {
                            members.push((key, self.value(depth + 1)?));
                        } else if depth > 0 {
                            self.value(depth + 1)?;
                            self.keys.push(Key::new(key, at));
                        } else {
                            let (was, same) = self.match_old(key, at);
                            if !same {
                                self.value(depth + 1)?;
                            }
                            let value = self.s.get(start..self.i)?;
                            self.top.push(Member {
                                key,
                                value,
                                was,
                                same,
                            });
                        }
                        self.ws();
                        match self.peek()? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                if self.check && depth > 0 {
                    if !self.keys.get_mut(first..).is_some_and(unique_keys) {
                        return None;
                    }
                    self.keys.truncate(first);
                } else if self.check && !self.in_order() {
                    // The root's keys stay, sorted, for the caller.
                    let top = self.top.iter().enumerate();
                    self.keys = top.map(|(at, m)| Key::new(m.key, at)).collect();
                    if !unique_keys(&mut self.keys) {
                        return None;
                    }
                }
                Some(Value::Object(members))
            }
            _ => self.scalar(),
        }
    }

    /// `null`, `true`, `false`, a string or a number at the cursor (after whitespace).
    fn scalar(&mut self) -> Option<Value<'a>> {
        let start = self.i;
        // No slicing that could panic: `get` keeps panic formatting out of the wasm.
        let rest = self.s.as_bytes().get(start..)?;
        match self.peek()? {
            b'n' if rest.starts_with(b"null") => {
                self.i += 4;
                Some(Value::Null)
            }
            b't' if rest.starts_with(b"true") => {
                self.i += 4;
                Some(Value::Bool(true))
            }
            b'f' if rest.starts_with(b"false") => {
                self.i += 5;
                Some(Value::Bool(false))
            }
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => {
                if self.peek() == Some(b'-') {
                    self.i += 1;
                }
                match self.peek()? {
                    b'0' => self.i += 1,
                    b'1'..=b'9' => {
                        self.digits();
                    }
                    _ => return None,
                }
                if self.peek() == Some(b'.') {
                    self.i += 1;
                    if self.digits() == 0 {
                        return None;
                    }
                }
                if let Some(b'e' | b'E') = self.peek() {
                    self.i += 1;
                    if let Some(b'+' | b'-') = self.peek() {
                        self.i += 1;
                    }
                    if self.digits() == 0 {
                        return None;
                    }
                }
                self.s.get(start..self.i).map(Value::Number)
            }
            _ => None,
        }
    }

    /// A string starting at the current `"`: its raw body; the cursor ends after the closing
    /// quote.
    fn string(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let start = self.i + 1;
        let end = scan_string(b, start)?;
        if end == b.len() {
            return None;
        }
        self.i = end + 1;
        self.s.get(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        let mut out = String::new();
        write(&parse(text).unwrap(), &mut out);
        out
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_accepts_valid() {
        for t in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "1",
            "-12.5e+10",
            "1E5",
            "0.0e-0",
            "123456789012345678901234567890",
            "\"\"",
            "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude00\"",
            "\"é😀\"",
            "[]",
            "{}",
            "[1,[2,[3]],{\"a\":{}}]",
            " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : null } \n",
        ] {
            assert!(parse(t).is_some(), "{t}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_rejects_invalid() {
        for t in [
            "",
            " ",
            "nul",
            "nulll",
            "tru",
            "True",
            "01",
            "-",
            "-01",
            "1.",
            ".5",
            "+1",
            "1e",
            "1e+",
            "1.e5",
            "0x10",
            "NaN",
            "Infinity",
            "-Infinity",
            "\"",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\u+123\"",
            "\"a\nb\"",
            "\"\t\"",
            "\"\u{1f}\"",
            "'a'",
            "[",
            "]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{",
            "{,}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{a:1}",
            "{1:1}",
            "[] []",
            "1 2",
            "{}x",
            "\u{feff}{}",
            "\u{c}1",
            "\u{a0}1",
            "[1]]",
        ] {
            assert_eq!(parse(t), None, "{t:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_structure_and_raw_slices() {
        let v = parse(r#"{"k\"1":[1.50,"x\u0041",true,null],"":{}}"#).unwrap();
        assert_eq!(
            v,
            Value::Object(vec![
                (
                    "k\\\"1",
                    Value::Array(vec![
                        Value::Number("1.50"),
                        Value::String("x\\u0041"),
                        Value::Bool(true),
                        Value::Null,
                    ])
                ),
                ("", Value::Object(vec![])),
            ])
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_write_is_compact_roundtrip() {
        let compact =
            r#"{"a":[1,-2.5e3,"\"\\\u00e9é"],"b":{"c":null,"d":true,"e":false},"f":[],"g":{}}"#;
        assert_eq!(roundtrip(compact), compact);
        let spaced = " { \"a\" : [ 1 , 2 ] ,\n\"b\" : { } } ";
        assert_eq!(roundtrip(spaced), r#"{"a":[1,2],"b":{}}"#);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_depth_limit() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_some());
        let too_deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&too_deep), None);
        let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&objects), None);
        // Far deeper than any stack would take: refused, not overflowed.
        assert_eq!(parse(&"[".repeat(1_000_000)), None);
        assert_eq!(parse(&"{\"a\":".repeat(1_000_000)), None);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_unescape() {
        assert_eq!(unescape("plain é").as_deref(), Some("plain é"));
        assert_eq!(
            unescape(r#"\"\\\/\b\f\n\r\t"#).as_deref(),
            Some("\"\\/\u{8}\u{c}\n\r\t")
        );
        assert_eq!(unescape(r"\u00e9\u00E9").as_deref(), Some("éé"));
        assert_eq!(unescape(r"\ud83d\ude00").as_deref(), Some("😀"));
        assert_eq!(unescape(r"\uD83D\uDE00x").as_deref(), Some("😀x"));
        assert_eq!(unescape(r"\ud800").as_deref(), Some("\u{fffd}"));
        assert_eq!(unescape(r"a\udc00b").as_deref(), Some("a\u{fffd}b"));
        assert_eq!(
            unescape(r"\ud800\ud800").as_deref(),
            Some("\u{fffd}\u{fffd}")
        );
        assert_eq!(unescape(r"\u0000").as_deref(), Some("\0"));
        for bad in [
            r"\", r"\x", r"\u12", r"\u123", r"\u12G4", "\"", "a\"b", "\n", r"\u+123",
        ] {
            assert_eq!(unescape(bad), None, "{bad:?}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_same_string() {
        assert!(same_string("a", "a"));
        assert!(same_string(r"\u0061", "a"));
        assert!(same_string("é", r"\u00E9"));
        assert!(same_string(r"\/", "/"));
        assert!(same_string("😀", r"\ud83d\ude00"));
        assert!(!same_string("a", "b"));
        assert!(!same_string(r"\u0061", "ab"));
        assert!(!same_string(r"\ud800", r"\ud801"));
        assert!(!same_string(r"\ud800", "\u{fffd}"));
        assert!(!same_string(r"\n", "n"));
    }

    /// Keys spelled every way that matters to the order: escapes, shared 8-byte heads, a key
    /// that starts another, surrogate pairs and lone surrogates, U+FFFF against U+1F600.
    const KEYS: &[&str] = &[
        "",
        "a",
        r"\u0061",
        "ab",
        "abcdefgh",
        "abcdefghi",
        r"abcdefgh\u0069",
        "abcdefgi",
        "é",
        r"\u00e9",
        r"\u00E9",
        "😀",
        r"\ud83d\ude00",
        r"\uffff",
        "\u{ffff}",
        r"\ud800",
        r"\ud800a",
        r"\udc00",
        r"\ud83d",
        "z",
        r"\\",
        r#"\""#,
        r"\/",
        "/",
        r"\u0000",
    ];

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_key_order() {
        use core::cmp::Ordering;
        let keys: Vec<Key> = KEYS
            .iter()
            .enumerate()
            .map(|(at, k)| Key::new(k, at))
            .collect();
        for a in &keys {
            for b in &keys {
                let ab = cmp_keys(a, b);
                // A total order whose ties are exactly the same decoded text.
                assert_eq!(ab, cmp_keys(b, a).reverse(), "{:?} {:?}", a.raw, b.raw);
                assert_eq!(
                    ab.is_eq(),
                    same_string(a.raw, b.raw),
                    "{:?} {:?}",
                    a.raw,
                    b.raw
                );
                let plain = |k: &Key| k.raw.bytes().all(|c| c.is_ascii() && c != b'\\');
                if plain(a) && plain(b) {
                    assert_eq!(ab, a.raw.cmp(b.raw));
                }
                for c in &keys {
                    if ab != Ordering::Greater && cmp_keys(b, c) != Ordering::Greater {
                        assert_ne!(cmp_keys(a, c), Ordering::Greater);
                    }
                }
            }
        }
        // Sorting groups the spellings of a key; duplicates are found in any order.
        let mut sorted = keys.clone();
        assert!(!unique_keys(&mut sorted));
        assert!(sorted.windows(2).all(|w| cmp_keys(&w[0], &w[1]).is_le()));
        let mut distinct: Vec<Key> = Vec::new();
        for k in &keys {
            if !distinct.iter().any(|d| same_string(d.raw, k.raw)) {
                distinct.push(*k);
            }
        }
        assert!(distinct.len() > 16, "{}", distinct.len());
        for turn in 0..distinct.len() {
            let mut copy = distinct.clone();
            copy.rotate_left(turn);
            copy.swap(0, turn / 2);
            assert!(unique_keys(&mut copy), "{turn}");
            // Another spelling of one of them, anywhere.
            let twin = keys
                .iter()
                .find(|k| k.raw != copy[turn].raw && same_string(k.raw, copy[turn].raw));
            copy.insert(turn * 7 % copy.len(), *twin.unwrap_or(&copy[turn]));
            assert!(!unique_keys(&mut copy), "{turn}");
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn json_object_members() {
        let old = object(r#" { "a" : 1 , "b":[1, {"c":2}],"s":"x" ,"n":{}} "#, None).unwrap();
        let raw: Vec<(&str, &str)> = old.members.iter().map(|m| (m.key, m.value)).collect();
        assert_eq!(
            raw,
            [
                ("a", "1"),
                ("b", r#"[1, {"c":2}]"#),
                ("s", r#""x""#),
                ("n", "{}")
            ]
        );
        assert!(old.members.iter().all(|m| m.was.is_none() && !m.same));
        let sorted: Vec<usize> = old.sorted.iter().map(|k| k.at).collect();
        assert_eq!(sorted, [0, 1, 3, 2]);
        // Against it: matched by position, else by decoded key; same text is `same`.
        let new = object(
            r#"{"a":12,"\u0062":[1, {"c":2}],"x":1,"s":"x","n":{}}"#,
            Some(&old),
        );
        let new = new.unwrap();
        let got: Vec<(Option<usize>, bool)> = new.members.iter().map(|m| (m.was, m.same)).collect();
        assert_eq!(
            got,
            [
                (Some(0), false),
                (Some(1), true),
                (None, false),
                (Some(2), true),
                (Some(3), true)
            ]
        );
        assert_eq!(new.members[0].value, "12");
        // Keys not in the old order are sorted, for the duplicate check.
        assert_eq!(new.sorted.len(), 5);
        let in_order = object(r#"{"a":2,"b":[]}"#, Some(&old)).unwrap();
        assert!(in_order.sorted.is_empty());
        // Not objects, not JSON, duplicate keys at any depth, too deep: `None`, as for
        // `parse`, alone or against a document.
        for text in [
            "[]",
            "1",
            "\"{}\"",
            "",
            "{",
            "{}x",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"x":{"b":1,"b":1}}"#,
            r#"{"x":[{"b":1,"c":{"d":1,"d":1}}]}"#,
            r#"{"a":1,"b":2,"a":3}"#,
        ] {
            assert!(object(text, None).is_none(), "{text}");
            assert!(object(text, Some(&old)).is_none(), "{text}");
        }
        let deep = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
        assert!(object(&deep(MAX_DEPTH), None).is_some());
        assert!(object(&deep(MAX_DEPTH + 1), None).is_none());
        assert!(parse(&deep(MAX_DEPTH + 1)).is_none());
        // `parse` keeps duplicate keys.
        assert!(parse(r#"{"a":1,"a":2}"#).is_some());
    }
}
