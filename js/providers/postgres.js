// itty-session/providers/postgres: sessions in a PostgreSQL table (node-postgres on Node, or Hyperdrive on Workers).
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { log } from '../utils/log.js'
import { applyMergePatch } from '../utils/mergePatch.js'
import { noUserKey, userText } from '../utils/user.js'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
// PostgreSQL silently truncates longer names: refuse them instead.
const MAX_NAME = 63
// The errors that mean "the schema is not there (yet)": create or migrate it, then retry once.
const SCHEMA_MISSING = new Set(['42P01', '42883', '42703']) // undefined_table, undefined_function, undefined_column
const DEFAULT_TIMEOUT_MS = 10_000
// What PostgreSQL's JSON functions cannot read though JSON allows it (\u0000, unpaired
// surrogates): patch in JS instead.
const JSON_REFUSED = new Set(['22P05', '22P02']) // untranslatable_character, invalid_text_representation
const SWAP_TRIES = 8
// One advisory lock for every itty-session migration, so two processes never run DDL at once.
const MIGRATION_LOCK = 0x17757e55

// RFC 7396 in the database (PostgreSQL's `jsonb ||` is shallow and keeps nulls), on `json`
// rather than `jsonb`: members keep their order and untouched values their exact text, and the
// result is compact, so it reads back as JSON.stringify writes it (no "changed" spelling).
const MERGE_PATCH_FUNCTION = `CREATE OR REPLACE FUNCTION itty_session_merge_patch(target json, patch json) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
BEGIN
  IF json_typeof(patch) IS DISTINCT FROM 'object' THEN RETURN patch::text; END IF;
  IF json_typeof(target) IS DISTINCT FROM 'object' THEN target := '{}'; END IF;
  RETURN (
    WITH t AS (SELECT e.key, e.value, e.ord FROM json_each(target) WITH ORDINALITY AS e(key, value, ord)),
         p AS (SELECT e.key, e.value, e.ord FROM json_each(patch) WITH ORDINALITY AS e(key, value, ord))
    SELECT '{' || coalesce(string_agg(to_json(m.key)::text || ':' || m.val, ',' ORDER BY m.ord), '') || '}'
    FROM (
      SELECT t.key, t.ord, CASE WHEN p.key IS NULL THEN t.value::text ELSE itty_session_merge_patch(t.value, p.value) END AS val
      FROM t LEFT JOIN p ON p.key = t.key
      WHERE p.key IS NULL OR json_typeof(p.value) <> 'null'
      UNION ALL
      SELECT p.key, p.ord + 1000000000000, itty_session_merge_patch(NULL, p.value)
      FROM p WHERE json_typeof(p.value) <> 'null' AND NOT EXISTS (SELECT 1 FROM t WHERE t.key = p.key)
    ) m
  );
END $fn$`

// The session's user, the rule of userText in utils/user.js: `data[key]` when it is a non-empty
// string or a safe integer, as text; NULL otherwise, and for data that is not JSON (one bad row
// never fails a write). PostgreSQL's JSON parser refuses \u0000 and unpaired surrogate escapes
// anywhere in a document: then such escapes (not an escaped backslash before "u0000") are read
// as U+FFFD, so a string like that elsewhere in the session (from a hostile form, say) neither
// fails the write nor hides the session from its user.
const USER_FUNCTION = `CREATE OR REPLACE FUNCTION itty_session_user(data text, key text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE v json; n numeric;
BEGIN
  BEGIN
    v := data::json -> key;
  EXCEPTION WHEN OTHERS THEN
    BEGIN
      v := regexp_replace(data, '(?<!\\\\)((\\\\\\\\)*)\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\1\\\\ufffd', 'g')::json -> key;
    EXCEPTION WHEN OTHERS THEN
      RETURN NULL;
    END;
  END;
  CASE json_typeof(v)
    WHEN 'string' THEN RETURN nullif(v #>> '{}', '');
    WHEN 'number' THEN
      n := v::text::numeric;
      IF n = trunc(n) AND abs(n) <= 9007199254740991 THEN RETURN trunc(n)::text; END IF;
      RETURN NULL;
    ELSE RETURN NULL;
  END CASE;
END $fn$`

// Hyperdrive caches read queries unless they call a volatile function: clock_timestamp() keeps
// every read of a session fresh (a logout must be final at once), and costs nothing.
const FRESH = 'clock_timestamp() IS NOT NULL'
const SQL = {
  get: `SELECT data, expiry, created, active FROM $t WHERE sid = $1 AND ${FRESH}`,
  create: 'INSERT INTO $t (sid, data, expiry, created, active, meta) VALUES ($1, $2, $3::bigint, $4::bigint, $6::bigint, $5)',
  patch: 'UPDATE $t SET data = itty_session_merge_patch(data::json, $2::json), expiry = coalesce($3::bigint, expiry), active = CASE WHEN $3::bigint IS NULL THEN active ELSE $4::bigint END WHERE sid = $1',
  replace: 'UPDATE $t SET data = $2, expiry = coalesce($3::bigint, expiry), active = CASE WHEN $3::bigint IS NULL THEN active ELSE $4::bigint END WHERE sid = $1',
  swap: 'UPDATE $t SET data = $3, expiry = coalesce($4::bigint, expiry), active = CASE WHEN $4::bigint IS NULL THEN active ELSE $5::bigint END WHERE sid = $1 AND data = $2',
  touch: 'UPDATE $t SET expiry = $2::bigint, active = $3::bigint WHERE sid = $1',
  destroy: 'DELETE FROM $t WHERE sid = $1',
  listUser: `SELECT sid, created, coalesce(active, created) AS active, expiry, meta FROM $t WHERE $u = $1 AND expiry > $2::bigint AND ${FRESH}`,
  destroyUser: 'DELETE FROM $t WHERE $u = $1 AND sid IS DISTINCT FROM $2::text AND ($3::text IS NULL OR starts_with(sid, $3::text))',
  // SKIP LOCKED: two cleaners (or a cleaner and a request) never wait on each other.
  deleteExpired: 'DELETE FROM $t WHERE sid IN (SELECT sid FROM $t WHERE expiry <= $1::bigint LIMIT $2 FOR UPDATE SKIP LOCKED)',
}

const quote = (name) => `"${name}"`
const num = (v) => (v === null || v === undefined ? null : Number(v))

/**
 * The SQL that creates (or brings up to date) the sessions table, its indexes and the merge-patch
 * function: what the provider runs itself when a statement finds them missing. Run it yourself
 * where the application's database role may not create tables.
 * @param {{ tableName?: string, userKey?: string }} [options]
 * @returns {string}
 */
export function schemaSql({ tableName = 'sessions', userKey } = {}) {
  const names = namesFor(tableName, userKey)
  const t = quote(tableName)
  const user = userKey ? `,\n  ADD COLUMN IF NOT EXISTS ${names.user} text GENERATED ALWAYS AS (itty_session_user(data, '${userKey}')) STORED` : ''
  return [
    MERGE_PATCH_FUNCTION,
    USER_FUNCTION,
    `CREATE TABLE IF NOT EXISTS ${t} (sid text PRIMARY KEY, data text NOT NULL, expiry bigint NOT NULL, created bigint, active bigint, meta text)`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS created bigint, ADD COLUMN IF NOT EXISTS active bigint, ADD COLUMN IF NOT EXISTS meta text${user}`,
    `CREATE INDEX IF NOT EXISTS ${names.expiryIndex} ON ${t} (expiry)`,
    // A hash index: equality is all listUser needs, and it takes user ids of any length.
    ...(userKey ? [`CREATE INDEX IF NOT EXISTS ${names.userIndex} ON ${t} USING hash (${names.user})`] : []),
  ].join(';\n') + ';\n'
}

function namesFor(tableName, userKey) {
  if (typeof tableName !== 'string' || !IDENTIFIER.test(tableName) || tableName.length > MAX_NAME - 7) {
    throw new TypeError(`itty-session: providerOptions.tableName must be a plain SQL identifier (letters, digits and _, not starting with a digit, at most ${MAX_NAME - 7} characters); got ${JSON.stringify(tableName)}`)
  }
  if (userKey != null && (typeof userKey !== 'string' || !IDENTIFIER.test(userKey) || `${tableName}_user_${userKey}`.length > MAX_NAME)) {
    throw new TypeError(`itty-session: userKey must be a plain identifier (letters, digits and _, not starting with a digit) naming a session field, e.g. 'userId', and "${tableName}_user_<userKey>" must fit PostgreSQL's ${MAX_NAME} characters; got ${JSON.stringify(userKey)}`)
  }
  return {
    expiryIndex: quote(`${tableName}_expiry`),
    user: userKey ? quote(`user_${userKey}`) : null,
    userIndex: userKey ? quote(`${tableName}_user_${userKey}`) : null,
  }
}

// node-postgres, loaded when first needed: users of other stores never load it.
let pgModule
const loadPg = () =>
  (pgModule ??= import('pg').then(
    (m) => m.default ?? m,
    (e) => {
      pgModule = undefined
      throw new Error(`itty-session: the PostgreSQL provider needs the \`pg\` package for providerOptions.connectionString/hyperdrive: npm install pg (or pass providerOptions.pool, anything with query(text, values)). ${e?.message ?? e}`, { cause: e })
    },
  ))

// Pools made from a connection string, one per string per process (providers are made per env).
const pools = new Map()

/** End the pools the provider made from connection strings (for a graceful shutdown, or tests). */
export async function closePools() {
  const all = [...pools.values()]
  pools.clear()
  await Promise.all(all.map(async (p) => (await p).end()))
}

// In workerd a socket belongs to the request that opened it: open one per statement there.
const inWorkerd = () => globalThis.navigator?.userAgent === 'Cloudflare-Workers'

/**
 * Stores sessions in a PostgreSQL table: `sid` (the SHA-256 of the session id, never the id),
 * `data` (the session's JSON as text, exactly as written), `expiry`, `created` and `active`
 * (milliseconds since the epoch), `meta` (device details), an index on `expiry` and, with
 * `userKey`, a generated column of the user with its index. Changes are merge patches applied
 * by a SQL function, or a compare-and-swap of the whole text: one statement each.
 */
export class PostgresProvider extends RecordProvider {
  #send
  #sql
  #names
  #table
  #userKey
  #logging
  #migrating = null
  #schema

  /**
   * @param {object} init
   * @param {object} [init.env] the Worker's `env` (for `hyperdrive`, or a `connectionString` function)
   * @param {{ query(text: string, values?: unknown[]): Promise<{ rows: object[], rowCount: number | null }> }} [init.pool]
   *   a node-postgres Pool or Client (or anything with its `query`); you own it
   * @param {string | ((env: object) => string)} [init.connectionString] a postgres:// URL: the provider
   *   imports `pg` and makes one Pool per URL per process (on Workers: one Client per statement)
   * @param {string} [init.hyperdrive] the Hyperdrive binding's name in wrangler.toml (`env[hyperdrive].connectionString`)
   * @param {string} [init.tableName='sessions'] a plain SQL identifier
   * @param {string} [init.userKey] the session field naming the user (e.g. 'userId'), for listUser/destroyUser
   * @param {number} [init.timeout=10000] ms to connect, and for each statement to run (PostgreSQL's
   *   statement_timeout), in the connections the provider makes (not in a `pool` you pass)
   * @param {boolean} [init.logging=false]
   * @param {number} [init.maxAge] seconds; the lifetime of a session made by 0.4's `createSession()`
   */
  constructor({ env, pool, connectionString, hyperdrive, tableName = 'sessions', userKey, timeout = DEFAULT_TIMEOUT_MS, logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
    super(maxAge)
    if (!(Number.isInteger(timeout) && timeout > 0)) throw new TypeError(`itty-session: providerOptions.timeout must be a whole number of milliseconds above 0; got ${JSON.stringify(timeout)}`)
    this.#names = namesFor(tableName, userKey)
    this.#table = tableName
    userKey ??= undefined // null: not set, as undefined
    this.#userKey = userKey
    this.#logging = logging
    this.#schema = schemaSql({ tableName, userKey })
    const t = quote(tableName)
    this.#sql = Object.fromEntries(Object.entries(SQL).map(([k, s]) => [k, s.replaceAll('$t', t).replaceAll('$u', this.#names.user ?? '"user"')]))
    const given = [pool && 'pool', connectionString && 'connectionString', hyperdrive && 'hyperdrive'].filter(Boolean)
    if (given.length !== 1) {
      throw new TypeError(
        `itty-session: the PostgreSQL provider needs exactly one of providerOptions.pool (a pg Pool, or anything with query(text, values)), providerOptions.connectionString (a postgres:// URL, or (env) => URL) or providerOptions.hyperdrive (the Hyperdrive binding's name, e.g. 'HYPERDRIVE'); got ${given.length ? given.join(' and ') : 'none'}`,
      )
    }
    if (pool) {
      if (typeof pool.query !== 'function') throw new TypeError('itty-session: providerOptions.pool must have a query(text, values) method, like a pg Pool or Client')
      this.#send = (text, values) => pool.query(text, values)
      return
    }
    let url
    if (hyperdrive) {
      const binding = env?.[hyperdrive]
      if (typeof binding?.connectionString !== 'string') {
        throw new Error(
          `itty-session: no Hyperdrive configuration is bound as "${hyperdrive}" in env. Add it to wrangler.toml (with compatibility_flags = ["nodejs_compat"]):\n` +
            `[[hyperdrive]]\nbinding = "${hyperdrive}"\nid = "<from: npx wrangler hyperdrive create my-sessions --connection-string=postgres://...>"\nlocalConnectionString = "postgres://user:password@127.0.0.1:5432/postgres"\n` +
            `or set providerOptions.hyperdrive to the binding you have.`,
        )
      }
      url = () => binding.connectionString
    } else if (typeof connectionString === 'function') {
      url = () => connectionString(env)
    } else if (typeof connectionString === 'string') {
      url = () => connectionString
    } else {
      throw new TypeError(`itty-session: providerOptions.connectionString must be a postgres:// URL or a function (env) => URL; got ${typeof connectionString}`)
    }
    // A statement waiting on a lock (or a server that stopped answering) fails the request
    // instead of holding it forever.
    const config = (connectionString) => ({ connectionString, connectionTimeoutMillis: timeout, statement_timeout: timeout })
    this.#send = inWorkerd() ? (text, values) => this.#perStatement(config(url()), text, values) : (text, values) => this.#pooled(config(url()), text, values)
  }

  async #pooled(config, text, values) {
    const url = config.connectionString
    if (typeof url !== 'string' || !url) throw new TypeError('itty-session: providerOptions.connectionString gave no URL: set it (e.g. DATABASE_URL)')
    const id = `${config.statement_timeout}\0${url}`
    let pool = pools.get(id)
    if (!pool) {
      pool = loadPg().then((pg) => {
        const p = new pg.Pool(config)
        // An idle connection dropped by the server (a restart) must not crash the process.
        p.on('error', (e) => log(this.#logging, 'warn', `${this.label}: an idle connection failed:`, e?.message ?? e))
        return p
      })
      pools.set(id, pool)
      pool.catch(() => pools.delete(id))
    }
    return (await pool).query(text, values)
  }

  async #perStatement(config, text, values) {
    const pg = await loadPg()
    const client = new pg.Client(config)
    client.on('error', () => {}) // reported through the failing query
    try {
      await client.connect()
      return await client.query(text, values)
    } finally {
      // Closed within the request: a socket left open is reset when the request ends.
      await client.end().catch(() => {})
    }
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `PostgreSQL table "${this.#table}"`
  }

  /** Run a statement; when the schema is missing or behind, create/migrate it and retry once. */
  async #run(what, name, values) {
    const text = this.#sql[name]
    try {
      return await this.#send(text, values)
    } catch (e) {
      if (!SCHEMA_MISSING.has(e?.code)) throw this.#fail(what, e)
      log(this.#logging, 'log', `${this.label}: ${e.message}; creating or migrating the schema`)
    }
    await this.migrate()
    try {
      return await this.#send(text, values)
    } catch (e) {
      throw this.#fail(what, e)
    }
  }

  #fail(what, e) {
    log(this.#logging, 'error', `${this.label} failed to ${what}:`, e)
    return new Error(`itty-session: ${this.label} failed to ${what}: ${explain(e)}`, { cause: e })
  }

  /**
   * Create the table, its indexes and the merge-patch function when missing, and add missing
   * columns to an older table (rows kept). Runs by itself when a statement finds something
   * missing; call it at deploy time to have it done before the first request.
   */
  migrate() {
    return (this.#migrating ??= (async () => {
      try {
        // One simple query: one implicit transaction, serialised across processes by the lock.
        // No statement timeout here: adding a column to a large table rewrites it.
        await this.#send(`SET LOCAL statement_timeout = 0;\nSELECT pg_advisory_xact_lock(${MIGRATION_LOCK});\n${this.#schema}`)
        log(this.#logging, 'log', `${this.label}: schema created or brought up to date`)
      } catch (e) {
        throw new Error(`itty-session: could not create the sessions table "${this.#table}" in PostgreSQL: ${explain(e)} (the SQL it needs: schemaSql() from itty-session/providers/postgres)`, { cause: e })
      } finally {
        this.#migrating = null
      }
    })())
  }

  /**
   * The record for `key`: `{ data, expiry, created, active }` (`active` moves with each write
   * that sets an expiry; the middleware ends idle sessions by it), or null. Expiry is checked by
   * the caller.
   */
  async get(key) {
    const { rows } = await this.#run('read a session', 'get', [key])
    if (!rows.length) return null
    const [row] = rows
    return { data: row.data, expiry: Number(row.expiry), created: num(row.created), active: num(row.active) }
  }

  /** Insert a new record; `active` starts at the time of the call (a regenerated session keeps its `created`). */
  async create(key, data, expiry, created = Date.now(), meta = null) {
    await this.#run('create a session', 'create', [key, data, expiry, created, meta ?? null, Date.now()])
  }

  /** Apply an RFC 7396 merge patch in the database: concurrent changes to other keys survive. */
  async patch(key, patch, expiry) {
    try {
      const r = await this.#run('update a session', 'patch', [key, patch, expiry ?? null, Date.now()])
      return r.rowCount > 0
    } catch (e) {
      if (!JSON_REFUSED.has(e.cause?.code)) throw e
    }
    // PostgreSQL refuses \u0000 and unpaired surrogates, which JSON allows: merge here, then store
    // the result only if nobody changed the session meanwhile (compare-and-swap), a few times.
    for (let i = 0; i < SWAP_TRIES; i++) {
      const row = await this.get(key)
      if (!row) return false
      let next
      try {
        next = JSON.stringify(applyMergePatch(JSON.parse(row.data), JSON.parse(patch)))
      } catch (e) {
        throw new Error(`itty-session: ${this.label} failed to update a session: the stored data or the change is not JSON (${e.message}); the row was left untouched`, { cause: e })
      }
      if (await this.swap(key, row.data, next, expiry)) return true
    }
    throw new Error(`itty-session: ${this.label} failed to update a session: it changed under every one of ${SWAP_TRIES} tries to apply a change`)
  }

  /** Replace the whole document; false when the row is gone. */
  async replace(key, data, expiry) {
    const r = await this.#run('update a session', 'replace', [key, data, expiry ?? null, Date.now()])
    return r.rowCount > 0
  }

  /** Store `data` only if the stored text is exactly `snapshot` (compare-and-swap, one statement). */
  async swap(key, snapshot, data, expiry) {
    const r = await this.#run('update a session', 'swap', [key, snapshot, data, expiry ?? null, Date.now()])
    return r.rowCount > 0
  }

  /** Push the expiry forward; false when the row is gone. */
  async touch(key, expiry) {
    const r = await this.#run('refresh a session', 'touch', [key, expiry, Date.now()])
    return r.rowCount > 0
  }

  /** Delete the record; true only when this call removed it. */
  async destroy(key) {
    const r = await this.#run('delete a session', 'destroy', [key])
    return r.rowCount > 0
  }

  #user(user) {
    if (!this.#userKey) throw noUserKey(`PostgresProvider (${this.label})`)
    return userText(user)
  }

  /** The user's live sessions: `[{ key, created, active, expiry, meta }]`, one indexed query. */
  async listUser(user, now = Date.now()) {
    const text = this.#user(user)
    if (text === null) return []
    const { rows } = await this.#run("list a user's sessions", 'listUser', [text, now])
    return rows.map((r) => ({ key: r.sid, created: num(r.created), active: num(r.active), expiry: Number(r.expiry), meta: r.meta }))
  }

  /**
   * Delete the user's sessions in one statement: all; all but the one stored under `except`; or
   * with `handle` (the first 16 characters of a key) only that one. Returns how many were deleted.
   */
  async destroyUser(user, { except, handle } = {}) {
    const text = this.#user(user)
    if (text === null) return 0
    if (handle !== undefined && handle !== null && (typeof handle !== 'string' || handle.length !== 16)) return 0
    const r = await this.#run("end a user's sessions", 'destroyUser', [text, except ?? null, handle ?? null])
    return r.rowCount
  }

  /** Delete rows expired at `now`, `batchSize` at a time, at most `maxBatches` times; returns how many. */
  async deleteExpired(now, batchSize, maxBatches) {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && Number.isInteger(maxBatches) && maxBatches > 0)) {
      throw new TypeError('itty-session: cleanupExpired needs whole numbers above 0 for batchSize and maxBatches')
    }
    let deleted = 0
    for (let i = 0; i < maxBatches; i++) {
      const r = await this.#run('delete expired sessions', 'deleteExpired', [now, batchSize])
      deleted += r.rowCount
      if (r.rowCount < batchSize) break
    }
    return deleted
  }
}

/** What went wrong, in words that say what to change (the password is never shown). */
function explain(e) {
  const code = e?.code
  const at = e?.address ? ` at ${e.address}${e.port ? `:${e.port}` : ''}` : ''
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to the PostgreSQL server${at} (connection refused): is it running, and are the host and port in the connection string right?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot find the PostgreSQL server's host "${e.hostname ?? ''}": check the host in the connection string`
    case 'ETIMEDOUT':
      return `connecting to the PostgreSQL server${at} timed out: is it reachable from here?`
    case '28P01':
      return `${e.message}: check the user and password in the connection string`
    case '28000':
      return `${e.message}: the server's pg_hba.conf does not let this user in from here`
    case '3D000':
      return `${e.message}: check the database name in the connection string, or create it`
    case '57014':
      return `${e.message} (a statement took longer than providerOptions.timeout: is a lock held elsewhere, or the server overloaded?)`
    case '57P01':
    case '57P02':
    case '57P03':
      return `${e.message} (the server is shutting down or starting up; requests work again once it is up)`
    default:
      if (/timeout/i.test(e?.message ?? '')) return `connecting to the PostgreSQL server timed out (${e.message}): is it reachable from here?`
      return e?.message ?? String(e)
  }
}

/**
 * Delete expired sessions in bounded batches: from a timer on Node, or a Cron Trigger's
 * `scheduled` handler on Workers. `options` takes the provider's options (`pool`,
 * `connectionString` or `hyperdrive`, `tableName`) and `batchSize` (500), `maxBatches` (20).
 * @param {object | null} env the Worker's `env` (for `hyperdrive`); null on Node
 * @returns {Promise<number>} how many rows were deleted
 */
export async function cleanupExpired(env, { batchSize = 500, maxBatches = 20, ...options } = {}) {
  return new PostgresProvider({ env, ...options }).deleteExpired(Date.now(), batchSize, maxBatches)
}

export default PostgresProvider
