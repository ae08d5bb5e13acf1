// itty-session/providers/redis: sessions in Redis (a node-redis or ioredis client you pass in), expired by Redis TTLs, changed by compare-and-swap.
import { BaseProvider, type ProviderRecord } from '../utils/index.js'

/**
 * The client: `createClient({ url })` from the `redis` package (node-redis 4 or later; connected
 * or not: the provider connects it on first use), or `new Redis(url)` from `ioredis` (5 or later).
 * Only the members the provider uses are named here, so both clients' types fit.
 */
export type RedisClientLike =
  | { sendCommand(args: string[], ...rest: any[]): Promise<unknown>; readonly isReady: boolean; readonly isOpen: boolean; connect(): Promise<unknown> }
  | { call(command: string, ...args: any[]): Promise<unknown>; readonly status: string; connect(): Promise<unknown> }

/** `providerOptions` for {@link RedisProvider}. */
export interface RedisProviderOptions {
  /** A node-redis or ioredis client. The package never imports either: install the one you use. */
  client: RedisClientLike
  /**
   * Put before every record key (the SHA-256 of the session id) to make its Redis key; a user's
   * index is `<prefix>user:<userKey>:<user>`. At most 100 printable ASCII characters, no spaces.
   * @default 'sess:'
   */
  prefix?: string
  /**
   * Milliseconds to wait for Redis to answer a command (or for a first connection) before the
   * request fails. A write that timed out may still be applied when Redis answers late.
   * @default 5000
   */
  timeout?: number
}

/**
 * What RedisProvider's constructor takes: the middleware passes `{ env, logging, maxAge, userKey, ...providerOptions }`.
 * `client` is required (the constructor throws a TypeError without one); it is optional here only
 * so that the class fits the middleware's `Provider` type.
 */
export interface RedisProviderInit extends Omit<RedisProviderOptions, 'client'> {
  client?: RedisClientLike
  /** Unused (the client is passed in); accepted because the middleware passes it. */
  env?: any
  /** Log failures through console. @default false */
  logging?: boolean
  /** Seconds; the lifetime of a session made by `createSession()`. @default 2592000 (30 days) */
  maxAge?: number
  /** The session field naming its user (e.g. 'userId'): kept in a per-user index for listUser/destroyUser. */
  userKey?: string
}

/** One of a user's live sessions, as {@link RedisProvider.listUser} returns it. */
export interface RedisUserSession {
  /** The record key (the SHA-256 of the session id). */
  key: string
  created: number
  /** When the session last moved its expiry (as coarse as the rolling refresh). */
  active: number
  expiry: number
  /** Device details as JSON text, as given at create, or null. */
  meta: string | null
}

/**
 * Stores sessions in Redis: one hash per session under `prefix` + the record key, expiring with
 * the session (PEXPIREAT), so Redis deletes expired sessions itself; `expiry` is also checked on
 * read. Changes are compare-and-swap Lua scripts on the stored text (never decoded by Lua's
 * cjson): concurrent changes to different keys of one session all persist. Node only: on
 * Cloudflare Workers use the KV, D1 or Durable Objects provider.
 */
export declare class RedisProvider extends BaseProvider {
  /** @throws {TypeError} when `client` is not a node-redis or ioredis client, or `prefix`, `userKey` or `timeout` is malformed */
  constructor(init: RedisProviderInit)
  /** Where the sessions live, for error messages: `Redis at 127.0.0.1:6379, prefix "sess:"`. */
  readonly label: string
  /** Connect the client if it was never connected, and wait until it is ready. */
  precheck(): Promise<void>
  /** The live record for `key` (with `active`), or null; `now` 0 skips the expiry check. One HMGET. */
  get(key: string, now: number): Promise<ProviderRecord | null>
  /** Store a new record; `meta` is JSON text or null. One script. */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): Promise<void>
  /** Store `data` only if the stored text is exactly `snapshot`; false when it changed or is gone. One script. */
  swap(key: string, snapshot: string, data: string, expiry: number | null): Promise<boolean>
  /** Apply an RFC 7396 merge patch (read, merge, compare-and-swap, retried on conflicts); false when gone. */
  patch(key: string, patch: string, expiry: number | null): Promise<boolean>
  /** Replace the whole document; false when gone. */
  replace(key: string, data: string, expiry: number | null): Promise<boolean>
  /** Set the expiry (and `active`); false when gone. */
  touch(key: string, expiry: number): Promise<boolean>
  /** Delete the record; true only when this call removed a live one. */
  destroy(key: string): Promise<boolean>
  /** The live sessions of `user` (any order); drops dead entries from its index. */
  listUser(user: string | number, now?: number): Promise<RedisUserSession[]>
  /** Delete `user`'s sessions: all, all but `except` (a key), or those whose key starts with `handle`. Returns how many. */
  destroyUser(user: string | number, options?: { except?: string; handle?: string }): Promise<number>
  /** 0.4 contract: create an empty session, return its id. */
  createSession(): Promise<string>
  /** 0.4 contract: the record `{ sid, data, expiry }`, or null. */
  getSession(sid: string): Promise<{ sid: string; data: string; expiry: number } | null>
  /** 0.4 contract: store `data` (an object) for `sid`. */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): Promise<void>
  /** 0.4 contract: delete `sid`. */
  destroySession(sid: string): Promise<void>
}

export default RedisProvider
