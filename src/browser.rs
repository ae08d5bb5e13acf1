//! The wasm build's own face, tested in real headless browsers (Chromium, Firefox) through
//! wasm-bindgen-test: parse, serialise, ids (from the browser's `crypto.getRandomValues`), diff.

use crate::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// What the JS side does per request: write the header into the scratch buffer, call `find`,
/// then take the id from the header and the key from the buffer (or, on a cache hit, the key
/// kept from before: here, computed again). As one string: flag, id, key.
fn read(codec: &mut Codec, header: &str) -> Option<String> {
    let at = scratch_pointer();
    // SAFETY: the scratch buffer is ours between calls; the header fits (tests use short ones).
    let buf = unsafe { std::slice::from_raw_parts_mut(at, OUT_AT) };
    buf[..header.len()].copy_from_slice(header.as_bytes());
    let found = codec.find(header.len());
    if found <= AMBIGUOUS {
        return None;
    }
    let start = (found >> 9) as usize - 1;
    let (resign, uuid, hit) = (found & 128 != 0, found & 64 != 0, found & 32 != 0);
    let len = if uuid { 36 } else { 43 };
    let id = &header[start..start + len];
    assert_eq!(&buf[ID_AT..ID_AT + len], id.as_bytes());
    let key = match (uuid, hit) {
        (true, _) => String::from(id),
        (false, true) => hash_id(id),
        (false, false) => String::from(std::str::from_utf8(&buf[KEY_AT..KEY_AT + 43]).unwrap()),
    };
    Some([if resign { "1" } else { "0" }, id, &key].concat())
}

#[wasm_bindgen_test]
fn reads_the_session_cookie_among_others() {
    let mut codec = Codec::new("sid".into(), vec![], None, None);
    let id = id::generate();
    let header = [
        "_ga=GA1.2.3; theme=dark; sid=",
        &id,
        "; sid2=second; xsid=third",
    ]
    .concat();
    assert_eq!(
        read(&mut codec, &header).unwrap(),
        ["0", &id, &hash_id(&id)].concat()
    );
    // Again: a cache hit, same answer.
    assert_eq!(
        read(&mut codec, &header).unwrap(),
        ["0", &id, &hash_id(&id)].concat()
    );
    // The name twice: no session, whichever comes first.
    assert_eq!(
        read(&mut codec, &[&header, "; sid=", &id::generate()].concat()),
        None
    );
    assert_eq!(parse::get("a=%20b%3B; a=2", "a").as_deref(), Some(" b;"));
    assert_eq!(
        parse::get("a=%E0%A4%A; b=1", "a").as_deref(),
        Some("%E0%A4%A")
    );
    assert_eq!(read(&mut codec, "sid=not-an-id"), None);
    assert_eq!(read(&mut codec, "other=1"), None);
    let pairs = cookie_pairs("foo=\"bar\"; x; y = 1 ", true);
    assert_eq!(pairs.length(), 4);
    assert_eq!(pairs.get(1).as_string().as_deref(), Some("\"bar\""));
    assert_eq!(pairs.get(3).as_string().as_deref(), Some("1"));
}

#[wasm_bindgen_test]
fn serialises_like_cookie_1() {
    let out = serialize_cookie(
        "sid",
        "a b",
        false,
        Some(3600.0),
        Some("example.com".into()),
        Some("/".into()),
        Some(946_684_800_000.0),
        true,
        true,
        true,
        Some("HIGH".into()),
        Some("lax".into()),
    )
    .unwrap();
    assert_eq!(
        out,
        "sid=a%20b; Max-Age=3600; Domain=example.com; Path=/; Expires=Sat, 01 Jan 2000 00:00:00 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=Lax"
    );
    let err = serialize_cookie(
        "a;b", "x", false, None, None, None, None, false, false, false, None, None,
    )
    .unwrap_err();
    assert_eq!(
        error_message(err.as_f64().unwrap() as u32),
        "argument name is invalid"
    );
    let err = serialize_cookie(
        "a",
        "x",
        false,
        Some(1.5),
        None,
        None,
        None,
        false,
        false,
        false,
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(
        error_message(err.as_f64().unwrap() as u32),
        "option maxAge is invalid"
    );
}

#[wasm_bindgen_test]
fn ids_come_from_the_browser_csprng() {
    let a = id::generate();
    let b = id::generate();
    assert_eq!(a.len(), 43);
    assert_ne!(a, b);
    assert!(id::is_valid(&a));
    assert!(id::is_valid("3b241101-e2bb-4255-8caf-4136c566a962"));
    assert!(!id::is_valid("x"));
    // Past one pool of ids, so the refill runs in the browser too.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        assert!(seen.insert(id::generate()));
    }
}

#[wasm_bindgen_test]
fn signs_and_verifies_cookies_with_key_rotation() {
    let mut old = Codec::new(
        "sid".into(),
        vec!["an old secret of thirty-two chars!".into()],
        None,
        None,
    );
    let mut new = Codec::new(
        "sid".into(),
        vec![
            "the new secret, thirty-two chars!".into(),
            "an old secret of thirty-two chars!".into(),
        ],
        None,
        None,
    );
    let issued = old.issue();
    let (id, key, value) = (&issued[..43], &issued[43..86], &issued[86..]);
    assert_eq!(key, hash_id(id));
    assert_eq!(value.len(), 87);
    let header = ["sid=", value].concat();
    // Signed with the retired key: still valid, flagged for re-signing.
    assert_eq!(read(&mut new, &header).unwrap(), ["1", id, key].concat());
    assert_eq!(read(&mut old, &header).unwrap(), ["0", id, key].concat());
    let fresh = new.cookie_value(id);
    assert_eq!(
        read(&mut new, &["sid=", &fresh].concat()).unwrap(),
        ["0", id, key].concat()
    );
    // A bare id, a tampered tag, another key: rejected.
    assert_eq!(read(&mut new, &["sid=", id].concat()), None);
    let mut tampered = String::from(value);
    tampered.replace_range(50..51, if &value[50..51] == "A" { "B" } else { "A" });
    assert_eq!(read(&mut new, &["sid=", &tampered].concat()), None);
    let mut other = Codec::new(
        "sid".into(),
        vec!["some entirely different secret!!!".into()],
        None,
        None,
    );
    assert_eq!(read(&mut other, &header), None);
    // 0.4's unsigned UUIDs still load, keyed as 0.4 stored them.
    let uuid = "3b241101-e2bb-4255-8caf-4136c566a962";
    assert_eq!(
        read(&mut new, &["sid=", uuid].concat()).unwrap(),
        ["0", uuid, uuid].concat()
    );
}

#[wasm_bindgen_test]
fn diffs_sessions() {
    assert_eq!(diff_session(r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#), "");
    assert_eq!(
        diff_session(r#"{"a":1,"b":2}"#, r#"{"a":1,"b":3,"c":[1]}"#),
        r#"{"b":3,"c":[1]}"#
    );
    assert_eq!(
        diff_session(r#"{"a":1,"b":2}"#, r#"{"a":1}"#),
        r#"{"b":null}"#
    );
    assert_eq!(diff_session(r#"{"a":1}"#, r#"{"a":null}"#), "replace");
    assert_eq!(diff_session("not json", r#"{"a":1}"#), "replace");
}
