// The Worker the replica simulation drives (tests/replicas-sim.test.mjs, bench/replicas.mjs): itty-session with readReplicas on (/on) and off (/off) over simulated replica sets around real local D1 databases, with writers acting between a browser's statements.
import { AutoRouter, error } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import { d1 } from 'itty-session/providers/d1'
import { random, ReplicaSet } from '../helpers/replica-sim.mjs'

function app(init) {
  const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware(init)
  const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    .get('/page', () => ({ ok: true }))
    .get('/whoami', (req) => ({ session: req.session }))
    .get('/login', async (req) => {
      await req.session.regenerate({ authenticated: true })
      req.session.userId = req.query.user
      req.session.visits = 0
      return { session: req.session }
    })
    .get('/count', (req) => {
      req.session.visits = (req.session.visits ?? 0) + 1
      return { session: req.session }
    })
    .get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })
    .get('/post', async (req, env) => {
      await d1(req, env, 'APP').prepare('INSERT INTO comments (author, body) VALUES (?1, ?2)').bind(req.query.author, req.query.body).run()
      return { ok: true }
    })
    .get('/comments', async (req, env) => {
      const { results } = await d1(req, env, 'APP').prepare('SELECT body FROM comments WHERE author = ?1 ORDER BY id').bind(req.query.author).all()
      return { comments: results.map((r) => r.body) }
    })
  return { router, sessions }
}

const options = { userKey: 'userId' }
const apps = {
  on: app({ providerOptions: { readReplicas: true }, options }),
  off: app({ options }),
}

let sims
let writer // the concurrent writers' env and choices
function setUp(env) {
  sims ??= {
    sessions: new ReplicaSet(env.SESSIONS, [env.SESSIONS_R1, env.SESSIONS_R2]),
    app: new ReplicaSet(env.APP, [env.APP_R1, env.APP_R2]),
  }
  return sims
}

const snapshot = () => ({ sessions: { ...sims.sessions.stats }, app: { ...sims.app.stats } })

/**
 * POST /_sim/reset `{ seed, catchUp, behind, active, writers, victim }`: a new run. `writers`: the
 * chance, before each statement of a browser's request, that a concurrent writer acts first: a
 * comment by someone else, a write elsewhere in the sessions database, or (when `victim` is set)
 * an administrator ending all of the victim's sessions.
 */
async function reset(request, env) {
  const config = await request.json()
  const { sessions, app: appSim } = setUp(env)
  const wenv = { SESSIONS: sessions.binding('writer'), APP: appSim.binding('writer') }
  if (!writer) {
    // The schema, through the sets, so every replica has it too.
    await wenv.APP.prepare('CREATE TABLE IF NOT EXISTS comments (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT NOT NULL)').run()
    await wenv.SESSIONS.prepare('CREATE TABLE IF NOT EXISTS noise (n INTEGER)').run()
  }
  const rng = random(config.seed * 31 + 7)
  writer = { env: wenv, rng, ended: [], actions: 0 }
  const actions = [
    () => wenv.APP.prepare('INSERT INTO comments (author, body) VALUES (?1, ?2)').bind('zed', 'noise').run(),
    () => wenv.SESSIONS.prepare('INSERT INTO noise (n) VALUES (?1)').bind(writer.actions).run(),
    async () => {
      if (!config.victim) return
      // Read straight from the primary, outside the set: the keys about to be ended.
      let keys
      try {
        keys = (await env.SESSIONS.prepare('SELECT sid FROM sessions WHERE user_userId = ?1').bind(config.victim).all()).results
      } catch (e) {
        if (/no such (table|column)/.test(e.message)) return // nobody has logged in yet
        throw e
      }
      writer.ended.push(...keys.map((r) => r.sid))
      await apps.on.sessions.endUser(wenv, config.victim)
    },
  ]
  const hook = async () => {
    if (!(config.writers > 0) || rng() >= config.writers) return
    writer.actions++
    await actions[Math.floor(rng() * actions.length)]()
  }
  for (const [i, sim] of [sessions, appSim].entries()) {
    await sim.reset({ ...config, seed: config.seed * 2 + i })
    sim.hook = hook
  }
  return Response.json({ ok: true })
}

function report() {
  const one = (sim) => ({ stats: sim.stats, violations: sim.violations, position: sim.position, at: sim.at })
  return Response.json({ sessions: one(sims.sessions), app: one(sims.app), ended: writer?.ended ?? [], writerActions: writer?.actions ?? 0 })
}

export default {
  async fetch(request, env, ctx) {
    setUp(env)
    const url = new URL(request.url)
    if (url.pathname === '/_sim/reset') return reset(request, env)
    if (url.pathname === '/_sim/report') return report()
    if (url.pathname === '/_sim/advance') {
      const sim = sims[url.searchParams.get('db')]
      for (let i = 0; i < sim.replicas.length; i++) await sim.advance(i)
      return Response.json({ at: sim.at })
    }
    const [, scope, ...rest] = url.pathname.split('/')
    const target = apps[scope]
    if (!target) return error(404, `no app ${scope}`)
    const tag = request.headers.get('x-browser') ?? 'anonymous'
    const wrapped = { ...env, SESSIONS: sims.sessions.binding(tag), APP: sims.app.binding(tag) }
    url.pathname = `/${rest.join('/')}`
    const res = await target.router.fetch(new Request(url, request), wrapped, ctx)
    const out = new Response(res.body, res)
    out.headers.set('x-sim', JSON.stringify(snapshot()))
    return out
  },
}
