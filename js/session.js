// request.session: the session's data as its own properties, with destroy() and regenerate()
// on its prototype, so they are never stored and cost nothing to attach.

/** Where a session keeps the middleware's state for its request (a symbol: never stored). */
export const STATE = Symbol('itty-session')

const define = (obj, key, value) =>
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })

/**
 * A session: read and write its properties like a plain object's (JSON values only). A stored
 * key called `destroy` or `regenerate` shadows the method, as an own property would.
 */
export class Session {
  constructor(state, data) {
    this[STATE] = state
    for (const key in data) {
      // "__proto__" from JSON is an ordinary key: define it rather than set the prototype.
      if (key === '__proto__') define(this, key, data[key])
      else this[key] = data[key]
    }
  }

  /** End the session: empty at once, even if not awaited; its id is dead from here on. */
  get destroy() {
    return () => {
      for (const key of Object.keys(this)) delete this[key]
      return this[STATE].detach()
    }
  }
  set destroy(value) {
    define(this, 'destroy', value)
  }

  /**
   * The same data under a new id; the old id is dead (call it at login: session fixation). The
   * session keeps its creation time, so the absolute timeout is not extended, unless
   * `{ authenticated: true }` says the user has just proved who they are (a login, a password
   * re-entered): then it starts again.
   */
  get regenerate() {
    return (options) => this[STATE].detach({ keepCreated: !options?.authenticated })
  }
  set regenerate(value) {
    define(this, 'regenerate', value)
  }
}
