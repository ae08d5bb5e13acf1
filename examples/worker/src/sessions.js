// The example's session middleware: sessions in D1 (binding SESSIONS), signed cookies, timeouts, users by name.
import { createSessionsMiddleware } from 'itty-session'
import D1Provider, { cleanupExpired } from 'itty-session/providers/d1'

// Where sessions live. To try another store, change these two (and the binding in wrangler.toml).
const Provider = D1Provider
const providerOptions = { dbName: 'SESSIONS', tableName: 'sessions' }

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

/** The Cron Trigger's work: delete expired sessions in bounded batches. */
export const cleanup = (env) => cleanupExpired(env, providerOptions)
