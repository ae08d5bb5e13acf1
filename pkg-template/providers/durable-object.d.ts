// itty-session/providers/durable-object: one Durable Object per session, expired by its own alarm.
import { DurableObject } from 'cloudflare:workers'
import { BaseProvider, type DestroyUserOptions, type ProviderRecord, type UserSession } from '../utils/index.js'

/** `providerOptions` for {@link DurableObjectProvider}. */
export interface DurableObjectProviderOptions {
  /**
   * The Durable Object binding's name in wrangler.toml (`env[doName]`), bound to {@link SessionObject}.
   * @default 'SESSIONS_DO'
   */
  doName?: string
  /**
   * The session field naming the user (e.g. 'userId'): sessions whose data has a string or
   * finite number there are listed in that user's index, for `listUser` and `destroyUser`.
   */
  userKey?: string
}

/** What DurableObjectProvider's constructor takes: the middleware passes `{ env, logging, maxAge, userKey, ...providerOptions }`. */
export interface DurableObjectProviderInit extends DurableObjectProviderOptions {
  /** The Worker's `env`, holding the Durable Object binding. */
  env: any
  /** Log failures through console. @default false */
  logging?: boolean
  /** Seconds; the lifetime of a session made by `createSession()`. @default 2592000 (30 days) */
  maxAge?: number
}

/** One of a user's sessions, as `listUser` returns it (the same shape for every provider). */
export type UserSessionEntry = UserSession

/**
 * The Durable Object class: export it from your Worker and bind it in wrangler.toml, with a
 * `[[migrations]]` entry listing it in `new_sqlite_classes` (it needs SQLite storage). Each
 * instance is one session (named by its storage key) or one user's index (named
 * `user:<userKey>:<user>`). Its methods are called by {@link DurableObjectProvider} through RPC.
 */
export declare class SessionObject extends DurableObject {
  /** `{ data, expiry, created, active }`, or null (also when expired at `now`, unless `now` is 0). */
  read(now: number): ProviderRecord | null
  alarm(info?: { retryCount: number; isRetry: boolean }): Promise<void>
}

/**
 * Stores sessions in Durable Objects (class {@link SessionObject}) bound as `doName`: one object per
 * session, addressed by `idFromName(key)`, every record method one RPC call the object runs
 * atomically. Each object deletes itself at its expiry with its alarm. With `userKey`, a per-user
 * index object lists each user's sessions (updated in the same call as the change).
 */
export declare class DurableObjectProvider extends BaseProvider {
  /** @throws {TypeError} when `userKey` is not a plain identifier
   *  @throws {Error} when no Durable Object namespace is bound as `doName` in `env` */
  constructor(init: DurableObjectProviderInit)
  /** `Durable Object namespace "SESSIONS_DO"`, for error messages. */
  get label(): string
  /** Nothing to prepare: each object sets itself up on first use. */
  precheck(): void
  /** The live record for `key`, or null; `now` 0 skips the expiry check. One call. */
  get(key: string, now: number): Promise<ProviderRecord | null>
  /** Store a new record (refused if the key exists). One call. */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): Promise<void>
  /** Apply an RFC 7396 merge patch inside the object; false when the record is gone. One call. */
  patch(key: string, patch: string, expiry: number | null): Promise<boolean>
  /** Replace the whole document; false when the record is gone. One call. */
  replace(key: string, data: string, expiry: number | null): Promise<boolean>
  /** Store `data` only if the stored text is exactly `snapshot`; false when it changed or is gone. One call. */
  swap(key: string, snapshot: string, data: string, expiry: number | null): Promise<boolean>
  /** Push the expiry forward; false when the record is gone. One call. */
  touch(key: string, expiry: number): Promise<boolean>
  /** Delete the record; true only when this call removed a live one. One call. */
  destroy(key: string): Promise<boolean>
  /** The user's live sessions (needs `userKey`). One call. */
  listUser(user: string | number, now?: number): Promise<UserSession[]>
  /** End the user's sessions: all, all but the one under `except`, or the one with `handle` (16 characters). How many ended. */
  destroyUser(user: string | number, options?: DestroyUserOptions): Promise<number>
  /** 0.4 contract: create an empty session, return its id. */
  createSession(): Promise<string>
  /** 0.4 contract: the record `{ sid, data, expiry }`, or null. */
  getSession(sid: string): Promise<{ sid: string; data: string; expiry: number } | null>
  /** 0.4 contract: store `data` (an object) for `sid`. */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): Promise<void>
  /** 0.4 contract: delete `sid`. */
  destroySession(sid: string): Promise<void>
}

export default DurableObjectProvider
