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
    let mut p = Parser { s: text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i == text.len() {
        Some(v)
    } else {
        None
    }
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

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
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
                        items.push(self.value(depth + 1)?);
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
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.peek()? != b'"' {
                            return None;
                        }
                        let key = self.string()?;
                        self.eat(b':')?;
                        members.push((key, self.value(depth + 1)?));
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
                Some(Value::Object(members))
            }
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
}
