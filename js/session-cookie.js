// The per-request read of the session cookie: the header goes into wasm memory in one native
// copy (TextEncoder.encodeInto), not through a JS string, and the id comes back as offsets.
import { memory, scratchLayout, scratchPointer } from '#core'

/** A Cookie header longer than this carries no session (no parse, no D1 query). */
export const MAX_COOKIE_HEADER = 8192
const [KEY_AT, LENGTH] = scratchLayout()
const KEY_LEN = 43
const at = scratchPointer()
const encoder = new TextEncoder()
const decoder = new TextDecoder()
let view = new Uint8Array(memory.buffer, at, LENGTH)

/**
 * The session cookie in `header` as `codec` reads it: `[id, storage key, signed with a retired
 * secret]`, or undefined when there is none (or it is malformed, forged or badly signed).
 * @param {import('./wasm/core.js').Codec} codec
 * @param {string | null} header
 */
export function readSessionCookie(codec, header) {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined
  // Growing memory detaches the old buffer: view it anew.
  if (view.buffer !== memory.buffer) view = new Uint8Array(memory.buffer, at, LENGTH)
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
