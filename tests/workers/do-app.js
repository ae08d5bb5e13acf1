// The Worker the Durable Object tests drive: itty-router + itty-session on real local Durable
// Objects (SQLite), each request's RPC calls counted and reported in the `x-do` response header,
// plus /api to call the provider directly and /peek to look inside one object.
import { error } from 'itty-router'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'
import { countingDO } from './do-count.js'
import { sessionRouter } from './routes.js'

/** The class as shipped, plus `peek()`: everything the object stores, and its alarm. */
export class TestSessionObject extends SessionObject {
  async peek() {
    return { storage: Object.fromEntries(this.ctx.storage.kv.list()), alarm: await this.ctx.storage.getAlarm() }
  }
}
/** The same class bound without SQLite storage (a [[migrations]] entry with new_classes). */
export class LegacyStorageObject extends SessionObject {}

const app = (init) =>
  sessionRouter({ Provider: DurableObjectProvider, ...init, options: { ...init?.options, cookieOptions: { name: 'sid', ...init?.options?.cookieOptions } } })
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/login', async (req) => {
      await req.session.regenerate()
      req.session.userId = req.query.user
      return { ok: true }
    })

const routers = {
  default: app(),
  users: app({ providerOptions: { userKey: 'userId' } }),
  short: app({ providerOptions: { userKey: 'userId' }, options: { cookieOptions: { maxAge: 2 } } }),
  rolling: app({ providerOptions: { userKey: 'userId' }, options: { cookieOptions: { maxAge: 10 } } }),
  nosqlite: app({ providerOptions: { doName: 'NO_SQLITE' } }),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    if (scope === 'peek') {
      const ns = env[url.searchParams.get('ns') ?? 'SESSIONS_DO']
      return Response.json(await ns.get(ns.idFromName(url.searchParams.get('name'))).peek())
    }
    const counts = { calls: 0, methods: [] }
    const wrapped = { ...env }
    for (const name of ['SESSIONS_DO', 'NO_SQLITE']) wrapped[name] = countingDO(env[name], counts, request.headers.has('x-fail'))
    if (request.headers.get('x-no-binding')) delete wrapped.SESSIONS_DO
    if (scope === 'api') {
      // { method, args, init }: one provider call, answered as { result } or { error }.
      const { method, args = [], init = {} } = await request.json()
      try {
        const provider = new DurableObjectProvider({ env: wrapped, ...init })
        const result = await provider[method](...args)
        return Response.json({ result: result ?? null, counts })
      } catch (e) {
        return Response.json({ error: e.message, name: e.name, counts })
      }
    }
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-do', JSON.stringify(counts))
    return out
  },
}
