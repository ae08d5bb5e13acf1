//! The WebAssembly face of itty-session's core: one call per request phase, few short strings.
//!
//! Everything here is internal to the JS shim (`js/`), except what `itty-session/cookie`
//! re-exports through `js/cookie.js`. The modules below are plain Rust with their own tests.
#![deny(missing_docs)]
use wasm_bindgen::prelude::*;

#[cfg(all(test, target_arch = "wasm32"))]
mod browser;
mod cache;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod conformance;
mod diff;
mod error;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz_replay;
mod id;
mod json;
mod parse;
mod percent;
mod serialize;
mod sha256;
mod sign;

pub use error::Error;

/// All name/value pairs of a `Cookie` header in the order `cookie@1`'s `parse` walks them,
/// duplicates included, flattened as `[name, value, name, value, ...]`. Values are
/// percent-decoded as `cookie@1` does when `decode` is true, raw otherwise (the JS side then
/// applies a custom `decode` function). The JS side keeps the first defined value per name.
#[wasm_bindgen(js_name = cookiePairs)]
pub fn cookie_pairs(header: &str, decode: bool) -> js_sys::Array {
    let out = js_sys::Array::new();
    for (name, value) in parse::pairs(header) {
        out.push(&JsValue::from_str(name));
        if decode {
            out.push(&JsValue::from_str(&percent::decode(value)));
        } else {
            out.push(&JsValue::from_str(value));
        }
    }
    out
}

/// `serialize(name, value, options)` of `cookie@1`. The JS side has already applied JS
/// truthiness and `String()` to every option (see `js/cookie.js`); `encoded` says `value` is
/// the output of a custom `encode` and is only to be validated. On error, throws the index of
/// the [`Error`] (a number); the JS side turns it into `cookie@1`'s `TypeError` message.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = serializeCookie)]
pub fn serialize_cookie(
    name: &str,
    value: &str,
    encoded: bool,
    max_age: Option<f64>,
    domain: Option<String>,
    path: Option<String>,
    expires: Option<f64>,
    http_only: bool,
    secure: bool,
    partitioned: bool,
    priority: Option<String>,
    same_site: Option<String>,
) -> Result<String, JsValue> {
    let options = serialize::Options {
        max_age,
        domain: domain.as_deref(),
        path: path.as_deref(),
        expires,
        http_only,
        secure,
        partitioned,
        priority: priority.as_deref(),
        same_site: same_site.as_deref(),
    };
    serialize::serialize(name, value, encoded, &options).map_err(|e| JsValue::from(e as u32))
}

/// The message of an [`Error`] index thrown by [`serialize_cookie`], e.g.
/// `"option maxAge is invalid"`.
#[wasm_bindgen(js_name = errorMessage)]
pub fn error_message(code: u32) -> String {
    String::from(Error::from_index(code).as_str())
}

/// A new session id: 32 bytes from the platform CSPRNG as 43 characters of base64url, written
/// at [`OUT_AT`] of the scratch buffer (the JS side decodes it: cheaper than returning a
/// `String`). Random bytes are drawn in pooled batches, never at module load.
#[wasm_bindgen(js_name = writeSessionId)]
pub fn write_session_id() {
    write_out(0, id::generate().as_bytes());
}

/// Copy `bytes` to the scratch buffer at [`OUT_AT`] + `at`.
fn write_out(at: usize, bytes: &[u8]) {
    // SAFETY: wasm is single-threaded; the scratch buffer is only read by the caller after
    // this call returns.
    let buf = unsafe { &mut *SCRATCH.0.get() };
    let at = OUT_AT + at;
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The storage key for `id`: SHA-256 of it as 43 base64url characters, so a copy of the table
/// opens no session (and logs can name a session without naming its id).
#[wasm_bindgen(js_name = hashId)]
pub fn hash_id(id: &str) -> String {
    sign::hash_id(id)
}

/// One middleware's session cookie: its name (and a previous name still read while migrating),
/// whether itty-session 0.4's UUID ids are accepted, its keys when signing (set up once, with
/// the HMAC pads precomputed) and its cache of verified values. Each request phase is one call.
#[wasm_bindgen]
pub struct Codec {
    name: String,
    /// `""`: no previous name.
    legacy_name: String,
    accept_uuid: bool,
    keys: Option<sign::Keys>,
    cache: cache::Cache,
    /// The buffer for a header longer than [`HEADER_CAP`] bytes: made by
    /// [`reserve_header`](Codec::reserve_header), released by the `find` that reads it.
    big_header: Vec<u8>,
}

#[wasm_bindgen]
impl Codec {
    /// A codec for the cookie `name`, signing with `secrets[0]` and verifying with all of them
    /// (no secrets: unsigned cookies). `legacy_name` (`""` or absent: none) is a second cookie
    /// name still read, for a cookie set before the name changed. `accept_uuid` (absent: true)
    /// says whether itty-session 0.4's unsigned UUID ids are accepted.
    #[wasm_bindgen(constructor)]
    pub fn new(
        name: String,
        secrets: Vec<String>,
        legacy_name: Option<String>,
        accept_uuid: Option<bool>,
    ) -> Codec {
        let keys = if secrets.is_empty() {
            None
        } else {
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            Some(sign::Keys::new(&refs))
        };
        let mut legacy_name = legacy_name.unwrap_or_default();
        if legacy_name == name {
            legacy_name.clear();
        }
        Codec {
            name,
            legacy_name,
            accept_uuid: accept_uuid.unwrap_or(true),
            keys,
            cache: cache::Cache::default(),
            big_header: Vec::new(),
        }
    }

    /// A buffer of `len` bytes for a `Cookie` header too long for the scratch buffer; its
    /// address (null when `len` is not over [`HEADER_CAP`] or is over the cap). The caller
    /// writes the header there and calls [`find`](Codec::find) with its length, which releases
    /// the buffer. Making it may grow the module's memory: views of it taken before are then
    /// stale.
    #[wasm_bindgen(js_name = reserveHeader)]
    pub fn reserve_header(&mut self, len: usize) -> *mut u8 {
        if len <= HEADER_CAP || len > MAX_HEADER_BYTES {
            return core::ptr::null_mut();
        }
        self.big_header.clear();
        self.big_header.resize(len, 0);
        self.big_header.as_mut_ptr()
    }

    /// Find the session in the `Cookie` header whose UTF-8 bytes (`len` of them) the caller
    /// wrote to the start of the scratch buffer, or, when `len` is over [`HEADER_CAP`], to the
    /// buffer [`reserve_header`](Codec::reserve_header) gave (released by this call). The
    /// per-request read: no JS string crosses, and the result is one number:
    ///
    /// - [`ABSENT`]: no cookie with the name, and no usable one with the previous name;
    /// - [`BAD`]: exactly one cookie with the name, malformed, forged, badly signed, or a UUID
    ///   when UUIDs are not accepted (a bad cookie under the previous name is [`ABSENT`]: it may
    ///   belong to another app on the domain);
    /// - [`AMBIGUOUS`]: more than one cookie with the name (or, without it, with the previous
    ///   name): one may be planted, and none is picked by position;
    /// - otherwise a session: `((start + 1) << 9) | (legacy << 8) | (resign << 7) | (uuid << 6)
    ///   | (hit << 5) | slot`. `start` is the byte offset of the id in the header (it is also
    ///   written at [`ID_AT`]); `legacy`: found under the previous name; `resign`: signed with a
    ///   retired secret; `uuid`: a 36-character 0.4 id, stored under itself (then `hit` and
    ///   `slot` are 0); else a 43-character id whose storage key is either cached (`hit`: the
    ///   caller kept it when it filled `slot`) or written at [`KEY_AT`], `slot` now holding it.
    pub fn find(&mut self, len: usize) -> u32 {
        let big;
        let header = if len <= HEADER_CAP {
            // SAFETY: wasm is single-threaded and the scratch buffer is only touched by the
            // caller between calls, never during one.
            let buf = unsafe { &*SCRATCH.0.get() };
            &buf[..len]
        } else {
            big = core::mem::take(&mut self.big_header);
            match big.get(..len) {
                Some(header) => header,
                None => return ABSENT,
            }
        };
        let Ok(header) = core::str::from_utf8(header) else {
            return ABSENT;
        };
        let found = self.locate(header);
        let Found::Session(s) = found else {
            return found.code();
        };
        let mut id = [0u8; id::ID_LEN];
        id[..s.id_len].copy_from_slice(&header.as_bytes()[s.start..s.start + s.id_len]);
        // SAFETY: as above; the header borrow is no longer used.
        let buf = unsafe { &mut *SCRATCH.0.get() };
        buf[ID_AT..ID_AT + id::ID_LEN].copy_from_slice(&id);
        if let Cached::Filled(_, key) = &s.cache {
            buf[KEY_AT..KEY_AT + id::ID_LEN].copy_from_slice(key.as_bytes());
        }
        Found::Session(s).code()
    }

    /// A new session: its id (43 characters), its storage key (43) and its cookie value (the
    /// id, or the signed id), concatenated and written at [`OUT_AT`] of the scratch buffer.
    /// Returns how many bytes were written.
    #[wasm_bindgen(js_name = issueInto)]
    pub fn issue_into(&self) -> usize {
        let issued = self.issue();
        write_out(0, issued.as_bytes());
        issued.len()
    }

    /// The cookie value for an existing `id`: signed with the current key when signing.
    #[wasm_bindgen(js_name = cookieValue)]
    pub fn cookie_value(&self, id: &str) -> String {
        match &self.keys {
            Some(keys) => keys.sign(id),
            None => String::from(id),
        }
    }
}

/// [`Codec::find`]: no session cookie.
pub const ABSENT: u32 = 0;
/// [`Codec::find`]: one session cookie, not one of ours (the clearing cookie is due).
pub const BAD: u32 = 1;
/// [`Codec::find`]: more than one session cookie.
pub const AMBIGUOUS: u32 = 2;

/// What [`Codec::locate`] found in a header.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Absent,
    Bad,
    Ambiguous,
    Session(Session),
}

/// A well-formed, well-signed session cookie.
#[derive(Debug, PartialEq, Eq)]
struct Session {
    /// Byte offset of the id (the start of the cookie's value) in the header.
    start: usize,
    /// 43 (ours) or 36 (a 0.4 UUID).
    id_len: usize,
    /// Signed with a retired secret: to be re-signed.
    resign: bool,
    /// Found under the previous cookie name: to be set again under the current one.
    legacy: bool,
    cache: Cached,
}

/// Where the storage key of a found id comes from.
#[derive(Debug, PartialEq, Eq)]
enum Cached {
    /// A 0.4 UUID: stored under itself, never cached.
    Uuid,
    /// Verified before: the key the caller kept for this slot.
    Hit(usize),
    /// Verified now: the key, now cached in this slot.
    Filled(usize, String),
}

impl Found {
    /// The number [`Codec::find`] returns for it.
    fn code(&self) -> u32 {
        let s = match self {
            Found::Absent => return ABSENT,
            Found::Bad => return BAD,
            Found::Ambiguous => return AMBIGUOUS,
            Found::Session(s) => s,
        };
        let (uuid, hit, slot) = match s.cache {
            Cached::Uuid => (1, 0, 0),
            Cached::Hit(slot) => (0, 1, slot),
            Cached::Filled(slot, _) => (0, 0, slot),
        };
        // `start` is below MAX_HEADER_BYTES (3 MiB < 2^22), so the shift stays within 31 bits.
        ((s.start as u32 + 1) << 9)
            | (u32::from(s.legacy) << 8)
            | (u32::from(s.resign) << 7)
            | (uuid << 6)
            | (hit << 5)
            | slot as u32
    }
}

impl Codec {
    /// [`issue_into`](Codec::issue_into) as a `String`.
    pub fn issue(&self) -> String {
        let id = id::generate();
        let mut out = String::with_capacity(3 * id::ID_LEN + 44);
        out.push_str(&id);
        out.push_str(&sign::hash_id(&id));
        match &self.keys {
            Some(keys) => out.push_str(&keys.sign(&id)),
            None => out.push_str(&id),
        }
        out
    }

    /// The session cookie in `header`, by exact name: every cookie of the header is looked at,
    /// so a duplicate anywhere makes it [`Found::Ambiguous`]. The raw value must be the id (or
    /// signed id) as we issue it: ids never hold `%`, so unlike `parse`, nothing is
    /// percent-decoded.
    fn locate(&mut self, header: &str) -> Found {
        let mut current = None;
        let mut previous = None;
        let mut previous_count = 0usize;
        for (name, value) in parse::pairs(header) {
            if name == self.name {
                if current.is_some() {
                    return Found::Ambiguous;
                }
                current = Some(value);
            } else if name == self.legacy_name && !self.legacy_name.is_empty() {
                previous_count += 1;
                previous = previous.or(Some(value));
            }
        }
        let (value, legacy) = match (current, previous) {
            (Some(value), _) => (value, false),
            (None, Some(_)) if previous_count > 1 => return Found::Ambiguous,
            (None, Some(value)) => (value, true),
            (None, None) => return Found::Absent,
        };
        let start = value.as_ptr() as usize - header.as_ptr() as usize;
        match self.check(value) {
            Some((id_len, resign, cache)) => Found::Session(Session {
                start,
                id_len,
                resign,
                legacy,
                cache,
            }),
            // Under the previous name, a cookie may be another app's: leave it alone.
            None if legacy => Found::Absent,
            None => Found::Bad,
        }
    }

    /// Whether the cookie value `value` is a session id of ours (signed when signing) or an
    /// accepted 0.4 UUID: its id's length, whether it was signed with a retired secret, and
    /// where its storage key comes from. A value verified before skips HMAC and SHA-256.
    fn check(&mut self, value: &str) -> Option<(usize, bool, Cached)> {
        // Ids issued by itty-session 0.4 were never signed: accepted as they are (unless the
        // middleware stopped accepting them), so that upgrading loses nobody, and moved to a
        // new signed id on first sight.
        if id::is_legacy(value) {
            return self.accept_uuid.then_some((UUID_LEN, false, Cached::Uuid));
        }
        if let Some((slot, resign)) = self.cache.lookup(value) {
            return Some((id::ID_LEN, resign, Cached::Hit(slot)));
        }
        let (id, key_index) = match &self.keys {
            Some(keys) => keys.verify(value)?,
            None if id::is_ours(value) => (value, 0),
            None => return None,
        };
        let resign = key_index > 0;
        if id::is_legacy(id) {
            // A UUID signed by us (an id from a 0.4-style provider): stored under itself.
            return self.accept_uuid.then_some((UUID_LEN, resign, Cached::Uuid));
        }
        let key = sign::hash_id(id);
        // Every id of ours (43 or 87 characters) has a slot; were there none, slot 0 is named
        // and the caller's check of the slot's id sends the next hit there to the slow path.
        let slot = self.cache.fill(value, resign).unwrap_or(0);
        Some((id::ID_LEN, resign, Cached::Filled(slot, key)))
    }
}

/// Characters in a UUID, the ids itty-session 0.4 issued.
const UUID_LEN: usize = 36;

/// The longest `Cookie` header read, in UTF-16 code units (JS string length): 1 MiB. Browsers
/// send at most about 180 cookies of 4 KiB per site (~720 KiB); a longer header is no session.
pub const MAX_HEADER_UNITS: usize = 1 << 20;
/// The longest header in UTF-8 bytes: 3 per UTF-16 unit at most.
const MAX_HEADER_BYTES: usize = 3 * MAX_HEADER_UNITS;

/// Bytes of the scratch buffer: a Cookie header of up to [`HEADER_CAP`] bytes, the storage key,
/// the found id, then room for a new session (id, key, signed value).
const SCRATCH_LEN: usize = OUT_AT + 192;
/// The longest header the scratch buffer holds: 8 KiB of UTF-16 units at 3 bytes each.
pub const HEADER_CAP: usize = 3 * 8192;
/// Where [`Codec::find`] writes the storage key.
pub const KEY_AT: usize = HEADER_CAP;
/// Where [`Codec::find`] writes the id it found.
pub const ID_AT: usize = KEY_AT + 64;
/// Where new ids and sessions are written.
pub const OUT_AT: usize = ID_AT + 64;

struct Scratch(core::cell::UnsafeCell<[u8; SCRATCH_LEN]>);
// SAFETY: wasm32-unknown-unknown is single-threaded; see `Codec::find`.
unsafe impl Sync for Scratch {}
static SCRATCH: Scratch = Scratch(core::cell::UnsafeCell::new([0; SCRATCH_LEN]));

/// Where the scratch buffer starts in the module's memory: the JS side encodes a request's
/// `Cookie` header there with `TextEncoder.encodeInto` (one native copy) before [`Codec::find`].
#[wasm_bindgen(js_name = scratchPointer)]
pub fn scratch_pointer() -> *mut u8 {
    SCRATCH.0.get().cast()
}

/// The scratch buffer's layout, for the JS side:
/// `[KEY_AT, ID_AT, OUT_AT, SCRATCH_LEN, MAX_HEADER_UNITS]` (`KEY_AT` is also [`HEADER_CAP`]).
#[wasm_bindgen(js_name = scratchLayout)]
pub fn scratch_layout() -> Vec<u32> {
    vec![
        KEY_AT as u32,
        ID_AT as u32,
        OUT_AT as u32,
        SCRATCH_LEN as u32,
        MAX_HEADER_UNITS as u32,
    ]
}

/// Compare the session JSON as loaded (`old`) with the session JSON at the end of the request
/// (`new`). Returns `""` when nothing changed (key order alone is no change), an RFC 7396 JSON
/// merge patch (starting with `{`) that turns `old` into `new`, or `"replace"` when a merge
/// patch cannot say it (a value set to `null`, a root that is not an object, `old` not JSON).
#[wasm_bindgen(js_name = diffSession)]
pub fn diff_session(old: &str, new: &str) -> String {
    match diff::diff(old, new) {
        diff::Diff::Unchanged => String::new(),
        diff::Diff::Patch(p) => p,
        diff::Diff::Replace => String::from("replace"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Keys;

    const ID: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const UUID: &str = "3b241101-e2bb-4255-8caf-4136c566a962";
    const K1: &str = "k1 a signing secret of 32 characters";
    const K0: &str = "k0 the newer secret, 32 characters!!";

    fn codec(name: &str, secrets: &[&str], legacy: &str, accept_uuid: bool) -> Codec {
        let secrets = secrets.iter().map(|s| String::from(*s)).collect();
        Codec::new(name.into(), secrets, Some(legacy.into()), Some(accept_uuid))
    }

    /// `locate`, summed up: `None` for no session, else (id, key or "" on a hit, resign, legacy).
    fn session(c: &mut Codec, header: &str) -> Result<(String, String, bool, bool), Found> {
        match c.locate(header) {
            Found::Session(s) => {
                let id = header[s.start..s.start + s.id_len].to_string();
                let key = match s.cache {
                    Cached::Uuid => id.clone(),
                    Cached::Hit(_) => String::new(),
                    Cached::Filled(_, key) => key,
                };
                Ok((id, key, s.resign, s.legacy))
            }
            other => Err(other),
        }
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn finds_by_exact_name_only() {
        let mut c = codec("sid", &[], "", true);
        let key = hash_id(ID);
        for header in [
            format!("sid={ID}"),
            format!("connect.sid=s%3Aabc.def; sid={ID}"),
            format!("xsid=1; sid2=2; sid={ID}; Sid=3; SID=4; sid.=5"),
            format!("  sid\t=  {ID}  ;x=1"),
        ] {
            let mut fresh = codec("sid", &[], "", true);
            assert_eq!(
                session(&mut fresh, &header),
                Ok((ID.into(), key.clone(), false, false)),
                "{header}"
            );
        }
        for header in [
            "connect.sid=s%3Aabc.def",
            "xsid=1; sid2=2",
            "sid2=x; xsid=y; SID=z",
            "",
            "sid",
            "a=sid=1",
        ] {
            let with_id = header.replace('1', ID);
            assert_eq!(c.locate(header), Found::Absent, "{header}");
            assert_eq!(c.locate(&with_id), Found::Absent, "{with_id}");
        }
        assert_eq!(
            c.locate(&format!("connect.sid={ID}; xsid={ID}; sid2={ID}")),
            Found::Absent
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn malformed_forged_or_badly_signed_is_bad() {
        let mut plain = codec("__Host-sid", &[], "sid", true);
        let mut signed = codec("__Host-sid", &[K1], "sid", true);
        let good = Keys::new(&[K1]).sign(ID);
        let foreign = Keys::new(&["some other secret of 32 characters!"]).sign(ID);
        for value in [
            "",
            "x",
            "not-an-id",
            &ID[..42],
            "' OR 1=1 --",
            "\"quoted\"",
            &format!("{ID}%20"),
        ] {
            let header = format!("a=1; __Host-sid={value}; b=2");
            assert_eq!(plain.locate(&header), Found::Bad, "{header}");
            assert_eq!(signed.locate(&header), Found::Bad, "{header}");
        }
        // Signing: a bare id, a tag from another secret, a tampered tag.
        for value in [ID.to_string(), foreign, format!("{}A", &good[..86])] {
            if value == good {
                continue;
            }
            assert_eq!(
                signed.locate(&format!("__Host-sid={value}")),
                Found::Bad,
                "{value}"
            );
        }
        assert!(matches!(
            signed.locate(&format!("__Host-sid={good}")),
            Found::Session(_)
        ));
        // An unsigned codec does not take a signed value.
        assert_eq!(plain.locate(&format!("__Host-sid={good}")), Found::Bad);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn duplicates_are_ambiguous_never_picked_by_position() {
        let mut c = codec("__Host-sid", &[], "sid", true);
        let other = id::generate();
        for header in [
            format!("__Host-sid={ID}; __Host-sid={other}"),
            format!("__Host-sid={ID}; __Host-sid={ID}"),
            format!("__Host-sid=garbage; __Host-sid={ID}"),
            format!("__Host-sid={ID}; x=1; __Host-sid=garbage"),
            "__Host-sid=; __Host-sid=".to_string(),
            // With legacy cookies around too.
            format!("sid={other}; __Host-sid={ID}; __Host-sid={other}"),
            // Two under the previous name and none under the current one.
            format!("sid={ID}; sid={other}"),
            format!("sid=garbage; a=1; sid={ID}"),
        ] {
            assert_eq!(c.locate(&header), Found::Ambiguous, "{header}");
        }
        // The current name once: used, and any number of previous-name cookies ignored.
        let key = hash_id(ID);
        for header in [
            format!("sid={other}; __Host-sid={ID}; sid={other}"),
            format!("sid=garbage; __Host-sid={ID}"),
            format!("__Host-sid={ID}; sid={other}"),
        ] {
            let mut fresh = codec("__Host-sid", &[], "sid", true);
            assert_eq!(
                session(&mut fresh, &header),
                Ok((ID.into(), key.clone(), false, false)),
                "{header}"
            );
        }
        // The current name once but bad: bad, whatever the previous name holds.
        assert_eq!(
            c.locate(&format!("sid={ID}; __Host-sid=garbage")),
            Found::Bad
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn the_previous_name_is_read_for_migration() {
        let mut c = codec("__Host-sid", &[K0, K1], "sid", true);
        let old = Keys::new(&[K1]).sign(ID);
        let key = hash_id(ID);
        assert_eq!(
            session(&mut c, &format!("a=1; sid={old}")),
            Ok((ID.into(), key, true, true))
        );
        assert_eq!(
            session(&mut c, &format!("sid={UUID}")),
            Ok((UUID.into(), UUID.into(), false, true))
        );
        // A malformed previous-name cookie may be another app's: absent, not bad.
        for value in ["garbage", "", ID, "s%3Aabc.def"] {
            assert_eq!(c.locate(&format!("sid={value}")), Found::Absent, "{value}");
        }
        // No previous name: "sid" is just another cookie; the same name twice means none.
        let mut none = codec("__Host-sid", &[], "", true);
        assert_eq!(none.locate(&format!("sid={ID}")), Found::Absent);
        let mut same = codec("sid", &[], "sid", true);
        assert_eq!(same.legacy_name, "");
        assert_eq!(
            session(&mut same, &format!("sid={ID}")),
            Ok((ID.into(), hash_id(ID), false, false))
        );
        // Absent arguments: no previous name, UUIDs accepted (as before they existed).
        let mut defaults = Codec::new("sid".into(), vec![], None, None);
        assert_eq!(
            session(&mut defaults, &format!("sid={UUID}")),
            Ok((UUID.into(), UUID.into(), false, false))
        );
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn uuids_only_when_accepted() {
        let signed_uuid = Keys::new(&[K1]).sign(UUID);
        for secrets in [&[][..], &[K1][..]] {
            let mut yes = codec("__Host-sid", secrets, "sid", true);
            let mut no = codec("__Host-sid", secrets, "sid", false);
            let header = format!("__Host-sid={UUID}");
            assert_eq!(
                session(&mut yes, &header),
                Ok((UUID.into(), UUID.into(), false, false))
            );
            assert_eq!(
                no.locate(&header),
                Found::Bad,
                "a UUID under the current name is bad"
            );
            assert_eq!(
                no.locate(&format!("sid={UUID}")),
                Found::Absent,
                "under the previous name, ignored"
            );
            // Ours still work.
            let value = match secrets {
                [] => ID.to_string(),
                _ => Keys::new(&[K1]).sign(ID),
            };
            assert!(matches!(
                no.locate(&format!("__Host-sid={value}")),
                Found::Session(_)
            ));
        }
        // A UUID signed by us: accepted signed only when UUIDs are.
        let mut yes = codec("__Host-sid", &[K1], "", true);
        let mut no = codec("__Host-sid", &[K1], "", false);
        let header = format!("__Host-sid={signed_uuid}");
        assert_eq!(
            session(&mut yes, &header),
            Ok((UUID.into(), UUID.into(), false, false))
        );
        assert_eq!(no.locate(&header), Found::Bad);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn verified_values_are_cached_per_codec() {
        let mut c = codec("sid", &[K0, K1], "", true);
        let value = Keys::new(&[K1]).sign(ID);
        let header = format!("sid={value}");
        let slot = match c.locate(&header) {
            Found::Session(Session {
                cache: Cached::Filled(slot, key),
                resign: true,
                ..
            }) => {
                assert_eq!(key, hash_id(ID));
                slot
            }
            other => panic!("{other:?}"),
        };
        // Again, anywhere in a header: a hit in the same slot, still flagged for re-signing.
        for header in [header.clone(), format!("a=1; sid={value}; b=2")] {
            match c.locate(&header) {
                Found::Session(s) => {
                    assert_eq!(s.cache, Cached::Hit(slot));
                    assert!(s.resign);
                    assert_eq!(&header[s.start..s.start + 43], ID);
                }
                other => panic!("{other:?}"),
            }
        }
        // The same id signed with the current secret is another value: verified, then cached
        // in place of the first (same first bytes, same slot).
        let fresh = Keys::new(&[K0]).sign(ID);
        assert_eq!(
            c.locate(&format!("sid={fresh}")),
            Found::Session(Session {
                start: 4,
                id_len: 43,
                resign: false,
                legacy: false,
                cache: Cached::Filled(slot, hash_id(ID))
            })
        );
        assert!(matches!(
            c.locate(&format!("sid={fresh}")),
            Found::Session(Session {
                cache: Cached::Hit(_),
                resign: false,
                ..
            })
        ));
        assert!(
            matches!(
                c.locate(&header),
                Found::Session(Session {
                    cache: Cached::Filled(..),
                    resign: true,
                    ..
                })
            ),
            "evicted, so verified again"
        );
        // A value that failed never enters: it fails again, every time.
        let forged = format!("{}A", &value[..86]);
        for _ in 0..3 {
            assert_eq!(c.locate(&format!("sid={forged}")), Found::Bad);
        }
        // A new codec (new secrets) starts empty: what it cannot verify, it does not take.
        let mut rotated = codec("sid", &[K0], "", true);
        assert_eq!(rotated.locate(&header), Found::Bad);
        // Unsigned: the SHA-256 is what a hit skips.
        let mut plain = codec("sid", &[], "", true);
        assert!(matches!(
            plain.locate(&format!("sid={ID}")),
            Found::Session(Session {
                cache: Cached::Filled(..),
                ..
            })
        ));
        assert!(matches!(
            plain.locate(&format!("sid={ID}")),
            Found::Session(Session {
                cache: Cached::Hit(_),
                ..
            })
        ));
        // UUIDs are never cached.
        assert!(matches!(
            plain.locate(&format!("sid={UUID}")),
            Found::Session(Session {
                cache: Cached::Uuid,
                ..
            })
        ));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn huge_and_non_ascii_headers() {
        let mut c = codec("__Host-sid", &[K1], "sid", true);
        let value = Keys::new(&[K1]).sign(ID);
        // 200 KiB of other cookies, the session cookie last.
        let pad: String = (0..420)
            .map(|i| format!("pad{i}={}; ", "x".repeat(500)))
            .collect();
        assert!(pad.len() > 200 * 1024);
        let header = format!("{pad}__Host-sid={value}");
        let (id, _, _, _) = session(&mut c, &header).unwrap();
        assert_eq!(id, ID);
        assert_eq!(
            c.locate(&format!("{header}; __Host-sid={value}")),
            Found::Ambiguous
        );
        // Non-ASCII around it: byte offsets, whole characters.
        let header = format!("é=ü; 🍪=🍪🍪; name=名前; __Host-sid={value}; z=ж");
        let found = c.locate(&header);
        let Found::Session(s) = found else {
            panic!("{found:?}")
        };
        assert_eq!(&header[s.start..s.start + 43], ID);
        assert_eq!(c.locate("__Host-sid=🍪"), Found::Bad);
        assert_eq!(
            c.locate(&format!("__Host-sid={}é", &value[..85])),
            Found::Bad
        );
        assert_eq!(c.locate("🍪=__Host-sid"), Found::Absent);
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn locate_agrees_with_a_reference_on_generated_headers() {
        // Headers of random cookies (names near ours, values ours or not, signed with either
        // key, UUIDs, non-ASCII) joined by random separators with junk between, from a fixed
        // xorshift seed; the verdict is recomputed from `parse::pairs` by counting.
        let signed = Keys::new(&[K1]).sign(ID);
        let retired = Keys::new(&[K0]).sign(ID);
        let names = [
            "__Host-sid",
            "sid",
            " sid\t",
            "xsid",
            "sid2",
            "__Host-sidx",
            "é",
        ];
        let values = [
            ID,
            &signed,
            &retired,
            UUID,
            "garbage",
            "",
            "🍪",
            &signed[..86],
        ];
        let junk = ["; ", ";", " ; ", ";;", "; x; ", "; =; ", "; é=; "];
        let mut c = codec("__Host-sid", &[K1, K0], "sid", true);
        let mut x: u32 = 0x2545_F491;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as usize % n
        };
        let mut seen = [0u32; 4];
        for _ in 0..20_000 {
            let mut header = String::new();
            for _ in 0..next(5) {
                header.push_str(junk[next(junk.len())]);
                header.push_str(names[next(names.len())]);
                header.push('=');
                header.push_str(values[next(values.len())]);
            }
            let ours = |v: &str| v == ID || v == signed || v == retired || v == UUID;
            let pairs: Vec<_> = parse::pairs(&header).collect();
            let current: Vec<_> = pairs.iter().filter(|(n, _)| *n == "__Host-sid").collect();
            let previous: Vec<_> = pairs.iter().filter(|(n, _)| *n == "sid").collect();
            let found = c.locate(&header);
            let want = match (current.as_slice(), previous.as_slice()) {
                ([_, _, ..], _) | ([], [_, _, ..]) => "ambiguous",
                ([(_, v)], _) if ours(v) && *v != ID => "session",
                ([_], _) => "bad",
                ([], [(_, v)]) if ours(v) && *v != ID => "session",
                _ => "absent",
            };
            let got = match &found {
                Found::Absent => "absent",
                Found::Bad => "bad",
                Found::Ambiguous => "ambiguous",
                Found::Session(s) => {
                    let id = &header[s.start..s.start + s.id_len];
                    assert!(id == ID || id == UUID, "{header:?}: {id:?}");
                    assert_eq!(s.legacy, current.is_empty(), "{header:?}");
                    assert_eq!(
                        s.resign,
                        header[s.start..].starts_with(retired.as_str()),
                        "{header:?}"
                    );
                    "session"
                }
            };
            assert_eq!(got, want, "{header:?}");
            seen[["absent", "bad", "ambiguous", "session"]
                .iter()
                .position(|&w| w == got)
                .unwrap_or(0)] += 1;
        }
        // Every verdict came up often enough to have been tested.
        assert!(seen.iter().all(|&n| n > 1000), "{seen:?}");
    }

    /// Tests that use the scratch buffer (one process-wide static) take turns.
    static SCRATCH_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// What `js/session-cookie.js` does: the header into the scratch buffer (or a reserved one),
    /// `find`, then the id from the header and the key from the buffer when one was written.
    fn find(c: &mut Codec, header: &str) -> (u32, Option<(String, Option<String>)>) {
        let _turn = SCRATCH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = header.as_bytes();
        let at = if bytes.len() <= HEADER_CAP {
            scratch_pointer()
        } else {
            c.reserve_header(bytes.len())
        };
        assert!(!at.is_null());
        // SAFETY: `at` is the scratch buffer or the reserved one, each at least this long.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len()) };
        let code = c.find(bytes.len());
        if code <= AMBIGUOUS {
            return (code, None);
        }
        // SAFETY: the scratch buffer is ours between calls.
        let buf = unsafe { &*SCRATCH.0.get() };
        let uuid = code & 64 != 0;
        let len = if uuid { 36 } else { 43 };
        let start = (code >> 9) as usize - 1;
        let id = std::str::from_utf8(&buf[ID_AT..ID_AT + len])
            .unwrap()
            .to_string();
        assert_eq!(&header[start..start + len], id);
        let key = (!uuid && code & 32 == 0).then(|| {
            std::str::from_utf8(&buf[KEY_AT..KEY_AT + 43])
                .unwrap()
                .to_string()
        });
        (code, Some((id, key)))
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn find_reports_through_one_number_and_the_scratch_buffer() {
        let mut c = codec("__Host-sid", &[K0, K1], "sid", true);
        let old = Keys::new(&[K1]).sign(ID);
        assert_eq!(find(&mut c, "").0, ABSENT);
        assert_eq!(find(&mut c, "__Host-sid=x").0, BAD);
        assert_eq!(find(&mut c, "__Host-sid=x; __Host-sid=y").0, AMBIGUOUS);
        let (code, found) = find(&mut c, &format!("a=1; sid={old}"));
        assert_eq!(found, Some((ID.into(), Some(hash_id(ID)))));
        let slot = code & 31;
        assert_eq!(code & 0x1ff, 256 | 128 | slot, "legacy, resign, filled");
        assert_eq!((code >> 9) - 1, 9);
        let (code, found) = find(&mut c, &format!("__Host-sid={old}"));
        assert_eq!(found, Some((ID.into(), None)), "a hit writes no key");
        assert_eq!(code & 0x1ff, 128 | 32 | slot, "resign, hit, same slot");
        let (code, found) = find(&mut c, &format!("é; __Host-sid={UUID}"));
        assert_eq!(found, Some((UUID.into(), None)));
        assert_eq!(code & 0x1ff, 64);
        // Headers over the scratch buffer go through a reserved one, released after.
        let pad = "p=".to_string() + &"é".repeat(HEADER_CAP);
        let (code, found) = find(&mut c, &format!("{pad}; __Host-sid={old}"));
        assert_eq!(found, Some((ID.into(), None)));
        assert_eq!((code >> 9) as usize - 1, pad.len() + 13);
        assert_eq!(c.big_header.capacity(), 0, "released");
        // The largest header read: 3 MiB of bytes; a start offset that large still fits.
        let huge = format!("p={}; __Host-sid={old}", "x".repeat(MAX_HEADER_BYTES - 110));
        assert!(huge.len() <= MAX_HEADER_BYTES);
        let (code, found) = find(&mut c, &huge);
        assert_eq!(found, Some((ID.into(), None)));
        assert_eq!((code >> 9) as usize - 1, huge.len() - 87);
        // Nothing reserved, or reserved and too short: no session, never a panic.
        assert_eq!(c.find(HEADER_CAP + 10), ABSENT);
        assert!(c.reserve_header(MAX_HEADER_BYTES + 1).is_null());
        assert!(c.reserve_header(HEADER_CAP).is_null());
        assert!(!c.reserve_header(HEADER_CAP + 1).is_null());
        assert_eq!(c.find(HEADER_CAP + 2), ABSENT);
    }
}
