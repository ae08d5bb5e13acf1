// The middleware's options: documented defaults, validated once at createSessionsMiddleware.
import { serialize } from './cookie.js'
import { checkUserKey } from './utils/user.js'

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis), so we do too. */
export const MAX_MAX_AGE = 400 * 24 * 60 * 60

/**
 * The cookie options used when none are given: OWASP's defaults, as in itty-session 0.4. The name
 * is `__Host-sid` when the other options allow that prefix (see `resolveOptions`), else `sid`.
 */
export const DEFAULT_COOKIE_OPTIONS = Object.freeze({
  name: 'sid',
  path: '/',
  maxAge: 30 * 24 * 60 * 60,
  httpOnly: true,
  secure: true,
  sameSite: 'strict',
})

/** The largest session, in bytes of JSON, stored by default: 1 MiB, below D1's 2 MB rows. */
export const DEFAULT_MAX_SIZE = 1024 * 1024
const D1_ROW_LIMIT = 2_000_000
/** The session cookie's name when none is given and the options allow the `__Host-` prefix. */
export const HOST_NAME = '__Host-sid'
const OPTION_NAMES = 'cookieOptions, secret, idleTimeout, absoluteTimeout, maxSize, acceptLegacy, userKey, deviceDetails'

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
  const {
    cookieOptions = {},
    secret,
    idleTimeout,
    absoluteTimeout,
    maxSize = DEFAULT_MAX_SIZE,
    acceptLegacy = true,
    userKey,
    deviceDetails = true,
    ...rest
  } = options
  for (const key of Object.keys(rest)) {
    if (rest[key] !== undefined) {
      fail(`unknown option options.${key}; the options are: ${OPTION_NAMES}`)
    }
  }
  if (cookieOptions === null || typeof cookieOptions !== 'object') fail('options.cookieOptions must be an object')
  // An option given as undefined takes its default (it does not switch the attribute off).
  const cookie = { ...DEFAULT_COOKIE_OPTIONS }
  for (const key of Object.keys(cookieOptions)) if (cookieOptions[key] !== undefined) cookie[key] = cookieOptions[key]
  if (typeof acceptLegacy !== 'boolean') fail(`options.acceptLegacy must be true or false; got ${acceptLegacy}`)
  if (typeof deviceDetails !== 'boolean') fail(`options.deviceDetails must be true or false; got ${deviceDetails}`)
  if (!validUserKey(userKey)) {
    fail(`options.userKey must name a top-level session field made of letters, digits and _, not starting with a digit (e.g. 'userId' or 'username'); got ${JSON.stringify(userKey)}`)
  }
  // No name given: "__Host-sid" whenever the options allow that prefix (it cannot be set by a
  // sibling subdomain: no cookie tossing), reading the previous default "sid" while migrating.
  let legacyName = ''
  if (cookieOptions.name === undefined && cookie.secure && cookie.path === '/' && !cookie.domain) {
    cookie.name = HOST_NAME
    if (acceptLegacy) legacyName = DEFAULT_COOKIE_OPTIONS.name
  }
  const { name, maxAge } = cookie
  if (typeof name !== 'string' || name === '') fail('options.cookieOptions.name must be a non-empty string')
  if (String(cookie.sameSite).toLowerCase() === 'none' && !cookie.secure) {
    fail("options.cookieOptions: sameSite: 'none' needs secure: true (browsers drop a SameSite=None cookie without Secure, so every session would be lost)")
  }
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
  // A function reads the secrets from `env` (a Worker secret) on the first request.
  const secretFrom = typeof secret === 'function' ? secret : undefined
  const secrets = secretFrom ? [] : resolveSecrets(secret)
  for (const [key, value] of [['idleTimeout', idleTimeout], ['absoluteTimeout', absoluteTimeout]]) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      fail(`options.${key} must be a whole number of seconds above 0, or left out; got ${value}`)
    }
  }
  if (!(Number.isInteger(maxSize) && maxSize > 1 && maxSize <= D1_ROW_LIMIT)) {
    fail(`options.maxSize must be a whole number of bytes up to ${D1_ROW_LIMIT} (D1's row limit); got ${maxSize}`)
  }
  return {
    name,
    legacyName,
    acceptLegacy,
    userKey,
    deviceDetails,
    maxAge,
    secrets,
    secretFrom,
    // A session dies when it has not been used for this long: maxAge, or idleTimeout if shorter.
    windowMs: Math.min(maxAge, idleTimeout ?? maxAge) * 1000,
    absoluteMs: absoluteTimeout === undefined ? Infinity : absoluteTimeout * 1000,
    maxSize,
    // "name=" + id + suffix is the Set-Cookie value of a session: serialised once, here.
    setPrefix: `${name}=`,
    setSuffix: sample.slice(name.length + 2),
    clearCookie: serialize(name, '', { ...cookie, maxAge: 0 }),
    // Clears a cookie left under the previous default name once it has moved.
    legacyClearCookie: legacyName ? serialize(legacyName, '', { ...cookie, maxAge: 0 }) : '',
  }
}

// Cookie name prefixes (RFC 6265bis 4.1.3, matched case-insensitively as browsers do): browsers drop
// a prefixed cookie that breaks the rules, so a configuration that would do so fails here rather
// than silently losing every session.
function checkPrefix({ name, secure, path, domain }) {
  const lower = name.toLowerCase()
  if (lower.startsWith('__host-')) {
    if (!secure || path !== '/' || domain) {
      fail(`options.cookieOptions: a "__Host-" cookie needs secure: true, path: '/' and no domain (browsers match the prefix in any case; the name is ${JSON.stringify(name)}; got secure: ${secure}, path: ${JSON.stringify(path)}, domain: ${JSON.stringify(domain)})`)
    }
  } else if (lower.startsWith('__secure-') && !secure) {
    fail(`options.cookieOptions: a "__Secure-" cookie needs secure: true (browsers match the prefix in any case; the name is ${JSON.stringify(name)})`)
  }
}

// Signing secrets: the first signs, all verify. Short secrets are refused: HMAC is only as strong
// as its key.
export function resolveSecrets(secret) {
  if (secret === undefined) return []
  const list = Array.isArray(secret) ? secret : [secret]
  if (list.length === 0) fail('options.secret must be a string, a non-empty array of strings, or a function of env returning one')
  for (const s of list) {
    if (typeof s !== 'string' || s.length < 32) {
      fail('options.secret: each secret must be a string of at least 32 characters (e.g. the output of `openssl rand -base64 32`), kept out of your code, e.g. in a Worker secret')
    }
  }
  return list
}

// The providers' own rule for userKey (a plain identifier), checked here to name the option.
function validUserKey(userKey) {
  try {
    checkUserKey(userKey)
    return true
  } catch {
    return false
  }
}
