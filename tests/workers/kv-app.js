// The Worker the KV tests drive: itty-router + itty-session on a real local KV namespace, with
// each request's KV operations counted and reported in the `x-kv` response header.
import { error } from 'itty-router'
import KVProvider from 'itty-session/providers/kv'
import { countingKV } from './kv-count.js'
import { sessionRouter } from './routes.js'

const app = (init) => sessionRouter({ Provider: KVProvider, ...init })

const routers = {
  default: app(),
  short: app({ options: { cookieOptions: { maxAge: 1 } } }),
  rolling: app({ options: { cookieOptions: { maxAge: 10 } } }),
  custom: app({ providerOptions: { kvName: 'OTHER_KV', prefix: 'app1:' } }),
  users: app({ providerOptions: { userKey: 'userId' } }),
}

// itty-session 0.4's five methods, called directly as 0.4 code would.
async function legacyApi(env) {
  const p = new KVProvider({ env })
  const sid = await p.createSession()
  const created = await p.getSession(sid)
  await p.setSession(sid, { user: 'ann' }, Date.now() + 60_000)
  const set = await p.getSession(sid)
  await p.destroySession(sid)
  return { sid, created: created.data, set: set.data, gone: await p.getSession(sid) }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    if (scope === 'legacy-api') return Response.json(await legacyApi(env))
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    const counts = { read: 0, write: 0, delete: 0 }
    const fail = request.headers.get('x-fail')
    const wrapped = { ...env }
    for (const name of ['SESSIONS_KV', 'OTHER_KV']) if (env[name]) wrapped[name] = countingKV(env[name], counts, fail)
    if (request.headers.get('x-no-binding')) delete wrapped.SESSIONS_KV
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-kv', JSON.stringify(counts))
    return out
  },
}
