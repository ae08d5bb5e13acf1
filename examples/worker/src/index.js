// The example Worker: log in, see who you are, count visits, log out. Sessions live in D1.
import { AutoRouter, html } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider, { cleanupExpired } from 'itty-session/providers/d1'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'

// Where sessions live: D1. For one Durable Object per session instead (no table, each session
// deleted by its own alarm, no cron), change this one line to `const Provider = DurableObjectProvider`:
// wrangler.toml already binds SESSIONS_DO to the SessionObject class exported here.
const Provider = D1Provider
export { SessionObject }

const { sessionPreflight, sessionify } = createSessionsMiddleware({
  Provider,
  // D1's defaults (dbName: 'SESSIONS', tableName: 'sessions'); Durable Objects: doName: 'SESSIONS_DO'
  providerOptions: {},
  options: {
    cookieOptions: { maxAge: 7 * 24 * 3600 },
    secret: (env) => env.SESSION_SECRET, // signs the cookie; rotate with [new, old]
    idleTimeout: 30 * 60, // logged out after 30 minutes without a visit
    absoluteTimeout: 12 * 3600, // and 12 hours after logging in, whatever the activity
  },
})

const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (body) =>
  html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>itty-session example</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
input,button{font:inherit;padding:.3rem .6rem;margin:.2rem 0}label{display:block}.note{color:#666;font-size:.9rem}</style>
</head><body><h1>itty-session</h1>${body}</body></html>`)

router.get('/', (request) => {
  const { session } = request
  if (!session.username) {
    return page(`<p id="status">You are not logged in.</p>
<form method="post" action="/login">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>
<p class="note">Any username; the password is <code>test</code>. Nothing is stored until you log in.</p>`)
  }
  session.visits = (session.visits ?? 0) + 1
  return page(`<p id="status">Logged in as <strong id="user">${escape(session.username)}</strong>.</p>
<p>Visits this session: <strong id="visits">${session.visits}</strong></p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`)
})

router.post('/login', async (request) => {
  const form = await request.formData()
  const username = String(form.get('username') ?? '').trim()
  if (!username || form.get('password') !== 'test') {
    return page(`<p id="status">Wrong username or password.</p><p><a href="/">Try again</a></p>`)
  }
  await request.session.regenerate() // a new id at login: no session fixation
  request.session.username = username
  request.session.since = new Date().toISOString()
  return new Response(null, { status: 303, headers: { Location: '/' } })
})

router.post('/logout', async (request) => {
  await request.session.destroy()
  return new Response(null, { status: 303, headers: { Location: '/' } })
})

router.get('/me', (request) => ({ loggedIn: !!request.session.username, username: request.session.username ?? null }))

export default {
  fetch: router.fetch,
  // The Cron Trigger in wrangler.toml: delete expired D1 sessions in bounded batches (Durable
  // Objects need none: each deletes itself at its expiry).
  async scheduled(controller, env) {
    if (Provider === D1Provider) await cleanupExpired(env, { dbName: 'SESSIONS', tableName: 'sessions' })
  },
}
