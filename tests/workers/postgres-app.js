// A test Worker: itty-session with the PostgreSQL provider through a Hyperdrive binding (nodejs_compat, pg bundled by wrangler).
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import PostgresProvider, { cleanupExpired } from 'itty-session/providers/postgres'

const providerOptions = { hyperdrive: 'HYPERDRIVE', tableName: 'worker_sessions' }
const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware({
  Provider: PostgresProvider,
  providerOptions,
  options: { cookieOptions: { name: 'sid' }, userKey: 'user' },
})

const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
  .get('/runtime', () => ({ userAgent: navigator.userAgent }))
  .get('/session', (req) => ({ session: req.session }))
  .get('/set', (req) => {
    req.session[req.query.k] = JSON.parse(req.query.v)
    return { session: req.session }
  })
  .get('/login', async (req) => {
    await req.session.regenerate({ authenticated: true })
    req.session.user = req.query.user
    return { ok: true }
  })
  .get('/devices', async (req) => ({ devices: await sessions.list(req) }))
  .get('/end-others', async (req) => ({ ended: await sessions.endOthers(req) }))
  .get('/logout', async (req) => {
    await req.session.destroy()
    return { ok: true }
  })
  .get('/cleanup', async (req, env) => ({ deleted: await cleanupExpired(env, providerOptions) }))

export default {
  fetch: router.fetch,
  // Expired sessions that never come back: deleted hourly by a Cron Trigger.
  async scheduled(controller, env) {
    await cleanupExpired(env, providerOptions)
  },
}
