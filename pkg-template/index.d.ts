// itty-session: cookie sessions for itty-router, on a Rust/WebAssembly core.
import type { ProviderClass } from './utils/index.js'

export type { ProviderClass, ProviderInit, SessionProvider } from './utils/index.js'

/** What `request.session` has besides its data. */
export interface SessionMethods {
  /**
   * End the session: `request.session` is emptied at once (even if not awaited), the stored
   * session is deleted and the clearing cookie is sent; the id is dead from here on. Data set
   * afterwards goes to a new session with a new id.
   */
  destroy(): Promise<void>
  /**
   * Keep the data under a new id and delete the old one (call it at login, against session
   * fixation). The new id is sent in the response's cookie. The session keeps its creation time
   * (so the absolute timeout is not extended) unless `{ authenticated: true }` says the user has
   * just proved who they are (a login, a password re-entered).
   */
  regenerate(options?: { authenticated?: boolean | undefined }): Promise<void>
}

/**
 * `request.session`: the session's data as the object's own properties (JSON values only),
 * plus {@link SessionMethods}. Empty for a new visitor; nothing is stored until it gets data.
 */
export type Session<Data extends object = Record<string, any>> = Data & SessionMethods

/**
 * The shape of itty-router 5's `IRequest` (a `Request` plus `route`, `params`, `query` and any
 * other property), repeated here so that the types do not need itty-router.
 */
export type IttyRequest = Request & {
  route: string
  params: { [key: string]: string }
  query: { [key: string]: string | string[] | undefined }
  proxy?: any
} & { [key: string]: any }

/** What sessionPreflight adds to the request. */
export interface SessionFields<Data extends object = Record<string, any>> {
  /** The session's data, with `destroy()` and `regenerate()`. */
  session: Session<Data>
  /**
   * The session's id. For a visitor without a session, a new id is made when this is first
   * read (it is stored only if the session gets data).
   */
  sessionID: string
}

/**
 * An itty-router request after `sessionPreflight`: use it as the router's request type,
 * e.g. `AutoRouter<SessionRequest<MyData>, [Env, ExecutionContext]>(...)`.
 */
export type SessionRequest<Data extends object = Record<string, any>> = IttyRequest & SessionFields<Data>

/**
 * The session cookie's attributes (`options.cookieOptions`), merged over the defaults: an
 * attribute left out takes its default, but one given as `undefined` is unset (so
 * `secure: undefined` means no `Secure`). The types refuse `undefined` for the attributes with
 * defaults under `exactOptionalPropertyTypes`.
 */
export interface SessionCookieOptions {
  /**
   * The cookie's name. A `__Host-` name needs `secure: true`, `path: '/'` and no `domain`;
   * a `__Secure-` name needs `secure: true` (checked at createSessionsMiddleware, in any case).
   * @default '__Host-sid' when `secure`, `path: '/'` and no `domain` allow it, else 'sid'
   */
  name?: string
  /** `Path`. @default '/' */
  path?: string
  /** `Domain`. @default undefined (a host-only cookie) */
  domain?: string | undefined
  /**
   * `Max-Age` in whole seconds, from 1 to 34560000 (400 days, what browsers allow). Also how
   * long an unused session lives on the server; sessions roll, pushed forward when a tenth of it
   * has passed.
   * @default 2592000 (30 days)
   */
  maxAge?: number
  /** `HttpOnly`: no JavaScript access, so XSS cannot read the id. @default true */
  httpOnly?: boolean
  /** `Secure`: HTTPS only (browsers treat http://localhost as secure). @default true */
  secure?: boolean
  /**
   * `SameSite`: `'strict'` (or `true`) is not sent on cross-site requests (against CSRF);
   * `false` leaves the attribute out.
   * @default 'strict'
   */
  sameSite?: boolean | 'lax' | 'strict' | 'none'
  /** `Partitioned` (CHIPS). @default undefined (not set) */
  partitioned?: boolean | undefined
  /** `Priority`. @default undefined (not set) */
  priority?: 'low' | 'medium' | 'high' | undefined
}

/** createSessionsMiddleware's `options`. */
export interface SessionOptions {
  /** The session cookie's attributes. */
  cookieOptions?: SessionCookieOptions | undefined
  /**
   * Signs the session cookie (HMAC): each secret at least 32 characters. With an array, the
   * first signs and all verify (rotate with `[newSecret, oldSecret]`). A function reads it from
   * the Worker's `env` on the first request (and again if it changes), e.g.
   * `(env) => env.SESSION_SECRET`; a request for which it returns nothing throws.
   * @default undefined (cookies hold the bare 256-bit id, unsigned)
   */
  secret?: string | string[] | ((env: any) => string | string[] | undefined) | undefined
  /**
   * Whole seconds without a request after which a session ends, when shorter than
   * `cookieOptions.maxAge`.
   * @default undefined (`cookieOptions.maxAge`)
   */
  idleTimeout?: number | undefined
  /**
   * Whole seconds after a session was created after which it ends, however active it is.
   * @default undefined (no limit)
   */
  absoluteTimeout?: number | undefined
  /**
   * The largest session stored, in bytes of JSON (up to 2000000, D1's row limit); a larger one
   * fails the request and is not saved.
   * @default 1048576 (1 MiB)
   */
  maxSize?: number | undefined
  /**
   * Read sessions from before this version while migrating: a cookie under the previous default
   * name `sid` (moved to `__Host-sid` on its next response) and itty-session 0.4's unsigned UUID
   * ids (moved to a new id on first sight). Set `false` once your longest session lifetime has
   * passed since upgrading: then a UUID cookie costs no store read.
   * @default true
   */
  acceptLegacy?: boolean | undefined
  /**
   * The top-level session field naming the user (e.g. `'userId'`, or `'username'` as in the 0.4
   * README): turns on `sessions.list`, `end`, `endOthers`, `listUser` and `endUser`. Sessions
   * without it are anonymous and never listed.
   * @default undefined (off)
   */
  userKey?: string | undefined
  /**
   * With `userKey`: store a short device description (e.g. "Chrome on macOS", never the raw
   * User-Agent) and the country from `request.cf` with each new session, for a devices page.
   * @default true
   */
  deviceDetails?: boolean | undefined
}

/** One session in a user's list: never its id, only a handle that can end it (for that user). */
export interface UserSession {
  /** 16 characters naming this session to `sessions.end()` / `sessions.endUser()`. */
  handle: string
  /** Whether this is the session of the request that asked. */
  current: boolean
  /** When the session was created (ms since the epoch). */
  created: number | null
  /** When it was last active, as coarse as the rolling refresh (a tenth of the idle window). */
  lastActive: number | null
  /** When it ends unless used again (ms since the epoch). */
  expires: number
  /** E.g. "Firefox on Linux"; null when not stored (`deviceDetails: false`). */
  device: string | null
  /** Two-letter country from `request.cf`, or null. */
  country: string | null
}

/** A user's sessions (needs `options.userKey` and a provider with `listUser`/`destroyUser`). */
export interface UserSessions {
  /** This request's user's live sessions, most recently active first. Anonymous: `[]`. */
  list(request: IttyRequest): Promise<UserSession[]>
  /** End one of this request's user's sessions by handle; `false` when none of theirs has it. */
  end(request: IttyRequest, handle: string): Promise<boolean>
  /** End every other session of this request's user and give this one a new id; how many ended. */
  endOthers(request: IttyRequest): Promise<number>
  /** Any user's live sessions, from code with `env` (an admin page, a queue consumer). */
  listUser(env: any, user: string | number): Promise<UserSession[]>
  /** End all of a user's sessions, or only `handle`; how many ended. */
  endUser(env: any, user: string | number, options?: { handle?: string | undefined }): Promise<number>
}

/** createSessionsMiddleware's argument. Every option is optional. */
export interface SessionsMiddlewareInit {
  /**
   * The storage class, constructed once per `env` with `{ env, logging, maxAge, userKey, ...providerOptions }`:
   * `D1Provider` (itty-session/providers/d1), `KVProvider` (itty-session/providers/kv),
   * `MemoryProvider` (itty-session/providers/memory), or your own (extend `BaseProvider` from
   * itty-session/utils).
   * @default D1Provider
   */
  Provider?: ProviderClass | undefined
  /**
   * Passed to the Provider's constructor. D1Provider: `{ dbName: 'SESSIONS', tableName: 'sessions' }`;
   * KVProvider: `{ kvName: 'SESSIONS_KV', prefix: 'sess:' }`; MemoryProvider: `{ store }`.
   * @default {}
   */
  providerOptions?: { [option: string]: unknown } | undefined
  /** The session cookie, signing, timeouts and size limit. @default {} */
  options?: SessionOptions | undefined
  /** Log what the middleware does through console (never a raw session id). @default false */
  logging?: boolean | undefined
}

/** The two middlewares, typed for itty-router's `before` and `finally`. */
export interface SessionsMiddleware<Data extends object = Record<string, any>> {
  /**
   * Put it in the router's `before`: loads `request.session` (one read when the request has a
   * session cookie, none otherwise) and sets `request.sessionID`. Returns `undefined` when it
   * finished at once (a synchronous store, or no session cookie), else a promise; a failure is
   * always a rejected promise. `await` it either way.
   */
  sessionPreflight: (request: SessionRequest<Data>, env: any, ...args: any[]) => Promise<void> | undefined
  /**
   * Put it in the router's `finally`: saves what changed in `request.session` (nothing on a 5xx
   * response) and returns the response with the session's `Set-Cookie` header, or `undefined`
   * when the response is kept as it is: at once when nothing had to be awaited, else through a
   * promise (a failure is always a rejected promise). `await` it either way.
   */
  sessionify: (response: Response | undefined, request: SessionRequest<Data>, ...args: any[]) => Promise<Response | undefined> | Response | undefined
  /** List and end a user's sessions (with `options.userKey`). */
  sessions: UserSessions
}

/**
 * Create the two itty-router middlewares: `sessionPreflight` (put it in `before`) loads
 * `request.session`, and `sessionify` (put it in `finally`) saves what changed and sets cookies.
 *
 * @typeParam Data the session's data (JSON values), e.g. `{ username?: string }`
 * @param init the provider, its options, the cookie and session options, logging
 * @throws {TypeError} on a bad option, naming it and what to change
 * @example
 * const { sessionPreflight, sessionify } = createSessionsMiddleware<{ username?: string }>()
 * const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
 */
export declare function createSessionsMiddleware<Data extends object = Record<string, any>>(
  init?: SessionsMiddlewareInit,
): SessionsMiddleware<Data>
