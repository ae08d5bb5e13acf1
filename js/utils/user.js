// Who a session belongs to: the rule every provider applies to find `data[userKey]`.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Check the `userKey` option (the session field naming the user, e.g. 'userId') and return it,
 * or undefined when it is not set. It must be a plain identifier: providers put it in SQL
 * column names and JSON paths.
 * @param {unknown} userKey
 * @returns {string | undefined}
 */
export function checkUserKey(userKey) {
  if (userKey === undefined || userKey === null) return undefined
  if (typeof userKey !== 'string' || !IDENTIFIER.test(userKey)) {
    throw new TypeError(`itty-session: userKey must be a plain identifier naming the session field that holds the user (letters, digits and _, not starting with a digit), e.g. 'userId'; got ${JSON.stringify(userKey)}`)
  }
  return userKey
}

/**
 * A user value as text, or null when it names no user: only a non-empty string or a safe
 * integer counts (`42` and `'42'` are the same user). Booleans, other numbers, objects, arrays
 * and null are anonymous.
 * @param {unknown} value
 * @returns {string | null}
 */
export function userText(value) {
  if (typeof value === 'string') return value === '' ? null : value
  if (Number.isSafeInteger(value)) return String(value)
  return null
}

/**
 * The user of a session (`data` parsed from its JSON), as text, or null when anonymous.
 * @param {unknown} data
 * @param {string | undefined} userKey
 * @returns {string | null}
 */
export function userOf(data, userKey) {
  if (!userKey || data === null || typeof data !== 'object' || Array.isArray(data) || !Object.hasOwn(data, userKey)) return null
  return userText(data[userKey])
}

/** The error a provider throws when listUser/destroyUser is called without `userKey`. */
export const noUserKey = (provider) =>
  new Error(`itty-session: ${provider} was made without userKey, so it cannot find a user's sessions: set userKey in createSessionsMiddleware (e.g. userKey: 'userId', the session field holding the user)`)
