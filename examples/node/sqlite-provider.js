// An itty-session provider for Node: sessions in a SQLite file (better-sqlite3), written as merge patches like D1.
import Database from 'better-sqlite3'
import { BaseProvider } from 'itty-session/utils'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const SQL = {
  get: 'SELECT data, expiry, created FROM $t WHERE sid = @key',
  create: 'INSERT INTO $t (sid, data, expiry, created) VALUES (@key, @data, @expiry, @created)',
  // json_patch in SQL: concurrent requests changing different keys of a session both persist.
  patch: 'UPDATE $t SET data = json_patch(data, @data), expiry = coalesce(@expiry, expiry) WHERE sid = @key',
  replace: 'UPDATE $t SET data = @data, expiry = coalesce(@expiry, expiry) WHERE sid = @key',
  touch: 'UPDATE $t SET expiry = @expiry WHERE sid = @key',
  destroy: 'DELETE FROM $t WHERE sid = @key',
  deleteExpired: 'DELETE FROM $t WHERE expiry <= @now',
}

// Providers are made per request: open each file once per process, prepare statements once per table.
const files = new Map()
const prepared = new WeakMap()

function statements(db, table) {
  let byTable = prepared.get(db)
  if (!byTable) prepared.set(db, (byTable = new Map()))
  if (!byTable.has(table)) {
    db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER);
      CREATE INDEX IF NOT EXISTS "${table}_expiry" ON "${table}" (expiry);`)
    byTable.set(table, Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql.replaceAll('$t', `"${table}"`))])))
  }
  return byTable.get(table)
}

/**
 * Sessions in the SQLite table `tableName` (`sid`, `data` JSON, `expiry` and `created` in ms since
 * the epoch; created when missing) of the database file `filename`, or of `db`, an open
 * better-sqlite3 Database. A new provider needs only these record methods (see BaseProvider).
 */
export class SqliteProvider extends BaseProvider {
  #db
  #table

  /** @param {{ filename?: string, db?: Database.Database, tableName?: string }} [init] */
  constructor({ filename = './sessions.db', db, tableName = 'sessions' } = {}) {
    super()
    if (!IDENTIFIER.test(tableName)) throw new TypeError(`SqliteProvider: tableName must be a plain SQL identifier; got ${JSON.stringify(tableName)}`)
    if (!db && !files.has(filename)) files.set(filename, new Database(filename))
    this.#db = db ?? files.get(filename)
    this.#table = tableName
  }

  get #sql() {
    return statements(this.#db, this.#table)
  }

  /** Create the table and its expiry index when missing. */
  precheck() {
    statements(this.#db, this.#table)
  }

  /** The record `{ data, expiry, created }` or null (the middleware checks and deletes expired ones). */
  get(key) {
    return this.#sql.get.get({ key }) ?? null
  }

  create(key, data, expiry, created = Date.now()) {
    this.#sql.create.run({ key, data, expiry, created })
  }

  patch(key, patch, expiry) {
    return this.#sql.patch.run({ key, data: patch, expiry }).changes > 0
  }

  replace(key, data, expiry) {
    return this.#sql.replace.run({ key, data, expiry }).changes > 0
  }

  touch(key, expiry) {
    return this.#sql.touch.run({ key, expiry }).changes > 0
  }

  destroy(key) {
    this.#sql.destroy.run({ key })
  }

  /** Delete every session expired at `now`; returns how many. */
  deleteExpired(now = Date.now()) {
    return this.#sql.deleteExpired.run({ now }).changes
  }
}

export default SqliteProvider
