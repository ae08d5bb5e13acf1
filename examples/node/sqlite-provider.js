// An itty-session provider for Node: sessions in a SQLite file (better-sqlite3), written as merge patches like D1.
import Database from 'better-sqlite3'
import { RecordProvider, checkUserKey, userText } from 'itty-session/utils'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const SQL = {
  get: 'SELECT data, expiry, created, active FROM $t WHERE sid = @key',
  create: 'INSERT INTO $t (sid, data, expiry, created, meta, active) VALUES (@key, @data, @expiry, @created, @meta, @now)',
  // json_patch in SQL: concurrent requests changing different keys of a session both persist.
  patch: 'UPDATE $t SET data = json_patch(data, @data), expiry = coalesce(@expiry, expiry), active = CASE WHEN @expiry IS NULL THEN active ELSE @now END WHERE sid = @key',
  replace: 'UPDATE $t SET data = @data, expiry = coalesce(@expiry, expiry), active = CASE WHEN @expiry IS NULL THEN active ELSE @now END WHERE sid = @key',
  // Compare-and-swap: in-process, comparing the text costs less than the middleware's diff and json_patch.
  swap: 'UPDATE $t SET data = @data, expiry = coalesce(@expiry, expiry), active = CASE WHEN @expiry IS NULL THEN active ELSE @now END WHERE sid = @key AND data = @snapshot',
  touch: 'UPDATE $t SET expiry = @expiry, active = @now WHERE sid = @key',
  destroy: 'DELETE FROM $t WHERE sid = @key',
  deleteExpired: 'DELETE FROM $t WHERE expiry <= @now',
}
const USER_SQL = {
  listUser: 'SELECT sid AS key, created, coalesce(active, created) AS active, expiry, meta FROM $t WHERE $u = @user AND expiry > @now',
  destroyUser: 'DELETE FROM $t WHERE $u = @user AND sid IS NOT @except AND (@handle IS NULL OR substr(sid, 1, 16) = @handle)',
}

/** The user of a row, as D1Provider computes it: a non-empty string or a safe integer, as text. */
const userExpression = (userKey) => {
  const path = `'$.${userKey}'`
  return (
    `CASE WHEN json_valid(data) THEN CASE json_type(data, ${path}) ` +
    `WHEN 'text' THEN nullif(json_extract(data, ${path}), '') ` +
    `WHEN 'integer' THEN CASE WHEN json_extract(data, ${path}) BETWEEN -9007199254740991 AND 9007199254740991 THEN CAST(json_extract(data, ${path}) AS TEXT) END ` +
    'END END'
  )
}

// Providers are made per request: open each file once per process, prepare statements once per table and userKey.
const files = new Map()
const prepared = new WeakMap()

/** Create or migrate the table (a table from an earlier version gains its new columns), then prepare the statements. */
function statements(db, table, userKey) {
  let byTable = prepared.get(db)
  if (!byTable) prepared.set(db, (byTable = new Map()))
  const id = `${table}\0${userKey ?? ''}`
  if (!byTable.has(id)) {
    const t = `"${table}"`
    // Unquoted: a double-quoted missing column would read as a string literal.
    const u = userKey && `user_${userKey}`
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER, meta TEXT, active INTEGER);
      CREATE INDEX IF NOT EXISTS "${table}_expiry" ON ${t} (expiry);`)
    const have = new Set(db.prepare(`SELECT name FROM pragma_table_xinfo('${table}')`).all().map((c) => c.name))
    for (const [name, type] of [['created', 'INTEGER'], ['meta', 'TEXT'], ['active', 'INTEGER']]) {
      if (!have.has(name)) db.exec(`ALTER TABLE ${t} ADD COLUMN ${name} ${type}`)
    }
    if (u) {
      if (!have.has(u)) db.exec(`ALTER TABLE ${t} ADD COLUMN ${u} TEXT GENERATED ALWAYS AS (${userExpression(userKey)}) VIRTUAL`)
      db.exec(`CREATE INDEX IF NOT EXISTS "${table}_${u}" ON ${t} (${u})`)
    }
    const all = { ...SQL, ...(u ? USER_SQL : {}) }
    byTable.set(id, Object.fromEntries(Object.entries(all).map(([k, sql]) => [k, db.prepare(sql.replaceAll('$t', t).replaceAll('$u', u))])))
  }
  return byTable.get(id)
}

/**
 * Sessions in the SQLite table `tableName` (`sid`, `data` JSON, `expiry`, `created` and `active`
 * in ms since the epoch, `meta`; created when missing) of the database file `filename`, or of
 * `db`, an open better-sqlite3 Database. With `userKey`, a generated column `user_<userKey>`
 * and its index find a user's sessions. A new provider needs only these record methods (see
 * RecordProvider, which adds 0.4's five methods); `swap`, `listUser` and `destroyUser` are optional.
 */
export class SqliteProvider extends RecordProvider {
  #db
  #table
  #filename
  #userKey

  /** @param {{ filename?: string, db?: Database.Database, tableName?: string, userKey?: string }} [init] */
  constructor({ filename = './sessions.db', db, tableName = 'sessions', userKey, maxAge } = {}) {
    super(maxAge) // RecordProvider: 0.4's five methods come with the record methods
    if (!IDENTIFIER.test(tableName)) throw new TypeError(`SqliteProvider: tableName must be a plain SQL identifier; got ${JSON.stringify(tableName)}`)
    this.#userKey = checkUserKey(userKey)
    if (!db && !files.has(filename)) files.set(filename, new Database(filename))
    this.#db = db ?? files.get(filename)
    this.#filename = db ? db.name : filename
    this.#table = tableName
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `SQLite database "${this.#filename}", table "${this.#table}"`
  }

  get #sql() {
    return statements(this.#db, this.#table, this.#userKey)
  }

  /** Create the table and its indexes when missing. */
  precheck() {
    statements(this.#db, this.#table, this.#userKey)
  }

  /** The record `{ data, expiry, created, active }` or null (the middleware checks and deletes expired ones). */
  get(key) {
    return this.#sql.get.get({ key }) ?? null
  }

  create(key, data, expiry, created = Date.now(), meta = null) {
    this.#sql.create.run({ key, data, expiry, created, meta, now: Date.now() })
  }

  patch(key, patch, expiry) {
    return this.#sql.patch.run({ key, data: patch, expiry, now: Date.now() }).changes > 0
  }

  replace(key, data, expiry) {
    return this.#sql.replace.run({ key, data, expiry, now: Date.now() }).changes > 0
  }

  /** Store `data` only if the stored text is exactly `snapshot`; false when it changed or is gone. */
  swap(key, snapshot, data, expiry) {
    return this.#sql.swap.run({ key, snapshot, data, expiry, now: Date.now() }).changes > 0
  }

  touch(key, expiry) {
    return this.#sql.touch.run({ key, expiry, now: Date.now() }).changes > 0
  }

  /** Delete the record; true when there was one. */
  destroy(key) {
    return this.#sql.destroy.run({ key }).changes > 0
  }

  /** The user's live sessions, `[{ key, created, active, expiry, meta }]`. */
  listUser(user, now = Date.now()) {
    const text = this.#user(user)
    return text === null ? [] : this.#sql.listUser.all({ user: text, now })
  }

  /** Delete the user's sessions: all, all but `except`, or only the one whose key starts with `handle`. */
  destroyUser(user, { except = null, handle = null } = {}) {
    const text = this.#user(user)
    if (text === null || (handle !== null && (typeof handle !== 'string' || handle.length !== 16))) return 0
    return this.#sql.destroyUser.run({ user: text, except, handle }).changes
  }

  #user(user) {
    if (!this.#userKey) throw new Error(`SqliteProvider (${this.label}) was made without userKey: set userKey in createSessionsMiddleware (e.g. userKey: 'userId')`)
    return userText(user)
  }

  /** Delete every session expired at `now`; returns how many. */
  deleteExpired(now = Date.now()) {
    return this.#sql.deleteExpired.run({ now }).changes
  }
}

export default SqliteProvider
