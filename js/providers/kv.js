// itty-session/providers/kv: sessions in Cloudflare Workers KV, expired by KV's own TTL, with a per-user key index.
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { log } from '../utils/log.js'
import { applyMergePatch } from '../utils/mergePatch.js'
import { checkUserKey, noUserKey, userOf, userText } from '../utils/user.js'

/** KV refuses an `expirationTtl` under 60 seconds. */
const MIN_TTL = 60
/** KV keeps at most 1024 bytes of metadata per key: longer device details are not kept. */
const MAX_META = 512
/** A user id longer than this (URI-encoded) is named in index keys by its SHA-256 (KV keys: 512 bytes). */
const MAX_USER_IN_KEY = 200

const encoder = new TextEncoder()
const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')

/** How a user appears in index keys and record metadata: as itself, or '#' + SHA-256 when long (or starting with '#'). */
async function userTag(text) {
  if (encodeURIComponent(text).length <= MAX_USER_IN_KEY && !text.startsWith('#')) return text
  return `#${base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))))}`
}

const parseOrNull = (text) => {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/**
 * Stores sessions in the KV namespace bound as `kvName`, one KV key per session: `prefix` + the
 * record key the middleware gives (the SHA-256 of the session id, never the id itself).
 * The value is the session's JSON text; the record's other fields are the key's metadata
 * (`expiry`, `created`, `active` in ms since the epoch, `meta`, and with `userKey` the user),
 * so one `getWithMetadata` reads a whole record. Each write sets `expirationTtl` (at least KV's
 * minimum of 60 s) so KV deletes expired sessions itself; `expiry` is still checked on read.
 *
 * With `userKey`, each session that has a user also has an index key,
 * `prefix + 'user:' + userKey + ':' + user + ':' + record key` (empty value), which KV expires no
 * earlier than the session: `listUser` lists that prefix and reads each record, which stays the
 * truth (an index key whose record is gone or has another user is skipped). The index key is
 * written at login and when the user changes, deleted at logout, and rewritten about once per
 * session lifetime to outlive a rolling session; never on an ordinary request.
 *
 * KV has no read-modify-write: `patch` reads, merges in JS and writes, so two concurrent requests
 * changing different keys of one session can lose one change (D1 cannot). KV is eventually
 * consistent: another location may see a login, a change or a logout up to ~60 s late, and
 * `list` (so `listUser` and `destroyUser`) may miss a session made in the last ~60 s.
 */
export class KVProvider extends RecordProvider {
  #kv
  #kvName
  #prefix
  #logging
  #userKey

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.kvName='SESSIONS_KV'] the KV binding's name in wrangler.toml
   * @param {string} [init.prefix='sess:'] put before every session id to make its key
   * @param {string} [init.userKey] the session field naming the user (a plain identifier)
   * @param {boolean} [init.logging=false]
   * @param {number} [init.maxAge] seconds; the lifetime of a session made by `createSession()`
   */
  constructor({ env, kvName = 'SESSIONS_KV', prefix = 'sess:', logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge, userKey } = {}) {
    super(maxAge)
    if (typeof prefix !== 'string') {
      throw new TypeError(`itty-session: providerOptions.prefix must be a string; got ${JSON.stringify(prefix)}`)
    }
    this.#userKey = checkUserKey(userKey)
    const kv = env?.[kvName]
    if (!kv || typeof kv.getWithMetadata !== 'function') {
      throw new Error(
        `itty-session: no KV namespace is bound as "${kvName}" in env. Add it to wrangler.toml:\n` +
          `[[kv_namespaces]]\nbinding = "${kvName}"\nid = "<from: npx wrangler kv namespace create ${kvName}>"\n` +
          `or set providerOptions.kvName to the KV binding you have.`,
      )
    }
    this.#kv = kv
    this.#kvName = kvName
    this.#prefix = prefix
    this.#logging = logging
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `KV namespace "${this.#kvName}", prefix "${this.#prefix}"`
  }

  async #run(what, op) {
    try {
      return await op()
    } catch (e) {
      log(this.#logging, 'error', `KV failed to ${what}:`, e)
      throw new Error(`itty-session: KV namespace "${this.#kvName}" failed to ${what}: ${e?.message ?? e}`, { cause: e })
    }
  }

  /** The stored record `{ data, meta }` (`meta`: the key's metadata), or null. One KV read. */
  async #read(key) {
    const { value, metadata } = await this.#run('read a session', () => this.#kv.getWithMetadata(this.#prefix + key, { type: 'text' }))
    return value === null ? null : { data: value, meta: { expiry: 0, ...metadata } }
  }

  /** Write a whole record, telling KV to drop it once `meta.expiry` has passed. One KV write. */
  #write(what, key, data, meta) {
    const expirationTtl = Math.max(MIN_TTL, Math.ceil((meta.expiry - Date.now()) / 1000))
    return this.#run(what, () => this.#kv.put(this.#prefix + key, data, { expirationTtl, metadata: meta }))
  }

  #indexPrefix(tag) {
    return `${this.#prefix}user:${this.#userKey}:${encodeURIComponent(tag)}:`
  }

  /** Write the index key of (`tag`, `key`), kept by KV until `until` (ms). */
  #putIndex(tag, key, until) {
    const expiration = Math.max(Math.ceil(until / 1000), Math.ceil(Date.now() / 1000) + MIN_TTL)
    return this.#run('index a session by user', () => this.#kv.put(this.#indexPrefix(tag) + key, '', { expiration }))
  }

  #deleteIndex(tag, key) {
    return this.#run('unindex a session', () => this.#kv.delete(this.#indexPrefix(tag) + key))
  }

  /** When an index key written now for a session expiring at `expiry` should expire: a session lifetime later. */
  #indexUntil(expiry) {
    const now = Date.now()
    return Math.max(expiry + Math.max(expiry - now, 0), now + 2 * MIN_TTL * 1000)
  }

  /** The user tag of `text` (a user as text, or null). */
  async #tagOf(text) {
    return text === null ? null : userTag(text)
  }

  /** The user tag of a stored record: from its metadata when written with this userKey, else from its data. */
  async #userOfRecord(row, doc) {
    if (row.meta.userKey === this.#userKey && 'user' in row.meta) return row.meta.user ?? null
    return this.#tagOf(userOf(doc === undefined ? parseOrNull(row.data) : doc, this.#userKey))
  }

  /**
   * Metadata for a record about to be written, with its user, and the index writes that go
   * with it: a new user's key, the old user's key deleted, or the key rewritten to outlive a
   * session whose expiry passed it.
   */
  async #withUser(key, meta, data, doc, old) {
    if (!this.#userKey) {
      // Written without knowing the user: drop what the metadata said, so no reader trusts it.
      const { userKey, user, ix, ...rest } = meta
      return { meta: rest, writes: [] }
    }
    const tag = await this.#tagOf(userOf(doc === undefined ? parseOrNull(data) : doc, this.#userKey))
    const before = old && old.userKey === this.#userKey && 'user' in old ? (old.user ?? null) : undefined
    const out = { ...meta, userKey: this.#userKey, user: tag }
    delete out.ix
    const writes = []
    if (before && before !== tag) writes.push(this.#deleteIndex(before, key))
    if (tag !== null) {
      if (before === tag && old.ix >= out.expiry) out.ix = old.ix
      else writes.push(this.#putIndex(tag, key, (out.ix = this.#indexUntil(out.expiry))))
    }
    return { meta: out, writes }
  }

  /** Read, change and write back (not atomic: see the class comment). False when gone. */
  async #update(what, key, change, expiry) {
    const row = await this.#read(key)
    if (!row) return false
    const [data, doc] = change(row)
    const meta = { ...row.meta, expiry: expiry ?? row.meta.expiry }
    if (expiry !== null && expiry !== undefined) meta.active = Date.now()
    const next = await this.#withUser(key, meta, data, doc, row.meta)
    await Promise.all([...next.writes, this.#write(what, key, data, next.meta)])
    return true
  }

  #parse(row) {
    try {
      return JSON.parse(row.data)
    } catch (e) {
      throw new Error(`itty-session: a session stored in ${this.label} is not JSON (${e.message}); delete it or fix it`, { cause: e })
    }
  }


  /**
   * The live record for `key`: `{ data, expiry, created, active }`, or null. `now` 0 skips the expiry
   * check. An expired record is left to KV's TTL (no delete): KV may keep it up to a minute.
   */
  async get(key, now) {
    const row = await this.#read(key)
    if (!row || (now !== 0 && row.meta.expiry <= now)) return null
    return { data: row.data, expiry: row.meta.expiry, created: row.meta.created ?? null, active: row.meta.active ?? null }
  }

  /** Write a new record (no existence check: a 256-bit id does not collide), and its index key when it has a user. */
  async create(key, data, expiry, created = Date.now(), meta = null) {
    const m = { expiry, created, active: Date.now() }
    if (typeof meta === 'string' && meta.length <= MAX_META) m.meta = meta
    else if (meta) log(this.#logging, 'warn', `device details over ${MAX_META} characters are not kept in KV metadata`)
    const next = await this.#withUser(key, m, data)
    await Promise.all([...next.writes, this.#write('create a session', key, data, next.meta)])
  }

  /** Apply an RFC 7396 merge patch to the stored document, in JS. */
  patch(key, patch, expiry) {
    return this.#update(
      'update a session',
      key,
      (row) => {
        const doc = applyMergePatch(this.#parse(row), JSON.parse(patch))
        return [JSON.stringify(doc), doc]
      },
      expiry,
    )
  }

  /** Replace the whole document. */
  replace(key, data, expiry) {
    return this.#update('update a session', key, () => [data, undefined], expiry)
  }

  /** Push the expiry forward (KV cannot change a TTL alone: one read and one write); false when the record is gone. */
  touch(key, expiry) {
    return this.#update('refresh a session', key, (row) => [row.data, undefined], expiry)
  }

  /** Delete the record and its index key; true when there was a record (read just before: not atomic). */
  async destroy(key) {
    const row = await this.#read(key)
    if (!row) return false
    const tag = this.#userKey ? await this.#userOfRecord(row) : null
    await Promise.all([this.#run('delete a session', () => this.#kv.delete(this.#prefix + key)), tag !== null && this.#deleteIndex(tag, key)])
    return true
  }

  /** The record keys listed under the user's index prefix (every page). */
  async #indexed(tag) {
    const prefix = this.#indexPrefix(tag)
    const keys = []
    let cursor
    do {
      const page = await this.#run('list a user’s sessions', () => this.#kv.list({ prefix, cursor }))
      for (const k of page.keys) keys.push(k.name.slice(prefix.length))
      cursor = page.list_complete ? undefined : page.cursor
    } while (cursor)
    return keys
  }

  /** The user's sessions as `[key, record]`, each record read and checked to still be the user's. */
  async #sessionsOf(user, filter = () => true) {
    if (!this.#userKey) throw noUserKey(`KVProvider (${this.label})`)
    const text = userText(user)
    if (text === null) return { tag: null, found: [] }
    const tag = await userTag(text)
    const keys = (await this.#indexed(tag)).filter(filter)
    const rows = await Promise.all(keys.map(async (key) => [key, await this.#read(key)]))
    // An index key whose record is gone is left to its TTL: KV may answer null for a record made
    // moments ago in another location, so deleting it here could unlist a live session.
    const found = []
    for (const [key, row] of rows) if (row && (await this.#userOfRecord(row)) === tag) found.push([key, row])
    return { tag, found }
  }

  /** The user's live sessions, `[{ key, created, active, expiry, meta }]`: one list, one read per session. */
  async listUser(user, now = Date.now()) {
    const { found } = await this.#sessionsOf(user)
    return found
      .filter(([, row]) => row.meta.expiry > now)
      .map(([key, { meta }]) => ({ key, created: meta.created ?? null, active: meta.active ?? meta.created ?? null, expiry: meta.expiry, meta: meta.meta ?? null }))
  }

  /**
   * Delete the user's sessions: all, all but `except`, or only the one whose key starts with
   * `handle` (16 characters). Returns how many were deleted. A session made in another location
   * in the last ~60 s may not be listed yet, so may survive.
   */
  async destroyUser(user, { except, handle } = {}) {
    if (handle !== undefined && handle !== null && (typeof handle !== 'string' || handle.length !== 16)) return 0
    const { tag, found } = await this.#sessionsOf(user, (key) => key !== except && (handle === undefined || handle === null || key.startsWith(handle)))
    await Promise.all(found.map(([key]) => Promise.all([this.#run('delete a session', () => this.#kv.delete(this.#prefix + key)), this.#deleteIndex(tag, key)])))
    return found.length
  }
}

export default KVProvider
