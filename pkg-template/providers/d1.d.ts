// itty-session/providers/d1: sessions in a Cloudflare D1 table, written as merge patches.
import { BaseProvider, type DestroyUserOptions, type ProviderRecord, type UserSession } from '../utils/index.js'

/** `providerOptions` for {@link D1Provider}. */
export interface D1ProviderOptions {
  /**
   * The D1 binding's name in wrangler.toml (`env[dbName]`).
   * @default 'SESSIONS'
   */
  dbName?: string
  /**
   * The table's name: a plain SQL identifier (letters, digits and `_`, not starting with a
   * digit). Created with its expiry index when missing.
   * @default 'sessions'
   */
  tableName?: string
  /**
   * Read sessions through D1 read replicas (the D1 Sessions API): each request's D1 queries go
   * through one D1 session, started from the bookmark this browser last saw (carried in the
   * companion cookie `<session cookie name>-d1`), so it never reads older than its own writes.
   * Turn on read replication on the database first. Use {@link d1} for the app's own queries.
   * A binding without `withSession` (an older runtime, a test double) works as with `false`.
   * @default false
   */
  readReplicas?: boolean
}

/** What D1Provider's constructor takes: the middleware passes `{ env, logging, maxAge, ...providerOptions }`. */
export interface D1ProviderInit extends D1ProviderOptions {
  /** The Worker's `env`, holding the D1 binding. */
  env: any
  /** Log failures through console. @default false */
  logging?: boolean
  /** Seconds; the lifetime of a session made by `createSession()`. @default 2592000 (30 days) */
  maxAge?: number
  /**
   * The session field naming the user (a plain identifier), for `listUser`/`destroyUser`: the
   * table gains a generated column `user_<userKey>` and an index on it.
   */
  userKey?: string
}

/** A row as 0.4's `getSession` returns it. */
export interface D1SessionRow {
  sid: string
  data: string
  expiry: number
  created: number | null
}

/**
 * Stores sessions in the D1 database bound as `dbName`, in the table `tableName`:
 * `sid` (the SHA-256 of the session id, never the id), `data` (JSON), `expiry`, `created` and
 * `active` (milliseconds since the epoch), `meta` (device details), with an index on `expiry`;
 * with `userKey`, a generated column `user_<userKey>` and an index on it. No schema statement
 * runs on the request path: a statement that finds the table or a column missing creates or
 * migrates the table and runs again once. A table made by itty-session 0.4 gains the new columns
 * in place (rows kept).
 */
export declare class D1Provider extends BaseProvider {
  /** @throws {TypeError} when `tableName` or `userKey` is not a plain SQL identifier
   *  @throws {Error} when no D1 database is bound as `dbName` in `env` */
  constructor(init: D1ProviderInit)
  /** Where the sessions live: `D1 database "SESSIONS", table "sessions"`. */
  get label(): string
  /** Nothing: the table is created or migrated when a statement finds it missing. */
  precheck(): void
  /** The record for `key`, or null (expiry is checked by the caller). */
  get(key: string, now?: number): Promise<ProviderRecord | null>
  /** Insert a new record (`active` = `created`). One statement. */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): Promise<void>
  /** Apply an RFC 7396 merge patch in SQL; false when the row is gone. */
  patch(key: string, patch: string, expiry: number | null): Promise<boolean>
  /** Replace the whole document; false when the row is gone. */
  replace(key: string, data: string, expiry: number | null): Promise<boolean>
  /** Push the expiry forward; false when the row is gone. */
  touch(key: string, expiry: number): Promise<boolean>
  /** Delete the record; true only when this call removed it. */
  destroy(key: string): Promise<boolean>
  /** The user's live sessions: one indexed query. @throws {Error} when made without `userKey` */
  listUser(user: string | number, now?: number): Promise<UserSession[]>
  /** Delete the user's sessions (all, all but `except`, or `handle`'s): one indexed DELETE; how many. */
  destroyUser(user: string | number, options?: DestroyUserOptions): Promise<number>
  /**
   * Delete rows expired at `now` (ms since the epoch), `batchSize` at a time, at most
   * `maxBatches` times; returns how many were deleted. Rows with a 0.4 id are not touched.
   */
  deleteExpired(now: number, batchSize: number, maxBatches: number): Promise<number>
  /** 0.4 contract: create an empty session, return its id. */
  createSession(): Promise<string>
  /** 0.4 contract: the row `{ sid, data, expiry, created }`, or null. */
  getSession(sid: string): Promise<D1SessionRow | null>
  /** 0.4 contract: store `data` (an object) for `sid`. */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): Promise<void>
  /** 0.4 contract: delete `sid`. */
  destroySession(sid: string): Promise<void>
}

/** Options for {@link cleanupExpired}. */
export interface CleanupOptions extends Omit<D1ProviderOptions, 'readReplicas'> {
  /**
   * Rows deleted per statement (a whole number above 0).
   * @default 500
   */
  batchSize?: number
  /**
   * At most this many statements per call (a whole number above 0).
   * @default 20
   */
  maxBatches?: number
}

/**
 * Delete expired sessions from a D1 table in bounded batches, for a Cron Trigger's `scheduled`
 * handler. Rows left by itty-session 0.4 (whose expiry 0.4 never checked) are not touched.
 * @param env the Worker's `env`, holding the D1 binding
 * @param options which table, and how much to delete at most (`batchSize * maxBatches` rows)
 * @returns how many rows were deleted
 */
export declare function cleanupExpired(env: any, options?: CleanupOptions): Promise<number>

/** What a D1 statement answers: rows, and D1's meta (`changes`, `rows_read`, ...). */
export interface D1StatementResult<T = Record<string, unknown>> {
  results: T[]
  success: boolean
  meta: Record<string, unknown>
}

/** A prepared statement of {@link d1}'s database: as D1's. */
export interface D1Statement {
  bind(...values: unknown[]): D1Statement
  first<T = Record<string, unknown>>(): Promise<T | null>
  first<T = unknown>(column: string): Promise<T | null>
  run<T = Record<string, unknown>>(): Promise<D1StatementResult<T>>
  all<T = Record<string, unknown>>(): Promise<D1StatementResult<T>>
  raw<T = unknown[]>(): Promise<T[]>
}

/** The database {@link d1} gives: used like the D1 binding. */
export interface D1RequestDatabase {
  prepare(query: string): D1Statement
  batch<T = Record<string, unknown>>(statements: D1Statement[]): Promise<D1StatementResult<T>[]>
}

/**
 * The D1 database bound as `name`, for this request. With `readReplicas` on, its queries go
 * through the request's D1 session for that database (the sessions' own when `name` is the
 * sessions database): this browser reads its own earlier writes even from a replica, and a
 * write's bookmark goes back with the response. Otherwise (the option off, no `sessionPreflight`
 * on this request, or a binding without `withSession`) it is `env[name]` itself.
 * Statements starting with SELECT (or VALUES) are reads; any other (WITH included) starts its
 * session on the primary.
 * @param request the request `sessionPreflight` saw
 * @param env the Worker's `env`
 * @param name the D1 binding's name in wrangler.toml, e.g. `'DB'`
 * @throws {TypeError} when `name` is not a binding name, or a fifth database is asked for
 * @throws {Error} when no D1 database is bound as `name`
 */
export declare function d1(request: Request, env: object, name: string): D1RequestDatabase

export default D1Provider
