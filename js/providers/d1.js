// itty-session/providers/d1: sessions in a Cloudflare D1 table, written as merge patches.
import { newSessionId } from '../session-cookie.js'
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { BaseProvider } from '../utils/BaseProvider.js'
import { log } from '../utils/log.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Stores sessions in the D1 database bound as `dbName`, in the table `tableName`:
 * `sid` (the SHA-256 of the session id, never the id), `data` (JSON), `expiry` and `created`
 * (milliseconds since the epoch), with an index on `expiry`. The table is created when missing;
 * a table made by itty-session 0.4 is used as it is, gaining the `created` column.
 */
export class D1Provider extends BaseProvider {
  #db
  #table
  #dbName
  #logging
  #maxAge

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.dbName='SESSIONS'] the D1 binding's name in wrangler.toml
   * @param {string} [init.tableName='sessions'] a plain SQL identifier
   * @param {boolean} [init.logging=false]
   */
  constructor({ env, dbName = 'SESSIONS', tableName = 'sessions', logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
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
    this.#maxAge = maxAge
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

  /**
   * Create the table and its expiry index when missing, and add the `created` column to a table
   * made by itty-session 0.4 (rows are kept). Once per isolate.
   */
  async precheck() {
    const t = this.#table
    const index = `"${t.slice(1, -1)}_expiry"`
    try {
      const [, , columns] = await this.#db.batch([
        this.#db.prepare(`CREATE TABLE IF NOT EXISTS ${t} (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER)`),
        this.#db.prepare(`CREATE INDEX IF NOT EXISTS ${index} ON ${t} (expiry)`),
        this.#db.prepare(`SELECT name FROM pragma_table_info('${t.slice(1, -1)}')`),
      ])
      if (!columns.results.some((c) => c.name === 'created')) {
        await this.#db.prepare(`ALTER TABLE ${t} ADD COLUMN created INTEGER`).run()
        log(this.#logging, 'log', `added the created column to ${t}`)
      }
    } catch (e) {
      throw new Error(`itty-session: could not create the sessions table ${t} in D1 database "${this.#dbName}": ${e?.message ?? e}`, { cause: e })
    }
  }

  /** The record for `key`: `{ data, expiry, created }`, or null (expiry is checked by the caller). */
  get(key) {
    return this.#run('read a session', this.#sql('SELECT data, expiry, created FROM $t WHERE sid = ?1', key), 'first')
  }

  /** Insert a new record. */
  async create(key, data, expiry, created = Date.now()) {
    await this.#run('create a session', this.#sql('INSERT INTO $t (sid, data, expiry, created) VALUES (?1, ?2, ?3, ?4)', key, data, expiry, created), 'run')
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

  /** Push the expiry forward; false when the row is gone. */
  async touch(key, expiry) {
    const r = await this.#run('refresh a session', this.#sql('UPDATE $t SET expiry = ?2 WHERE sid = ?1', key, expiry), 'run')
    return r.meta.changes > 0
  }

  /** Delete the record. */
  async destroy(key) {
    await this.#run('delete a session', this.#sql('DELETE FROM $t WHERE sid = ?1', key), 'run')
  }

  /** Delete rows expired at `now`, `batchSize` at a time, at most `maxBatches` times. */
  async deleteExpired(now, batchSize, maxBatches) {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(maxBatches) && maxBatches > 0)) {
      throw new TypeError('itty-session: cleanupExpired needs whole numbers above 0 for batchSize and maxBatches')
    }
    let deleted = 0
    for (let i = 0; i < maxBatches; i++) {
      const r = await this.#run(
        'delete expired sessions',
        this.#sql('DELETE FROM $t WHERE rowid IN (SELECT rowid FROM $t WHERE expiry <= ?1 AND length(sid) = 43 LIMIT ?2)', now, batchSize),
        'run',
      )
      deleted += r.meta.changes
      if (r.meta.changes < batchSize) break
    }
    return deleted
  }

  // The five methods of itty-session 0.4's provider contract, for code that calls them directly.

  /** 0.4 contract: create an empty session, return its id (stored under that id as 0.4 did). */
  async createSession() {
    const sid = newSessionId()
    await this.create(sid, '{}', Date.now() + this.#maxAge * 1000)
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

/**
 * Delete expired sessions from a D1 table in bounded batches, for a Cron Trigger's `scheduled`
 * handler. Rows left by itty-session 0.4 (whose expiry 0.4 never checked) are not touched.
 * @param {object} env the Worker's `env`
 * @param {{ dbName?: string, tableName?: string, batchSize?: number, maxBatches?: number }} [options]
 * @returns {Promise<number>} how many rows were deleted
 */
export async function cleanupExpired(env, { dbName = 'SESSIONS', tableName = 'sessions', batchSize = 500, maxBatches = 20 } = {}) {
  const provider = new D1Provider({ env, dbName, tableName })
  return provider.deleteExpired(Date.now(), batchSize, maxBatches)
}

export default D1Provider
