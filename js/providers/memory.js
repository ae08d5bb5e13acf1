// itty-session/providers/memory: sessions in a Map, for tests and single-process servers.
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { applyMergePatch } from '../utils/mergePatch.js'
import { checkUserKey, noUserKey, userOf, userText } from '../utils/user.js'

// The default store outlives requests (providers are made per request): one per process.
const shared = new Map()

// Per store, per userKey: which keys belong to which user. Built from the store's records the
// first time a provider with that userKey lists or ends a user's sessions, then kept up to date
// by every write through a MemoryProvider (whatever its own userKey).
const indexes = new WeakMap()

class UserIndex {
  byUser = new Map() // user -> Set of keys
  byKey = new Map() // key -> user

  set(key, user) {
    const old = this.byKey.get(key)
    if (old === user) return
    if (old !== undefined) {
      const keys = this.byUser.get(old)
      keys.delete(key)
      if (keys.size === 0) this.byUser.delete(old)
      this.byKey.delete(key)
    }
    if (user === null) return
    this.byKey.set(key, user)
    if (!this.byUser.has(user)) this.byUser.set(user, new Set())
    this.byUser.get(user).add(key)
  }
}

const parseOrNull = (text) => {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/**
 * Keeps sessions in memory: in a Map you pass as `providerOptions.store`, or one shared by
 * every MemoryProvider of the process. Sessions are lost on restart, and each Worker isolate
 * has its own: use it for tests and single-process Node servers, not in production Workers.
 * Write to the Map only through providers: the per-user index sees only their writes.
 */
export class MemoryProvider extends RecordProvider {
  #store
  #userKey

  /** @param {{ store?: Map<string, { data: string, expiry: number, created: number }>, maxAge?: number, userKey?: string }} [init] */
  constructor({ store = shared, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge, userKey } = {}) {
    super(maxAge)
    if (!(store instanceof Map)) throw new TypeError(`itty-session: providerOptions.store must be a Map; got ${Object.prototype.toString.call(store)}`)
    this.#store = store
    this.#userKey = checkUserKey(userKey)
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return this.#store === shared ? 'memory (the Map shared by the process)' : 'memory (the Map in providerOptions.store)'
  }


  /** The record for `key`: `{ data, expiry, created, active }`, or null. */
  get(key) {
    const row = this.#store.get(key)
    return row ? { data: row.data, expiry: row.expiry, created: row.created ?? null, active: row.active ?? null } : null
  }

  /** Insert a new record; `active` starts now (a regenerated session keeps an older `created`). */
  create(key, data, expiry, created = Date.now(), meta = null) {
    if (this.#store.has(key)) throw new Error('itty-session: session id collision')
    this.#store.set(key, { data, expiry, created, active: Date.now(), meta: meta ?? null })
    this.#reindex(key, data)
  }

  /** Apply an RFC 7396 merge patch; false when the record is gone. */
  patch(key, patch, expiry) {
    const row = this.#store.get(key)
    if (!row) return false
    const doc = applyMergePatch(JSON.parse(row.data), JSON.parse(patch))
    this.#write(key, row, JSON.stringify(doc), expiry, doc)
    return true
  }

  /** Replace the whole document; false when the record is gone. */
  replace(key, data, expiry) {
    const row = this.#store.get(key)
    if (!row) return false
    this.#write(key, row, data, expiry)
    return true
  }

  /**
   * Compare-and-swap: store `data` only if the stored text is exactly `snapshot`. Saves the
   * middleware its diff and this provider a parse and merge on the common path (no concurrent
   * change); false when the record changed meanwhile or is gone.
   */
  swap(key, snapshot, data, expiry) {
    const row = this.#store.get(key)
    if (!row || row.data !== snapshot) return false
    this.#write(key, row, data, expiry)
    return true
  }

  /** Push the expiry forward; false when the record is gone. */
  touch(key, expiry) {
    const row = this.#store.get(key)
    if (!row) return false
    row.expiry = expiry
    row.active = Date.now()
    return true
  }

  /** Delete the record; true when there was one. */
  destroy(key) {
    const removed = this.#store.delete(key)
    if (removed) this.#reindex(key, null)
    return removed
  }

  /** The user's live sessions: `[{ key, created, active, expiry, meta }]`. */
  listUser(user, now = Date.now()) {
    const out = []
    for (const key of this.#keysOf(user)) {
      const row = this.#store.get(key)
      if (row && row.expiry > now) out.push({ key, created: row.created ?? null, active: row.active ?? row.created ?? null, expiry: row.expiry, meta: row.meta ?? null })
    }
    return out
  }

  /**
   * Delete the user's sessions: all, all but `except`, or only the one whose key starts with
   * `handle` (16 characters). Returns how many were deleted.
   */
  destroyUser(user, { except, handle } = {}) {
    let deleted = 0
    for (const key of this.#keysOf(user)) {
      if (key === except || (handle !== undefined && handle !== null && (handle.length !== 16 || !key.startsWith(handle)))) continue
      if (this.destroy(key)) deleted++
    }
    return deleted
  }

  #keysOf(user) {
    if (!this.#userKey) throw noUserKey(`MemoryProvider (${this.label})`)
    const text = userText(user)
    return text === null ? [] : [...(this.#index().byUser.get(text) ?? [])]
  }

  #index() {
    let byUserKey = indexes.get(this.#store)
    if (!byUserKey) indexes.set(this.#store, (byUserKey = new Map()))
    let index = byUserKey.get(this.#userKey)
    if (!index) {
      byUserKey.set(this.#userKey, (index = new UserIndex()))
      for (const [key, row] of this.#store) index.set(key, userOf(parseOrNull(row.data), this.#userKey))
    }
    return index
  }

  #write(key, row, data, expiry, doc) {
    row.data = data
    if (expiry !== null && expiry !== undefined) {
      row.expiry = expiry
      row.active = Date.now()
    }
    this.#reindex(key, data, doc)
  }

  /** Keep every index of this store current for `key` (data null: deleted). */
  #reindex(key, data, doc) {
    const byUserKey = indexes.get(this.#store)
    if (!byUserKey?.size) return
    if (data !== null && doc === undefined) doc = parseOrNull(data)
    for (const [userKey, index] of byUserKey) index.set(key, data === null ? null : userOf(doc, userKey))
  }
}

export default MemoryProvider
