// A user's sessions: list them, end one, end all the others, end all (options.userKey).
import { userText } from './utils/user.js'

/** A handle names one session in a list: the first 16 characters of its storage key. */
const HANDLE = /^[A-Za-z0-9_-]{16}$/
const HANDLE_LENGTH = 16

// The user a session value names, as text (the rule every provider applies); undefined for none.
const userOf = (value) => userText(value) ?? undefined

/**
 * The `sessions` object createSessionsMiddleware returns.
 * @param {object} mw what the middleware shares: its resolved `config`, `providerFor(env)`,
 *   `isLive(row, now)`, `where(provider)` and `stateOf(request)`
 */
export function userSessions({ config, providerFor, isLive, where, stateOf }) {
  const { userKey } = config

  // The provider for `env`, checked to offer what listing and ending need.
  function store(provider) {
    if (!userKey) {
      throw new TypeError("itty-session: set options.userKey to the session field naming the user (e.g. 'userId', or 'username' as in the 0.4 README) to list or end a user's sessions")
    }
    if (typeof provider.listUser !== 'function' || typeof provider.destroyUser !== 'function') {
      throw new TypeError(`itty-session: ${where(provider)} cannot list or end a user's sessions: its provider must implement listUser(user, now) and destroyUser(user, { except, handle }) (see the provider contract in the README)`)
    }
    return provider
  }

  function checkUser(user) {
    const id = userOf(user)
    if (id === undefined) throw new TypeError(`itty-session: a user id must be a non-empty string or a safe integer; got ${typeof user === 'string' ? '""' : typeof user}`)
    return id
  }

  function checkHandle(handle) {
    if (typeof handle !== 'string' || !HANDLE.test(handle)) {
      throw new TypeError('itty-session: a session handle is the 16-character `handle` of an entry from sessions.list() or sessions.listUser()')
    }
    return handle
  }

  // What a list shows of a stored session: never its id or storage key, only a handle.
  function present(rows, currentKey, now) {
    const out = []
    for (const row of rows) {
      if (!isLive(row, now)) continue
      let meta = null
      try {
        meta = row.meta ? JSON.parse(row.meta) : null
      } catch {
        // Unreadable device details are shown as unknown, never fatal.
      }
      out.push({
        handle: row.key.slice(0, HANDLE_LENGTH),
        current: currentKey !== undefined && row.key === currentKey,
        created: row.created ?? null,
        lastActive: row.active ?? row.created ?? null,
        expires: row.expiry,
        device: typeof meta?.ua === 'string' ? meta.ua : null,
        country: typeof meta?.country === 'string' ? meta.country : null,
      })
    }
    return out.sort((a, b) => (b.lastActive ?? 0) - (a.lastActive ?? 0))
  }

  // This request's user, or undefined for an anonymous session.
  const requestUser = (request) => userOf(request.session?.[userKey])

  return {
    /** This request's user's live sessions, most recently active first; `current` marks this one. */
    async list(request) {
      const state = stateOf(request)
      const provider = store(state.provider)
      const user = requestUser(request)
      if (user === undefined) return []
      const now = Date.now()
      return present(await provider.listUser(user, now), state.key, now)
    },

    /**
     * End one of this request's user's sessions, by its handle; true when one was ended. Ending
     * this very session is `request.session.destroy()`.
     */
    async end(request, handle) {
      const state = stateOf(request)
      const provider = store(state.provider)
      checkHandle(handle)
      const user = requestUser(request)
      if (user === undefined) return false
      if (state.key !== undefined && state.key.startsWith(handle)) {
        await request.session.destroy()
        return true
      }
      return (await provider.destroyUser(user, { handle })) > 0
    },

    /**
     * End every other session of this request's user (after a password change, say) and give this
     * one a new id. Returns how many were ended.
     */
    async endOthers(request) {
      const state = stateOf(request)
      const provider = store(state.provider)
      const user = requestUser(request)
      if (user === undefined) return 0
      const ended = await provider.destroyUser(user, { except: state.key })
      await request.session.regenerate()
      return ended
    },

    /** Any user's live sessions, from code that has `env` (an admin page, a queue consumer). */
    async listUser(env, user) {
      const provider = store(providerFor(env))
      const now = Date.now()
      return present(await provider.listUser(checkUser(user), now), undefined, now)
    },

    /**
     * End all of a user's sessions (an account disabled or deleted), or with `{ handle }` only
     * that one. Returns how many were ended; their next request finds no session.
     */
    async endUser(env, user, { handle } = {}) {
      const provider = store(providerFor(env))
      const id = checkUser(user)
      return provider.destroyUser(id, handle === undefined ? {} : { handle: checkHandle(handle) })
    },
  }
}
