// itty-session/cookie: `parse` and `serialize`, drop-in for the `cookie` package 1.x, backed by the Rust core.
import { cookiePairs, errorMessage, serializeCookie } from '#core'

// parse() returns an object with a null prototype, so "__proto__" is an ordinary key.
const NullObject = function () {}
NullObject.prototype = Object.create(null)

/**
 * Parse a `Cookie` header into `{ name: value }`, as `cookie@1`'s `parse`: the first
 * occurrence of a name wins, values are percent-decoded when they hold `%` (and kept raw when
 * that fails), pairs without `=` are skipped.
 * @param {string} str the header
 * @param {{ decode?: (value: string) => string | undefined }} [options]
 * @returns {Record<string, string | undefined>}
 */
export function parse(str, options) {
  const obj = new NullObject()
  if (str.length < 2) return obj
  const dec = options?.decode
  const pairs = cookiePairs(str, !dec)
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i]
    // Only assign once; a custom decode returning undefined leaves the name open.
    if (obj[key] === undefined) obj[key] = dec ? dec(pairs[i + 1]) : pairs[i + 1]
  }
  return obj
}

const isDate = (v) => Object.prototype.toString.call(v) === '[object Date]'

/**
 * Serialise a `Set-Cookie` header value, as `cookie@1`'s `serialize`: the same attribute order,
 * validation and `TypeError` messages. Also takes the object form `serialize(cookie, options)`.
 * @param {string | object} name
 * @param {string | object} [val]
 * @param {object} [opts]
 * @returns {string}
 */
export function serialize(name, val, opts) {
  const cookie = typeof name === 'object' ? name : { ...opts, name, value: String(val) }
  const options = typeof val === 'object' ? val : opts
  const enc = options?.encode
  let value = cookie.value
  const encoded = !!(enc && value)
  if (encoded) {
    // cookie@1 checks the name before it calls encode.
    call(cookie, String(cookie.name), '', true, {})
    value = String(enc(value))
  } else if (!value) value = ''
  return call(cookie, String(cookie.name), String(value), encoded, cookie)
}

function call(cookie, name, value, encoded, o) {
  try {
    return serializeCookie(
      name,
      value,
      encoded,
      o.maxAge === undefined ? undefined : Number.isInteger(o.maxAge) ? o.maxAge : NaN,
      o.domain ? String(o.domain) : undefined,
      o.path ? String(o.path) : undefined,
      o.expires ? (isDate(o.expires) ? o.expires.valueOf() : NaN) : undefined,
      !!o.httpOnly,
      !!o.secure,
      !!o.partitioned,
      o.priority ? (typeof o.priority === 'string' ? o.priority : '!') : undefined,
      o.sameSite ? (o.sameSite === true ? 'strict' : typeof o.sameSite === 'string' ? o.sameSite : '!') : undefined,
    )
  } catch (code) {
    if (typeof code !== 'number') throw code
    const culprit = [cookie.name, cookie.value, o.maxAge, o.domain, o.path, o.expires, o.priority, o.sameSite][code]
    throw new TypeError(`${errorMessage(code)}: ${culprit}`)
  }
}

export { parse as parseCookie, serialize as stringifySetCookie }
