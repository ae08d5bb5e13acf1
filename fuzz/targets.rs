//! The fuzz targets' checks, shared by the cargo-fuzz binaries (`fuzz/fuzz_targets/`) and the
//! corpus replay under `cargo test` (`src/fuzz_replay.rs`): each takes the raw input bytes and
//! panics on a failed property.
//!
//! Included by `#[path]` into both crates, so it names the core's modules through `crate::`.

use crate::diff::{self, Diff};
use crate::json::{self, Value};
use crate::{id, parse, percent, sign};

/// The secrets of the `verify` target: the seed corpus holds values signed with both.
pub const SECRETS: [&str; 2] = ["k1", "k2"];

/// The input as a `Cookie` header: the pairs are well formed, `get` agrees with the first pair
/// of each name, decoded, and percent-encoding round-trips through decoding.
pub fn cookie_parse(data: &[u8]) {
    let Ok(header) = core::str::from_utf8(data) else {
        return;
    };
    let pairs: Vec<(&str, &str)> = parse::pairs(header).collect();
    let blank = |s: &str| s.starts_with([' ', '\t']) || s.ends_with([' ', '\t']);
    for &(name, value) in &pairs {
        assert!(!name.contains(['=', ';']), "name {name:?}");
        assert!(!value.contains(';'), "value {value:?}");
        assert!(
            !blank(name) && !blank(value),
            "untrimmed {name:?}={value:?}"
        );
        let decoded = percent::decode(value);
        if !value.contains('%') {
            assert_eq!(decoded, value);
        }
        assert_eq!(percent::decode(&percent::encode(value)), value);
        assert_eq!(percent::decode(&percent::encode(&decoded)), decoded);
    }
    // Walking again gives the same pairs.
    assert!(parse::pairs(header).eq(pairs.iter().copied()));
    let mut names: Vec<&str> = pairs.iter().map(|&(name, _)| name).take(8).collect();
    names.extend(["sid", "", "a", "session"]);
    for name in names {
        let first = pairs.iter().find(|&&(n, _)| n == name);
        let want = first.map(|&(_, value)| percent::decode(value));
        assert_eq!(parse::get(header, name), want, "get({name:?})");
    }
}

/// The input as a signed cookie value under [`SECRETS`]: only values that signing makes
/// verify; and ids made of the input's first 32 bytes round-trip through signing, and do not
/// survive a one-character change chosen by the input. `hash_id` gives ids of our shape.
pub fn verify(data: &[u8]) {
    let keys = sign::Keys::new(&SECRETS);
    if let Ok(s) = core::str::from_utf8(data) {
        if let Some((bare, at)) = keys.verify(s) {
            assert!(id::is_valid(bare), "{bare:?}");
            let secret = SECRETS.get(at).expect("key index in range");
            assert_eq!(sign::Keys::new(&[secret]).sign(bare), s);
        }
        let hashed = sign::hash_id(s);
        assert!(id::is_ours(&hashed), "{hashed:?}");
    }
    let Some(Ok(bytes)) = data.get(..32).map(<[u8; 32]>::try_from) else {
        return;
    };
    let bare = id::encode(&bytes);
    assert!(id::is_ours(&bare));
    for (at, secret) in SECRETS.iter().enumerate() {
        let signed = sign::Keys::new(&[secret]).sign(&bare);
        assert_eq!(keys.verify(&signed), Some((bare.as_str(), at)));
        if let [.., pos, c] = *data {
            let mut changed = signed.clone().into_bytes();
            let pos = usize::from(pos) % changed.len();
            changed[pos] = c & 0x7f;
            let changed = String::from_utf8(changed).expect("ASCII");
            if changed != signed {
                assert_eq!(keys.verify(&changed), None, "{changed:?}");
            }
        }
    }
}

/// The input as two documents split at the first 0 byte (`old`, then `new`): `diff` never
/// panics; an unchanged result means equal documents; a patch is a minimal JSON merge patch
/// that turns `old` into `new`; a replace happens only when a merge patch cannot say it.
pub fn diff(data: &[u8]) {
    let (old, new) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(old), Ok(new)) = (core::str::from_utf8(old), core::str::from_utf8(new)) else {
        return;
    };
    let result = diff::diff(old, new);
    if old == new {
        assert_eq!(result, Diff::Unchanged);
        return;
    }
    let (Some(Value::Object(o)), Some(Value::Object(n))) = (json::parse(old), json::parse(new))
    else {
        assert_eq!(result, Diff::Replace, "not two objects");
        return;
    };
    match result {
        Diff::Unchanged => assert!(same_members(&o, &n), "unchanged but different"),
        Diff::Patch(p) => {
            let Some(Value::Object(patch)) = json::parse(&p) else {
                panic!("patch is not a JSON object: {p:?}");
            };
            assert!(!patch.is_empty(), "empty patch");
            assert!(
                !duplicates(&o) && !duplicates(&n),
                "patch despite duplicate keys"
            );
            check_minimal(&o, &n, &patch);
            let applied = merge_patch(&Value::Object(o.clone()), &Value::Object(patch));
            assert!(
                same(&applied, &Value::Object(n.clone())),
                "the patch {p:?} does not turn the old document into the new one"
            );
        }
        Diff::Replace => assert!(
            duplicates(&o) || duplicates(&n) || null_member(&n),
            "replace with no reason"
        ),
    }
}

/// The members of a JSON object.
type Members<'a> = [(&'a str, Value<'a>)];

/// The value of member `key`, keys compared decoded.
fn member<'v, 'a>(members: &'v Members<'a>, key: &str) -> Option<&'v Value<'a>> {
    members
        .iter()
        .find(|(k, _)| json::same_string(k, key))
        .map(|(_, v)| v)
}

/// JSON equality: objects as key sets, numbers by their text, strings decoded.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::String(a), Value::String(b)) => json::same_string(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => same_members(a, b),
        _ => false,
    }
}

fn same_members(a: &Members, b: &Members) -> bool {
    a.len() == b.len()
        && b.iter()
            .all(|(k, v)| member(a, k).is_some_and(|w| same(w, v)))
}

/// Whether any object in the tree has a key twice.
fn duplicates(members: &Members) -> bool {
    members.iter().enumerate().any(|(i, (k, v))| {
        members[..i].iter().any(|(j, _)| json::same_string(j, k)) || value_duplicates(v)
    })
}

fn value_duplicates(v: &Value) -> bool {
    match v {
        Value::Object(m) => duplicates(m),
        Value::Array(items) => items.iter().any(value_duplicates),
        _ => false,
    }
}

/// Whether a member is `null`, at any depth through objects (a merge patch would delete it).
fn null_member(members: &Members) -> bool {
    members.iter().any(|(_, v)| match v {
        Value::Null => true,
        Value::Object(m) => null_member(m),
        _ => false,
    })
}

/// RFC 7396 `MergePatch(target, patch)`.
fn merge_patch<'a>(target: &Value<'a>, patch: &Value<'a>) -> Value<'a> {
    let Value::Object(changes) = patch else {
        return patch.clone();
    };
    let mut members = match target {
        Value::Object(m) => m.clone(),
        _ => Vec::new(),
    };
    for (key, change) in changes {
        let at = members.iter().position(|(k, _)| json::same_string(k, key));
        match (at, change) {
            (Some(at), Value::Null) => {
                members.remove(at);
            }
            (None, Value::Null) => {}
            (Some(at), _) => members[at].1 = merge_patch(&members[at].1, change),
            (None, _) => members.push((key, merge_patch(&Value::Null, change))),
        }
    }
    Value::Object(members)
}

/// Every member of `patch` is a change: a removal of a member `old` has and `new` lacks, a
/// non-empty sub-patch where both sides are objects, or a new value.
fn check_minimal(old: &Members, new: &Members, patch: &Members) {
    for (key, change) in patch {
        match (member(old, key), member(new, key), change) {
            (Some(_), None, Value::Null) => {}
            (Some(Value::Object(o)), Some(Value::Object(n)), Value::Object(p)) => {
                assert!(!p.is_empty(), "empty sub-patch at {key:?}");
                check_minimal(o, n, p);
            }
            (o, Some(n), _) => {
                assert!(same(change, n), "patch value differs from new at {key:?}");
                assert!(!o.is_some_and(|o| same(o, n)), "unchanged member {key:?}");
            }
            _ => panic!("patch member {key:?} is neither a change nor a removal"),
        }
    }
}
