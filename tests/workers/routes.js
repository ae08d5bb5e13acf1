// The routes every test Worker shares: read, set, delete and log out, on an itty-session router.
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** An AutoRouter with sessions (`init` as createSessionsMiddleware takes it) and the shared routes. */
export function sessionRouter(init) {
  const { sessionPreflight, sessionify } = createSessionsMiddleware(init)
  return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/session', (req) => ({ session: req.session }))
    .get('/set', async (req) => {
      const { k, v, wait } = req.query
      if (wait) await sleep(Number(wait))
      req.session[k] = v === undefined ? true : JSON.parse(v)
      return { session: req.session }
    })
    .get('/del', (req) => {
      delete req.session[req.query.k]
      return { session: req.session }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { session: req.session }
    })
}
