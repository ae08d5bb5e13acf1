// itty-session/providers/memory: sessions in a Map, for tests and single-process servers.
import { newSessionId } from '../session-cookie.js'
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { BaseProvider } from '../utils/BaseProvider.js'
import { applyMergePatch } from '../utils/mergePatch.js'

// The default store outlives requests (providers are made per request): one per process.
const shared = new Map()

/**
 * Keeps sessions in memory: in a Map you pass as `providerOptions.store`, or one shared by
 * every MemoryProvider of the process. Sessions are lost on restart, and each Worker isolate
 * has its own: use it for tests and single-process Node servers, not in production Workers.
 */
export class MemoryProvider extends BaseProvider {
  #store
  #maxAgeMs

  /** @param {{ store?: Map<string, { data: string, expiry: number, created: number }>, maxAge?: number }} [init] */
  constructor({ store = shared, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
    super()
    this.#store = store
    this.#maxAgeMs = maxAge * 1000
  }

  /** Nothing to prepare. */
  precheck() {}

  /** The record for `key`: `{ data, expiry, created }`, or null. */
  get(key) {
    const row = this.#store.get(key)
    return row ? { ...row } : null
  }

  /** Insert a new record. */
  create(key, data, expiry, created = Date.now()) {
    if (this.#store.has(key)) throw new Error('itty-session: session id collision')
    this.#store.set(key, { data, expiry, created })
  }

  /** Apply an RFC 7396 merge patch. */
  patch(key, patch, expiry) {
    const row = this.#store.get(key)
    if (!row) return false
    row.data = JSON.stringify(applyMergePatch(JSON.parse(row.data), JSON.parse(patch)))
    if (expiry !== null) row.expiry = expiry
    return true
  }

  /** Replace the whole document. */
  replace(key, data, expiry) {
    const row = this.#store.get(key)
    if (!row) return false
    row.data = data
    if (expiry !== null) row.expiry = expiry
    return true
  }

  /** Push the expiry forward; false when the record is gone. */
  touch(key, expiry) {
    const row = this.#store.get(key)
    if (row) row.expiry = expiry
    return !!row
  }

  /** Delete the record. */
  destroy(key) {
    this.#store.delete(key)
  }

  /** 0.4 contract: create an empty session, return its id. */
  createSession() {
    const sid = newSessionId()
    this.create(sid, '{}', Date.now() + this.#maxAgeMs)
    return sid
  }

  /** 0.4 contract: the record `{ sid, data, expiry }` or null. */
  getSession(sid) {
    const row = this.#store.get(sid)
    return row ? { sid, ...row } : null
  }

  /** 0.4 contract: store `data` (an object) for `sid`. */
  setSession(sid, data, expiry) {
    const row = this.#store.get(sid)
    if (row) this.replace(sid, JSON.stringify(data), expiry ?? null)
    else this.create(sid, JSON.stringify(data), expiry ?? Date.now() + this.#maxAgeMs)
  }

  /** 0.4 contract: delete `sid`. */
  destroySession(sid) {
    this.destroy(sid)
  }
}

export default MemoryProvider
