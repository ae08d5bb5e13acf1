// Reading a posted form, bounded: a body that is too big or not a urlencoded form gets a 400 page, not a crash.
import { page } from './layout.js'

const MAX_BYTES = 4096 // the example's forms hold a username, two passwords or a handle

/**
 * The posted fields as URLSearchParams, or null when the body is not a small urlencoded form. The
 * size is judged by `Content-Length` (browsers always send it with a form) before anything is read.
 */
export async function readForm(request) {
  const type = request.headers.get('content-type') ?? ''
  const length = request.headers.get('content-length')
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type) || length === null || !/^\d{1,9}$/.test(length) || Number(length) > MAX_BYTES) return null
  return new URLSearchParams(await request.text())
}

/** The answer to a form that could not be read. */
export const badForm = () =>
  page(`<p class="flash error" role="alert">That form could not be read (not a form, or over ${MAX_BYTES} bytes): nothing was changed.</p>
<p><a href="/">Back to the start page</a></p>`, { title: 'Bad form · itty-session example', status: 400 })
