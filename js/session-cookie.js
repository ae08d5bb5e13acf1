// Crossing into the core through a scratch buffer in wasm memory, not JS strings: the session
// cookie's read (the header in by one native copy, the answer back as one number) and new ids.
import { hashId, memory, scratchLayout, scratchPointer, writeSessionId } from '#core'

const [KEY_AT, ID_AT, OUT_AT, LENGTH, MAX_UNITS] = scratchLayout()
/**
 * The longest `Cookie` header read, in characters: 1 MiB. Browsers send at most about 180
 * cookies of 4 KiB per site (~720 KiB), Cloudflare passes 128 KB of request headers; a longer
 * header carries no session.
 */
export const MAX_COOKIE_HEADER = MAX_UNITS
/** From readSessionCookie: one cookie with the session name, malformed, forged or badly signed. */
export const BAD_COOKIE = 1
/** From readSessionCookie: more than one cookie with the session name (one may be planted). */
export const AMBIGUOUS_COOKIE = 2
const KEY_LEN = 43
const UUID_LEN = 36
// The bits of a found session in codec.find's answer (see Codec::find in src/lib.rs).
const SLOT = 31
const HIT = 32
const UUID = 64
const RESIGN = 128
const LEGACY = 256
// Per codec, what each slot of its cache of verified cookies holds: the id and its storage key.
const SLOTS = Symbol('itty-session verified cookies')
const at = scratchPointer()
const encoder = new TextEncoder()
const decoder = new TextDecoder()
let view = new Uint8Array(memory.buffer, at, LENGTH)
let headerView = view.subarray(0, KEY_AT)
// Any call into wasm may grow its memory, which detaches every view of the old buffer: take the
// view anew after each call, never across one.
const scratch = () => (view.buffer === memory.buffer ? view : fresh())
const fresh = () => {
  view = new Uint8Array(memory.buffer, at, LENGTH)
  headerView = view.subarray(0, KEY_AT)
  return view
}
// Where a header that fits the scratch buffer is written.
const headerArea = () => (view.buffer === memory.buffer ? headerView : (fresh(), headerView))

/**
 * The session cookie in `header` as `codec` reads it:
 * - `undefined`: no cookie with the session name (nor a usable one with the previous name);
 * - `BAD_COOKIE`: one cookie with the session name, but malformed, forged, badly signed, or a
 *   0.4 UUID the codec does not accept (send the clearing cookie);
 * - `AMBIGUOUS_COOKIE`: more than one cookie with the session name, or none and more than one
 *   with the previous name (cookie tossing: use none of them);
 * - `[id, storage key, signed with a retired secret, found under the previous name]`.
 * @param {import('./wasm/core.js').Codec} codec
 * @param {string | null} header
 */
export function readSessionCookie(codec, header) {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined
  let read = 0
  let written = 0
  if (header.length <= KEY_AT) ({ read, written } = encoder.encodeInto(header, headerArea()))
  if (read < header.length) ({ read, written } = encodeLong(codec, header))
  const found = codec.find(written)
  if (found <= AMBIGUOUS_COOKIE) return found === 0 ? undefined : found
  const length = found & UUID ? UUID_LEN : KEY_LEN
  // All ASCII (the usual case): byte offsets are string offsets. Otherwise the core wrote the id.
  const start = (found >>> 9) - 1
  const id = read === written ? header.slice(start, start + length) : decoder.decode(scratch().subarray(ID_AT, ID_AT + length))
  let key = id // a 0.4 UUID is stored under itself
  if (length === KEY_LEN) {
    const slot = found & SLOT
    const slots = (codec[SLOTS] ??= { ids: [], keys: [] })
    if (found & HIT && slots.ids[slot] === id) {
      key = slots.keys[slot]
    } else {
      // Filled now: the core wrote the key. (A hit on a slot this side never saw filled cannot
      // happen through this function; if it did, the key is computed rather than trusted.)
      key = found & HIT ? hashId(id) : decoder.decode(scratch().subarray(KEY_AT, KEY_AT + KEY_LEN))
      slots.ids[slot] = id
      slots.keys[slot] = key
    }
  }
  return [id, key, (found & RESIGN) !== 0, (found & LEGACY) !== 0]
}

// A header too long for the scratch buffer goes into one the codec makes for it (released by its
// next find): as many bytes as characters first (ASCII, as real headers are), 3 per character
// if that fell short. Linear in the header, whatever it holds.
function encodeLong(codec, header) {
  let result
  for (const size of [header.length, 3 * header.length]) {
    if (size <= KEY_AT) continue
    const to = codec.reserveHeader(size)
    result = encoder.encodeInto(header, new Uint8Array(memory.buffer, to, size))
    if (result.read === header.length) break
  }
  return result
}

/** A new session id: 256 bits from the platform CSPRNG as 43 base64url characters. */
export function newSessionId() {
  writeSessionId()
  return decoder.decode(scratch().subarray(OUT_AT, OUT_AT + KEY_LEN))
}

/**
 * A new session from `codec`: `[id, storage key, cookie value]`.
 * @param {import('./wasm/core.js').Codec} codec
 */
export function issueSession(codec) {
  const length = codec.issueInto()
  const s = decoder.decode(scratch().subarray(OUT_AT, OUT_AT + length))
  return [s.slice(0, KEY_LEN), s.slice(KEY_LEN, 2 * KEY_LEN), s.slice(2 * KEY_LEN)]
}
