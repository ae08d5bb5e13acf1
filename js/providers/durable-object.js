// itty-session/providers/durable-object: one Durable Object per session, expired by its own alarm.
import { DurableObject } from 'cloudflare:workers'
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { log } from '../utils/log.js'
import { applyMergePatch } from '../utils/mergePatch.js'
import { checkUserKey, noUserKey, userOf, userText } from '../utils/user.js'

// A per-user index object is named `user:` + userKey + `:` + the user (userKey is an identifier,
// so the name is unambiguous, and a changed userKey starts new indexes instead of reading another
// field's values). A session's key never holds a colon.
const USER = 'user:'
const indexName = (userKey, user) => `${USER}${userKey}:${user}`
// When telling a user index about a change fails, the session object's alarm retries this soon.
const RETRY_MS = 10_000
// A user index ends this many sessions at a time.
const END_BATCH = 32

// The name of the session's user index (the user per utils/user.js), from its JSON text; null
// when it has no user (text that is not JSON has none).
const indexFrom = (text, userKey) => {
  if (!userKey) return null
  let user = null
  try {
    user = userOf(JSON.parse(text), userKey)
  } catch {}
  return user === null ? null : indexName(userKey, user)
}

/**
 * The Durable Object class: export it from your Worker (`export { SessionObject } from
 * 'itty-session/providers/durable-object'`) and bind it in wrangler.toml with a migration in
 * `new_sqlite_classes` (it needs SQLite storage). Each instance is one of two things:
 *
 * - a session, named by its storage key (the SHA-256 of the session id, never the id). It keeps
 *   one record (`s`) in its synchronous SQLite-backed KV storage and changes it without awaiting
 *   anything in between, so every method is atomic. Its alarm is set to the record's expiry and
 *   deletes the object when it fires (deleteAll + deleteAlarm).
 * - a user index, named `user:<userKey>:<user>`, listing that user's sessions (`e:<key>`), told by the
 *   session objects when their user, expiry or activity changes. See the README for what is and
 *   is not atomic between the two.
 *
 * The Worker calls these methods through RPC; they are not meant to be called by hand.
 */
export class SessionObject extends DurableObject {
  #chain = Promise.resolve() // index updates, one at a time, in the order of the changes
  #alarmAt // the alarm as last set by this instance (undefined: unknown)

  get #kv() {
    const kv = this.ctx.storage.kv
    if (!kv) {
      throw new Error('itty-session: SessionObject needs SQLite storage: list it under new_sqlite_classes in a [[migrations]] entry of wrangler.toml (see the itty-session README, "Durable Objects")')
    }
    return kv
  }

  // ---- A session object ----

  /** `{ data, expiry, created, active }`, or null; null too when expired at `now` (unless `now` is 0): the alarm deletes it. */
  read(now) {
    const s = this.#kv.get('s')
    if (!s || (now !== 0 && s.expiry <= now)) return null
    return { data: s.data, expiry: s.expiry, created: s.created ?? null, active: s.active ?? null }
  }

  /** Store a new session; throws if this key already has one. */
  async create(key, data, expiry, created, meta, { binding, userKey } = {}) {
    if (this.#kv.get('s')) throw new Error('itty-session: session id collision (a record with this key exists)')
    // A new object has no alarm: skip asking for it.
    if (this.#alarmAt === undefined && this.#kv.get('i') === undefined) this.#alarmAt = null
    const index = indexFrom(data, userKey)
    this.#kv.put('s', { key, binding, data, expiry, created, active: Date.now(), meta: meta ?? null, index })
    await this.#settle()
  }

  /** Apply an RFC 7396 merge patch to the stored document; false when there is no record. */
  patch(key, patch, expiry, opts) {
    return this.#update(expiry, opts, (s) => JSON.stringify(applyMergePatch(JSON.parse(s.data), JSON.parse(patch))))
  }

  /** Replace the whole document; false when there is no record. */
  replace(key, data, expiry, opts) {
    return this.#update(expiry, opts, () => data)
  }

  /** Store `data` only if the stored text is exactly `snapshot`; false otherwise. */
  swap(key, snapshot, data, expiry, opts) {
    return this.#update(expiry, opts, (s) => (s.data === snapshot ? data : undefined))
  }

  /** Set the expiry (and the last-active time); false when there is no record. */
  touch(key, expiry) {
    return this.#update(expiry, null, (s) => s.data)
  }

  /** Delete the session; true only when this call removed the record. */
  async destroy() {
    if (!this.#kv.delete('s')) return false
    await this.#settle()
    return true
  }

  /** Called by a user index (named `index`): end this session if it still belongs to that user. */
  async endFor(index) {
    const s = this.#kv.get('s')
    // The index drops its entry for this key whatever the answer: forget it was there.
    if (this.#kv.get('i')?.index === index) this.#kv.delete('i')
    const mine = s?.index === index
    if (mine) this.#kv.delete('s')
    await this.#settle()
    return mine
  }

  // Change the record in one synchronous step (atomic), then tell the index and set the alarm.
  async #update(expiry, opts, change) {
    const s = this.#kv.get('s')
    if (!s) return false
    const data = change(s)
    if (data === undefined) return false
    if (data !== s.data) {
      s.data = data
      if (opts) s.index = indexFrom(data, opts.userKey)
    }
    if (expiry !== null && expiry !== undefined) {
      s.expiry = expiry
      s.active = Date.now()
    }
    this.#kv.put('s', s)
    await this.#settle()
    return true
  }

  // After a change: bring the user index up to date (serialised, so the last state wins), then
  // set the alarm to the expiry, or wipe the object when nothing is left.
  async #settle() {
    const step = this.#chain.then(() => this.#syncIndex())
    this.#chain = step.catch(() => {})
    let synced = true
    try {
      await step
    } catch (e) {
      synced = false
      console.error('itty-session: a session object could not update its user index; its alarm retries:', e?.message ?? e)
    }
    await this.#arm(synced)
  }

  // What the index should hold for this session, against what it was last told (`i`).
  #indexState() {
    const s = this.#kv.get('s')
    const i = this.#kv.get('i')
    const want = s?.index ? s : null
    const stale = !!i && i.index !== want?.index
    const missing = !!want && (!i || i.index !== want.index || i.expiry !== want.expiry || i.active !== want.active)
    return { s, i, want, stale, missing }
  }

  async #syncIndex() {
    const { i, want, stale, missing } = this.#indexState()
    if (stale) {
      await this.#object(i.binding, i.index).indexDrop(i.key)
      this.#kv.delete('i')
    }
    if (missing) {
      const { key, binding, index, created, active, expiry, meta } = want
      await this.#object(binding, index).indexPut(key, { created, active, expiry, meta })
      this.#kv.put('i', { key, binding, index, expiry, active })
    }
  }

  // Another object of this namespace, by name: a user index, or a session (by its key).
  #object(binding, name) {
    const ns = this.env[binding]
    if (!ns?.idFromName) throw new Error(`itty-session: no Durable Object namespace is bound as "${binding}" in the Durable Object's env`)
    return ns.get(ns.idFromName(name))
  }

  async #arm(synced) {
    const { s, i, stale, missing } = this.#indexState()
    const storage = this.ctx.storage
    if (!s && !i) {
      await storage.deleteAlarm()
      await storage.deleteAll()
      this.#alarmAt = null
      return
    }
    let at = s ? s.expiry : Infinity
    if (!synced || stale || missing) at = Math.min(at, Date.now() + RETRY_MS)
    if (this.#alarmAt === undefined) this.#alarmAt = await storage.getAlarm()
    if (at !== this.#alarmAt) {
      await storage.setAlarm(at)
      this.#alarmAt = at
    }
  }

  // ---- A user index ----

  /** Record (or update) the session `key` of this index's user. */
  async indexPut(key, entry) {
    // Marks a user index (its alarm prunes entries; a session's alarm expires the session).
    if (this.#kv.get('u') === undefined) this.#kv.put('u', true)
    this.#kv.put(`e:${key}`, entry)
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm()
    // One alarm, at the latest expiry: by then every entry has expired unless refreshed.
    if (this.#alarmAt === null || entry.expiry > this.#alarmAt) {
      await this.ctx.storage.setAlarm(entry.expiry)
      this.#alarmAt = entry.expiry
    }
  }

  /** Forget the session `key`. */
  async indexDrop(key) {
    this.#kv.delete(`e:${key}`)
    await this.#pruneIndex(Date.now())
  }

  /** The user's unexpired sessions: `[{ key, created, active, expiry, meta }]`. */
  indexList(now) {
    const out = []
    for (const [k, e] of this.#kv.list({ prefix: 'e:' })) if (e.expiry > now) out.push({ key: k.slice(2), ...e })
    return out
  }

  /**
   * End the user's sessions: all, all but `except` (a key), or with `handle` only the one whose
   * key starts with it. Each session object ends itself only if it still belongs to this user.
   * Returns how many sessions were ended; throws, after ending what it could, when some session
   * objects could not be reached (their entries stay, so calling again finishes the job).
   */
  async indexEnd(index, { except, handle } = {}, binding) {
    const keys = []
    for (const [k] of this.#kv.list({ prefix: 'e:' })) {
      const key = k.slice(2)
      if (key === except || (handle !== undefined && key.slice(0, 16) !== handle)) continue
      keys.push(key)
    }
    let ended = 0
    const failed = []
    for (let n = 0; n < keys.length; n += END_BATCH) {
      const batch = keys.slice(n, n + END_BATCH)
      const results = await Promise.allSettled(batch.map((key) => this.#object(binding, key).endFor(index)))
      results.forEach((r, j) => {
        if (r.status === 'rejected') return failed.push(r.reason)
        if (r.value) ended++
        this.#kv.delete(`e:${batch[j]}`)
      })
    }
    await this.#pruneIndex(Date.now())
    if (failed.length) {
      throw new Error(`ended ${ended} of the user's sessions, but ${failed.length} could not be reached; call again to end them (${failed[0]?.message ?? failed[0]})`)
    }
    return ended
  }

  // Drop expired entries; with none left, delete the index object.
  async #pruneIndex(now) {
    let left = 0
    for (const [k, e] of [...this.#kv.list({ prefix: 'e:' })]) {
      if (e.expiry <= now) this.#kv.delete(k)
      else left++
    }
    if (left === 0) {
      await this.ctx.storage.deleteAlarm()
      await this.ctx.storage.deleteAll()
      this.#alarmAt = null
    }
  }

  // ---- Both ----

  /**
   * A session: delete it when expired (and its index entry); retry a failed index update. A user
   * index: drop expired entries, and the whole object once none is left.
   */
  async alarm(info) {
    this.#alarmAt = undefined
    if (this.#kv.get('u') !== undefined) {
      await this.#pruneIndex(Date.now())
      const last = Math.max(...[...this.#kv.list({ prefix: 'e:' })].map(([, e]) => e.expiry))
      if (Number.isFinite(last)) await this.ctx.storage.setAlarm((this.#alarmAt = last))
      return
    }
    const s = this.#kv.get('s')
    if (s && s.expiry <= Date.now()) this.#kv.delete('s')
    try {
      await this.#syncIndex()
    } catch (e) {
      // Thrown, the runtime retries the alarm with backoff (six times). After that, give up on
      // the index: its entry for this session expires there on its own.
      if ((info?.retryCount ?? 0) < 5) throw e
      this.#kv.delete('i')
    }
    await this.#arm(true)
  }
}

/**
 * Stores sessions in Durable Objects of the namespace bound as `doName` (class
 * {@link SessionObject}): one object per session, each record method one RPC call that the object
 * runs atomically. With `userKey` set, every session with a user is listed in that user's index
 * object, so `listUser` and `destroyUser` work.
 */
export class DurableObjectProvider extends RecordProvider {
  #ns
  #doName
  #logging
  #opts
  #userKey

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.doName='SESSIONS_DO'] the Durable Object binding's name in wrangler.toml
   * @param {string} [init.userKey] the session field naming the user (e.g. 'userId')
   * @param {boolean} [init.logging=false]
   * @param {number} [init.maxAge] seconds; the lifetime of a session made by `createSession()`
   */
  constructor({ env, doName = 'SESSIONS_DO', userKey, logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
    super(maxAge)
    this.#userKey = checkUserKey(userKey)
    const ns = env?.[doName]
    if (!ns || typeof ns.idFromName !== 'function' || typeof ns.get !== 'function') {
      throw new Error(
        `itty-session: no Durable Object namespace is bound as "${doName}" in env. Add it to wrangler.toml:\n` +
          `[[durable_objects.bindings]]\nname = "${doName}"\nclass_name = "SessionObject"\n\n[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["SessionObject"]\n` +
          `and export the class from your Worker: export { SessionObject } from 'itty-session/providers/durable-object'\n` +
          `or set providerOptions.doName to the Durable Object binding you have.`,
      )
    }
    this.#ns = ns
    this.#doName = doName
    this.#logging = logging
    // Sent with every change: the object reads its user from the data, and finds the index by this binding.
    this.#opts = { binding: doName, userKey: this.#userKey ?? null }
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `Durable Object namespace "${this.#doName}"`
  }

  async #call(what, name, method, ...args) {
    // A session key is a hash or a UUID; one starting like an index's name would reach that index.
    if (typeof name !== 'string' || (method !== 'indexList' && method !== 'indexEnd' && name.startsWith(USER))) {
      throw new TypeError(`itty-session: ${JSON.stringify(name)} cannot be a session key for the Durable Object provider (it must be a string not starting with "${USER}")`)
    }
    try {
      const stub = this.#ns.get(this.#ns.idFromName(name))
      return await stub[method](...args)
    } catch (e) {
      log(this.#logging, 'error', `Durable Object failed to ${what}:`, e)
      throw new Error(`itty-session: ${this.label} failed to ${what}: ${e?.message ?? e}`, { cause: e })
    }
  }


  /** The record for `key`: `{ data, expiry, created, active }`, or null (also when expired at `now`; its alarm deletes it). */
  get(key, now) {
    return this.#call('read a session', key, 'read', now)
  }

  /** Store a new record (the object refuses a key it already holds). */
  async create(key, data, expiry, created = Date.now(), meta = null) {
    await this.#call('create a session', key, 'create', key, data, expiry, created, meta, this.#opts)
  }

  /** Apply an RFC 7396 merge patch inside the session's object; false when the record is gone. */
  patch(key, patch, expiry) {
    return this.#call('update a session', key, 'patch', key, patch, expiry ?? null, this.#opts)
  }

  /** Replace the whole document; false when the record is gone. */
  replace(key, data, expiry) {
    return this.#call('update a session', key, 'replace', key, data, expiry ?? null, this.#opts)
  }

  /** Store `data` only if the stored text is exactly `snapshot`; false when it changed or is gone. */
  swap(key, snapshot, data, expiry) {
    return this.#call('update a session', key, 'swap', key, snapshot, data, expiry ?? null, this.#opts)
  }

  /** Push the expiry forward; false when the record is gone. */
  touch(key, expiry) {
    return this.#call('refresh a session', key, 'touch', key, expiry)
  }

  /** Delete the record; true only when this call removed it. */
  destroy(key) {
    return this.#call('delete a session', key, 'destroy')
  }

  /** The user's live sessions: `[{ key, created, active, expiry, meta }]`, from the user's index object. */
  async listUser(user, now = Date.now()) {
    const index = this.#index(user)
    return index === null ? [] : this.#call("list a user's sessions", index, 'indexList', now)
  }

  /**
   * End the user's sessions: all, all but the one stored under `except`, or only the one whose
   * key starts with `handle` (16 characters). Returns how many were deleted.
   */
  async destroyUser(user, { except, handle } = {}) {
    const index = this.#index(user)
    if (index === null) return 0
    if (handle !== undefined && handle !== null && (typeof handle !== 'string' || handle.length !== 16)) return 0
    return this.#call("end a user's sessions", index, 'indexEnd', index, { except: except ?? undefined, handle: handle ?? undefined }, this.#doName)
  }

  // The name of `user`'s index object, or null when `user` names nobody.
  #index(user) {
    if (!this.#userKey) throw noUserKey(this.label)
    const text = userText(user)
    return text === null ? null : indexName(this.#userKey, text)
  }
}

export default DurableObjectProvider
