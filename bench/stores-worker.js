// The Worker bench/stores.mjs drives: the same handlers with sessions in D1, KV or Durable Objects,
// and without sessions. With an `x-count` request header, the store's operations are counted
// (reported in `x-ops`); timed requests go to the bindings unwrapped. /swap-vs-patch times the
// Durable Object provider's two ways of writing a change, inside the Worker.
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider from 'itty-session/providers/d1'
import KVProvider from 'itty-session/providers/kv'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'
import { countingD1 } from '../tests/workers/d1-count.js'
import { countingKV } from '../tests/workers/kv-count.js'
import { countingDO } from '../tests/workers/do-count.js'
import { diffSession } from '../dist/wasm/workerd.js'

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

// `n` changes of one session of about `size` bytes, written as the middleware would: `swap` (the
// stored text against the loaded one, then the new text) or `patch` (the Rust diff here, the merge
// patch applied in the object). Mean ms per change, the diff included.
async function swapVsPatch(env, size, n, mode) {
  const provider = new DurableObjectProvider({ env })
  const key = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('')
  const doc = { user: 'ann', big: 'x'.repeat(size), n: 0 }
  let text = JSON.stringify(doc)
  await provider.create(key, text, Date.now() + 3600e3, Date.now())
  const t = Date.now() // workerd moves its clock on I/O: fine across n RPC calls
  for (let i = 1; i <= n; i++) {
    const next = JSON.stringify({ ...doc, n: i })
    const ok = mode === 'swap' ? await provider.swap(key, text, next, null) : await provider.patch(key, diffSession(text, next), null)
    if (!ok) throw new Error(`${mode} failed`)
    text = next
  }
  const ms = (Date.now() - t) / n
  await provider.destroy(key)
  return ms
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    if (url.pathname === '/swap-vs-patch') {
      const q = (k) => url.searchParams.get(k)
      return Response.json({ ms: await swapVsPatch(env, Number(q('size')), Number(q('n')), q('mode')) })
    }
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
