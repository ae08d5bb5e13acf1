// The storage contract a provider fulfils: itty-session 0.4's five methods, plus optional faster ones.

/**
 * Base class for session storage providers. docs/provider-contract.md is the contract, and
 * tests/contract/suite.mjs tests it against every provider.
 *
 * A provider written for itty-session 0.4 implements the five classic methods:
 * `precheck()`, `createSession() -> sid`, `getSession(sid) -> { data } | null`,
 * `setSession(sid, data, expiry)` and `destroySession(sid)`; the middleware adapts them.
 *
 * A provider may also implement the record methods, which the middleware prefers when present
 * (they let it write nothing when nothing changed and write only what changed):
 * `get(key, now) -> { data: string, expiry, created, active } | null` (the middleware checks
 * expiry and idleness itself and destroys dead records, so a provider may return or drop them),
 * `create(key, data, expiry, created, meta)`, `patch(key, mergePatch, expiry|null) -> boolean`
 * (RFC 7396, atomic in the store, false when the row is gone), `replace(key, data, expiry|null)
 * -> boolean`, `touch(key, expiry) -> boolean` and `destroy(key) -> boolean` (true only when it
 * removed a row). Optional: `swap(key, snapshot, data, expiry|null) -> boolean`,
 * `listUser(user, now)`, `destroyUser(user, { except, handle }) -> number` and a `label` getter.
 * `key` is the SHA-256 of the session id (base64url), or a UUID issued by itty-session 0.4;
 * `data` is JSON text; times are milliseconds since the epoch.
 */
export class BaseProvider {
  /** Runs once per middleware before the first use of the store (e.g. create a table). */
  precheck() {
    throw new Error('precheck not implemented')
  }
  /** Creates an empty session and returns its id (0.4 contract). */
  createSession() {
    throw new Error('createSession not implemented')
  }
  /** Returns the stored record `{ data }` for `sid`, or null (0.4 contract). */
  getSession(sid) {
    throw new Error('getSession not implemented')
  }
  /** Stores `data` (an object) for `sid` (0.4 contract). */
  setSession(sid, data, expiry) {
    throw new Error('setSession not implemented')
  }
  /** Deletes the session `sid` (0.4 contract). */
  destroySession(sid) {
    throw new Error('destroySession not implemented')
  }
}
