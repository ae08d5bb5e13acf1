// The five request scenarios, timed through an AutoRouter per store beside MemoryProvider in one
// process: shared by the PostgreSQL and Redis benchmarks.
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import MemoryProvider from 'itty-session/providers/memory'

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]

/** An app with sessions in `Provider`: read (`/get`), change (`/set`) and log out (`/logout`). */
export function router(Provider, providerOptions) {
  const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider, providerOptions, options: { cookieOptions: { name: 'sid' } } })
  return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/get', ({ session }) => ({ n: session.n ?? null }))
    .get('/set', (req) => ({ n: (req.session.n = (req.session.n ?? 0) + 1) }))
    .get('/logout', async (req) => (await req.session.destroy(), { ok: true }))
}

/** One request to `app`; the session cookie it answers with, or the one it was sent. */
export async function call(app, path, cookie) {
  const res = await app.fetch(new Request(`http://localhost${path}`, { headers: cookie ? { cookie } : {} }))
  await res.arrayBuffer()
  return res.headers.getSetCookie().find((c) => c.startsWith('sid='))?.split(';')[0] ?? cookie
}

/**
 * Time each scenario `n` times on `app` (the store's) and on a MemoryProvider app, alternating:
 * `[{ name, store, memory, ops }]`, median ms; `ops()` names what the store was sent during the last
 * timed request and `reset()` clears it before each.
 */
export async function scenarios(app, { ops, reset, n = 300 }) {
  const apps = { store: app, memory: router(MemoryProvider, { store: new Map() }) }
  const rows = []
  for (const [name, path, needsSession] of [
    ['anonymous', '/get', false],
    ['returning, unchanged', '/get', true],
    ['returning, changed', '/set', true],
    ['login', '/set', false],
    ['logout', '/logout', true],
  ]) {
    const row = { name }
    for (const [which, target] of Object.entries(apps)) {
      const times = []
      for (let i = 0; i < n; i++) {
        const cookie = needsSession ? await call(target, '/set') : undefined
        reset()
        const t = performance.now()
        await call(target, path, cookie)
        times.push(performance.now() - t)
        if (which === 'store') row.ops = ops()
      }
      row[which] = median(times)
    }
    rows.push(row)
  }
  return rows
}
