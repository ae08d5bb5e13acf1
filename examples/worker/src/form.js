// Reading a posted form, bounded: a body that is too big or not a urlencoded form gets a 400 page, not a crash.
import { page } from './layout.js'

const MAX_BYTES = 4096 // the example's forms hold a username, two passwords or a handle

/** The posted fields as URLSearchParams, or null when the body is not a small urlencoded form. */
export async function readForm(request) {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type) || !request.body) return null
  const reader = request.body.getReader()
  const chunks = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_BYTES) {
      await reader.cancel()
      return null
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const c of chunks) bytes.set(c, (at += c.byteLength) - c.byteLength)
  return new URLSearchParams(new TextDecoder().decode(bytes))
}

/** The answer to a form that could not be read. */
export const badForm = () =>
  page(`<p class="flash error" role="alert">That form could not be read (not a form, or over ${MAX_BYTES} bytes): nothing was changed.</p>
<p><a href="/">Back to the start page</a></p>`, { title: 'Bad form · itty-session example', status: 400 })
