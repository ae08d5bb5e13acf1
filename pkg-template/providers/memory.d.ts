// itty-session/providers/memory: sessions in a Map, for tests and single-process servers.
import { BaseProvider, type DestroyUserOptions, type ProviderRecord, type UserSession } from '../utils/index.js'

/** A record as MemoryProvider keeps it in its Map. */
export interface MemoryRecord {
  data: string
  expiry: number
  created?: number
  /** Last written with a new expiry (ms since the epoch). */
  active?: number
  /** Device details as JSON text, or null. */
  meta?: string | null
}

/** `providerOptions` for {@link MemoryProvider}. */
export interface MemoryProviderOptions {
  /**
   * Where sessions are kept, by record key.
   * @default one Map shared by every MemoryProvider of the process
   */
  store?: Map<string, MemoryRecord>
  /** The session field naming the user (a plain identifier), for `listUser`/`destroyUser`. */
  userKey?: string
}

/** What MemoryProvider's constructor takes; it ignores everything but `store`, `maxAge` and `userKey`. */
export interface MemoryProviderInit extends MemoryProviderOptions {
  [option: string]: unknown
}

/**
 * Keeps sessions in memory: in a Map you pass as `providerOptions.store`, or one shared by
 * every MemoryProvider of the process. Sessions are lost on restart, and each Worker isolate
 * has its own: use it for tests and single-process Node servers, not in production Workers.
 */
export declare class MemoryProvider extends BaseProvider {
  /** @throws {TypeError} when `store` is not a Map, or `userKey` not a plain identifier */
  constructor(init?: MemoryProviderInit)
  /** Where the sessions live: `memory (the Map shared by the process)`. */
  get label(): string
  /** Nothing to prepare. */
  precheck(): void
  /** The record for `key`, or null. */
  get(key: string, now?: number): ProviderRecord | null
  /** Insert a new record. @throws {Error} when `key` is taken */
  create(key: string, data: string, expiry: number, created?: number, meta?: string | null): void
  /** Apply an RFC 7396 merge patch; false when the record is gone. */
  patch(key: string, patch: string, expiry: number | null): boolean
  /** Replace the whole document; false when the record is gone. */
  replace(key: string, data: string, expiry: number | null): boolean
  /** Compare-and-swap: store `data` only if the stored text is exactly `snapshot`; false otherwise. */
  swap(key: string, snapshot: string, data: string, expiry: number | null): boolean
  /** Push the expiry forward; false when the record is gone. */
  touch(key: string, expiry: number): boolean
  /** Delete the record; true when there was one. */
  destroy(key: string): boolean
  /** The user's live sessions. @throws {Error} when made without `userKey` */
  listUser(user: string | number, now?: number): UserSession[]
  /** Delete the user's sessions (all, all but `except`, or `handle`'s); how many were deleted. */
  destroyUser(user: string | number, options?: DestroyUserOptions): number
  /** 0.4 contract: create an empty session (30 days), return its id. */
  createSession(): string
  /** 0.4 contract: the record `{ sid, data, expiry, created }`, or null. */
  getSession(sid: string): ({ sid: string } & MemoryRecord) | null
  /** 0.4 contract: store `data` (an object) for `sid`. */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): void
  /** 0.4 contract: delete `sid`. */
  destroySession(sid: string): void
}

export default MemoryProvider
