// The Worker the D1 benchmark drives: the same handlers with sessions and without, on a real
// local D1 whose statements and rows are counted per request (tests/workers/d1-count.js).
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import { countingD1 } from '../tests/workers/d1-count.js'

const routes = (router) =>
  router
    .get('/page', (req) => ({ user: req.session?.user ?? null }))
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/login', (req) => {
      req.session.user = 'ann'
      // A typical signed-in session: a few hundred bytes of profile and preferences.
      req.session.profile = { name: 'Ann Example', email: 'ann@example.com', roles: ['reader', 'editor'], locale: 'en-GB' }
      req.session.prefs = { theme: 'dark', pageSize: 50, beta: false, tz: 'Europe/London' }
      return { ok: true }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })

const { sessionPreflight, sessionify } = createSessionsMiddleware()
const withSessions = routes(AutoRouter({ before: [sessionPreflight], finally: [sessionify] }))
const bare = routes(AutoRouter({ before: [(req) => void (req.session = {})] }))

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const counts = { read: 0, write: 0, schema: 0, sql: [], rowsRead: 0, rowsWritten: 0, bytesSent: 0 }
    const wrapped = { ...env, SESSIONS: countingD1(env.SESSIONS, counts, null) }
    const router = url.pathname.startsWith('/bare/') ? bare : withSessions
    url.pathname = url.pathname.replace(/^\/(bare|s)\//, '/')
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    const { sql, ...numbers } = counts
    out.headers.set('x-d1', JSON.stringify(numbers))
    return out
  },
}
