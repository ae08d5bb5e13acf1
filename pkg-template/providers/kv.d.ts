// itty-session/providers/kv: sessions in Cloudflare Workers KV, expired by KV's own TTL.
import { BaseProvider, type DestroyUserOptions, type ProviderRecord, type UserSession } from '../utils/index.js'

/** `providerOptions` for {@link KVProvider}. */
export interface KVProviderOptions {
  /**
   * The KV binding's name in wrangler.toml (`env[kvName]`).
   * @default 'SESSIONS_KV'
   */
  kvName?: string
  /**
   * Put before every record key (the SHA-256 of the session id) to make its KV key.
   * @default 'sess:'
   */
  prefix?: string
}

/** What KVProvider's constructor takes: the middleware passes `{ env, logging, maxAge, ...providerOptions }`. */
export interface KVProviderInit extends KVProviderOptions {
  /** The Worker's `env`, holding the KV binding. */
  env: any
  /** Log failures through console. @default false */
  logging?: boolean
  /** Seconds; the lifetime of a session made by `createSession()`. @default 2592000 (30 days) */
  maxAge?: number
  /**
   * The session field naming the user (a plain identifier), for `listUser`/`destroyUser`: each
   * logged-in session also gets an index key, `prefix + 'user:' + userKey + ':' + user + ':' + key`.
   */
  userKey?: string
}

/**
 * Stores sessions in the KV namespace bound as `kvName`, one KV key per session (`prefix` + the
 * record key): the value is the session's JSON, `{ expiry, created, active, meta, user }` its
 * metadata. Each write sets `expirationTtl` (at least 60 s) so KV deletes expired sessions itself.
 * With `userKey`, a logged-in session also has an index key under `prefix + 'user:'`, written at
 * login, user change and logout, and outliving the session.
 *
 * KV has no read-modify-write: two concurrent requests changing different keys of one session
 * can lose one change (D1 cannot). KV is eventually consistent: another location may see a
 * login, a change or a logout up to ~60 s late, and `listUser`/`destroyUser` may miss a session
 * made elsewhere in the last ~60 s.
 */
export declare class KVProvider extends BaseProvider {
  /** @throws {TypeError} when `prefix` is not a string, or `userKey` not a plain identifier
   *  @throws {Error} when no KV namespace is bound as `kvName` in `env` */
  constructor(init: KVProviderInit)
  /** Where the sessions live: `KV namespace "SESSIONS_KV", prefix "sess:"`. */
  get label(): string
  /** Nothing to prepare: the binding is checked when the provider is made. */
  precheck(): void
  /** The live record for `key`, or null; `now` 0 skips the expiry check. */
  get(key: string, now: number): Promise<ProviderRecord | null>
  /** Write a new record (and its index key when it has a user). `meta` over 512 characters is not kept. */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): Promise<void>
  /** Apply an RFC 7396 merge patch (read, merge in JS, write); false when the record is gone. */
  patch(key: string, patch: string, expiry: number | null): Promise<boolean>
  /** Replace the whole document; false when the record is gone. */
  replace(key: string, data: string, expiry: number | null): Promise<boolean>
  /** Push the expiry forward (one read and one write); false when the record is gone. */
  touch(key: string, expiry: number): Promise<boolean>
  /** Delete the record and its index key; true when there was a record (read just before: two concurrent destroys may both say true). */
  destroy(key: string): Promise<boolean>
  /** The user's live sessions: one list of the index, one read per session. @throws {Error} when made without `userKey` */
  listUser(user: string | number, now?: number): Promise<UserSession[]>
  /** Delete the user's sessions (all, all but `except`, or `handle`'s); how many were deleted. */
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

export default KVProvider
