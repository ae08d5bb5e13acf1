//! The WebAssembly face of itty-session's core: one call per request phase, few short strings.
//!
//! Everything here is internal to the JS shim (`js/`), except what `itty-session/cookie`
//! re-exports through `js/cookie.js`. The modules below are plain Rust with their own tests.
#![deny(missing_docs)]
use wasm_bindgen::prelude::*;

mod diff;
mod error;
mod id;
mod json;
mod parse;
mod percent;
mod serialize;
mod sha256;
mod sign;
#[cfg(all(test, target_arch = "wasm32"))]
mod browser;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod conformance;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz_replay;

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

/// One middleware's session cookie: its name and, when signing, its keys (set up once, with the
/// HMAC pads precomputed). Each request phase is one call.
#[wasm_bindgen]
pub struct Codec {
    name: String,
    keys: Option<sign::Keys>,
}

#[wasm_bindgen]
impl Codec {
    /// A codec for the cookie `name`, signing with `secrets[0]` and verifying with all of them;
    /// no secrets: unsigned cookies.
    #[wasm_bindgen(constructor)]
    pub fn new(name: String, secrets: Vec<String>) -> Codec {
        let keys = if secrets.is_empty() {
            None
        } else {
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            Some(sign::Keys::new(&refs))
        };
        Codec { name, keys }
    }

    /// Find the session in the `Cookie` header whose UTF-8 bytes the caller wrote to the start
    /// of the scratch buffer (`len` of them), without copying it through a JS string: the
    /// per-request read. Returns 0 when there is no well-formed, well-signed session cookie;
    /// otherwise `(start << 8) | (resign << 7) | id_len`, where `start` is the byte offset of the
    /// id in the header, `resign` says it was signed with a retired secret, and `id_len` is 43
    /// (ours: the 43-byte storage key is written at [`KEY_AT`] of the scratch buffer) or 36 (a
    /// UUID from itty-session 0.4, stored under itself).
    pub fn find(&self, len: usize) -> u32 {
        // SAFETY: wasm is single-threaded and the scratch buffer is only touched by the caller
        // between calls, never during one.
        let buf = unsafe { &mut *SCRATCH.0.get() };
        let Some(header) = buf.get(..len).and_then(|b| core::str::from_utf8(b).ok()) else {
            return 0;
        };
        let Some((start, id_len, resign, key)) = self.locate(header) else {
            return 0;
        };
        if let Some(key) = key {
            buf[KEY_AT..KEY_AT + id::ID_LEN].copy_from_slice(key.as_bytes());
        }
        ((start as u32) << 8) | (u32::from(resign) << 7) | id_len as u32
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

    /// The session cookie in `header`: the byte offset and length of its id, whether it was
    /// signed with a retired secret, and its storage key (`None` for a 0.4 UUID, stored under
    /// itself). The raw value must be the id (or signed id) as we issue it: ids never hold `%`,
    /// so unlike `parse`, nothing is percent-decoded.
    fn locate(&self, header: &str) -> Option<(usize, usize, bool, Option<String>)> {
        let (_, value) = parse::pairs(header).find(|(n, _)| *n == self.name)?;
        let start = value.as_ptr() as usize - header.as_ptr() as usize;
        let (id, key_index) = match &self.keys {
            // Ids issued by itty-session 0.4 were never signed: accepted as they are, so that
            // upgrading loses nobody, and moved to a new signed id on first sight.
            Some(keys) if !id::is_legacy(value) => keys.verify(value)?,
            _ if id::is_valid(value) => (value, 0),
            _ => return None,
        };
        let key = if id::is_legacy(id) { None } else { Some(sign::hash_id(id)) };
        Some((start, id.len(), key_index > 0, key))
    }
}

/// Bytes of the scratch buffer: a Cookie header of up to 8 KiB (the shim's limit) at 3 bytes
/// per UTF-16 unit, room for the storage key, then for a new session (id, key, signed value).
const SCRATCH_LEN: usize = OUT_AT + 192;
/// Where [`Codec::find`] writes the storage key.
pub const KEY_AT: usize = 3 * 8192;
/// Where new ids and sessions are written.
pub const OUT_AT: usize = KEY_AT + 64;

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

/// The scratch buffer's layout, for the JS side: `[KEY_AT, OUT_AT, SCRATCH_LEN]`.
#[wasm_bindgen(js_name = scratchLayout)]
pub fn scratch_layout() -> Vec<u32> {
    vec![KEY_AT as u32, OUT_AT as u32, SCRATCH_LEN as u32]
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
