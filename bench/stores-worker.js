// The Worker bench/stores.mjs drives: the same handlers with sessions in D1, KV or Durable Objects,
// and without sessions. With an `x-count` request header, the store's operations are counted
// (reported in `x-ops`); timed requests go to the bindings unwrapped.
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider from 'itty-session/providers/d1'
import KVProvider from 'itty-session/providers/kv'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'
import { countingD1 } from '../tests/workers/d1-count.js'
import { countingKV } from '../tests/workers/kv-count.js'
import { countingDO } from '../tests/workers/do-count.js'

export { SessionObject }

const routes = (router) =>
  router
    .get('/page', (req) => ({ user: req.session?.user ?? null }))
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/login', (req) => {
      req.session.user = 'ann'
      return { ok: true }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })

const withSessions = (Provider) => {
  const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider, options: { cookieOptions: { name: 'sid' } } })
  return routes(AutoRouter({ before: [sessionPreflight], finally: [sessionify] }))
}
const routers = {
  d1: withSessions(D1Provider),
  kv: withSessions(KVProvider),
  do: withSessions(DurableObjectProvider),
  bare: routes(AutoRouter({ before: [(req) => void (req.session = {})] })),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, store, ...rest] = url.pathname.split('/')
    url.pathname = `/${rest.join('/')}`
    if (!request.headers.has('x-count')) return routers[store].fetch(new Request(url, request), env, ctx)
    const counts = { read: 0, write: 0, delete: 0, schema: 0, sql: [], calls: 0, methods: [] }
    const wrapped = { ...env, SESSIONS: countingD1(env.SESSIONS, counts, null), SESSIONS_KV: countingKV(env.SESSIONS_KV, counts, null), SESSIONS_DO: countingDO(env.SESSIONS_DO, counts, false) }
    const res = await routers[store].fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    const ops = store === 'do' ? counts.methods : store === 'bare' ? [] : [...counts.sql.map((s) => s.split(' ')[0]), ...Array(counts.read && store === 'kv' ? counts.read : 0).fill('get'), ...Array(counts.write && store === 'kv' ? counts.write : 0).fill('put'), ...Array(counts.delete).fill('delete')]
    out.headers.set('x-ops', JSON.stringify(ops))
    return out
  },
}
