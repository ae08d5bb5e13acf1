// itty-session/providers/d1: sessions in a Cloudflare D1 table, written as merge patches.
import { newSessionId } from '#core'
import { BaseProvider } from '../utils/BaseProvider.js'
import { log } from '../utils/log.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Stores sessions in the D1 database bound as `dbName`, in the table `tableName`
 * (`sid TEXT PRIMARY KEY, data TEXT, expiry INTEGER` in milliseconds since the epoch; created
 * with an index on `expiry` when missing; a table made by itty-session 0.4 is used as it is).
 */
export class D1Provider extends BaseProvider {
  #db
  #table
  #dbName
  #logging

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.dbName='SESSIONS'] the D1 binding's name in wrangler.toml
   * @param {string} [init.tableName='sessions'] a plain SQL identifier
   * @param {boolean} [init.logging=false]
   */
  constructor({ env, dbName = 'SESSIONS', tableName = 'sessions', logging = false } = {}) {
    super()
    if (typeof tableName !== 'string' || !IDENTIFIER.test(tableName)) {
      throw new TypeError(`itty-session: providerOptions.tableName must be a plain SQL identifier (letters, digits and _, not starting with a digit); got ${JSON.stringify(tableName)}`)
    }
    const db = env?.[dbName]
    if (!db || typeof db.prepare !== 'function') {
      throw new Error(
        `itty-session: no D1 database is bound as "${dbName}" in env. Add it to wrangler.toml:\n` +
          `[[d1_databases]]\nbinding = "${dbName}"\ndatabase_name = "my-sessions"\ndatabase_id = "<from: npx wrangler d1 create my-sessions>"\n` +
          `or set providerOptions.dbName to the D1 binding you have.`,
      )
    }
    this.#db = db
    this.#table = `"${tableName}"`
    this.#dbName = dbName
    this.#logging = logging
  }

  async #run(what, statement, method) {
    try {
      return await statement[method]()
    } catch (e) {
      log(this.#logging, 'error', `D1 failed to ${what}:`, e)
      throw new Error(`itty-session: D1 database "${this.#dbName}" failed to ${what}: ${e?.message ?? e}`, { cause: e })
    }
  }

  #sql(sql, ...args) {
    return this.#db.prepare(sql.replaceAll('$t', this.#table)).bind(...args)
  }

  /** Create the table and its expiry index when missing (one round trip). */
  async precheck() {
    const t = this.#table
    const index = `"${t.slice(1, -1)}_expiry"`
    try {
      await this.#db.batch([
        this.#db.prepare(`CREATE TABLE IF NOT EXISTS ${t} (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL)`),
        this.#db.prepare(`CREATE INDEX IF NOT EXISTS ${index} ON ${t} (expiry)`),
      ])
    } catch (e) {
      throw new Error(`itty-session: could not create the sessions table ${t} in D1 database "${this.#dbName}": ${e?.message ?? e}`, { cause: e })
    }
  }

  /** The live record for `key`: `{ data, expiry }`, or null. `now` 0 skips the expiry check. */
  get(key, now) {
    return this.#run('read a session', this.#sql('SELECT data, expiry FROM $t WHERE sid = ?1 AND (?2 = 0 OR expiry > ?2)', key, now), 'first')
  }

  /** Insert a new record. */
  async create(key, data, expiry) {
    await this.#run('create a session', this.#sql('INSERT INTO $t (sid, data, expiry) VALUES (?1, ?2, ?3)', key, data, expiry), 'run')
  }

  /** Apply an RFC 7396 merge patch in SQL, so concurrent changes to other keys survive. */
  async patch(key, patch, expiry) {
    const r = await this.#run('update a session', this.#sql('UPDATE $t SET data = json_patch(data, ?2), expiry = coalesce(?3, expiry) WHERE sid = ?1', key, patch, expiry), 'run')
    return r.meta.changes > 0
  }

  /** Replace the whole document. */
  async replace(key, data, expiry) {
    const r = await this.#run('update a session', this.#sql('UPDATE $t SET data = ?2, expiry = coalesce(?3, expiry) WHERE sid = ?1', key, data, expiry), 'run')
    return r.meta.changes > 0
  }

  /** Push the expiry forward. */
  async touch(key, expiry) {
    await this.#run('refresh a session', this.#sql('UPDATE $t SET expiry = ?2 WHERE sid = ?1', key, expiry), 'run')
  }

  /** Delete the record. */
  async destroy(key) {
    await this.#run('delete a session', this.#sql('DELETE FROM $t WHERE sid = ?1', key), 'run')
  }

  // The five methods of itty-session 0.4's provider contract, for code that calls them directly.

  /** 0.4 contract: create an empty session, return its id. */
  async createSession() {
    const sid = newSessionId()
    await this.create(sid, '{}', Date.now() + 30 * 24 * 3600 * 1000)
    return sid
  }

  /** 0.4 contract: the row `{ sid, data, expiry }` or null. */
  getSession(sid) {
    return this.#run('read a session', this.#sql('SELECT * FROM $t WHERE sid = ?1', sid), 'first')
  }

  /** 0.4 contract: store `data` (an object) for `sid`. */
  async setSession(sid, data, expiry) {
    await this.replace(sid, JSON.stringify(data), expiry ?? null)
  }

  /** 0.4 contract: delete `sid`. */
  destroySession(sid) {
    return this.destroy(sid)
  }
}

export default D1Provider
