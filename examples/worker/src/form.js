// Reading a posted form, bounded: a body that is too big or not a urlencoded form gets a 400 page, not a crash.
import { page } from './layout.js'

const MAX_BYTES = 4096 // the example's forms hold a username, two passwords or a handle

// Read and drop up to DRAIN_BYTES more of a body that is over the limit: wrangler dev stalls its next
// request when a body is left half read (or cancelled). Past that, it stays unread.
const DRAIN_BYTES = 1 << 20
async function drain(reader) {
  for (let dropped = 0; dropped < DRAIN_BYTES; ) {
    const { done, value } = await reader.read()
    if (done) return
    dropped += value.byteLength
  }
  reader.releaseLock()
}

/**
 * The posted fields as URLSearchParams, or null when the body is not a small urlencoded form. A
 * `Content-Length` over the limit is refused before anything is read; a body without one (HTTP/2
 * may leave it out) is read only up to the limit.
 */
export async function readForm(request) {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return null
  const length = request.headers.get('content-length')
  if (length !== null && !(/^\d{1,9}$/.test(length) && Number(length) <= MAX_BYTES)) return null
  if (!request.body) return new URLSearchParams()
  const reader = request.body.getReader()
  const bytes = new Uint8Array(MAX_BYTES)
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (size + value.byteLength > MAX_BYTES) {
      await drain(reader)
      return null
    }
    bytes.set(value, size)
    size += value.byteLength
  }
  return new URLSearchParams(new TextDecoder().decode(bytes.subarray(0, size)))
}

/** The answer to a form that could not be read. */
export const badForm = () =>
  page(`<p class="flash error" role="alert">That form could not be read (not a form, or over ${MAX_BYTES} bytes): nothing was changed.</p>
<p><a href="/">Back to the start page</a></p>`, { title: 'Bad form · itty-session example', status: 400 })
