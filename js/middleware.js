// createSessionsMiddleware: itty-session 0.4's API, lazy, writing only what changed.
import { Codec, diffSession, hashId } from '#core'
import { resolveOptions, resolveSecrets } from './config.js'
import D1Provider from './providers/d1.js'
import { withCookies } from './response.js'
import { issueSession, MAX_COOKIE_HEADER, readSessionCookie } from './session-cookie.js'
import { hasRecordMethods, legacyRecords, oncePerIsolate } from './store.js'
import { Session, STATE } from './session.js'
import { log } from './utils/log.js'

const EMPTY = '{}'
// Expiry is pushed forward at most once per tenth of the session's window, so an unchanged
// session costs no write on most requests.
const REFRESH_AFTER = 0.1
const encoder = new TextEncoder()

/**
 * Create the two itty-router middlewares: `sessionPreflight` (put it in `before`) loads
 * `request.session`, and `sessionify` (put it in `finally`) saves what changed and sets cookies.
 *
 * @param {object} [init]
 * @param {Function} [init.Provider=D1Provider] the storage class, constructed per request with
 *   `{ env, logging, maxAge, ...providerOptions }`
 * @param {object} [init.providerOptions={}] e.g. `{ dbName: 'SESSIONS', tableName: 'sessions' }`
 * @param {object} [init.options={}] `{ cookieOptions, secret, idleTimeout, absoluteTimeout, maxSize }`;
 *   see the README for every option and its default
 * @param {boolean} [init.logging=false] log what the middleware does (never a raw session id)
 */
export function createSessionsMiddleware({ Provider = D1Provider, providerOptions = {}, options = {}, logging = false } = {}) {
  if (typeof Provider !== 'function') {
    throw new TypeError('itty-session: Provider must be a provider class, e.g. D1Provider from "itty-session/providers/d1"')
  }
  const config = resolveOptions(options)
  let codec = config.secretFrom ? null : new Codec(config.name, config.secrets)
  let codecSecrets = ''
  // With `secret: (env) => ...`, the codec is made on the first request and again only if the
  // secrets change.
  const codecFor = (env) => {
    if (!config.secretFrom) return codec
    const value = config.secretFrom(env)
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`itty-session: options.secret is a function and it returned ${value} for this request's env: set the secret it reads (e.g. \`npx wrangler secret put SESSION_SECRET\`, or [vars] in wrangler.toml for local development only)`)
    }
    const secrets = resolveSecrets(value)
    const joined = secrets.join('\0')
    if (joined !== codecSecrets) {
      codec = new Codec(config.name, secrets)
      codecSecrets = joined
    }
    return codec
  }
  const precheck = oncePerIsolate()
  let recordMethods // whether Provider has the record methods, learnt from its first instance
  // Logs name a session by a prefix of its id's hash, never by the id.
  const tag = (state) => `#${(state.legacy ? hashId(state.key) : state.key).slice(0, 8)}`
  const expiryFrom = (now, created) => Math.min(now + config.windowMs, created + config.absoluteMs)

  // One provider per env object (workerd passes the same env to every request of an isolate).
  const providers = new WeakMap()
  const providerFor = (env) => {
    if (env === null || typeof env !== 'object') return new Provider({ env, logging, maxAge: config.maxAge, ...providerOptions })
    let provider = providers.get(env)
    if (!provider) providers.set(env, (provider = new Provider({ env, logging, maxAge: config.maxAge, ...providerOptions })))
    return provider
  }

  async function sessionPreflight(request, env) {
    const provider = providerFor(env)
    const codec = codecFor(env)
    recordMethods ??= hasRecordMethods(provider)
    const records = recordMethods ? provider : legacyRecords(provider)
    const state = {
      provider,
      records,
      id: undefined, // the id of the loaded session, and its storage key
      key: undefined,
      legacy: false, // an id issued by itty-session 0.4
      resign: false, // its cookie was signed with a retired secret
      snapshot: null, // the stored JSON as loaded; null when no stored session
      expiry: 0,
      created: 0,
      codec,
      fresh: undefined, // [id, key, cookie value] for a new session, made when first needed
      clear: false, // send the clearing cookie unless a new session cookie replaces it
      pending: [], // destroy()/regenerate() calls the handler may not have awaited
      loaded: false, // the preflight finished
      detach: () => detach(state),
    }
    request[STATE] = state

    const header = request.headers.get('cookie')
    const found = readSessionCookie(codec, header)
    let data
    if (found) {
      ;[state.id, state.key, state.resign] = found
      state.legacy = state.id.length === 36
      await precheck(provider)
      const now = Date.now()
      const row = await records.get(state.key, state.legacy ? 0 : now)
      if (row && (state.legacy || row.expiry > now)) {
        data = parseStored(row.data)
        // The stored text itself: JSON.stringify gives it back unless the session changed (or
        // the store spelled it differently, which the diff then sees as no change).
        state.snapshot = row.data
        state.expiry = row.expiry
        state.created = row.created ?? now
      } else {
        // Unknown, expired (then deleted now) or destroyed: tell the browser to drop it.
        if (row) await records.destroy(state.key)
        log(logging, 'log', `session ${tag(state)} ${row ? 'expired and was deleted' : 'not found'}; clearing its cookie`)
        state.id = state.key = undefined
        state.clear = true
      }
    } else if (header && header.length <= MAX_COOKIE_HEADER && header.includes(`${config.name}=`)) {
      state.clear = true // a malformed, forged or badly signed session cookie
    }
    request.session = new Session(state, data)
    state.request = request
    if (state.id) request.sessionID = state.id
    else lazySessionID(state)
    state.loaded = true
  }

  // A new session's id is made only when first asked for.
  function lazySessionID(state) {
    Object.defineProperty(state.request, 'sessionID', { configurable: true, enumerable: true, get: () => state.id ?? issue(state)[0] })
  }

  function issue(state) {
    state.fresh ??= issueSession(state.codec)
    return state.fresh
  }

  // Forget the stored session (deleting it) but keep `data`, so it is stored anew under a new id.
  function detach(state) {
    const { key } = state
    if (key !== undefined) state.clear = true
    state.id = state.key = undefined
    state.snapshot = null
    state.fresh = undefined
    lazySessionID(state)
    const done = key === undefined ? Promise.resolve() : precheck(state.provider).then(() => state.records.destroy(key))
    state.pending.push(done)
    done.catch(() => {}) // sessionify awaits it and reports the failure
    return done
  }

  async function sessionify(response, request) {
    const state = request[STATE]
    // No response to carry cookies, or the preflight itself failed (its error is the answer).
    if (!state?.loaded || !response) return
    if (state.pending.length) await Promise.all(state.pending)
    const cookies = []
    const setCookie = (value) => cookies.push(config.setPrefix + value + config.setSuffix)
    // A failed request (5xx) saves nothing: its changes may be half made.
    if (response.status >= 500) {
      if (state.snapshot === null && state.clear) cookies.push(config.clearCookie)
      return cookies.length ? withCookies(response, cookies) : undefined
    }
    const text = serializeSession(request.session, config.maxSize)
    const now = Date.now()
    const { records } = state

    if (state.snapshot === null) {
      if (text !== EMPTY) {
        await precheck(state.provider)
        const [, key, value] = issue(state)
        // A 0.4 provider picks its own id (a UUID, stored and sent unsigned as 0.4 did).
        const sid = await records.create(key, text, expiryFrom(now, now), now)
        setCookie(sid ?? value)
        log(logging, 'log', 'created a session')
      } else if (state.clear) cookies.push(config.clearCookie)
    } else if (text === EMPTY) {
      await records.destroy(state.key)
      cookies.push(config.clearCookie)
    } else if (state.legacy && !records.wholeOnly) {
      // An id from itty-session 0.4: move the data to a new id of ours, once.
      const [, key, value] = issue(state)
      await records.create(key, text, expiryFrom(now, now), now)
      await records.destroy(state.key)
      setCookie(value)
      log(logging, 'log', `moved session ${tag(state)} from an itty-session 0.4 id to a new id`)
    } else {
      const next = expiryFrom(now, state.created)
      const refresh = next > state.expiry && state.expiry - now < config.windowMs * (1 - REFRESH_AFTER)
      const expiry = refresh ? next : null
      const change = text === state.snapshot ? '' : diffSession(state.snapshot, text)
      let live = true
      if (change === '') {
        // Also on a re-sign: the cookie goes out only if the row is still there.
        if (refresh || state.resign) live = await records.touch(state.key, expiry ?? state.expiry)
      } else if (change === 'replace' || records.wholeOnly) {
        live = await records.replace(state.key, text, expiry)
      } else {
        live = await records.patch(state.key, change, expiry)
      }
      if (!live) {
        // Destroyed or regenerated by another request meanwhile: never revive it, and send no
        // cookie (that request has sent the browser the cookie it should keep).
        log(logging, 'warn', `session ${tag(state)} ended while this request ran; its changes were dropped`)
      } else if (refresh || state.resign) setCookie(state.codec.cookieValue(state.id))
    }
    return cookies.length ? withCookies(response, cookies) : undefined
  }

  return { sessionPreflight, sessionify }
}

function parseStored(text) {
  let data
  try {
    data = JSON.parse(text)
  } catch {
    // Loud, and the row stays as it is: turning it into an empty session would lose it.
    throw new Error('itty-session: the stored session data is not JSON; the row was left untouched')
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new Error('itty-session: the stored session data is not a JSON object; the row was left untouched')
  }
  return data
}

function serializeSession(session, maxSize) {
  if (session === null || typeof session !== 'object' || Array.isArray(session)) {
    throw new TypeError('itty-session: request.session must stay a plain object; to end a session call request.session.destroy()')
  }
  let text
  try {
    text = JSON.stringify(session)
  } catch (e) {
    throw new TypeError(`itty-session: request.session cannot be saved as JSON (${e.message}); keep only JSON values in it (no BigInt, no cycles). The stored session was left as it was.`)
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: count exactly only when it could matter.
  if (text.length * 3 > maxSize && encoder.encode(text).length > maxSize) {
    throw new RangeError(`itty-session: request.session is larger than options.maxSize (${maxSize} bytes of JSON); store less in it, or raise maxSize. The stored session was left as it was.`)
  }
  return text
}
