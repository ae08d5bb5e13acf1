// createSessionsMiddleware: itty-session 0.4's API, lazy, writing only what changed.
import { diffSession, newSessionId, readSessionId } from '#core'
import { resolveOptions } from './config.js'
import D1Provider from './providers/d1.js'
import { withCookies } from './response.js'
import { hasRecordMethods, legacyRecords, oncePerIsolate } from './store.js'
import { log } from './utils/log.js'

const STATE = Symbol('itty-session')
const EMPTY = '{}'
// The expiry is pushed forward at most once per tenth of maxAge, so an unchanged session
// costs no write on most requests.
const REFRESH_AFTER = 0.1

/**
 * Create the two itty-router middlewares: `sessionPreflight` (put it in `before`) loads
 * `request.session`, and `sessionify` (put it in `finally`) saves what changed and sets cookies.
 *
 * @param {object} [init]
 * @param {Function} [init.Provider=D1Provider] the storage class, constructed per request with
 *   `{ env, logging, maxAge, ...providerOptions }`
 * @param {object} [init.providerOptions={}] e.g. `{ dbName: 'SESSIONS', tableName: 'sessions' }`
 * @param {object} [init.options={}] `{ cookieOptions }`; see the README for every option
 * @param {boolean} [init.logging=false] log what the middleware does (never a raw session id)
 */
export function createSessionsMiddleware({ Provider = D1Provider, providerOptions = {}, options = {}, logging = false } = {}) {
  if (typeof Provider !== 'function') {
    throw new TypeError('itty-session: Provider must be a provider class, e.g. D1Provider from "itty-session/providers/d1"')
  }
  const config = resolveOptions(options)
  const precheck = oncePerIsolate()

  async function sessionPreflight(request, env) {
    const provider = new Provider({ env, logging, maxAge: config.maxAge, ...providerOptions })
    const records = hasRecordMethods(provider) ? provider : legacyRecords(provider)
    const state = {
      provider,
      records,
      id: undefined, // the id whose record was loaded
      legacy: false, // that id was issued by itty-session 0.4
      snapshot: null, // JSON of the session as loaded; null when no record was loaded
      expiry: 0,
      newId: undefined, // the id a new session will get, made when first asked for
      clear: false, // send the clearing cookie unless a new session cookie replaces it
      pending: [], // destroy() calls the handler may not have awaited
      loaded: false, // the preflight finished
    }
    request[STATE] = state

    const header = request.headers.get('cookie')
    const id = header ? readSessionId(header, config.name) : undefined
    let data = {}
    if (id) {
      state.legacy = id.length === 36
      await precheck(provider)
      const row = await records.get(id, state.legacy ? 0 : Date.now())
      if (row) {
        data = parseStored(row.data)
        state.id = id
        state.snapshot = JSON.stringify(data)
        state.expiry = row.expiry
      } else {
        // Unknown, expired or destroyed: tell the browser to stop sending it.
        state.clear = true
        log(logging, 'log', 'no live session for the cookie; it will be cleared')
      }
    } else if (header?.includes(`${config.name}=`)) {
      state.clear = true // a malformed session cookie
    }
    request.session = sessionObject(data, state)
    Object.defineProperty(request, 'sessionID', {
      configurable: true,
      enumerable: true,
      get: () => state.id ?? (state.newId ??= newSessionId()),
    })
    state.loaded = true
  }

  function sessionObject(data, state) {
    return Object.defineProperty(data, 'destroy', {
      configurable: true,
      writable: true,
      enumerable: false,
      value() {
        // Empty now, even if the caller does not await; the id is dead from here on.
        for (const key of Object.keys(data)) delete data[key]
        const { id } = state
        state.clear = state.clear || id !== undefined
        state.id = undefined
        state.snapshot = null
        state.newId = undefined
        const done = id === undefined ? Promise.resolve() : precheck(state.provider).then(() => state.records.destroy(id))
        state.pending.push(done)
        done.catch(() => {}) // sessionify awaits it and reports the failure
        return done
      },
    })
  }

  async function sessionify(response, request) {
    const state = request[STATE]
    // No response to carry cookies, or the preflight itself failed (its error is the answer).
    if (!state?.loaded || !response) return
    if (state.pending.length) await Promise.all(state.pending)
    const cookies = []
    const setCookie = (id) => cookies.push(config.setPrefix + id + config.setSuffix)
    // A failed request (5xx) saves nothing: its changes may be half made.
    if (response.status >= 500) {
      if (state.snapshot === null && state.clear) cookies.push(config.clearCookie)
      return cookies.length ? withCookies(response, cookies) : undefined
    }
    const text = serializeSession(request.session)
    const now = Date.now()

    if (state.snapshot === null) {
      if (text !== EMPTY) {
        await precheck(state.provider)
        const id = state.newId ?? newSessionId()
        const sid = (await state.records.create(id, text, now + config.maxAgeMs)) ?? id
        setCookie(sid)
        log(logging, 'log', 'created a session')
      } else if (state.clear) cookies.push(config.clearCookie)
    } else if (text === EMPTY) {
      await state.records.destroy(state.id)
      cookies.push(config.clearCookie)
    } else if (state.legacy && !state.records.wholeOnly) {
      // An id from itty-session 0.4: move the data to a new id of ours, once.
      const id = newSessionId()
      await state.records.create(id, text, now + config.maxAgeMs)
      await state.records.destroy(state.id)
      setCookie(id)
      log(logging, 'log', 'moved a session from an itty-session 0.4 id to a new id')
    } else {
      const refresh = state.expiry - now < config.maxAgeMs * (1 - REFRESH_AFTER)
      const expiry = refresh ? now + config.maxAgeMs : null
      const change = text === state.snapshot ? '' : diffSession(state.snapshot, text)
      let live = true
      if (change === '') {
        if (refresh) await state.records.touch(state.id, expiry)
      } else if (change === 'replace' || state.records.wholeOnly) {
        live = await state.records.replace(state.id, text, expiry)
      } else {
        live = await state.records.patch(state.id, change, expiry)
      }
      if (!live) {
        // Destroyed by another request meanwhile (a logout): never revive it.
        cookies.push(config.clearCookie)
        log(logging, 'warn', 'the session was destroyed while this request ran; its changes were dropped')
      } else if (refresh) setCookie(state.id)
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

function serializeSession(session) {
  if (session === null || typeof session !== 'object' || Array.isArray(session)) {
    throw new TypeError('itty-session: request.session must stay a plain object; to end a session call request.session.destroy()')
  }
  try {
    return JSON.stringify(session)
  } catch (e) {
    throw new TypeError(`itty-session: request.session cannot be saved as JSON (${e.message}); keep only JSON values in it (no BigInt, no cycles). The stored session was left as it was.`)
  }
}
