// The example's session middleware: sessions in D1 (binding SESSIONS), signed cookies, timeouts, users by name.
import { createSessionsMiddleware } from 'itty-session'
import D1Provider, { cleanupExpired } from 'itty-session/providers/d1'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'

// Where sessions live: D1. For one Durable Object per session instead (no table, each session
// deleted by its own alarm, no cron), change this one line to `const Provider = DurableObjectProvider`:
// wrangler.toml already binds SESSIONS_DO to the SessionObject class exported from index.js.
const Provider = D1Provider
// D1's options; DurableObjectProvider reads its binding from doName (default 'SESSIONS_DO').
const providerOptions = { dbName: 'SESSIONS', tableName: 'sessions' }
export { SessionObject }

export const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware({
  Provider,
  providerOptions,
  options: {
    cookieOptions: { maxAge: 7 * 24 * 3600 }, // the name is __Host-sid: Secure, Path=/, no Domain
    secret: (env) => env.SESSION_SECRET, // signs the cookie; rotate with [new, old]
    idleTimeout: 30 * 60, // logged out after 30 minutes without a visit
    absoluteTimeout: 12 * 3600, // and 12 hours after logging in, whatever the activity
    userKey: 'username', // the session field naming the user: lists and ends a user's sessions
  },
})

/** The Cron Trigger's work: delete expired D1 sessions in bounded batches (Durable Objects need none). */
export const cleanup = (env) => (Provider === D1Provider ? cleanupExpired(env, providerOptions) : undefined)
