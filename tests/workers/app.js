// The Worker the integration tests drive: itty-router + itty-session on a real local D1, with
// each request's D1 statements counted and reported in the `x-d1` response header.
import { error } from 'itty-router'
import D1Provider from 'itty-session/providers/d1'
import MemoryProvider from 'itty-session/providers/memory'
import { BaseProvider } from 'itty-session/utils'
import { countingD1 } from './d1-count.js'
import { sessionRouter } from './routes.js'

// A provider written for itty-session 0.4: only the five classic methods.
const legacyRows = new Map()
class LegacyProvider extends BaseProvider {
  precheck() {}
  async createSession() {
    const sid = crypto.randomUUID()
    legacyRows.set(sid, { sid, data: '{}' })
    return sid
  }
  async getSession(sid) {
    return legacyRows.get(sid) ?? null
  }
  async setSession(sid, data) {
    legacyRows.set(sid, { sid, data: JSON.stringify(data) })
  }
  async destroySession(sid) {
    legacyRows.delete(sid)
  }
}

function app(init) {
  const router = sessionRouter(init)
  router
    .get('/id', (req) => ({ id: req.sessionID }))
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/logout-noawait', (req) => {
      req.session.destroy()
      return { session: req.session }
    })
    .get('/destroy-then-set', (req) => {
      req.session.destroy()
      req.session.flash = 'bye'
      return { session: req.session }
    })
    .get('/own-cookie', (req) => {
      req.session.user = 'ann'
      const headers = new Headers({ 'Set-Cookie': 'theme=dark; Path=/', 'X-Custom': 'kept', 'Content-Type': 'text/plain' })
      headers.append('Set-Cookie', 'lang=en; Path=/')
      return new Response('created', { status: 201, headers })
    })
    .get('/public', (req) => {
      req.session.user = 'ann'
      return new Response('hi', { headers: { 'Cache-Control': 'public, max-age=60' } })
    })
    .get('/no-store', (req) => {
      req.session.user = 'ann'
      return new Response('hi', { headers: { 'Cache-Control': 'no-store' } })
    })
    .get('/immutable', async (req) => {
      req.session.user = 'ann'
      // A Response whose headers cannot be changed, like one from fetch().
      return Response.redirect('http://localhost/', 302)
    })
    .get('/bigint', (req) => {
      req.session.n = 10n
      return { ok: true }
    })
    .get('/cycle', (req) => {
      req.session.self = req.session
      return { ok: true }
    })
    .get('/fail', (req) => {
      req.session.half = 'done'
      throw new Error('handler failed')
    })
  return router
}

const routers = {
  default: app({ Provider: D1Provider }),
  bare: app(),
  short: app({ options: { cookieOptions: { maxAge: 1 } } }),
  rolling: app({ options: { cookieOptions: { maxAge: 10 } } }),
  custom: app({ providerOptions: { dbName: 'OTHER', tableName: 'my_sessions' }, options: { cookieOptions: { name: '__Host-s', sameSite: 'lax' } } }),
  legacy: app({ providerOptions: { dbName: 'LEGACY' } }),
  legacyprovider: app({ Provider: LegacyProvider }),
  memory: app({ Provider: MemoryProvider }),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    const counts = { read: 0, write: 0, schema: 0, sql: [] }
    const fail = request.headers.get('x-fail')
    const wrapped = { ...env }
    for (const name of ['SESSIONS', 'OTHER', 'LEGACY']) if (env[name]) wrapped[name] = countingD1(env[name], counts, fail)
    if (request.headers.get('x-no-binding')) delete wrapped.SESSIONS
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-d1', JSON.stringify(counts))
    return out
  },
}
