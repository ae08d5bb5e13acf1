//! Native tests running every `cookie@1.1.1` conformance vector in `tests/conformance/`.
//!
//! Parse vectors go through [`parse::pairs`] + [`percent::decode`] and [`parse::get`];
//! serialize vectors through [`serialize::serialize`].
//!
//! Options are mapped to [`serialize::Options`] the way `js/cookie.js` maps them, with JS
//! truthiness. Vectors whose `encode` or `decode` is a function placeholder are skipped: the
//! custom function runs on the JS side, never here.
use std::collections::BTreeMap;

use serde_json::Value;

use crate::{parse, percent, serialize};

/// The vectors of one file under `tests/conformance/`.
fn load(file: &str) -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/").to_string() + file;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    match serde_json::from_str(&text).unwrap() {
        Value::Array(vectors) => vectors,
        other => panic!("{path}: not an array: {other}"),
    }
}

/// How many vectors of a file were checked and skipped.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    parse: usize,
    parse_skipped: usize,
    serialize: usize,
    serialize_skipped: usize,
}

/// Run every vector of `file`, panicking with all the failures at the end.
fn run(file: &str) -> Counts {
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for (i, v) in load(file).iter().enumerate() {
        let result = match v["kind"].as_str() {
            Some("parse") => {
                if v["options"].get("decode").is_some() {
                    counts.parse_skipped += 1;
                    continue;
                }
                counts.parse += 1;
                check_parse(v)
            }
            Some("serialize") => {
                if v["options"].get("encode").is_some() {
                    counts.serialize_skipped += 1;
                    continue;
                }
                counts.serialize += 1;
                check_serialize(v)
            }
            other => panic!("{file}[{i}]: unknown kind {other:?}"),
        };
        if let Err(why) = result {
            failures.push(format!("{file}[{i}] {v}\n    {why}"));
        }
    }
    println!("{file}: {counts:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    counts
}

/// `parse(input)` built from [`parse::pairs`] and [`percent::decode`] (first name wins), and
/// [`parse::get`] for every name, against `expected`.
fn check_parse(v: &Value) -> Result<(), String> {
    let input = v["input"].as_str().ok_or("input is not a string")?;
    let expected: BTreeMap<String, String> = match &v["expected"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, x)| (k.clone(), x.as_str().expect("string value").to_string()))
            .collect(),
        other => return Err(format!("expected is not an object: {other}")),
    };
    let mut got = BTreeMap::new();
    for (name, value) in parse::pairs(input) {
        got.entry(name.to_string())
            .or_insert_with(|| percent::decode(value).into_owned());
    }
    if got != expected {
        return Err(format!("pairs+decode gave {got:?}"));
    }
    for (name, value) in &expected {
        let got = parse::get(input, name);
        if got.as_deref() != Some(value.as_str()) {
            return Err(format!("get({name:?}) gave {got:?}"));
        }
    }
    let absent = "\u{1}not-a-cookie";
    if parse::get(input, absent).is_some() {
        return Err(String::from("get found a name that is not there"));
    }
    Ok(())
}

/// `serialize(name, value, options)` against `expected`: the string or the error message.
fn check_serialize(v: &Value) -> Result<(), String> {
    let name = v["name"].as_str().ok_or("name is not a string")?;
    let value = v["value"].as_str().ok_or("value is not a string")?;
    let opts = &v["options"];
    let domain = js_string_option(&opts["domain"]);
    let path = js_string_option(&opts["path"]);
    let priority = match &opts["priority"] {
        x if !truthy(x) => None,
        Value::String(s) => Some(s.clone()),
        _ => Some(String::from("!")),
    };
    let same_site = match &opts["sameSite"] {
        x if !truthy(x) => None,
        Value::Bool(true) => Some(String::from("strict")),
        Value::String(s) => Some(s.clone()),
        _ => Some(String::from("!")),
    };
    let options = serialize::Options {
        max_age: max_age(opts.get("maxAge")),
        domain: domain.as_deref(),
        path: path.as_deref(),
        expires: expires(&opts["expires"]),
        http_only: truthy(&opts["httpOnly"]),
        secure: truthy(&opts["secure"]),
        partitioned: truthy(&opts["partitioned"]),
        priority: priority.as_deref(),
        same_site: same_site.as_deref(),
    };
    let got = serialize::serialize(name, value, false, &options);
    match (&v["expected"], &got) {
        (Value::String(want), Ok(s)) if want == s => Ok(()),
        (Value::Object(want), Err(e)) if want.get("message") == Some(&Value::from(e.as_str())) => {
            Ok(())
        }
        _ => Err(format!("got {got:?} from {options:?}")),
    }
}

/// JS truthiness of a JSON value (placeholders are objects, so truthy).
fn truthy(x: &Value) -> bool {
    match x {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `o.domain ? String(o.domain) : undefined` (and the same for `path`).
fn js_string_option(x: &Value) -> Option<String> {
    match x {
        x if !truthy(x) => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some(String::from("true")),
        other => panic!("no String() for {other}"),
    }
}

/// `maxAge`: absent is `None`; an integer is itself; anything else (`null`, strings, fractions,
/// Infinity) is NaN, which fails `Number.isInteger` as it does in JS.
fn max_age(x: Option<&Value>) -> Option<f64> {
    match x? {
        Value::Number(n) => Some(n.as_f64().unwrap()),
        Value::Object(o) if o.get("$number") == Some(&Value::from("Infinity")) => {
            Some(f64::INFINITY)
        }
        Value::Object(o) if o.get("$number") == Some(&Value::from("-Infinity")) => {
            Some(f64::NEG_INFINITY)
        }
        _ => Some(f64::NAN),
    }
}

/// `expires`: a `{"$date": ...}` placeholder is its time in ms (NaN for `"Invalid"`), another
/// truthy value is NaN (not a `Date`), a falsy one is `None`.
fn expires(x: &Value) -> Option<f64> {
    if !truthy(x) {
        return None;
    }
    match x.get("$date").and_then(Value::as_str) {
        Some(iso) => Some(iso_ms(iso)),
        None => Some(f64::NAN),
    }
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.sss]Z`; NaN for anything else.
fn iso_ms(s: &str) -> f64 {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
    };
    let shape_ok = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[b.len() - 1] == b'Z';
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0, 4),
        num(5, 2),
        num(8, 2),
        num(11, 2),
        num(14, 2),
        num(17, 2),
    ) else {
        return f64::NAN;
    };
    if !shape_ok {
        return f64::NAN;
    }
    let ms = match b.len() {
        20 => 0,
        24 if b[19] == b'.' => match num(20, 3) {
            Some(ms) => ms,
            None => return f64::NAN,
        },
        _ => return f64::NAN,
    };
    // Howard Hinnant's days_from_civil.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (((days * 24 + h) * 60 + mi) * 60 + sec) as f64 * 1000.0 + ms as f64
}

#[test]
fn iso_parser() {
    assert_eq!(iso_ms("1970-01-01T00:00:00Z"), 0.0);
    assert_eq!(iso_ms("2000-12-24T10:30:59.900Z"), 977_653_859_900.0);
    assert_eq!(iso_ms("1969-12-31T23:59:59.999Z"), -1.0);
    assert!(iso_ms("Invalid").is_nan());
}

#[test]
fn absent_and_null_options_differ() {
    let v: Value = serde_json::from_str(r#"{"options":{"maxAge":null}}"#).unwrap();
    assert!(max_age(v["options"].get("maxAge")).unwrap().is_nan());
    assert_eq!(max_age(v["options"].get("other")), None);
    assert_eq!(max_age(v["missing"].get("maxAge")), None);
}

#[test]
fn cookie_v1_vectors() {
    let counts = run("cookie-v1.json");
    assert_eq!(
        counts,
        Counts {
            parse: 85,
            parse_skipped: 2,
            serialize: 386,
            serialize_skipped: 15
        }
    );
}

#[test]
fn http_state_vectors() {
    let counts = run("cookie-header-http-state.json");
    assert_eq!(
        counts,
        Counts {
            parse: 135,
            ..Counts::default()
        }
    );
}
