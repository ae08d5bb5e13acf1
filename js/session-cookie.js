// Crossing into the core through a scratch buffer in wasm memory, not JS strings: the session
// cookie's read (the header in by one native copy, the id back as offsets) and new ids.
import { memory, scratchLayout, scratchPointer, writeSessionId } from '#core'

/** A Cookie header longer than this carries no session (no parse, no D1 query). */
export const MAX_COOKIE_HEADER = 8192
const [KEY_AT, OUT_AT, LENGTH] = scratchLayout()
const KEY_LEN = 43
const at = scratchPointer()
const encoder = new TextEncoder()
const decoder = new TextDecoder()
let view = new Uint8Array(memory.buffer, at, LENGTH)
// Growing memory detaches the old buffer: view it anew.
const scratch = () => (view.buffer === memory.buffer ? view : (view = new Uint8Array(memory.buffer, at, LENGTH)))

/**
 * The session cookie in `header` as `codec` reads it: `[id, storage key, signed with a retired
 * secret]`, or undefined when there is none (or it is malformed, forged or badly signed).
 * @param {import('./wasm/core.js').Codec} codec
 * @param {string | null} header
 */
export const BAD_COOKIE = 1
export const AMBIGUOUS_COOKIE = 2
// TEMPORARY (replaced by the core's reader): exact-name counting in JS.
export function readSessionCookie(codec, header) {
  if (!header) return undefined
  const name = codec.__name
  let count = 0
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) count++
  }
  if (count === 0) return undefined
  if (count > 1) return AMBIGUOUS_COOKIE
  const found = readOld(codec, header)
  return found ? [...found, false] : BAD_COOKIE
}
function readOld(codec, header) {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined
  const view = scratch()
  const { read, written } = encoder.encodeInto(header, view.subarray(0, KEY_AT))
  const found = codec.find(written)
  if (found === 0) return undefined
  const start = found >>> 8
  const length = found & 127
  // All ASCII (the usual case): byte offsets are string offsets.
  const id = read === written ? header.slice(start, start + length) : decoder.decode(view.subarray(start, start + length))
  const key = length === KEY_LEN ? decoder.decode(view.subarray(KEY_AT, KEY_AT + KEY_LEN)) : id
  return [id, key, (found & 128) !== 0]
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
