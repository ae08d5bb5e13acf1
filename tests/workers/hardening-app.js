// The Worker the hardening tests drive: cookie tossing, tightened timeouts, migration races, bad
// rows and error text, on a real local D1 (statements counted as in app.js).
import { error } from 'itty-router'
import { countingD1 } from './d1-count.js'
import { sessionRouter, sleep } from './routes.js'

const K1 = 'first secret: 0123456789abcdefghijklmnop'

function app(options, providerOptions) {
  return sessionRouter({ options, providerOptions })
    .get('/public', () => new Response('hi', { headers: { 'Cache-Control': 'public, max-age=60' } }))
    .get('/login', async (req) => {
      await req.session.regenerate(req.query.auth ? { authenticated: true } : undefined)
      req.session.user = 'ann'
      return { id: req.sessionID }
    })
    .get('/slow-set', async (req) => {
      await sleep(Number(req.query.wait))
      req.session[req.query.k] = 1
      return { ok: true }
    })
    .get('/bulk', (req) => {
      // A user-shaped object with many keys (a cart keyed by SKU).
      const cart = {}
      for (let i = 0; i < Number(req.query.n); i++) cart[`sku-${i}`] = i % 7
      req.session.cart = cart
      return { ok: true }
    })
    .get('/cart-add', (req) => {
      req.session.cart[req.query.sku] = 1
      return { ok: true }
    })
    .get('/cycle', (req) => {
      req.session.secretCardField = { a: 1 }
      req.session.secretCardField.self = req.session.secretCardField
      return { ok: true }
    })
}

const routers = {
  plain: app(),
  named: app({ cookieOptions: { name: 'sid' } }),
  insecure: app({ cookieOptions: { secure: false } }),
  tight: app({ idleTimeout: 2 }),
  abs3: app({ absoluteTimeout: 3 }),
  abs600: app({ absoluteTimeout: 600 }),
  signed: app({ secret: K1 }),
  nolegacy: app({ secret: K1, acceptLegacy: false }),
  legacydb: app(undefined, { dbName: 'LEGACY' }),
  nullable: app(undefined, { tableName: 'nullable' }),
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    const counts = { read: 0, write: 0, schema: 0, sql: [] }
    const wrapped = { ...env }
    for (const name of ['SESSIONS', 'LEGACY']) wrapped[name] = countingD1(env[name], counts, null)
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-d1', JSON.stringify(counts))
    return out
  },
}
