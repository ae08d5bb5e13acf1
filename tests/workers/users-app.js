// The Worker the "a user's sessions" tests drive: log in, list, end one, end the others, and an
// admin ending or listing any user's sessions, on D1, KV and memory (statements counted).
import { AutoRouter, error } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import KVProvider from 'itty-session/providers/kv'
import MemoryProvider from 'itty-session/providers/memory'
import { BaseProvider } from 'itty-session/utils'
import { countingD1 } from './d1-count.js'
import { countingKV } from './kv-count.js'

class FiveMethodProvider extends BaseProvider {
  precheck() {}
  createSession() {
    return crypto.randomUUID()
  }
  getSession() {
    return null
  }
  setSession() {}
  destroySession() {}
}

function app(init) {
  const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware(init)
  return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/session', (req) => ({ session: req.session }))
    .get('/touch', (req) => {
      req.session.n = (req.session.n ?? 0) + 1
      return { n: req.session.n }
    })
    .get('/login', async (req) => {
      await req.session.regenerate({ authenticated: true })
      req.session.userId = /^\d+$/.test(req.query.user) ? Number(req.query.user) : req.query.user
      return { ok: true }
    })
    .get('/devices', async (req) => ({ devices: await sessions.list(req) }))
    .get('/end', async (req) => ({ ended: await sessions.end(req, req.query.handle) }))
    .get('/password', async (req) => {
      const ended = await sessions.endOthers(req)
      return { ended }
    })
    .get('/admin/list', async (req, env) => ({ devices: await sessions.listUser(env, req.query.user) }))
    .get('/admin/end', async (req, env) => ({ ended: await sessions.endUser(env, req.query.user, req.query.handle ? { handle: req.query.handle } : {}) }))
}

const options = { userKey: 'userId' }
const memory = new Map()
const routers = {
  d1: app({ options }),
  kv: app({ Provider: KVProvider, options }),
  memory: app({ Provider: MemoryProvider, providerOptions: { store: memory }, options }),
  private: app({ options: { ...options, deviceDetails: false }, providerOptions: { tableName: 'private_sessions' } }),
  nouser: app({}),
  fivemethods: app({ Provider: FiveMethodProvider, options }),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    const counts = { read: 0, write: 0, schema: 0, delete: 0, sql: [] }
    const wrapped = { ...env, SESSIONS: countingD1(env.SESSIONS, counts, null), SESSIONS_KV: countingKV(env.SESSIONS_KV, counts, null) }
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-count', JSON.stringify({ read: counts.read, write: counts.write + counts.delete, schema: counts.schema }))
    return out
  },
}
