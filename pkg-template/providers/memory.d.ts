// itty-session/providers/memory: sessions in a Map, for tests and single-process servers.
import { BaseProvider, type ProviderRecord } from '../utils/index.js'

/** A record as MemoryProvider keeps it in its Map. */
export interface MemoryRecord {
  data: string
  expiry: number
  created?: number
}

/** `providerOptions` for {@link MemoryProvider}. */
export interface MemoryProviderOptions {
  /**
   * Where sessions are kept, by record key.
   * @default one Map shared by every MemoryProvider of the process
   */
  store?: Map<string, MemoryRecord>
}

/** What MemoryProvider's constructor takes; it ignores everything but `store`. */
export interface MemoryProviderInit extends MemoryProviderOptions {
  [option: string]: unknown
}

/**
 * Keeps sessions in memory: in a Map you pass as `providerOptions.store`, or one shared by
 * every MemoryProvider of the process. Sessions are lost on restart, and each Worker isolate
 * has its own: use it for tests and single-process Node servers, not in production Workers.
 */
export declare class MemoryProvider extends BaseProvider {
  constructor(init?: MemoryProviderInit)
  /** Nothing to prepare. */
  precheck(): void
  /** The record for `key`, or null. */
  get(key: string): ProviderRecord | null
  /** Insert a new record. @throws {Error} when `key` is taken */
  create(key: string, data: string, expiry: number, created?: number): void
  /** Apply an RFC 7396 merge patch; false when the record is gone. */
  patch(key: string, patch: string, expiry: number | null): boolean
  /** Replace the whole document; false when the record is gone. */
  replace(key: string, data: string, expiry: number | null): boolean
  /** Push the expiry forward. */
  touch(key: string, expiry: number): void
  /** Delete the record. */
  destroy(key: string): void
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
