// itty-session/utils: what custom providers build on.

/**
 * A stored session as the record methods see it. `data` is the session's JSON text; `expiry`,
 * `created` and `active` are milliseconds since the epoch (`created` and `active` may be missing
 * or null in a row written by itty-session 0.4).
 */
export interface ProviderRecord {
  data: string
  expiry: number
  created?: number | null
  /** When the session was last written with a new expiry; `created` until then. Null for a 0.4 row. */
  active?: number | null
}

/**
 * The record methods: optional, and preferred by the middleware when a provider has all six
 * (they let it write nothing when nothing changed and write only what changed). `key` is the
 * SHA-256 of the session id (base64url), or a UUID issued by itty-session 0.4; `data` is JSON
 * text; `expiry` and `created` are milliseconds since the epoch.
 */
export interface ProviderRecordMethods {
  /**
   * The record for `key`, or null. `now` is the current time, or 0 for a 0.4 id (no expiry
   * check). The middleware checks `expiry` itself and destroys expired records, so a provider
   * may return or drop them.
   */
  get(key: string, now: number): ProviderRecord | null | Promise<ProviderRecord | null>
  /**
   * Store a new record; `active` starts at `created`. `meta` is device details as JSON text
   * (`{"ua":"Chrome on macOS","country":"DE"}`) or null, stored as given and returned by `listUser`.
   */
  create(key: string, data: string, expiry: number, created: number, meta?: string | null): unknown
  /**
   * Apply the RFC 7396 merge patch `patch` (JSON text) to the stored document, atomically in the
   * store, and set `expiry` (and `active`) unless it is null. Returns false when the record is gone.
   */
  patch(key: string, patch: string, expiry: number | null): boolean | Promise<boolean>
  /** Replace the whole document, and set `expiry` (and `active`) unless it is null. False when the record is gone. */
  replace(key: string, data: string, expiry: number | null): boolean | Promise<boolean>
  /** Push the expiry forward and set `active`; false when the record is gone. */
  touch(key: string, expiry: number): boolean | Promise<boolean>
  /** Delete the record; true only when this call removed one. */
  destroy(key: string): boolean | Promise<boolean>
}

/** One of a user's sessions, as `listUser` returns it. Times are ms since the epoch. */
export interface UserSession {
  /** The session's storage key (its first 16 characters are its `handle`). */
  key: string
  /** When the session was made; null for a row written by itty-session 0.4. */
  created: number | null
  /** When it was last written with a new expiry (as coarse as the rolling refresh); null for a 0.4 row. */
  active: number | null
  expiry: number
  /** Device details as JSON text, as given to `create`, or null. */
  meta: string | null
}

/** Which of a user's sessions `destroyUser` deletes: all; all but `except`; or only `handle`'s. */
export interface DestroyUserOptions {
  /** Keep the session stored under this key (e.g. the current one: "log out everywhere else"). */
  except?: string | null
  /** Delete only the session whose key starts with this (16 characters; anything else matches nothing). */
  handle?: string | null
}

/** The optional parts of the contract (docs/provider-contract.md). */
export interface ProviderOptionalMethods {
  /**
   * Compare-and-swap: store `data` only if the stored text is exactly `snapshot`; false when it
   * changed meanwhile or is gone (the middleware then diffs and patches). Offer it only where it
   * is cheaper than a patch.
   */
  swap?(key: string, snapshot: string, data: string, expiry: number | null): boolean | Promise<boolean>
  /** The user's live sessions (`expiry > now`), any order; `user` 42 and '42' are one user. */
  listUser?(user: string | number, now: number): UserSession[] | Promise<UserSession[]>
  /** Delete the user's sessions; returns how many were deleted. Never another user's. */
  destroyUser?(user: string | number, options?: DestroyUserOptions): number | Promise<number>
  /** Where the sessions live, for error messages: `D1 database "SESSIONS", table "sessions"`. */
  readonly label?: string
}

/** {@link ProviderRecordMethods}, each optional (as methods, so subclasses may implement them). */
export interface OptionalRecordMethods {
  /** The record for `key`, or null (`now` 0: a 0.4 id, no expiry check). See {@link ProviderRecordMethods.get}. */
  get?(key: string, now: number): ProviderRecord | null | Promise<ProviderRecord | null>
  /** Store a new record (`meta`: device details as JSON text, or null). */
  create?(key: string, data: string, expiry: number, created: number, meta?: string | null): unknown
  /** Apply an RFC 7396 merge patch (JSON text), set `expiry` unless null; false when the record is gone. */
  patch?(key: string, patch: string, expiry: number | null): boolean | Promise<boolean>
  /** Replace the whole document, set `expiry` unless null; false when the record is gone. */
  replace?(key: string, data: string, expiry: number | null): boolean | Promise<boolean>
  /** Push the expiry forward; false when the record is gone. */
  touch?(key: string, expiry: number): boolean | Promise<boolean>
  /** Delete the record; true only when this call removed one. */
  destroy?(key: string): boolean | Promise<boolean>
}

/** What itty-session 0.4's `getSession(sid)` returns: a row whose `data` is JSON text or an object. */
export interface LegacySessionRecord {
  /** The session: JSON text or an object; null or undefined reads as no session. */
  data: unknown
}

/**
 * itty-session 0.4's five provider methods. The middleware uses them when the record methods
 * are missing; such a provider picks its own session ids (UUIDs) and checks expiry itself.
 */
export interface LegacyProviderMethods {
  /** Runs once per middleware before the first use of the store (e.g. create a table). */
  precheck?(): void | Promise<void>
  /** Creates an empty session and returns its id (a UUID). */
  createSession(): string | Promise<string>
  /** Returns the stored record `{ data }` for `sid`, or null. */
  getSession(sid: string): LegacySessionRecord | null | undefined | Promise<LegacySessionRecord | null | undefined>
  /** Stores `data` (the session object) for `sid`, expiring at `expiry` (ms since the epoch) when given. */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): void | Promise<void>
  /** Deletes the session `sid`. */
  destroySession(sid: string): void | Promise<void>
}

/**
 * What the middleware accepts as a provider instance: all six record methods, or itty-session
 * 0.4's methods (any record methods it also has must then have the right types); `precheck` is
 * optional in both.
 */
export type SessionProvider =
  | (ProviderRecordMethods & ProviderOptionalMethods & { precheck?(): void | Promise<void> })
  | (LegacyProviderMethods & OptionalRecordMethods & ProviderOptionalMethods)

/**
 * What the middleware passes to a provider's constructor on every request:
 * `{ env, logging, maxAge, ...providerOptions }`.
 */
export interface ProviderInit {
  /** The Worker's `env` (the second argument itty-router gives the middleware). */
  env: any
  /** createSessionsMiddleware's `logging`. */
  logging: boolean
  /** The session cookie's `maxAge`, in seconds. */
  maxAge: number
  /** The session field naming the user (e.g. 'userId'), when createSessionsMiddleware has one. */
  userKey?: string
  /** Everything in createSessionsMiddleware's `providerOptions`. */
  [option: string]: any
}

/** A provider class: constructed once per request with {@link ProviderInit}. */
export type ProviderClass = new (init: ProviderInit) => SessionProvider

/**
 * Base class for session storage providers. Its five methods (itty-session 0.4's contract)
 * throw "not implemented": override them, or implement the record methods of
 * {@link ProviderRecordMethods} (which the middleware prefers when all six are present).
 */
export declare class BaseProvider implements LegacyProviderMethods {
  /** Runs once per middleware before the first use of the store (e.g. create a table). */
  precheck(): void | Promise<void>
  /** Creates an empty session and returns its id (0.4 contract). */
  createSession(): string | Promise<string>
  /** Returns the stored record `{ data }` for `sid`, or null (0.4 contract). */
  getSession(sid: string): LegacySessionRecord | null | undefined | Promise<LegacySessionRecord | null | undefined>
  /** Stores `data` (an object) for `sid` (0.4 contract). */
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): void | Promise<void>
  /** Deletes the session `sid` (0.4 contract). */
  destroySession(sid: string): void | Promise<void>
}
/** The optional record methods, type-checked in subclasses that implement them. */
export interface BaseProvider extends OptionalRecordMethods, ProviderOptionalMethods {}

/**
 * Base class for a provider that implements the record methods ({@link ProviderRecordMethods}):
 * it supplies 0.4's five methods built on them, for code that calls those directly (ids stored
 * unhashed and expiry unchecked, as in 0.4). Every provider in this package extends it.
 */
export declare class RecordProvider extends BaseProvider {
  /** @param maxAge seconds: the lifetime of a session made by `createSession()` (default 30 days) */
  constructor(maxAge?: number)
  precheck(): void
  createSession(): Promise<string>
  getSession(sid: string): Promise<LegacySessionRecord | null>
  setSession(sid: string, data: Record<string, unknown>, expiry?: number): Promise<void>
  destroySession(sid: string): Promise<void>
}

/**
 * Print `message` through `console[level]` with a timestamp and an "itty-session:" prefix,
 * when `enabled`.
 * @param enabled log only when true (e.g. the `logging` option)
 * @param level the console method
 * @param message what to print
 */
export declare function log(enabled: boolean, level: 'log' | 'info' | 'warn' | 'error', ...message: unknown[]): void
/**
 * itty-session 0.4's form: the level left out and the message passed as an array; logs at 'log'.
 * @param enabled log only when true
 * @param message what to print
 */
export declare function log(enabled: boolean, message: unknown[]): void

/**
 * Apply the RFC 7396 JSON merge patch `patch` to `target` and return the result (what D1's
 * `json_patch` does). `target` is not modified when the patch replaces it; objects inside it
 * may be. A `null` in the patch deletes that key.
 */
export declare function applyMergePatch(target: unknown, patch: unknown): unknown

/**
 * Check `userKey` (the session field naming the user): return it, or undefined when not set.
 * @throws {TypeError} when it is not a plain identifier (letters, digits and _, not starting with a digit)
 */
export declare function checkUserKey(userKey: unknown): string | undefined

/**
 * A user value as text, or null when it names no user: only a non-empty string or a safe
 * integer counts (`42` and `'42'` are the same user).
 */
export declare function userText(value: unknown): string | null

/** The user of a session (its parsed data) under `userKey`, as text, or null when anonymous. */
export declare function userOf(data: unknown, userKey: string | undefined): string | null

/**
 * A new session id: 256 bits from the platform CSPRNG as 43 base64url characters. Not for a
 * provider with only itty-session 0.4's methods: ids from its `createSession()` must be UUIDs
 * (e.g. `crypto.randomUUID()`).
 */
export declare function newSessionId(): string
