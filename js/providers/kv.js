// itty-session/providers/kv: sessions in Cloudflare Workers KV, expired by KV's own TTL.
import { newSessionId } from '../session-cookie.js'
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { BaseProvider } from '../utils/BaseProvider.js'
import { log } from '../utils/log.js'
import { applyMergePatch } from '../utils/mergePatch.js'

/** KV refuses an `expirationTtl` under 60 seconds. */
const MIN_TTL = 60

/**
 * Stores sessions in the KV namespace bound as `kvName`, one KV key per session: `prefix` + the
 * record key the middleware gives (the SHA-256 of the session id, never the id itself).
 * The value is the session's JSON text, as stored elsewhere; the record's other fields (`expiry`
 * and `created`, ms since the epoch) are the key's metadata, so one `getWithMetadata` reads a whole
 * record and `wrangler kv key list` shows every session's expiry. Each write sets `expirationTtl`
 * (at least KV's minimum of 60 s) so KV deletes expired sessions itself; `expiry` is still
 * checked on read.
 *
 * KV has no read-modify-write: `patch` reads, merges in JS and writes, so two concurrent requests
 * changing different keys of one session can lose one change (D1 cannot). KV is eventually
 * consistent: another location may see a login, a change or a logout up to ~60 s late.
 */
export class KVProvider extends BaseProvider {
  #kv
  #kvName
  #prefix
  #logging
  #maxAge

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.kvName='SESSIONS_KV'] the KV binding's name in wrangler.toml
   * @param {string} [init.prefix='sess:'] put before every session id to make its key
   * @param {boolean} [init.logging=false]
   * @param {number} [init.maxAge] seconds; the lifetime of a session made by `createSession()`
   */
  constructor({ env, kvName = 'SESSIONS_KV', prefix = 'sess:', logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
    super()
    if (typeof prefix !== 'string') {
      throw new TypeError(`itty-session: providerOptions.prefix must be a string; got ${JSON.stringify(prefix)}`)
    }
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
    this.#maxAge = maxAge
  }

  async #run(what, op) {
    try {
      return await op()
    } catch (e) {
      log(this.#logging, 'error', `KV failed to ${what}:`, e)
      throw new Error(`itty-session: KV namespace "${this.#kvName}" failed to ${what}: ${e?.message ?? e}`, { cause: e })
    }
  }

  /** The stored record `{ data, meta }` (`meta`: `{ expiry, created }`), or null. One KV read. */
  async #read(key) {
    const { value, metadata } = await this.#run('read a session', () => this.#kv.getWithMetadata(this.#prefix + key, { type: 'text' }))
    return value === null ? null : { data: value, meta: { expiry: 0, ...metadata } }
  }

  /** Write a whole record, telling KV to drop it once `meta.expiry` has passed. One KV write. */
  #write(what, key, data, meta) {
    const expirationTtl = Math.max(MIN_TTL, Math.ceil((meta.expiry - Date.now()) / 1000))
    return this.#run(what, () => this.#kv.put(this.#prefix + key, data, { expirationTtl, metadata: meta }))
  }

  /** Read, change and write back (not atomic: see the class comment). False when gone. */
  async #update(what, key, change, expiry) {
    const row = await this.#read(key)
    if (!row) return false
    await this.#write(what, key, change(row.data), { ...row.meta, expiry: expiry ?? row.meta.expiry })
    return true
  }

  /** Nothing to prepare: the binding is checked when the provider is made. */
  precheck() {}

  /**
   * The live record for `key`: `{ data, expiry, created }`, or null. `now` 0 skips the expiry
   * check. An expired record is left to KV's TTL (no delete): KV may keep it up to a minute.
   */
  async get(key, now) {
    const row = await this.#read(key)
    if (!row || (now !== 0 && row.meta.expiry <= now)) return null
    return { ...row.meta, data: row.data }
  }

  /** Write a new record (no existence check: a 256-bit id does not collide). */
  async create(key, data, expiry, created = Date.now()) {
    await this.#write('create a session', key, data, { expiry, created })
  }

  /** Apply an RFC 7396 merge patch to the stored document, in JS. */
  patch(key, patch, expiry) {
    return this.#update('update a session', key, (data) => JSON.stringify(applyMergePatch(JSON.parse(data), JSON.parse(patch))), expiry)
  }

  /** Replace the whole document. */
  replace(key, data, expiry) {
    return this.#update('update a session', key, () => data, expiry)
  }

  /** Push the expiry forward (KV cannot change a TTL alone: one read and one write); false when the record is gone. */
  touch(key, expiry) {
    return this.#update('refresh a session', key, (data) => data, expiry)
  }

  /** Delete the record. */
  async destroy(key) {
    await this.#run('delete a session', () => this.#kv.delete(this.#prefix + key))
  }

  // The five methods of itty-session 0.4's provider contract, for code that calls them directly.

  /** 0.4 contract: create an empty session, return its id. */
  async createSession() {
    const sid = newSessionId()
    await this.create(sid, '{}', Date.now() + this.#maxAge * 1000)
    return sid
  }

  /** 0.4 contract: the record `{ sid, data, expiry }` or null. */
  async getSession(sid) {
    const row = await this.#read(sid)
    return row ? { sid, data: row.data, expiry: row.meta.expiry } : null
  }

  /** 0.4 contract: store `data` (an object) for `sid`. */
  async setSession(sid, data, expiry) {
    const text = JSON.stringify(data)
    if (!(await this.replace(sid, text, expiry ?? null))) await this.create(sid, text, expiry ?? Date.now() + this.#maxAge * 1000)
  }

  /** 0.4 contract: delete `sid`. */
  destroySession(sid) {
    return this.destroy(sid)
  }
}

export default KVProvider
