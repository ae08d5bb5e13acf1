// The middleware's options: documented defaults, validated once at createSessionsMiddleware.
import { serialize } from './cookie.js'

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis), so we do too. */
export const MAX_MAX_AGE = 400 * 24 * 60 * 60

/** The cookie options used when none are given: OWASP's defaults, as in itty-session 0.4. */
export const DEFAULT_COOKIE_OPTIONS = Object.freeze({
  name: 'sid',
  path: '/',
  maxAge: 30 * 24 * 60 * 60,
  httpOnly: true,
  secure: true,
  sameSite: 'strict',
})

const fail = (what) => {
  throw new TypeError(`itty-session: ${what}`)
}

/**
 * Validate `options` and precompute what each request needs: the cookie name, the Set-Cookie
 * text around the id, and the clearing cookie.
 * @param {object} [options] createSessionsMiddleware's `options`
 */
export function resolveOptions(options = {}) {
  if (options === null || typeof options !== 'object') fail('options must be an object')
  const { cookieOptions = {}, ...rest } = options
  for (const key of Object.keys(rest)) {
    if (rest[key] !== undefined) fail(`unknown option options.${key}; the options are: cookieOptions`)
  }
  const cookie = { ...DEFAULT_COOKIE_OPTIONS, ...cookieOptions }
  const { name, maxAge } = cookie
  if (typeof name !== 'string' || name === '') fail('options.cookieOptions.name must be a non-empty string')
  if (cookie.expires !== undefined) {
    fail('options.cookieOptions.expires is not supported: sessions roll, so set maxAge (seconds) instead')
  }
  if (cookie.encode !== undefined) fail('options.cookieOptions.encode is not supported: session ids need no encoding')
  if (!Number.isInteger(maxAge) || maxAge <= 0 || maxAge > MAX_MAX_AGE) {
    fail(`options.cookieOptions.maxAge must be a whole number of seconds from 1 to ${MAX_MAX_AGE} (400 days, the cap browsers apply); got ${maxAge}`)
  }
  checkPrefix(cookie)
  let sample
  try {
    sample = serialize(name, 'x', cookie)
  } catch (e) {
    fail(`options.cookieOptions is invalid: ${e.message}`)
  }
  return {
    name,
    maxAge,
    maxAgeMs: maxAge * 1000,
    // "name=" + id + suffix is the Set-Cookie value of a session: serialised once, here.
    setPrefix: `${name}=`,
    setSuffix: sample.slice(name.length + 2),
    clearCookie: serialize(name, '', { ...cookie, maxAge: 0 }),
  }
}

// Cookie name prefixes (RFC 6265bis 4.1.3): browsers drop a prefixed cookie that breaks the rules,
// so a configuration that would do so fails here rather than silently losing every session.
function checkPrefix({ name, secure, path, domain }) {
  if (name.startsWith('__Host-')) {
    if (!secure || path !== '/' || domain) {
      fail(`options.cookieOptions: a "__Host-" cookie needs secure: true, path: '/' and no domain (got secure: ${secure}, path: ${JSON.stringify(path)}, domain: ${JSON.stringify(domain)})`)
    }
  } else if (name.startsWith('__Secure-') && !secure) {
    fail('options.cookieOptions: a "__Secure-" cookie needs secure: true')
  }
}
