// createSessionsMiddleware: itty-session 0.4's API, lazy, writing only what changed.
import { Codec, diffSession, hashId } from '#core'
import { resolveOptions, resolveSecrets } from './config.js'
import { describeDevice } from './device.js'
import D1Provider from './providers/d1.js'
import { withCookies } from './response.js'
import { AMBIGUOUS_COOKIE, BAD_COOKIE, issueSession, readSessionCookie } from './session-cookie.js'
import { hasRecordMethods, legacyRecords, oncePerIsolate } from './store.js'
import { Session, STATE } from './session.js'
import { userSessions } from './users.js'
import { log } from './utils/log.js'

const EMPTY = '{}'
// No cookies to send (shared, never written to).
const NONE = Object.freeze([])
// Expiry is pushed forward at most once per tenth of the session's window, so an unchanged
// session costs no write on most requests.
const REFRESH_AFTER = 0.1
const encoder = new TextEncoder()

// Defining, not assigning: itty-router's request is a Proxy, and a set through it costs more than a
// define on it (the whole request measured 1.17x slower with assignments).
const define = (obj, key, value) => Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
const hidden = (obj, key, value) => Object.defineProperty(obj, key, { value, writable: true, configurable: true })
// Wait only for what is a promise: a synchronous store (memory) then costs no microtask.
const isPromise = (value) => typeof value?.then === 'function'

/** One request's session bookkeeping (never stored: it lives under a symbol). */
class State {
  constructor(provider, records, codec, request) {
    this.provider = provider
    this.records = records
    this.codec = codec
    this.request = request
    this.id = undefined // the id of the loaded session, and its storage key
    this.key = undefined
    this.legacy = false // an id issued by itty-session 0.4
    this.resign = false // its cookie was signed with a retired secret
    this.rename = false // it came under the previous default cookie name: move it
    this.snapshot = null // the stored JSON as loaded; null when no stored session
    this.expiry = 0
    this.created = 0 // when the session was created (kept across regenerate())
    this.fresh = undefined // [id, key, cookie value] for a new session, made when first needed
    this.clear = '' // the clearing cookie to send unless a new session cookie replaces it
    this.pending = null // destroy()/regenerate() calls the handler may not have awaited
    this.loaded = false // the preflight finished
  }
}

/**
 * Create the two itty-router middlewares: `sessionPreflight` (put it in `before`) loads
 * `request.session`, and `sessionify` (put it in `finally`) saves what changed and sets cookies;
 * and `sessions`, to list and end a user's sessions (with `options.userKey`).
 *
 * @param {object} [init]
 * @param {Function} [init.Provider=D1Provider] the storage class, constructed once per env with
 *   `{ env, logging, maxAge, userKey, ...providerOptions }`
 * @param {object} [init.providerOptions={}] e.g. `{ dbName: 'SESSIONS', tableName: 'sessions' }`
 * @param {object} [init.options={}] `{ cookieOptions, secret, idleTimeout, absoluteTimeout, maxSize,
 *   acceptLegacy, userKey, deviceDetails }`; see the README for every option and its default
 * @param {boolean} [init.logging=false] log what the middleware does (never a raw session id)
 */
export function createSessionsMiddleware({ Provider = D1Provider, providerOptions = {}, options = {}, logging = false } = {}) {
  if (typeof Provider !== 'function') {
    throw new TypeError('itty-session: Provider must be a provider class, e.g. D1Provider from "itty-session/providers/d1"')
  }
  const config = resolveOptions(options)
  const makeCodec = (secrets) => new Codec(config.name, secrets, config.legacyName, config.acceptLegacy)
  let codec = config.secretFrom ? null : makeCodec(config.secrets)
  let codecSecrets = ''
  // With `secret: (env) => ...`, the codec is made on the first request and again only if the
  // secrets change (which also empties its cache of verified cookies).
  const codecFor = (env) => {
    if (!config.secretFrom) return codec
    const value = config.secretFrom(env)
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`itty-session: options.secret is a function and it returned ${value} for this request's env: set the secret it reads (e.g. \`npx wrangler secret put SESSION_SECRET\`, or [vars] in wrangler.toml for local development only)`)
    }
    const secrets = resolveSecrets(value)
    const joined = secrets.join('\0')
    if (joined !== codecSecrets) {
      codec = makeCodec(secrets)
      codecSecrets = joined
    }
    return codec
  }
  const precheck = oncePerIsolate()
  let recordMethods // whether Provider has the record methods, learnt from its first instance
  // Logs name a session by a prefix of its id's hash, never by the id.
  const tag = (state) => `#${(state.legacy ? hashId(state.key) : state.key).slice(0, 8)}`
  const { windowMs, absoluteMs } = config
  const expiryFrom = (now, created) => Math.min(now + windowMs, created + absoluteMs)
  // Dead under the policy in force now, whatever expiry an older, looser policy stored: idle for
  // the current window (since its last recorded activity) or past the absolute timeout.
  const isLive = (row, now) => {
    const created = row.created ?? now
    const active = row.active ?? row.expiry - windowMs
    return now < row.expiry && now < created + absoluteMs && now < active + windowMs
  }

  // One provider per env object (workerd passes the same env to every request of an isolate).
  const providers = new WeakMap()
  const makeProvider = (env) => new Provider({ env, logging, maxAge: config.maxAge, userKey: config.userKey, ...providerOptions })
  // The last env seen, and its provider: one comparison for the usual request.
  let lastEnv = providers
  let lastProvider
  const providerFor = (env) => {
    if (env === lastEnv) return lastProvider
    if (env === null || typeof env !== 'object') return makeProvider(env)
    let provider = providers.get(env)
    if (!provider) providers.set(env, (provider = makeProvider(env)))
    lastEnv = env
    lastProvider = provider
    return provider
  }
  // The Set-Cookie value of a session cookie: its attributes were serialised once, at set-up.
  const sessionCookie = (value) => config.setPrefix + value + config.setSuffix
  const where = (provider) => provider.label ?? Provider.name ?? 'the session store'

  // Both middlewares run synchronously as far as the store lets them: with a synchronous store
  // (memory) a request costs no promise, and with an asynchronous one they await only the store.
  // They return undefined when done at once, a promise otherwise; failures always as a rejection.
  function sessionPreflight(request, env) {
    try {
      return preflight(request, env)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  function sessionify(response, request) {
    try {
      return finalize(response, request)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  function preflight(request, env) {
    const provider = providerFor(env)
    const codec = codecFor(env)
    if (recordMethods === undefined) {
      recordMethods = hasRecordMethods(provider)
      // A 0.4-style provider issues UUID ids, which acceptLegacy: false refuses: no session would last.
      if (!recordMethods && !config.acceptLegacy) {
        recordMethods = undefined
        throw new TypeError(`itty-session: options.acceptLegacy: false refuses UUID ids, and ${Provider.name || 'this Provider'} is written for itty-session 0.4 (its createSession() issues UUIDs): implement the record methods (see the provider contract in the README) or leave acceptLegacy on`)
      }
    }
    const state = new MiddlewareState(provider, recordMethods ? provider : legacyRecords(provider), codec, request)
    // D1 read replicas (providerOptions.readReplicas): the request's statements go through one D1 session.
    if (provider.forRequest) state.provider = state.records = provider.forRequest(request, config)
    hidden(request, STATE, state)

    const found = readSessionCookie(codec, request.headers.get('cookie'))
    if (Array.isArray(found)) {
      ;[state.id, state.key, state.resign, state.rename] = found
      state.legacy = state.id.length === 36
      const checked = precheck(provider)
      return checked === true ? load(state) : checked.then(() => load(state))
    }
    if (found === BAD_COOKIE) {
      state.clear = config.clearCookie // a malformed, forged or badly signed session cookie
    } else if (found === AMBIGUOUS_COOKIE) {
      // Two cookies with our name: one may be planted (cookie tossing). Use neither, and clear
      // neither: a clearing cookie could delete the real one.
      log(true, 'warn', `the Cookie header holds more than one "${config.name}" cookie (possibly planted by another subdomain); treating the request as having no session`)
    }
    attach(state, undefined)
  }

  // Read the stored session the cookie names.
  function load(state) {
    const now = Date.now()
    const row = state.records.get(state.key, state.legacy ? 0 : now)
    return isPromise(row) ? row.then((r) => loaded(state, r, now)) : loaded(state, row, now)
  }

  function loaded(state, row, now) {
    if (row && !state.legacy) checkRow(row, state.provider)
    if (row && (state.legacy || isLive(row, now))) {
      const data = parseStored(row.data)
      // The stored text itself: JSON.stringify gives it back unless the session changed (or
      // the store spelled it differently, which the diff then sees as no change).
      state.snapshot = row.data
      state.expiry = row.expiry
      state.created = row.created ?? now
      return attach(state, data)
    }
    // Unknown, expired (then deleted now) or destroyed: tell the browser to drop it.
    log(logging, 'log', `session ${tag(state)} ${row ? 'expired and was deleted' : 'not found'}; clearing its cookie`)
    const deleted = row ? state.records.destroy(state.key) : undefined
    state.clear = state.rename ? config.legacyClearCookie : config.clearCookie
    state.id = state.key = undefined
    state.rename = false
    return isPromise(deleted) ? deleted.then(() => attach(state, undefined)) : attach(state, undefined)
  }

  // Give the request its session.
  function attach(state, data) {
    const { request } = state
    define(request, 'session', new Session(state, data))
    if (state.id) define(request, 'sessionID', state.id)
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
  // `keepCreated`: the new id inherits the creation time (regenerate() without re-authentication),
  // so regenerating never extends the absolute timeout.
  function detach(state, { keepCreated = false } = {}) {
    const { key } = state
    if (key !== undefined) state.clear = state.rename ? config.legacyClearCookie : config.clearCookie
    if (!keepCreated || key === undefined) state.created = 0
    state.id = state.key = undefined
    state.snapshot = null
    state.fresh = undefined
    state.rename = false
    lazySessionID(state)
    const done = key === undefined ? Promise.resolve() : Promise.resolve(precheck(state.provider)).then(() => state.records.destroy(key))
    ;(state.pending ??= []).push(done)
    done.catch(() => {}) // sessionify awaits it and reports the failure
    return done.then(() => undefined)
  }

  function finalize(response, request) {
    const state = request[STATE]
    // No response to carry cookies, or the preflight itself failed (its error is the answer).
    if (!state?.loaded || !response) return
    return state.pending ? Promise.all(state.pending).then(() => save(response, request, state)) : save(response, request, state)
  }

  // Synchronous when nothing is written, or when a synchronous store (memory) took the new text by
  // compare-and-swap; otherwise it awaits only the store.
  function save(response, request, state) {
    if (response.status >= 500) {
      // A failed request (5xx) saves nothing: its changes may be half made.
      return finish(response, state, state.snapshot === null && state.clear ? [state.clear] : NONE)
    }
    const text = serializeSession(request.session, config.maxSize)
    const now = Date.now()
    if (state.snapshot === null || text === EMPTY || (state.legacy && !state.records.wholeOnly)) return write(response, state, text, now)
    const next = expiryFrom(now, state.created)
    // Forward at most once per tenth of the window; back at once when the policy tightened.
    const refresh = next < state.expiry || (next > state.expiry && state.expiry - now < windowMs * (1 - REFRESH_AFTER))
    const expiry = refresh ? next : null
    const resend = refresh || state.resign || state.rename
    const { records } = state
    let live
    if (text === state.snapshot) {
      if (!resend) return finish(response, state, NONE)
      // A refresh, re-sign or rename: the cookie goes out only if the row is still there.
      live = records.touch(state.key, expiry ?? state.expiry)
    } else if (records.swap) {
      // The row still holds what this request loaded (no concurrent change): store the text as it is.
      live = records.swap(state.key, state.snapshot, text, expiry)
      if (isPromise(live)) live = live.then((swapped) => swapped || change(state, text, expiry, resend))
      else if (!live) live = change(state, text, expiry, resend)
    } else {
      live = change(state, text, expiry, resend)
    }
    return isPromise(live) ? live.then((ok) => updated(response, state, ok, resend)) : updated(response, state, live, resend)
  }

  // After writing a loaded session: its cookie again if due, unless it ended meanwhile.
  function updated(response, state, live, resend) {
    if (!live) {
      // Destroyed or regenerated by another request meanwhile: never revive it, and send no
      // cookie (that request has sent the browser the cookie it should keep).
      log(logging, 'warn', `session ${tag(state)} ended while this request ran; its changes were dropped`)
      return finish(response, state, NONE)
    }
    if (!resend) return finish(response, state, NONE)
    const cookies = [sessionCookie(state.codec.cookieValue(state.id))]
    if (state.rename) cookies.push(config.legacyClearCookie)
    return finish(response, state, cookies)
  }

  // A new session, an emptied one, or a 0.4 one moving to a new id.
  async function write(response, state, text, now) {
    const cookies = []
    const { records } = state
    if (state.snapshot === null) {
      if (text !== EMPTY) {
        const checked = precheck(state.provider)
        if (checked !== true) await checked
        const [, key, value] = issue(state)
        const created = state.created || now
        // A 0.4 provider picks its own id (a UUID, stored and sent unsigned as 0.4 did).
        const sid = await records.create(key, text, expiryFrom(now, created), created, deviceMeta(state.request))
        cookies.push(sessionCookie(sid ?? value))
        if (state.clear && state.clear !== config.clearCookie) cookies.push(state.clear)
        log(logging, 'log', 'created a session')
      } else if (state.clear) cookies.push(state.clear)
    } else if (text === EMPTY) {
      await records.destroy(state.key)
      cookies.push(state.rename ? config.legacyClearCookie : config.clearCookie)
    } else if (await records.destroy(state.key)) {
      // An id from itty-session 0.4: move the data to a new id of ours, once. The old row is
      // deleted first and the new one made only if that delete removed it: a logout that ran
      // meanwhile wins.
      const [, key, value] = issue(state)
      await records.create(key, text, expiryFrom(now, now), now, deviceMeta(state.request))
      cookies.push(sessionCookie(value))
      // A 0.4 cookie is named sid: drop it once the session has moved to the new name.
      if (state.rename) cookies.push(config.legacyClearCookie)
      log(logging, 'log', `moved session ${tag(state)} from an itty-session 0.4 id to a new id`)
    } else {
      log(logging, 'warn', `session ${tag(state)} ended while this request ran; its changes were dropped`)
    }
    return finish(response, state, cookies)
  }

  // The D1 bookmark cookie (read replicas) goes out with any response, a failed one too: its writes happened.
  function finish(response, state, cookies) {
    if (state.records.addCookie) {
      if (cookies === NONE) cookies = []
      state.records.addCookie(cookies)
    }
    return cookies.length ? withCookies(response, cookies) : undefined
  }

  // Write what changed since the snapshot: a merge patch when one can say it, else the document.
  function change(state, text, expiry, resend) {
    const { records } = state
    const patch = diffSession(state.snapshot, text)
    // Spelled differently but the same: only a refresh, re-sign or rename writes.
    if (patch === '') return resend ? records.touch(state.key, expiry ?? state.expiry) : true
    if (patch === 'replace' || records.wholeOnly) return records.replace(state.key, text, expiry)
    return records.patch(state.key, patch, expiry)
  }

  // Device details stored with a new session, for a "your devices" page (options.deviceDetails).
  function deviceMeta(request) {
    if (!config.userKey || !config.deviceDetails) return null
    return JSON.stringify(describeDevice(request))
  }

  // The state class of this middleware: Session's destroy() and regenerate() call its detach().
  class MiddlewareState extends State {
    detach(options) {
      return detach(this, options)
    }
  }

  const sessions = userSessions({ config, providerFor, isLive, where, stateOf })
  return { sessionPreflight, sessionify, sessions }
}

/** The middleware's state for `request`, or a clear error when the preflight did not run. */
function stateOf(request) {
  const state = request?.[STATE]
  if (!state?.loaded) {
    throw new Error('itty-session: this request has no session: put sessionPreflight in the router\'s `before` list (AutoRouter({ before: [sessionPreflight], finally: [sessionify] }))')
  }
  return state
}

// A stored row with a missing or unusable expiry is not treated as expired (that would delete it
// and log the user out silently): the request fails, naming the store, and the row stays.
function checkRow(row, provider) {
  if (typeof row.expiry !== 'number' || !Number.isFinite(row.expiry)) {
    const where = provider.label ?? provider.constructor?.name ?? 'the session store'
    throw new Error(`itty-session: a stored session in ${where} has no valid expiry (got ${row.expiry === null ? 'NULL' : typeof row.expiry}); the row was left untouched: set its expiry (milliseconds since the epoch) or delete it`)
  }
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
    // The engine's message names the session's keys: it goes to the log, not to the client.
    log(true, 'error', 'request.session cannot be saved as JSON:', e?.message)
    throw new TypeError('itty-session: request.session cannot be saved as JSON; keep only JSON values in it (no BigInt, no cycles). The stored session was left as it was; the details are in the log.')
  }
  // UTF-8 is at most 3 bytes per UTF-16 unit: count exactly only when it could matter.
  if (text.length * 3 > maxSize && encoder.encode(text).length > maxSize) {
    throw new RangeError(`itty-session: request.session is larger than options.maxSize (${maxSize} bytes of JSON); store less in it, or raise maxSize. The stored session was left as it was.`)
  }
  return text
}
