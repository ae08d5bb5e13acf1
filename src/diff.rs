//! Session diffing: unchanged, an RFC 7396 merge patch, or a whole replace.

use crate::json::{self, Key, Value};
use core::cmp::Ordering;

/// What to do with a stored session after a request, from [`diff`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diff {
    /// The documents are the same (key order aside): nothing to write.
    Unchanged,
    /// An RFC 7396 JSON merge patch, as compact JSON (an object), that turns the old document
    /// into the new one.
    Patch(String),
    /// Write the new document whole: a merge patch cannot say it (a value set to `null`, a
    /// root that is not an object, an old document that is not JSON, duplicate keys).
    Replace,
}

/// The members of a JSON object.
type Members<'a> = [(&'a str, Value<'a>)];

/// Compare the session JSON as loaded (`old`) with the session JSON at the end of a request
/// (`new`, from `JSON.stringify`).
///
/// Objects are compared as key sets (order is no change), keys and strings by their decoded
/// text, numbers by their text, arrays element by element. The patch lists changed and added
/// members in `new`'s order, then removed ones (as `null`), recursing where both sides are
/// objects, and is minimal: unchanged members never appear in it.
///
/// Members are compared on their raw text first, and only those whose text differs are read
/// further: objects on both sides again by their members' text (down to [`RAW_DEPTH`]), other
/// values parsed into trees. Every object's keys are sorted once per reading (duplicates are
/// found, and members matched, in the sorted order), so the cost is O(n log n) in the size.
pub fn diff(old: &str, new: &str) -> Diff {
    if old == new {
        return Diff::Unchanged;
    }
    let mut out = String::new();
    match members(old, new, 0, &mut out) {
        None => Diff::Replace,
        Some(()) if out.len() == 2 => Diff::Unchanged,
        Some(()) => Diff::Patch(out),
    }
}

/// How many levels of objects [`members`] compares by their members' text before parsing trees:
/// each level reads the text of the object it descends into again, and this bounds how often.
const RAW_DEPTH: usize = 4;

/// Append to `out` the merge patch (an object, `{}` if empty) turning the object text `old` into
/// `new`, `depth` objects down. `None` when a merge patch cannot express the change, or either
/// text is not an object free of duplicate keys.
fn members(old: &str, new: &str, depth: usize, out: &mut String) -> Option<()> {
    let old = json::object(old, None)?;
    let new = json::object(new, Some(&old))?;
    let mut kept = vec![false; old.members.len()];
    let start = out.len();
    out.push('{');
    for member in &new.members {
        let was = member
            .was
            .and_then(|at| Some((old.members.get(at)?, kept.get_mut(at)?)));
        let was = was.map(|(was, kept)| {
            *kept = true;
            was.value
        });
        // Equal text is an equal value; different text may still be one (spaces, escapes,
        // key order).
        if member.same || was == Some(member.value) {
            continue;
        }
        let mark = out.len();
        if mark > start + 1 {
            out.push(',');
        }
        json::write_str(member.key, out);
        out.push(':');
        let object = |text: &str| text.starts_with('{');
        let changed = match was {
            Some(was) if depth < RAW_DEPTH && object(was) && object(member.value) => {
                let sub = out.len();
                members(was, member.value, depth + 1, out)?;
                out.len() - sub > 2
            }
            _ => {
                let was = match was.map(json::parse) {
                    Some(None) => return None,
                    was => was.flatten(),
                };
                change(was.as_ref(), &json::parse(member.value)?, out)?
            }
        };
        if !changed {
            out.truncate(mark);
        }
    }
    removals(old.members.iter().map(|m| m.key), &kept, start, out);
    Some(())
}

/// Append to `out` what a merge patch says for one member that was `was` (absent: `None`) and
/// is `now`: nothing, a sub-patch, or the new value. Whether it is a change (if not, the
/// caller takes back the member's key); `None` when a merge patch cannot express it.
fn change(was: Option<&Value>, now: &Value, out: &mut String) -> Option<bool> {
    match (was, now) {
        (Some(Value::Object(was)), Value::Object(now)) => {
            let sub = out.len();
            patch(was, now, out)?;
            Some(out.len() - sub > 2)
        }
        (Some(was), _) if equal(was, now) => Some(false),
        _ if writable(now) => {
            json::write(now, out);
            Some(true)
        }
        _ => None,
    }
}

/// Append to `out` the merge patch (an object, `{}` if empty) turning the members `old` into
/// `new`. `None` when a merge patch cannot express the change.
fn patch(old: &Members, new: &Members, out: &mut String) -> Option<()> {
    let (matched, kept) = pair(&sorted(old), &sorted(new), new.len());
    let start = out.len();
    out.push('{');
    for ((key, now), was) in new.iter().zip(matched) {
        // Write the member speculatively, and take it back if it turns out unchanged.
        let mark = out.len();
        if mark > start + 1 {
            out.push(',');
        }
        json::write_str(key, out);
        out.push(':');
        if !change(was.and_then(|at| old.get(at)).map(|(_, v)| v), now, out)? {
            out.truncate(mark);
        }
    }
    removals(old.iter().map(|&(key, _)| key), &kept, start, out);
    Some(())
}

/// Close the patch object begun at `start` of `out`, first removing (as `null`) each key of
/// `keys` not `kept`.
fn removals<'a>(
    keys: impl Iterator<Item = &'a str>,
    kept: &[bool],
    start: usize,
    out: &mut String,
) {
    for (key, &kept) in keys.zip(kept) {
        if !kept {
            if out.len() > start + 1 {
                out.push(',');
            }
            json::write_str(key, out);
            out.push_str(":null");
        }
    }
    out.push('}');
}

/// Match members by key, walking both sorted key lists once: for each of the `len` members of
/// `new`, the index of the `old` member with its key; and for each `old` member, whether
/// `new` has its key. Neither list may hold a key twice.
fn pair(old: &[Key], new: &[Key], len: usize) -> (Vec<Option<usize>>, Vec<bool>) {
    let mut matched = vec![None; len];
    let mut kept = vec![false; old.len()];
    let (mut o, mut n) = (old.iter().peekable(), new.iter().peekable());
    while let (Some(a), Some(b)) = (o.peek(), n.peek()) {
        match json::cmp_keys(a, b) {
            Ordering::Less => drop(o.next()),
            Ordering::Greater => drop(n.next()),
            Ordering::Equal => {
                if let (Some(matched), Some(kept)) = (matched.get_mut(b.at), kept.get_mut(a.at)) {
                    *matched = Some(a.at);
                    *kept = true;
                }
                o.next();
                n.next();
            }
        }
    }
    (matched, kept)
}

/// The keys of `members`, sorted by [`json::cmp_keys`].
fn sorted<'a>(members: &Members<'a>) -> Vec<Key<'a>> {
    let mut keys: Vec<Key> = members
        .iter()
        .enumerate()
        .map(|(at, (key, _))| Key::new(key, at))
        .collect();
    json::unique_keys(&mut keys);
    keys
}

/// Structural equality; objects as key sets (they have no duplicate keys by now).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::String(a), Value::String(b)) => json::same_string(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            // Same size, no duplicates: equal key sets exactly when the sorted keys pair up.
            a.len() == b.len()
                && sorted(a).iter().zip(&sorted(b)).all(|(x, y)| {
                    json::cmp_keys(x, y).is_eq()
                        && (a.get(x.at).zip(b.get(y.at)))
                            .is_some_and(|((_, v), (_, w))| equal(v, w))
                })
        }
        _ => false,
    }
}

/// Whether a merge patch can set a member to `v`: not `null`, and not an object holding a
/// `null` member (through objects; arrays are written whole), which the patch would delete.
fn writable(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Object(members) => members.iter().all(|(_, v)| writable(v)),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use std::collections::{HashMap, HashSet};

    fn d(old: &str, new: &str) -> Diff {
        diff(old, new)
    }

    fn p(s: &str) -> Diff {
        Diff::Patch(String::from(s))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_unchanged() {
        assert_eq!(d("{}", "{}"), Diff::Unchanged);
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":1}"#), Diff::Unchanged);
        // Byte-equal wins even when malformed or not an object.
        assert_eq!(d("not json", "not json"), Diff::Unchanged);
        assert_eq!(d("[1]", "[1]"), Diff::Unchanged);
        // Key order alone is no change, at any depth, inside arrays too.
        assert_eq!(d(r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#), Diff::Unchanged);
        assert_eq!(
            d(
                r#"{"u":{"x":1,"y":[{"p":1,"q":2}]},"c":null}"#,
                r#"{"c":null,"u":{"y":[{"q":2,"p":1}],"x":1}}"#
            ),
            Diff::Unchanged
        );
        // Whitespace in the stored text.
        assert_eq!(
            d(" { \"a\" : [ 1 , 2 ] }\n", r#"{"a":[1,2]}"#),
            Diff::Unchanged
        );
        // Same strings and keys, spelled differently.
        assert_eq!(d(r#"{"s":"\u00e9\/"}"#, r#"{"s":"é/"}"#), Diff::Unchanged);
        assert_eq!(d(r#"{"\u0061":1}"#, r#"{"a":1}"#), Diff::Unchanged);
        assert_eq!(d(r#"{"a":{}}"#, r#"{"a":{}}"#), Diff::Unchanged);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_patches() {
        assert_eq!(d("{}", r#"{"a":1}"#), p(r#"{"a":1}"#));
        assert_eq!(
            d(r#"{"a":1}"#, r#"{"a":1,"b":[1,{"x":null},null]}"#),
            p(r#"{"b":[1,{"x":null},null]}"#)
        );
        assert_eq!(d(r#"{"a":1,"b":2}"#, r#"{"a":1}"#), p(r#"{"b":null}"#));
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":"1"}"#), p(r#"{"a":"1"}"#));
        assert_eq!(d(r#"{"a":[1,2]}"#, r#"{"a":[2,1]}"#), p(r#"{"a":[2,1]}"#));
        assert_eq!(
            d(
                r#"{"u":{"n":"x","r":[1]},"c":1}"#,
                r#"{"u":{"n":"y","r":[1]},"c":1}"#
            ),
            p(r#"{"u":{"n":"y"}}"#)
        );
        assert_eq!(
            d(r#"{"u":{"n":"x","t":1}}"#, r#"{"u":{"n":"x"}}"#),
            p(r#"{"u":{"t":null}}"#)
        );
        assert_eq!(
            d(r#"{"a":{"b":1}}"#, r#"{"a":{}}"#),
            p(r#"{"a":{"b":null}}"#)
        );
        assert_eq!(
            d(r#"{"a":1}"#, r#"{"a":{"b":{"c":2}}}"#),
            p(r#"{"a":{"b":{"c":2}}}"#)
        );
        assert_eq!(d(r#"{"a":[]}"#, r#"{"a":{}}"#), p(r#"{"a":{}}"#));
        assert_eq!(d("{}", r#"{"a":{}}"#), p(r#"{"a":{}}"#));
        assert_eq!(d(r#"{"a":{"b":1}}"#, r#"{"a":2}"#), p(r#"{"a":2}"#));
        // Changed and added members in new's order, then removed ones.
        assert_eq!(
            d(
                r#"{"a":1,"b":2,"c":3,"e":5}"#,
                r#"{"f":6,"e":5,"d":4,"b":0}"#
            ),
            p(r#"{"f":6,"d":4,"b":0,"a":null,"c":null}"#)
        );
        // An empty sub-patch is left out.
        assert_eq!(
            d(r#"{"a":{"b":1,"c":2}}"#, r#"{"a":{"c":2,"b":1},"z":1}"#),
            p(r#"{"z":1}"#)
        );
        // An unchanged null stays where it is.
        assert_eq!(
            d(r#"{"a":null,"b":1}"#, r#"{"a":null,"b":2}"#),
            p(r#"{"b":2}"#)
        );
        assert_eq!(
            d(r#"{"a":{"x":null,"y":1}}"#, r#"{"a":{"x":null,"y":2}}"#),
            p(r#"{"a":{"y":2}}"#)
        );
        // Raw slices are written as they are; numbers compare by text.
        assert_eq!(
            d(r#"{"s":"a"}"#, r#"{"s":"\"\\\u00e9"}"#),
            p(r#"{"s":"\"\\\u00e9"}"#)
        );
        assert_eq!(d(r#"{"n":1.0}"#, r#"{"n":1}"#), p(r#"{"n":1}"#));
        // Keys are matched decoded; the patch uses new's spelling (old's for removals).
        assert_eq!(d(r#"{"\u0061":1}"#, r#"{"a":2}"#), p(r#"{"a":2}"#));
        assert_eq!(
            d(r#"{"\u0061":1,"b":1}"#, r#"{"b":1}"#),
            p(r#"{"\u0061":null}"#)
        );
        assert_eq!(d(" { \"a\" : 1 } ", r#"{"a":2}"#), p(r#"{"a":2}"#));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_replaces() {
        // A null a merge patch would have to write.
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":null}"#), Diff::Replace);
        assert_eq!(d("{}", r#"{"a":null}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":{"b":null}}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":{"x":{"b":null}}}"#), Diff::Replace);
        assert_eq!(
            d(r#"{"a":{"y":1}}"#, r#"{"a":{"x":null,"y":1}}"#),
            Diff::Replace
        );
        assert_eq!(d(r#"{"a":[]}"#, r#"{"a":{"x":null}}"#), Diff::Replace);
        // Roots that are not objects, text that is not JSON.
        assert_eq!(d("[]", "{}"), Diff::Replace);
        assert_eq!(d("{}", "[]"), Diff::Replace);
        assert_eq!(d("1", "2"), Diff::Replace);
        assert_eq!(d("null", "{}"), Diff::Replace);
        assert_eq!(d("", "{}"), Diff::Replace);
        assert_eq!(d(r#"{"a":"#, "{}"), Diff::Replace);
        assert_eq!(d("{}", r#"{"a":1}x"#), Diff::Replace);
        assert_eq!(d(r#"{"a":01}"#, r#"{"a":1}"#), Diff::Replace);
        // Duplicate keys anywhere in either document.
        assert_eq!(d(r#"{"a":1,"a":2}"#, r#"{"a":2}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":2}"#, r#"{"a":1,"a":2}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":1,"\u0061":1}"#, r#"{"a":1}"#), Diff::Replace);
        assert_eq!(
            d(r#"{"x":{"a":1,"a":1}}"#, r#"{"x":{"a":1}}"#),
            Diff::Replace
        );
        assert_eq!(
            d(r#"{"x":[{"a":1,"a":1}]}"#, r#"{"x":[{"a":1}]}"#),
            Diff::Replace
        );
        // Inside a member whose text did not change: still ambiguous to store.
        assert_eq!(
            d(
                r#"{"x":{"a":1,"a":1},"y":1}"#,
                r#"{"x":{"a":1,"a":1},"y":2}"#
            ),
            Diff::Replace
        );
        assert_eq!(
            d(
                r#"{"x":[1,{"b":{"a":1,"\u0061":2}}],"y":1}"#,
                r#"{"x":[1,{"b":{"a":1,"\u0061":2}}],"y":2}"#
            ),
            Diff::Replace
        );
        // A root key repeated after keys that matched the old ones in order.
        assert_eq!(
            d(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":2,"a":3}"#),
            Diff::Replace
        );
        assert_eq!(
            d(r#"{"a":1,"b":2}"#, r#"{"a":1,"\u0061":1}"#),
            Diff::Replace
        );
        // Text that starts like the old value but is not JSON.
        assert_eq!(d(r#"{"a":true}"#, r#"{"a":truex}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":"s"}"#, r#"{"a":"s"x}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":1.}"#), Diff::Replace);
        assert_eq!(d(r#"{"a":[1]}"#, r#"{"a":[1]]}"#), Diff::Replace);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_top_level_members_by_text() {
        // A value whose text starts like the old one's: numbers can go on.
        assert_eq!(d(r#"{"a":1,"b":2}"#, r#"{"a":12,"b":2}"#), p(r#"{"a":12}"#));
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":1.5}"#), p(r#"{"a":1.5}"#));
        assert_eq!(d(r#"{"a":-1}"#, r#"{"a":-1e5}"#), p(r#"{"a":-1e5}"#));
        assert_eq!(d(r#"{"a":1}"#, r#"{"a":1E+2}"#), p(r#"{"a":1E+2}"#));
        assert_eq!(d(r#"{"a":1,"b":0}"#, r#"{"a":1 ,"b":1}"#), p(r#"{"b":1}"#));
        assert_eq!(d(r#"{"a":"x"}"#, r#"{"a":"xy"}"#), p(r#"{"a":"xy"}"#));
        assert_eq!(d(r#"{"a":[1]}"#, r#"{"a":[1,2]}"#), p(r#"{"a":[1,2]}"#));
        // Keys in another order or spelling: matched by decoded key, not by position.
        assert_eq!(
            d(r#"{"a":1,"b":2,"c":3}"#, r#"{"c":3,"\u0062":2,"a":4}"#),
            p(r#"{"a":4}"#)
        );
        assert_eq!(d(r#"{"a":1,"b":2}"#, r#"{"b":2}"#), p(r#"{"a":null}"#));
        assert_eq!(d(r#"{"a":1,"b":2}"#, r#"{"a":1}"#), p(r#"{"b":null}"#));
        assert_eq!(
            d(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":2,"c":3}"#),
            p(r#"{"c":3}"#)
        );
        // Keys sharing their first 8 bytes, or one the start of the other.
        assert_eq!(
            d(
                r#"{"abcdefghX":1,"abcdefghY":2,"abcdefgh":3,"abcdefghYZ":4}"#,
                r#"{"abcdefghYZ":4,"abcdefgh":3,"abcdefghY":2,"abcdefghX":5}"#
            ),
            p(r#"{"abcdefghX":5}"#)
        );
        // The same value spelled differently is no change; a different one nested is.
        assert_eq!(
            d(
                r#"{"u":{"a":1, "b":[ 2 ]},"s":"\u00e9"}"#,
                r#"{"s":"é","u":{"b":[2],"a":1}}"#
            ),
            Diff::Unchanged
        );
        assert_eq!(
            d(
                r#"{"u":{"a":1, "b":[ 2 ]},"s":1}"#,
                r#"{"s":1,"u":{"b":[2],"a":2}}"#
            ),
            p(r#"{"u":{"a":2}}"#)
        );
    }

    // ---- An owned test tree, an independent oracle, and RFC 7396 `MergePatch`. ----

    /// Strings and keys hold raw JSON string bodies; numbers raw text.
    #[derive(Clone, Debug)]
    enum T {
        Null,
        Bool(bool),
        Num(String),
        Str(String),
        Arr(Vec<T>),
        Obj(Vec<(String, T)>),
    }

    fn own(v: &Value) -> T {
        match v {
            Value::Null => T::Null,
            Value::Bool(b) => T::Bool(*b),
            Value::Number(n) => T::Num(n.to_string()),
            Value::String(s) => T::Str(s.to_string()),
            Value::Array(a) => T::Arr(a.iter().map(own).collect()),
            Value::Object(m) => T::Obj(m.iter().map(|(k, v)| (k.to_string(), own(v))).collect()),
        }
    }

    /// Serialise, with whitespace sprinkled in when `spaced`.
    fn text(t: &T, spaced: bool, out: &mut String) {
        let sp = if spaced { " \n" } else { "" };
        match t {
            T::Null => out.push_str("null"),
            T::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            T::Num(n) => out.push_str(n),
            T::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            T::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(sp);
                    text(item, spaced, out);
                }
                out.push_str(sp);
                out.push(']');
            }
            T::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(sp);
                    out.push('"');
                    out.push_str(k);
                    out.push('"');
                    out.push_str(sp);
                    out.push(':');
                    out.push_str(sp);
                    text(v, spaced, out);
                }
                out.push_str(sp);
                out.push('}');
            }
        }
    }

    fn to_text(t: &T, spaced: bool) -> String {
        let mut out = String::new();
        text(t, spaced, &mut out);
        out
    }

    /// The UTF-16 code units of a raw string body: the oracle's own decoder, independent of
    /// `json`'s.
    fn decode(raw: &str) -> Vec<u16> {
        let mut out = Vec::new();
        let mut rest = raw;
        while let Some(at) = rest.find('\\') {
            out.extend(rest[..at].encode_utf16());
            let esc = &rest[at + 1..];
            let (unit, len) = match esc.as_bytes()[0] {
                b'u' => (u16::from_str_radix(&esc[1..5], 16).unwrap(), 5),
                b'n' => (0x0a, 1),
                b't' => (0x09, 1),
                b'r' => (0x0d, 1),
                b'b' => (0x08, 1),
                b'f' => (0x0c, 1),
                c @ (b'"' | b'\\' | b'/') => (u16::from(c), 1),
                c => panic!("bad escape {c}"),
            };
            out.push(unit);
            rest = &esc[len..];
        }
        out.extend(rest.encode_utf16());
        out
    }

    fn str_eq(a: &str, b: &str) -> bool {
        decode(a) == decode(b)
    }

    fn get<'t>(m: &'t [(String, T)], k: &str) -> Option<&'t T> {
        m.iter().find(|(j, _)| str_eq(j, k)).map(|(_, v)| v)
    }

    /// An object's members by decoded key (the first of duplicates), so that the oracle stays
    /// fast on objects of thousands of keys.
    fn by_key(m: &[(String, T)]) -> HashMap<Vec<u16>, &T> {
        let mut map = HashMap::new();
        for (k, v) in m {
            map.entry(decode(k)).or_insert(v);
        }
        map
    }

    /// JavaScript-level equality of two documents (objects are key sets).
    fn sem_eq(a: &T, b: &T) -> bool {
        match (a, b) {
            (T::Null, T::Null) => true,
            (T::Bool(a), T::Bool(b)) => a == b,
            (T::Num(a), T::Num(b)) => a == b,
            (T::Str(a), T::Str(b)) => str_eq(a, b),
            (T::Arr(a), T::Arr(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| sem_eq(a, b))
            }
            (T::Obj(a), T::Obj(b)) => {
                let b = by_key(b);
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(&decode(k)).is_some_and(|w| sem_eq(v, w)))
            }
            _ => false,
        }
    }

    /// RFC 7396 section 2, `MergePatch(Target, Patch)`.
    fn merge_patch(target: T, patch: &T) -> T {
        let T::Obj(patch) = patch else {
            return patch.clone();
        };
        let mut target: Vec<Option<(String, T)>> = match target {
            T::Obj(m) => m.into_iter().map(Some).collect(),
            _ => Vec::new(),
        };
        // Where each decoded key is (the first of duplicates).
        let mut at: HashMap<Vec<u16>, usize> = HashMap::new();
        for (i, member) in target.iter().enumerate() {
            if let Some((k, _)) = member {
                at.entry(decode(k)).or_insert(i);
            }
        }
        for (k, v) in patch {
            let key = decode(k);
            match (v, at.get(&key).copied()) {
                (T::Null, Some(i)) => {
                    target[i] = None;
                    at.remove(&key);
                }
                (T::Null, None) => {}
                (v, Some(i)) => {
                    let (name, was) = target[i].take().unwrap();
                    target[i] = Some((name, merge_patch(was, v)));
                }
                (v, None) => {
                    at.insert(key, target.len());
                    target.push(Some((k.clone(), merge_patch(T::Null, v))));
                }
            }
        }
        T::Obj(target.into_iter().flatten().collect())
    }

    /// Whether an object reachable from the root through objects has a `null` member.
    fn has_object_null(t: &T) -> bool {
        match t {
            T::Obj(m) => m
                .iter()
                .any(|(_, v)| matches!(v, T::Null) || has_object_null(v)),
            _ => false,
        }
    }

    fn has_dups(t: &T) -> bool {
        match t {
            T::Obj(m) => {
                let mut seen = HashSet::new();
                m.iter()
                    .any(|(k, v)| !seen.insert(decode(k)) || has_dups(v))
            }
            T::Arr(a) => a.iter().any(has_dups),
            _ => false,
        }
    }

    /// Every member of `patch` is needed: removals remove, other members change something,
    /// sub-patches are non-empty and minimal themselves.
    fn assert_minimal(old: &[(String, T)], new: &[(String, T)], patch: &[(String, T)]) {
        assert!(!patch.is_empty());
        let (old, new) = (by_key(old), by_key(new));
        for (k, pv) in patch {
            match (
                old.get(&decode(k)).copied(),
                new.get(&decode(k)).copied(),
                pv,
            ) {
                (Some(_), None, T::Null) => {}
                (None, Some(_), _) => {}
                (Some(T::Obj(o)), Some(T::Obj(n)), T::Obj(sub)) => assert_minimal(o, n, sub),
                (Some(o), Some(n), _) => {
                    assert!(!sem_eq(o, n), "unchanged member {k} in patch");
                    assert!(
                        !matches!((o, n), (T::Obj(_), T::Obj(_))),
                        "not recursed: {k}"
                    );
                }
                _ => panic!("bad patch member {k}"),
            }
        }
    }

    struct Outcomes {
        unchanged: usize,
        patch: usize,
        replace: usize,
    }

    /// How many values the tree has, at every depth.
    fn nodes(t: &T) -> usize {
        1 + match t {
            T::Obj(m) => m.iter().map(|(_, v)| nodes(v)).sum(),
            T::Arr(items) => items.iter().map(nodes).sum(),
            _ => 0,
        }
    }

    /// `json::object` reads `text` exactly when it is an object without duplicate keys, alone
    /// or against `old_text`; against it, each member names the old member with its key and is
    /// `same` only when its value text is that member's.
    fn check_object(old_text: &str, text: &str) {
        let tree = parse(text).map(|v| own(&v));
        let alone = json::object(text, None);
        let wanted = matches!(tree, Some(T::Obj(_))) && !tree.as_ref().is_some_and(has_dups);
        assert_eq!(alone.is_some(), wanted, "object({text:?})");
        let Some(old) = json::object(old_text, None) else {
            return;
        };
        let against = json::object(text, Some(&old));
        assert_eq!(
            against.is_some(),
            wanted,
            "object({text:?}) against {old_text:?}"
        );
        let (Some(alone), Some(against)) = (alone, against) else {
            return;
        };
        let old_keys: HashMap<Vec<u16>, usize> = (old.members.iter().enumerate())
            .map(|(at, m)| (decode(m.key), at))
            .collect();
        assert_eq!(alone.members.len(), against.members.len());
        for (a, m) in alone.members.iter().zip(&against.members) {
            assert_eq!((a.key, a.value), (m.key, m.value));
            assert_eq!(m.was, old_keys.get(&decode(m.key)).copied(), "{:?}", m.key);
            if m.same {
                assert_eq!(Some(m.value), m.was.map(|at| old.members[at].value));
            }
        }
    }

    /// Check every promise of `diff` for one pair of texts; `None` if `old` is not an object.
    /// Also that its key and string comparisons stay within O(n log n) of the documents' values
    /// (the diff of old compared every key with every other: thousands of keys took seconds).
    fn check(old_text: &str, new_text: &str, seen: &mut Outcomes) {
        json::COMPARES.with(|c| c.set(0));
        let result = diff(old_text, new_text);
        let compares = json::COMPARES.with(|c| c.get());
        check_object(old_text, new_text);
        let (Some(old), Some(new)) = (parse(old_text), parse(new_text)) else {
            assert!(result == Diff::Replace || (result == Diff::Unchanged && old_text == new_text));
            return;
        };
        let (old, new) = (own(&old), own(&new));
        let n = nodes(&old) + nodes(&new);
        let bound = 4 * n * (n.ilog2() as usize + 1);
        assert!(
            compares <= bound,
            "{compares} key and string comparisons for {n} values (bound {bound})"
        );
        match result {
            Diff::Unchanged => {
                seen.unchanged += 1;
                assert!(
                    sem_eq(&old, &new),
                    "Unchanged but different:\n{old_text}\n{new_text}"
                );
            }
            Diff::Patch(patch) => {
                seen.patch += 1;
                assert!(
                    !sem_eq(&old, &new),
                    "Patch {patch} but equal:\n{old_text}\n{new_text}"
                );
                let pt = own(&parse(&patch).expect("patch is JSON"));
                assert_eq!(to_text(&pt, false), patch, "patch is compact");
                let applied = merge_patch(old.clone(), &pt);
                assert!(
                    sem_eq(&applied, &new),
                    "patch {patch} gives {}\nold {old_text}\nnew {new_text}",
                    to_text(&applied, false)
                );
                let (T::Obj(o), T::Obj(n), T::Obj(pm)) = (&old, &new, &pt) else {
                    panic!("patch between non-objects");
                };
                assert_minimal(o, n, pm);
            }
            Diff::Replace => {
                seen.replace += 1;
                let objects = matches!((&old, &new), (T::Obj(_), T::Obj(_)));
                assert!(
                    !objects || has_object_null(&new) || has_dups(&old) || has_dups(&new),
                    "Replace without a null to write:\n{old_text}\n{new_text}"
                );
            }
        }
    }

    // ---- Random documents. ----

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn one_in(&mut self, n: usize) -> bool {
            self.below(n) == 0
        }
        fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
            from[self.below(from.len())]
        }
    }

    /// Raw key bodies; `a`/`\u0061` and `é`/`\u00e9` are the same key spelled twice.
    const KEYS: &[&str] = &[
        "a", "b", "c", "d", "ab", "", "\\u0061", "k\\\"q", "é", "\\u00e9", "\\\\",
    ];
    /// Pairs of spellings of one string.
    const RESPELL: &[(&str, &str)] = &[
        ("a", "\\u0061"),
        ("é", "\\u00e9"),
        ("😀", "\\ud83d\\ude00"),
        ("/", "\\/"),
        ("\\n", "\\u000a"),
    ];

    /// Write `s` the other way, if there is one.
    fn respell(s: &mut String) {
        for (x, y) in RESPELL {
            if s == x {
                *s = y.to_string();
                return;
            } else if s == y {
                *s = x.to_string();
                return;
            }
        }
    }
    const STRS: &[&str] = &[
        "",
        "x",
        "y",
        "a\\\"b",
        "back\\\\slash",
        "\\u00e9",
        "é",
        "\\n",
        "line\\nbreak",
        "😀",
        "\\ud83d\\ude00",
        "\\/",
        "/",
        "null",
        "{}",
        "\\u0000",
    ];
    const NUMS: &[&str] = &["0", "1", "-1", "2.5", "1e+21", "-0.001", "123456789", "1.0"];

    /// Respell every key and string of the tree that can be.
    fn respell_all(t: &mut T) {
        match t {
            T::Str(s) => respell(s),
            T::Arr(items) => items.iter_mut().for_each(respell_all),
            T::Obj(m) => m.iter_mut().for_each(|(k, v)| {
                respell(k);
                respell_all(v);
            }),
            _ => {}
        }
    }

    fn gen(rng: &mut Rng, depth: usize, nulls: bool) -> T {
        let kinds = if depth < 3 { 10 } else { 7 };
        match rng.below(kinds) {
            0 if nulls => T::Null,
            0 | 1 => T::Bool(rng.one_in(2)),
            2 | 3 => T::Num(rng.pick(NUMS).to_string()),
            4..=6 => T::Str(rng.pick(STRS).to_string()),
            7 => T::Arr(
                (0..rng.below(4))
                    .map(|_| gen(rng, depth + 1, nulls))
                    .collect(),
            ),
            _ => T::Obj(gen_members(rng, depth + 1, nulls)),
        }
    }

    fn gen_members(rng: &mut Rng, depth: usize, nulls: bool) -> Vec<(String, T)> {
        let mut m: Vec<(String, T)> = Vec::new();
        for _ in 0..rng.below(6) {
            let k = rng.pick(KEYS);
            if get(&m, k).is_none() {
                let v = gen(rng, depth, nulls);
                m.push((k.to_string(), v));
            }
        }
        m
    }

    fn mutate(rng: &mut Rng, m: &mut Vec<(String, T)>, depth: usize, nulls: bool) {
        for _ in 0..rng.below(4) {
            let i = if m.is_empty() { 0 } else { rng.below(m.len()) };
            match rng.below(8) {
                0 => {
                    let k = rng.pick(KEYS);
                    let v = gen(rng, depth, nulls);
                    match m.iter().position(|(j, _)| str_eq(j, k)) {
                        Some(j) => m[j].1 = v,
                        None => m.push((k.to_string(), v)),
                    }
                }
                1 if !m.is_empty() => {
                    m.remove(i);
                }
                2 if !m.is_empty() => m[i].1 = gen(rng, depth, nulls),
                3 if nulls && !m.is_empty() => m[i].1 = T::Null,
                4 => {
                    for j in (1..m.len()).rev() {
                        m.swap(j, rng.below(j + 1));
                    }
                }
                5 if !m.is_empty() => {
                    let (key, value) = &mut m[i];
                    respell(key);
                    if let T::Str(s) = value {
                        respell(s);
                    }
                }
                _ if !m.is_empty() => match &mut m[i].1 {
                    T::Obj(sub) => mutate(rng, sub, depth + 1, nulls),
                    T::Arr(items) if !items.is_empty() => {
                        let j = rng.below(items.len());
                        let k = rng.below(items.len());
                        if rng.one_in(3) {
                            items.swap(j, k);
                        } else if let T::Obj(sub) = &mut items[j] {
                            mutate(rng, sub, depth + 2, nulls);
                        } else {
                            items[j] = gen(rng, depth + 2, nulls);
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_property_random_documents() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut seen = Outcomes {
            unchanged: 0,
            patch: 0,
            replace: 0,
        };
        for _ in 0..5000 {
            let nulls = rng.one_in(3);
            let old = T::Obj(gen_members(&mut rng, 0, nulls));
            let new = if rng.one_in(10) {
                T::Obj(gen_members(&mut rng, 0, nulls))
            } else {
                let mut new = old.clone();
                if let T::Obj(m) = &mut new {
                    mutate(&mut rng, m, 0, nulls);
                }
                new
            };
            let mut old = old;
            if rng.one_in(4) {
                respell_all(&mut old);
            }
            let old_text = to_text(&old, rng.one_in(4));
            let new_text = to_text(&new, false);
            check(&old_text, &new_text, &mut seen);
            check(&new_text, &old_text, &mut seen);
            if !nulls {
                assert_ne!(diff(&old_text, &new_text), Diff::Replace);
            }
        }
        assert!(seen.unchanged > 500, "{} unchanged", seen.unchanged);
        assert!(seen.patch > 3000, "{} patches", seen.patch);
        assert!(seen.replace > 100, "{} replaces", seen.replace);
    }

    // ---- Documents with thousands of keys per object. ----

    /// Key `id` of a big object in one of its spellings (`k7` and `\u006b7` are one key). The
    /// families differ in their first bytes, share long heads, or need decoding to compare:
    /// `\ud800` is a lone surrogate, `\u{ffff}` sorts below `😀` by code unit, above by point.
    fn big_key(rng: &mut Rng, id: usize) -> String {
        let mut key = match id % 6 {
            0 => format!("k{id}"),
            1 => format!("a shared long prefix {id}"),
            2 => format!("é{id}"),
            3 => format!("😀{id}"),
            4 => format!("\\ud800{id}"),
            _ => format!("z\u{ffff}{id}"),
        };
        if rng.one_in(8) {
            respell_big(&mut key);
        }
        key
    }

    /// Write a big object's key the other way, escaped or not.
    fn respell_big(key: &mut String) {
        for (x, y) in [
            ("k", "\\u006b"),
            (" ", "\\u0020"),
            ("é", "\\u00e9"),
            ("😀", "\\ud83d\\ude00"),
            ("\u{ffff}", "\\uffff"),
        ] {
            if key.contains(y) {
                *key = key.replace(y, x);
                return;
            } else if key.contains(x) {
                *key = key.replace(x, y);
                return;
            }
        }
    }

    /// `n` members with keys `first..first + n` and small values; at the root, sometimes one
    /// member `nested` holding hundreds more.
    fn big_members(
        rng: &mut Rng,
        n: usize,
        first: usize,
        nulls: bool,
        root: bool,
    ) -> Vec<(String, T)> {
        let mut m: Vec<(String, T)> = (first..first + n)
            .map(|id| (big_key(rng, id), gen(rng, 2, nulls)))
            .collect();
        if root && rng.one_in(2) {
            let size = 200 + rng.below(1500);
            let nested = big_members(rng, size, 0, nulls, false);
            m.insert(
                rng.below(m.len() + 1),
                ("nested".to_string(), T::Obj(nested)),
            );
        }
        m
    }

    /// A duplicate of one key of `m`, perhaps spelled the other way.
    fn add_duplicate(rng: &mut Rng, m: &mut Vec<(String, T)>) {
        if m.is_empty() {
            return;
        }
        let mut key = m[rng.below(m.len())].0.clone();
        if rng.one_in(2) {
            respell_big(&mut key);
        }
        let at = rng.below(m.len() + 1);
        m.insert(at, (key, T::Num("1".to_string())));
    }

    /// What a request might do to a big session: change, remove and add members, reorder
    /// them, respell keys, set nulls, reach into the nested object, rarely add a duplicate.
    fn mutate_big(rng: &mut Rng, m: &mut Vec<(String, T)>, nulls: bool, next_id: usize) {
        let many = if rng.one_in(8) { m.len() / 4 + 1 } else { 4 };
        for _ in 0..rng.below(many) {
            let i = rng.below(m.len());
            m[i].1 = gen(rng, 2, nulls);
        }
        if rng.one_in(3) {
            for _ in 0..1 + rng.below(many) {
                m.remove(rng.below(m.len()));
            }
        }
        if rng.one_in(3) {
            let size = 1 + rng.below(many);
            let added = big_members(rng, size, next_id, nulls, false);
            for member in added {
                m.insert(rng.below(m.len() + 1), member);
            }
        }
        if rng.one_in(4) {
            for j in (1..m.len()).rev() {
                m.swap(j, rng.below(j + 1));
            }
        }
        if rng.one_in(4) {
            for _ in 0..1 + rng.below(many) {
                let i = rng.below(m.len());
                respell_big(&mut m[i].0);
            }
        }
        if nulls && rng.one_in(3) {
            let i = rng.below(m.len());
            m[i].1 = T::Null;
        }
        if let Some((_, T::Obj(nested))) = m.iter_mut().find(|(k, _)| k == "nested") {
            if rng.one_in(2) {
                mutate_big(rng, nested, nulls, next_id);
            }
        }
        if rng.one_in(15) {
            add_duplicate(rng, m);
        }
    }

    /// The property test above on sessions of thousands of keys per object (up to about
    /// 200 KiB): every promise of `diff`, and its comparisons within O(n log n) (`check`).
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_property_documents_with_thousands_of_keys() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let mut seen = Outcomes {
            unchanged: 0,
            patch: 0,
            replace: 0,
        };
        let mut largest = 0;
        for round in 0..16 {
            let nulls = rng.one_in(3);
            let n = 300 + rng.below(3500);
            let mut old = big_members(&mut rng, n, 0, nulls, true);
            let mut new = old.clone();
            if round % 4 == 0 {
                // The same session, its keys reordered and respelled.
                for j in (1..new.len()).rev() {
                    new.swap(j, rng.below(j + 1));
                }
                for _ in 0..rng.below(100) {
                    let i = rng.below(new.len());
                    respell_big(&mut new[i].0);
                }
            } else {
                mutate_big(&mut rng, &mut new, nulls, n);
            }
            if rng.one_in(20) {
                add_duplicate(&mut rng, &mut old);
            }
            let old_text = to_text(&T::Obj(old), round % 6 == 5);
            let new_text = to_text(&T::Obj(new), false);
            largest = largest.max(old_text.len());
            check(&old_text, &new_text, &mut seen);
            check(&new_text, &old_text, &mut seen);
        }
        assert!(largest > 100_000, "largest document {largest} bytes");
        assert!(seen.unchanged >= 6, "{} unchanged", seen.unchanged);
        assert!(seen.patch >= 12, "{} patches", seen.patch);
        assert!(seen.replace >= 4, "{} replaces", seen.replace);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diff_and_parse_never_panic() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut seen = Outcomes {
            unchanged: 0,
            patch: 0,
            replace: 0,
        };
        let alphabet: Vec<char> = "{}[]\":,\\u019eE-+.ntrlfas \n\té😀\u{1}".chars().collect();
        let docs: Vec<String> = (0..50)
            .map(|_| to_text(&T::Obj(gen_members(&mut rng, 0, true)), false))
            .collect();
        for _ in 0..20_000 {
            // Random text from JSON-ish characters.
            let junk: String = (0..rng.below(30))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = parse(&junk);
            let doc = &docs[rng.below(docs.len())];
            check(&junk, doc, &mut seen);
            check(doc, &junk, &mut seen);
            // A document with a few characters replaced, dropped or inserted.
            let mut chars: Vec<char> = doc.chars().collect();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(chars.len() + 1);
                let c = alphabet[rng.below(alphabet.len())];
                match rng.below(3) {
                    0 if i < chars.len() => chars[i] = c,
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ => chars.insert(i, c),
                }
            }
            let broken: String = chars.into_iter().collect();
            check(&broken, doc, &mut seen);
            check(doc, &broken, &mut seen);
        }
        // Every strict prefix of an object is malformed.
        for doc in &docs {
            for (i, _) in doc.char_indices().skip(1) {
                let prefix = &doc[..i];
                assert_eq!(parse(prefix), None, "{prefix}");
                assert_eq!(diff(prefix, doc), Diff::Replace);
                assert_eq!(diff(doc, prefix), Diff::Replace);
            }
        }
        assert!(seen.patch > 100, "{} patches", seen.patch);
    }
}
