// itty-session/providers/d1: sessions in a Cloudflare D1 table, written as merge patches.
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { log } from '../utils/log.js'
import { bookmarksFor, ReplicaRecords } from '../replicas.js'
import { checkUserKey, noUserKey, userText } from '../utils/user.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
// What D1 answers when the table, or a column this version added, is not there yet.
const SCHEMA_MISSING = /no such table|no such column|has no column named/i
const DUPLICATE_COLUMN = /duplicate column name/i

/**
 * The user of a row as SQL, the rule of `userOf` in utils/user.js: `data[userKey]` when it is a
 * non-empty string or a safe integer, as text; NULL otherwise, and for data that is not JSON
 * (so one bad row never fails an index update).
 */
const userExpression = (userKey) => {
  const path = `'$.${userKey}'`
  return (
    `CASE WHEN json_valid(data) THEN CASE json_type(data, ${path}) ` +
    `WHEN 'text' THEN nullif(json_extract(data, ${path}), '') ` +
    `WHEN 'integer' THEN CASE WHEN json_extract(data, ${path}) BETWEEN -9007199254740991 AND 9007199254740991 THEN CAST(json_extract(data, ${path}) AS TEXT) END ` +
    'END END'
  )
}

/**
 * Stores sessions in the D1 database bound as `dbName`, in the table `tableName`:
 * `sid` (the SHA-256 of the session id, never the id), `data` (JSON), `expiry`, `created` and
 * `active` (milliseconds since the epoch), `meta` (device details, JSON), with an index on
 * `expiry`; with `userKey`, a generated column `user_<userKey>` (the session's user, read from
 * `data`) and an index on it. No schema statement runs on the request path: a statement that
 * finds the table or a column missing creates or migrates the table, then runs again once.
 * A table made by itty-session 0.4 is used as it is, gaining the new columns (rows kept).
 */
export class D1Provider extends RecordProvider {
  #db
  #table
  #tableName
  #dbName
  #logging
  #maxAge
  #userKey
  #userColumn
  #migrating = null

  /**
   * @param {object} init
   * @param {object} init.env the Worker's `env`
   * @param {string} [init.dbName='SESSIONS'] the D1 binding's name in wrangler.toml
   * @param {string} [init.tableName='sessions'] a plain SQL identifier
   * @param {string} [init.userKey] the session field naming the user (a plain identifier)
   * @param {boolean} [init.readReplicas=false] read through D1 read replicas (D1 Sessions API),
   *   each browser from the bookmark it last saw (see the README)
   * @param {boolean} [init.logging=false]
   */
  constructor({ env, dbName = 'SESSIONS', tableName = 'sessions', logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge, userKey, readReplicas = false } = {}) {
    super(maxAge)
    if (typeof tableName !== 'string' || !IDENTIFIER.test(tableName)) {
      throw new TypeError(`itty-session: providerOptions.tableName must be a plain SQL identifier (letters, digits and _, not starting with a digit); got ${JSON.stringify(tableName)}`)
    }
    this.#userKey = checkUserKey(userKey)
    const db = env?.[dbName]
    if (!db || typeof db.prepare !== 'function') {
      throw new Error(
        `itty-session: no D1 database is bound as "${dbName}" in env. Add it to wrangler.toml:\n` +
          `[[d1_databases]]\nbinding = "${dbName}"\ndatabase_name = "my-sessions"\ndatabase_id = "<from: npx wrangler d1 create my-sessions>"\n` +
          `or set providerOptions.dbName to the D1 binding you have.`,
      )
    }
    this.#db = db
    this.#tableName = tableName
    this.#table = `"${tableName}"`
    this.#dbName = dbName
    this.#logging = logging
    this.#maxAge = maxAge
    // Unquoted on purpose: SQLite reads a double-quoted name of a missing column as a string
    // literal (and would list nobody) instead of failing with "no such column".
    if (this.#userKey) this.#userColumn = `user_${this.#userKey}`
    // Read replicas: only then does the middleware find forRequest (no cost when off).
    if (readReplicas !== false && readReplicas !== true) {
      throw new TypeError(`itty-session: providerOptions.readReplicas must be true or false; got ${JSON.stringify(readReplicas)}`)
    }
    if (readReplicas) this.forRequest = (request, config) => this.#forRequest(env, request, config)
  }

  /**
   * Read replicas: this provider over the request's D1 session (js/replicas.js), for the
   * middleware. A binding without `withSession` (a test double, an older runtime) gets this
   * provider itself: the behaviour without the option.
   */
  #forRequest(env, request, config) {
    const bookmarks = bookmarksFor(request, env, config)
    const db = bookmarks.database(this.#dbName)
    if (db === this.#db) return this
    const view = new D1Provider({ env: { [this.#dbName]: db }, dbName: this.#dbName, tableName: this.#tableName, logging: this.#logging, maxAge: this.#maxAge, userKey: this.#userKey })
    return new ReplicaRecords(view, db, bookmarks)
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `D1 database "${this.#dbName}", table "${this.#tableName}"`
  }

  #fail(what, e) {
    log(this.#logging, 'error', `D1 failed to ${what}:`, e)
    return new Error(`itty-session: D1 database "${this.#dbName}" failed to ${what}: ${e?.message ?? e}`, { cause: e })
  }

  /**
   * Run one statement. When D1 answers that the table or a column is missing, create or
   * migrate the table and run the statement again, once.
   */
  async #run(what, sql, args, method = 'run') {
    const statement = () => this.#db.prepare(sql.replaceAll('$t', this.#table).replaceAll('$u', this.#userColumn)).bind(...args.map((a) => a ?? null))
    try {
      return await statement()[method]()
    } catch (e) {
      if (!SCHEMA_MISSING.test(String(e?.message ?? e))) throw this.#fail(what, e)
      log(this.#logging, 'log', `${this.label}: ${e?.message ?? e}; creating or updating the table`)
    }
    await this.#migrate()
    try {
      return await statement()[method]()
    } catch (e) {
      throw this.#fail(what, e)
    }
  }

  /** Create or migrate the table; concurrent callers in this isolate share one run. */
  #migrate() {
    this.#migrating ??= this.#schema()
      .catch(async (e) => {
        // Another isolate added the same column at the same moment: look again, once.
        if (DUPLICATE_COLUMN.test(String(e?.message ?? e))) return this.#schema()
        throw e
      })
      .catch((e) => {
        throw new Error(`itty-session: could not create or update the sessions table in ${this.label}: ${e?.message ?? e}`, { cause: e })
      })
      .finally(() => {
        this.#migrating = null
      })
    return this.#migrating
  }

  /**
   * One batch creates the table when missing (every column) and its expiry index, and reads the
   * columns it has; a second adds what a 0.4 table (or an older version's) lacks, and the user
   * column's index.
   */
  async #schema() {
    const t = this.#table
    const db = this.#db
    const user = this.#userColumn ? `, ${this.#userColumn} TEXT GENERATED ALWAYS AS (${userExpression(this.#userKey)}) VIRTUAL` : ''
    const [, , info] = await db.batch([
      db.prepare(`CREATE TABLE IF NOT EXISTS ${t} (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER, meta TEXT, active INTEGER${user})`),
      db.prepare(`CREATE INDEX IF NOT EXISTS "${this.#tableName}_expiry" ON ${t} (expiry)`),
      db.prepare(`SELECT name FROM pragma_table_xinfo('${this.#tableName}')`),
    ])
    const have = new Set(info.results.map((c) => c.name))
    const more = []
    for (const [name, type] of [['created', 'INTEGER'], ['meta', 'TEXT'], ['active', 'INTEGER']]) {
      if (!have.has(name)) more.push(`ALTER TABLE ${t} ADD COLUMN ${name} ${type}`)
    }
    if (this.#userColumn) {
      // VIRTUAL: the only kind ALTER TABLE can add; computed from data, so rows keep nothing twice.
      if (!have.has(`user_${this.#userKey}`)) more.push(`ALTER TABLE ${t} ADD COLUMN ${this.#userColumn} TEXT GENERATED ALWAYS AS (${userExpression(this.#userKey)}) VIRTUAL`)
      more.push(`CREATE INDEX IF NOT EXISTS "${this.#tableName}_user_${this.#userKey}" ON ${t} (${this.#userColumn})`)
    }
    if (more.length) await db.batch(more.map((sql) => db.prepare(sql)))
    log(this.#logging, 'log', `${this.label}: table ready${more.length ? ` (${more.join('; ')})` : ''}`)
  }

  /** The record for `key`: `{ data, expiry, created, active }`, or null (expiry is checked by the caller). */
  get(key) {
    return this.#run('read a session', 'SELECT data, expiry, created, active FROM $t WHERE sid = ?1', [key], 'first')
  }

  /** Insert a new record; `active` starts now (a regenerated session keeps an older `created`). */
  async create(key, data, expiry, created = Date.now(), meta = null) {
    await this.#run('create a session', 'INSERT INTO $t (sid, data, expiry, created, meta, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)', [key, data, expiry, created, meta, Date.now()])
  }

  /** Apply an RFC 7396 merge patch in SQL, so concurrent changes to other keys survive. */
  async patch(key, patch, expiry) {
    const r = await this.#run('update a session', 'UPDATE $t SET data = json_patch(data, ?2), expiry = coalesce(?3, expiry), active = CASE WHEN ?3 IS NULL THEN active ELSE ?4 END WHERE sid = ?1', [key, patch, expiry, Date.now()])
    return r.meta.changes > 0
  }

  /** Replace the whole document. */
  async replace(key, data, expiry) {
    const r = await this.#run('update a session', 'UPDATE $t SET data = ?2, expiry = coalesce(?3, expiry), active = CASE WHEN ?3 IS NULL THEN active ELSE ?4 END WHERE sid = ?1', [key, data, expiry, Date.now()])
    return r.meta.changes > 0
  }

  /** Push the expiry forward; false when the row is gone. */
  async touch(key, expiry) {
    const r = await this.#run('refresh a session', 'UPDATE $t SET expiry = ?2, active = ?3 WHERE sid = ?1', [key, expiry, Date.now()])
    return r.meta.changes > 0
  }

  /** Delete the record; true only when this call removed it. */
  async destroy(key) {
    const r = await this.#run('delete a session', 'DELETE FROM $t WHERE sid = ?1', [key])
    return r.meta.changes > 0
  }

  /** The user's live sessions, `[{ key, created, active, expiry, meta }]`: one indexed query. */
  async listUser(user, now = Date.now()) {
    const text = this.#user(user)
    if (text === null) return []
    const r = await this.#run('list a user’s sessions', 'SELECT sid AS key, created, coalesce(active, created) AS active, expiry, meta FROM $t WHERE $u = ?1 AND expiry > ?2', [text, now], 'all')
    return r.results
  }

  /**
   * Delete the user's sessions in one statement: all, all but `except`, or only the one whose
   * key starts with `handle` (16 characters). Returns how many were deleted.
   */
  async destroyUser(user, { except, handle } = {}) {
    const text = this.#user(user)
    if (text === null) return 0
    if (handle !== undefined && handle !== null && (typeof handle !== 'string' || handle.length !== 16)) return 0
    const r = await this.#run('end a user’s sessions', 'DELETE FROM $t WHERE $u = ?1 AND sid IS NOT ?2 AND (?3 IS NULL OR substr(sid, 1, 16) = ?3)', [text, except, handle])
    return r.meta.changes
  }

  #user(user) {
    if (!this.#userKey) throw noUserKey(`D1Provider (${this.label})`)
    return userText(user)
  }

  /** Delete rows expired at `now`, `batchSize` at a time, at most `maxBatches` times. */
  async deleteExpired(now, batchSize, maxBatches) {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(maxBatches) && maxBatches > 0)) {
      throw new TypeError('itty-session: cleanupExpired needs whole numbers above 0 for batchSize and maxBatches')
    }
    let deleted = 0
    for (let i = 0; i < maxBatches; i++) {
      const r = await this.#run('delete expired sessions', 'DELETE FROM $t WHERE rowid IN (SELECT rowid FROM $t WHERE expiry <= ?1 AND length(sid) = 43 LIMIT ?2)', [now, batchSize])
      deleted += r.meta.changes
      if (r.meta.changes < batchSize) break
    }
    return deleted
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

export { d1 } from '../replicas.js'

export default D1Provider
