// A provider with the record methods: itty-session 0.4's five methods come with it, built on them.
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { newSessionId } from '../session-cookie.js'
import { BaseProvider } from './BaseProvider.js'

/**
 * Base class for a provider that implements the record methods (`get`, `create`, `patch`,
 * `replace`, `touch`, `destroy`; see the provider contract). It gives the provider 0.4's five
 * methods for code that calls them directly (the middleware never does): the ids they take are
 * stored as they are, unhashed, as 0.4 did, and their expiry is not checked, as 0.4 did not.
 */
export class RecordProvider extends BaseProvider {
  #maxAgeMs

  /** @param {number} [maxAge] seconds: the lifetime of a session made by `createSession()` */
  constructor(maxAge = DEFAULT_COOKIE_OPTIONS.maxAge) {
    super()
    this.#maxAgeMs = maxAge * 1000
  }

  /** Nothing to prepare: a store made when first needed is the provider's business. */
  precheck() {}

  /** 0.4 contract: create an empty session, return its id. */
  async createSession() {
    const sid = newSessionId()
    await this.create(sid, '{}', Date.now() + this.#maxAgeMs)
    return sid
  }

  /** 0.4 contract: the record `{ sid, data, expiry, created }` or null. */
  async getSession(sid) {
    const row = await this.get(sid, 0)
    return row ? { sid, data: row.data, expiry: row.expiry, created: row.created ?? null } : null
  }

  /** 0.4 contract: store `data` (an object) for `sid`, creating the record when there is none. */
  async setSession(sid, data, expiry) {
    const text = JSON.stringify(data)
    if (!(await this.replace(sid, text, expiry ?? null))) await this.create(sid, text, expiry ?? Date.now() + this.#maxAgeMs)
  }

  /** 0.4 contract: delete `sid`. */
  async destroySession(sid) {
    await this.destroy(sid)
  }
}
