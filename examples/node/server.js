// The Node example: itty-router on node:http with itty-session; sessions in SQLite, in memory (SESSION_STORE=memory), in Redis (SESSION_STORE=redis) or in PostgreSQL (SESSION_STORE=postgres).
import { fileURLToPath } from 'node:url'
import { AutoRouter, html } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import MemoryProvider from 'itty-session/providers/memory'
import PostgresProvider, { cleanupExpired as cleanupPostgres } from 'itty-session/providers/postgres'
import RedisProvider from 'itty-session/providers/redis'
import { createClient } from 'redis'
import { serve } from './serve.js'
import SqliteProvider from './sqlite-provider.js'

const STORES = { sqlite: SqliteProvider, memory: MemoryProvider, redis: RedisProvider, postgres: PostgresProvider }
// SESSION_STORE=redis: a node-redis client for $REDIS_URL (default redis://127.0.0.1:6379); the provider connects it on first use.
// SESSION_STORE=postgres: the server named by $DATABASE_URL (postgres://user:password@host:port/database).
const postgresOptions = () => {
  if (!process.env.DATABASE_URL) throw new Error('SESSION_STORE=postgres needs DATABASE_URL, e.g. postgres://user:password@127.0.0.1:5432/postgres')
  return { connectionString: process.env.DATABASE_URL }
}
const STORE_OPTIONS = { redis: () => ({ client: createClient({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379' }) }), postgres: postgresOptions }

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (body) =>
  html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>itty-session on Node</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
input,button{font:inherit;padding:.3rem .6rem;margin:.2rem 0}label{display:block}.note{color:#666;font-size:.9rem}</style>
</head><body><h1>itty-session on Node</h1>${body}</body></html>`)
const redirect = (to) => new Response(null, { status: 303, headers: { Location: to } })

/**
 * The app: a login page, a visit count, logout. `store` picks the provider ('sqlite', 'memory',
 * 'redis' or 'postgres'; default: $SESSION_STORE, else sqlite); `Provider` and `providerOptions` override.
 */
export function createApp({ store = process.env.SESSION_STORE || 'sqlite', Provider = STORES[store], providerOptions = STORE_OPTIONS[store]?.() ?? {} } = {}) {
  if (!Provider) throw new Error(`unknown session store "${store}" (SESSION_STORE): use ${Object.keys(STORES).join(', ')}`)
  const { sessionPreflight, sessionify } = createSessionsMiddleware({
    Provider,
    providerOptions,
    options: { cookieOptions: { maxAge: 7 * 24 * 3600 } },
  })
  const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })

  router.get('/', ({ session }) => {
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
    request.session.username = username
    request.session.since = new Date().toISOString()
    return redirect('/')
  })

  router.post('/logout', async (request) => {
    await request.session.destroy()
    return redirect('/')
  })

  router.get('/me', ({ session }) => ({ loggedIn: !!session.username, username: session.username ?? null }))

  return router
}

/** Serve `app` (default: `createApp(options)`) on http://hostname:port; resolves to the node:http Server. */
export function start({ port = Number(process.env.PORT ?? 8788), hostname = '127.0.0.1', app, ...options } = {}) {
  return serve((app ?? createApp(options)).fetch, { port, hostname })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const store = process.env.SESSION_STORE || 'sqlite'
  const server = await start({ store })
  // Expired sessions are deleted when their cookie comes back; this deletes the others, hourly.
  if (store === 'sqlite') setInterval(() => new SqliteProvider().deleteExpired(), 3600e3).unref()
  if (store === 'postgres') setInterval(() => cleanupPostgres(null, postgresOptions()).catch((e) => console.error(e.message)), 3600e3).unref()
  const { address, port } = server.address()
  console.log(`itty-session Node example: http://${address}:${port} (sessions in ${store})`)
}
