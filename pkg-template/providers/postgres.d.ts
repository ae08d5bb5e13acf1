// itty-session/providers/postgres: sessions in a PostgreSQL table (node-postgres on Node, or Hyperdrive on Workers).
import { BaseProvider, type ProviderRecord } from '../utils/index.js'

/**
 * What the provider needs of a driver: node-postgres's `query(text, values)` (a `pg.Pool` or a
 * connected `pg.Client`, or anything shaped like them).
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
}

/** `providerOptions` for {@link PostgresProvider}: exactly one of `pool`, `connectionString` and `hyperdrive`. */
export interface PostgresProviderOptions {
  /**
   * A pool you made and own (e.g. `new pg.Pool({ connectionString, max: 10 })`): the provider
   * only calls its `query`. Give it an `error` listener: an idle connection dropped by the server
   * emits one.
   */
  pool?: PostgresQueryable
  /**
   * A `postgres://user:password@host:port/database` URL, or a function of the Worker's `env`
   * giving one. The provider imports `pg` (an optional peer dependency: `npm install pg`) and
   * makes one `pg.Pool` per URL per process on Node (connect timeout 10 s); in workerd, one
   * `pg.Client` per statement (a connection cannot outlive its request there).
   */
  connectionString?: string | ((env: any) => string)
  /**
   * The Hyperdrive binding's name in wrangler.toml: the provider connects to
   * `env[hyperdrive].connectionString` (needs `compatibility_flags = ["nodejs_compat"]` and `pg`).
   */
  hyperdrive?: string
  /**
   * The table's name: a plain SQL identifier (letters, digits and `_`, not starting with a digit,
   * at most 56 characters). Created with its indexes when a statement finds it missing.
   * @default 'sessions'
   */
  tableName?: string
  /**
   * Milliseconds to connect, and for each statement to run (PostgreSQL's `statement_timeout`), in
   * the connections the provider makes (not in a `pool` you pass). Schema changes run without it.
   * @default 10000
   */
  timeout?: number
}

/** What PostgresProvider's constructor takes: the middleware passes `{ env, logging, maxAge, userKey, ...providerOptions }`. */
export interface PostgresProviderInit extends PostgresProviderOptions {
  /** The Worker's `env` (for `hyperdrive`, or a `connectionString` function); anything on Node. */
  env?: any
  /** Log schema changes and failures through console. @default false */
  logging?: boolean
  /** Seconds; unused by this provider. */
  maxAge?: number
  /** The session field naming the user (e.g. 'userId'): a generated, indexed column `user_<userKey>`. */
  userKey?: string
}

/** One of a user's sessions, as {@link PostgresProvider.listUser} returns it. */
export interface PostgresUserSession {
  key: string
  created: number | null
  active: number | null
  expiry: number
  meta: string | null
}

/**
 * Stores sessions in a PostgreSQL table: `sid` (the SHA-256 of the session id, never the id),
 * `data` (the session's JSON as text, exactly as written), `expiry`, `created` and `active`
 * (milliseconds since the epoch), `meta` (device details), an index on `expiry` and, with
 * `userKey`, a generated column of the user with a hash index. Changes are one statement: a
 * compare-and-swap of the whole text, or a merge patch applied by a SQL function.
 */
export declare class PostgresProvider extends BaseProvider {
  /** @throws {TypeError} when `tableName` or `userKey` is not a plain identifier, or not exactly one of `pool`, `connectionString`, `hyperdrive` is given
   *  @throws {Error} when `hyperdrive` names no Hyperdrive binding in `env` */
  constructor(init: PostgresProviderInit)
  /** Where the sessions live, for error messages: `PostgreSQL table "sessions"`. */
  get label(): string
  /** Nothing: the schema is made when a statement finds it missing (no round trip per request). */
  precheck(): void
  /**
   * Create the table, its indexes and the SQL functions when missing, and add missing columns
   * to an older table (rows kept), in one transaction under an advisory lock. Runs by itself
   * when needed; call it at deploy time to have it done before the first request.
   */
  migrate(): Promise<void>
  /** The record for `key` (with `active`, moved by each write that sets an expiry), or null (expiry is checked by the caller). */
  get(key: string, now?: number): Promise<ProviderRecord | null>
  /** Insert a new record; `active` starts at the time of the call. */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): Promise<void>
  /** Apply an RFC 7396 merge patch in the database; false when the row is gone. */
  patch(key: string, patch: string, expiry: number | null): Promise<boolean>
  /** Replace the whole document; false when the row is gone. */
  replace(key: string, data: string, expiry: number | null): Promise<boolean>
  /** Store `data` only if the stored text is exactly `snapshot`; false otherwise (changed meanwhile, or gone). */
  swap(key: string, snapshot: string, data: string, expiry: number | null): Promise<boolean>
  /** Set the expiry; false when the row is gone. */
  touch(key: string, expiry: number): Promise<boolean>
  /** Delete the record; true only when this call removed it. */
  destroy(key: string): Promise<boolean>
  /** The user's live sessions (`expiry > now`). Needs `userKey`. */
  listUser(user: string | number, now?: number): Promise<PostgresUserSession[]>
  /** Delete the user's sessions: all; all but `except` (a key); or only the one whose key starts with `handle`. Returns how many. Needs `userKey`. */
  destroyUser(user: string | number, options?: { except?: string | null; handle?: string | null }): Promise<number>
  /** Delete rows expired at `now`, `batchSize` at a time, at most `maxBatches` times; returns how many were deleted. */
  deleteExpired(now: number, batchSize: number, maxBatches: number): Promise<number>
}

/** Options for {@link cleanupExpired}: where the table is, and how much to delete at most. */
export interface PostgresCleanupOptions extends PostgresProviderOptions {
  /** Rows deleted per statement (a whole number above 0). @default 500 */
  batchSize?: number
  /** At most this many statements per call (a whole number above 0). @default 20 */
  maxBatches?: number
}

/**
 * Delete expired sessions in bounded batches: from a timer on Node, or a Cron Trigger's
 * `scheduled` handler on Workers.
 * @param env the Worker's `env` (for `hyperdrive`); null on Node
 * @returns how many rows were deleted
 */
export declare function cleanupExpired(env: any, options?: PostgresCleanupOptions): Promise<number>

/** The SQL that creates (or brings up to date) the table, its indexes and functions, for a DBA to run. */
export declare function schemaSql(options?: { tableName?: string; userKey?: string }): string

/** End the pools the provider made from connection strings (a graceful shutdown, or tests). */
export declare function closePools(): Promise<void>

export default PostgresProvider
