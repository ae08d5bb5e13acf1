// The Worker the security tests drive: signed cookies, key rotation, timeouts, regenerate(),
// size limits and cleanup, on a real local D1 (statements counted as in app.js).
import { AutoRouter, error } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import { cleanupExpired } from 'itty-session/providers/d1'
import { countingD1 } from './d1-count.js'

const K1 = 'first secret: 0123456789abcdefghijklmnop'
const K2 = 'second secret: 0123456789abcdefghijklmno'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function app(options) {
  const { sessionPreflight, sessionify } = createSessionsMiddleware({ options })
  const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
  router
    .get('/session', (req) => ({ session: req.session }))
    .get('/id', (req) => ({ id: req.sessionID }))
    .get('/set', (req) => {
      req.session[req.query.k] = req.query.v ?? true
      return { session: req.session }
    })
    .get('/big', (req) => {
      req.session.big = 'x'.repeat(Number(req.query.n))
      return { ok: true }
    })
    .get('/login', async (req) => {
      const before = req.sessionID
      if (req.query.await === 'no') req.session.regenerate()
      else await req.session.regenerate()
      req.session.user = 'ann'
      return { before, after: req.sessionID, session: req.session }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })
    .get('/wait', async (req) => {
      await sleep(Number(req.query.ms))
      return { session: req.session }
    })
    .get('/slow-set', async (req) => {
      await sleep(Number(req.query.wait))
      req.session[req.query.k] = 1
      return { ok: true }
    })
  return router
}

const routers = {
  signed: app({ secret: K1 }),
  rotated: app({ secret: [K2, K1] }),
  retired: app({ secret: [K2] }),
  idle: app({ idleTimeout: 2 }),
  absolute: app({ absoluteTimeout: 3 }),
  small: app({ maxSize: 1000 }),
  plain: app(),
  signedroll: app({ secret: K1, cookieOptions: { maxAge: 10 } }),
  envsecret: app({ secret: (env) => env.SESSION_SECRET }),
  nosecret: app({ secret: (env) => env.NOT_SET }),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    const counts = { read: 0, write: 0, schema: 0, sql: [] }
    const wrapped = { ...env, SESSIONS: countingD1(env.SESSIONS, counts, null) }
    if (scope === 'cleanup') {
      const deleted = await cleanupExpired(env, { batchSize: Number(url.searchParams.get('batch') ?? 500) })
      return Response.json({ deleted })
    }
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-d1', JSON.stringify(counts))
    return out
  },
}
