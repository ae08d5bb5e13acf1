// The Worker the read-replica tests drive on a real local D1 (sessions in SESSIONS, the app's comments in APP): each D1 session it opens and each statement, reported in `x-spy`.
import { AutoRouter, error } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider, { d1 } from 'itty-session/providers/d1'
import { countingD1 } from './d1-count.js'

/**
 * A real D1 binding that records what it is asked: `['session', constraintOrBookmark]` for each
 * withSession, `[where, 'read' | 'write']` for each statement (where: 'plain' on the binding, or
 * the index of the session). `failBookmarks`: a session started from a bookmark fails its
 * statements, as D1 might for a bookmark it does not know; `refuseBookmarks`: withSession itself
 * throws for one.
 */
function spyD1(db, spy, { failBookmarks = false, refuseBookmarks = false } = {}) {
  const kind = (sql) => (/^\s*select/i.test(sql) ? 'read' : 'write')
  const sessions = []
  return {
    prepare(sql) {
      spy.push(['plain', kind(sql)])
      return db.prepare(sql)
    },
    batch: (statements) => db.batch(statements),
    exec: (sql) => db.exec(sql),
    withSession(start) {
      const n = sessions.length
      spy.push(['session', start])
      if (refuseBookmarks && !String(start).startsWith('first-')) throw new Error('D1_SESSION_ERROR: invalid commit token or constraint')
      const session = db.withSession(start)
      const broken = failBookmarks && !String(start).startsWith('first-')
      sessions.push(session)
      return {
        prepare(sql) {
          spy.push([n, kind(sql)])
          if (broken) throw new Error('D1_ERROR: this bookmark is not known here')
          return session.prepare(sql)
        },
        batch(statements) {
          spy.push([n, 'batch'])
          if (broken) return Promise.reject(new Error('D1_ERROR: this bookmark is not known here'))
          return session.batch(statements)
        },
        getBookmark: () => session.getBookmark(),
      }
    },
  }
}

const COMMENTS = 'CREATE TABLE IF NOT EXISTS comments (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)'

function app(init) {
  const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware(init)
  return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/session', (req) => ({ session: req.session }))
    .get('/login', async (req) => {
      await req.session.regenerate({ authenticated: true })
      req.session.userId = req.query.user
      return { ok: true }
    })
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { visits: req.session.visits }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })
    .get('/devices', async (req) => ({ devices: await sessions.list(req) }))
    .get('/end-others', async (req) => ({ ended: await sessions.endOthers(req) }))
    .get('/admin/end', async (req, env) => ({ ended: await sessions.endUser(env, req.query.user) }))
    // The app's own data in another database, through the request's D1 session for it.
    .get('/post', async (req, env) => {
      const db = d1(req, env, 'APP')
      await db.prepare('INSERT INTO comments (author, body) VALUES (?1, ?2)').bind(req.session.userId ?? 'anonymous', req.query.body).run()
      return { ok: true }
    })
    .get('/comments', async (req, env) => {
      const { results } = await d1(req, env, 'APP').prepare('SELECT body FROM comments WHERE author = ?1 ORDER BY id').bind(req.query.author).all()
      return { comments: results.map((r) => r.body) }
    })
    // The app's own data in the sessions' database: the same D1 session as the session's queries.
    .get('/note', async (req, env) => {
      const db = d1(req, env, 'SESSIONS')
      await db.batch([db.prepare('CREATE TABLE IF NOT EXISTS notes (body TEXT)'), db.prepare('INSERT INTO notes (body) VALUES (?1)').bind(req.query.body)])
      return { notes: (await db.prepare('SELECT count(*) AS n FROM notes').first('n')) }
    })
    .get('/read-app', async (req, env) => ({ n: await d1(req, env, 'APP').prepare('SELECT count(*) AS n FROM comments').first('n') }))
    .get('/five-dbs', (req, env) => {
      for (const name of ['APP', 'SESSIONS', 'X1', 'X2', 'X3']) d1(req, env, name)
      return { ok: true }
    })
    .get('/fail-after-post', async (req, env) => {
      await d1(req, env, 'APP').prepare('INSERT INTO comments (author, body) VALUES (?1, ?2)').bind('x', 'before the failure').run()
      throw new Error('the handler failed after writing')
    })
}

const replicas = { readReplicas: true }
const routers = {
  on: app({ providerOptions: replicas, options: { userKey: 'userId' } }),
  off: app({ options: { userKey: 'userId' } }),
  // Not __Host-: the companion cookie copies the session cookie's attributes, whatever they are.
  named: app({ providerOptions: replicas, options: { cookieOptions: { name: 'app_sid', secure: false, sameSite: 'lax', maxAge: 3600 } } }),
  secret: app({ providerOptions: replicas, options: { secret: 'a signing secret of at least 32 characters!' } }),
}

let ready
export default {
  async fetch(request, env, ctx) {
    ready ??= env.APP.prepare(COMMENTS).run()
    await ready
    const url = new URL(request.url)
    const [, scope, ...rest] = url.pathname.split('/')
    const spy = []
    const wrapped = { ...env }
    const mode = request.headers.get('x-binding')
    if (mode === 'counting') {
      // A test double without withSession (as before the Sessions API): today's behaviour.
      const counts = { read: 0, write: 0, schema: 0, sql: [] }
      wrapped.SESSIONS = countingD1(env.SESSIONS, counts, null)
      wrapped.APP = countingD1(env.APP, counts, null)
    } else {
      const how = { failBookmarks: mode === 'fail-bookmarks', refuseBookmarks: mode === 'refuse-bookmarks' }
      wrapped.SESSIONS = spyD1(env.SESSIONS, spy, how)
      wrapped.APP = spyD1(env.APP, spy, how)
      wrapped.X1 = wrapped.X2 = wrapped.X3 = spyD1(env.APP, spy)
    }
    if (scope === 'direct') {
      // d1() outside the middleware, and bad arguments.
      try {
        const db = d1(request, wrapped, url.searchParams.get('name') ?? 'APP')
        return Response.json({ same: db === wrapped.APP })
      } catch (e) {
        return Response.json({ error: e.message, type: e.constructor.name })
      }
    }
    if (scope === 'construct') {
      try {
        new D1Provider({ env: wrapped, readReplicas: JSON.parse(url.searchParams.get('value')) })
        return Response.json({ ok: true })
      } catch (e) {
        return Response.json({ error: e.message, type: e.constructor.name })
      }
    }
    const router = routers[scope]
    if (!router) return error(404, `no router ${scope}`)
    url.pathname = `/${rest.join('/')}`
    const res = await router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-spy', JSON.stringify(spy))
    return out
  },
}
