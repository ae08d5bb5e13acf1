// itty-session/cookie: `parse` and `serialize`, drop-in for the `cookie` package 1.x (same types).

/** Options for {@link parse}. */
export interface ParseOptions {
  /**
   * Decodes each cookie value. A value returning `undefined` leaves that name unset (a later
   * pair of the same name may set it).
   * @default decodeURIComponent on values holding `%`, keeping the raw value when that fails
   */
  decode?: (str: string) => string | undefined
}

/** A parsed `Cookie` header: `{ name: value }`, an object with a null prototype. */
export type Cookies = Record<string, string | undefined>

/**
 * Parse a `Cookie` header into `{ name: value }`, as `cookie@1`'s `parse`: the first occurrence
 * of a name wins, values are percent-decoded when they hold `%` (kept raw when that fails),
 * pairs without `=` are skipped.
 * @param str the header's value
 * @param options `decode`
 */
export declare function parse(str: string, options?: ParseOptions): Cookies

/** Options for how a value is encoded. */
export interface StringifyOptions {
  /**
   * Encodes the cookie's value; the result must be a valid cookie-value.
   * @default encodeURIComponent
   */
  encode?: (str: string) => string
}

/** A `Set-Cookie` as an object, for {@link serialize}'s object form. */
export interface SetCookie {
  /** The cookie's name. */
  name: string
  /** The cookie's value (`undefined`: empty). */
  value: string | undefined
  /** `Max-Age`, in whole seconds. */
  maxAge?: number
  /** `Expires`. */
  expires?: Date
  /** `Domain`; without it the cookie is host-only. */
  domain?: string
  /** `Path`. */
  path?: string
  /** `HttpOnly`: no access from JavaScript (`document.cookie`). */
  httpOnly?: boolean
  /** `Secure`: sent over HTTPS only. */
  secure?: boolean
  /** `Partitioned` (CHIPS). */
  partitioned?: boolean
  /** `Priority`: `Low`, `Medium` or `High`. */
  priority?: 'low' | 'medium' | 'high'
  /** `SameSite`: `true` is `Strict`; `false` leaves the attribute out. */
  sameSite?: boolean | 'lax' | 'strict' | 'none'
}

/** Options for {@link serialize}'s `(name, value, options)` form. */
export type SerializeOptions = StringifyOptions & Omit<SetCookie, 'name' | 'value'>

/**
 * Serialise a `Set-Cookie` header value, as `cookie@1`'s `serialize`: the same attribute order,
 * validation and `TypeError` messages.
 * @param cookie the cookie and its attributes
 * @param options `encode`
 * @throws {TypeError} on an invalid name, value or attribute
 */
export declare function serialize(cookie: SetCookie, options?: StringifyOptions): string
/**
 * Serialise a `Set-Cookie` header value, as `cookie@1`'s `serialize`.
 * @param name the cookie's name
 * @param val its value (encoded with `options.encode`)
 * @param options the attributes, and `encode`
 * @throws {TypeError} on an invalid name, value or attribute
 * @example serialize('foo', 'bar', { httpOnly: true }) // 'foo=bar; HttpOnly'
 */
export declare function serialize(name: string, val: string, options?: SerializeOptions): string

export { parse as parseCookie, serialize as stringifySetCookie }
