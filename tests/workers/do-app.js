// The Worker the Durable Object tests drive: itty-router + itty-session on real local Durable
// Objects (SQLite), each request's RPC calls counted and reported in the `x-do` response header,
// plus /api to call the provider directly and /peek to look inside one object.
import { AutoRouter, error } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'
import { countingDO } from './do-count.js'
import { sessionRouter } from './routes.js'

/**
 * The class as shipped, plus `peek()` (everything the object stores, and its alarm),
 * `outbound()` (the calls this object made to other objects, counted since it started) and
 * `failOutbound(on)`.
 */
export class TestSessionObject extends SessionObject {
  #outbound = { calls: 0, methods: [] }
  #failing = false
  constructor(ctx, env) {
    super(ctx, env)
    this.env = { ...env, SESSIONS_DO: countingDO(env.SESSIONS_DO, this.#outbound, () => this.#failing) }
  }
  outbound() {
    return this.#outbound
  }
  /** Make this object's calls to other objects fail (as if the index could not be reached), or not. */
  failOutbound(on) {
    this.#failing = on
  }
  async peek() {
    return { storage: Object.fromEntries(this.ctx.storage.kv.list()), alarm: await this.ctx.storage.getAlarm() }
  }
}
/** The same class bound without SQLite storage (a [[migrations]] entry with new_classes). */
export class LegacyStorageObject extends SessionObject {}

const app = (init) =>
  sessionRouter({ Provider: DurableObjectProvider, ...init })
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/login', async (req) => {
      await req.session.regenerate()
      req.session.userId = req.query.user
      return { ok: true }
    })

// A user's sessions through the middleware's `sessions` (list, end, endOthers, endUser).
function usersApp(init) {
  const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware({ Provider: DurableObjectProvider, ...init })
  return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/session', (req) => ({ session: req.session }))
    .get('/login', async (req) => {
      await req.session.regenerate({ authenticated: true })
      req.session.userId = req.query.user
      return { ok: true }
    })
    .get('/devices', async (req) => ({ devices: await sessions.list(req) }))
    .get('/end', async (req) => ({ ended: await sessions.end(req, req.query.handle) }))
    .get('/others', async (req) => ({ ended: await sessions.endOthers(req) }))
    .get('/admin/list', async (req, env) => ({ devices: await sessions.listUser(env, req.query.user) }))
    .get('/admin/end', async (req, env) => ({ ended: await sessions.endUser(env, req.query.user) }))
}

const users = { userKey: 'userId' }
const routers = {
  default: app(),
  users: app({ options: users }),
  short: app({ options: { ...users, cookieOptions: { maxAge: 2 } } }),
  rolling: app({ options: { ...users, cookieOptions: { maxAge: 10 } } }),
  nosqlite: app({ providerOptions: { doName: 'NO_SQLITE' } }),
  sessions: usersApp({ options: users }),
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
