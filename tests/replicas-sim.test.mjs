// D1 read replicas against a simulated replica set (tests/helpers/replica-sim.mjs) around real local D1 databases in workerd: targeted cases, then seeded random interleavings of browsers and concurrent writers.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { isDeepStrictEqual as same } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { random, ReplicaSet } from './helpers/replica-sim.mjs'
import { startWorker } from './helpers/workerd.mjs'

let mf, fetch, primary
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/replica-sim-app.js', { d1: ['SESSIONS', 'SESSIONS_R1', 'SESSIONS_R2', 'APP', 'APP_R1', 'APP_R2'] }))
  primary = await mf.getD1Database('SESSIONS')
})
after(() => mf?.dispose())

const SESSION = '__Host-sid'
const BOOKMARKS = '__Host-sid-d1'
const keyOf = (id) => createHash('sha256').update(id).digest('base64url')
/** Whether the primary holds the session with this id. */
const alive = async (id) => (await primary.prepare('SELECT count(*) AS n FROM sessions WHERE sid = ?1').bind(keyOf(id)).first('n')) > 0

async function reset(config) {
  const res = await fetch('/_sim/reset', { method: 'POST', body: JSON.stringify({ writers: 0, ...config }) })
  assert.equal(res.status, 200, await res.clone().text())
}
const report = async () => (await fetch('/_sim/report')).json()
const advance = async () => {
  await fetch('/_sim/advance?db=sessions')
  await fetch('/_sim/advance?db=app')
}

/** A browser: its cookie jar, sequential requests tagged with its name, and what each request cost. */
function browser(name, scope = 'on') {
  const jar = new Map()
  const b = {
    name,
    jar,
    get id() {
      return jar.get(SESSION)
    },
    /** GET `path`; `cookies` replaces the jar for this one request, whose Set-Cookie is then ignored. */
    async get(path, { cookies } = {}) {
      const send = cookies ?? jar
      const cookie = [...send].map(([k, v]) => `${k}=${v}`).join('; ')
      const before = b.stats
      const res = await fetch(`/${scope}${path}`, { headers: { 'x-browser': name, ...(cookie ? { cookie } : {}) } })
      b.status = res.status
      b.setCookies = res.headers.getSetCookie()
      if (!cookies) {
        for (const c of b.setCookies) {
          const [pair] = c.split(';')
          const eq = pair.indexOf('=')
          if (/Max-Age=0(;|$)/.test(c)) jar.delete(pair.slice(0, eq))
          else jar.set(pair.slice(0, eq), pair.slice(eq + 1))
        }
      }
      b.stats = JSON.parse(res.headers.get('x-sim'))
      b.delta = before ? delta(before, b.stats) : undefined
      const body = await res.json()
      assert.equal(res.status, 200, `${name} ${path}: ${JSON.stringify(body)}`)
      return body
    },
  }
  return b
}
const delta = (a, b) => {
  const out = {}
  for (const db of ['sessions', 'app']) {
    out[db] = {}
    for (const k of Object.keys(b[db])) out[db][k] = b[db][k] - (a[db][k] ?? 0)
  }
  return out
}

describe('read replicas on a simulated replica set: targeted cases', () => {
  it('a replica behind the browser\'s bookmark never serves it: the read goes to the primary, or the replica catches up first', async () => {
    for (const behind of ['forward', 'wait']) {
      await reset({ seed: 1, catchUp: 0, halfway: 0, behind })
      await advance()
      const ann = browser(`ann-${behind}`)
      await ann.get('/login?user=ann')
      await ann.get('/page') // primes ann.stats
      const forwarded = ann.delta.sessions
      if (behind === 'forward') assert.deepEqual([forwarded.primaryReads, forwarded.replicaReads], [1, 0])
      else assert.deepEqual([forwarded.primaryReads, forwarded.replicaReads, forwarded.waits], [0, 1, 1])
      assert.deepEqual(await ann.get('/whoami'), { session: { userId: 'ann', visits: 0 } })
      await advance()
      await ann.get('/whoami')
      assert.deepEqual([ann.delta.sessions.primaryReads, ann.delta.sessions.replicaReads, ann.delta.sessions.waits], [0, 1, 0])
      assert.deepEqual((await report()).sessions.violations, [])
    }
  })

  it('with the option off every session read goes to the primary; on, a returning visitor\'s go to replicas', async () => {
    await reset({ seed: 2, catchUp: 1 })
    for (const [scope, primaryReads, replicaReads] of [['off', 1, 0], ['on', 0, 1]]) {
      const b = browser(`ret-${scope}`, scope)
      await b.get('/login?user=ret')
      await b.get('/page')
      for (let i = 0; i < 3; i++) {
        await b.get('/page')
        assert.deepEqual([b.delta.sessions.primaryReads, b.delta.sessions.replicaReads, b.setCookies.length], [primaryReads, replicaReads, 0], scope)
      }
    }
  })

  it("without its bookmark a browser can miss its own comment on a stale replica; with it, never", async () => {
    await reset({ seed: 3, catchUp: 0, halfway: 0, behind: 'forward', active: 1 })
    await advance()
    const bob = browser('bob')
    await bob.get('/post?author=bob-3&body=hello')
    assert.deepEqual(await bob.get('/comments?author=bob-3'), { comments: ['hello'] })
    // The same request without the bookmark cookie: the first read may go to any copy.
    const stale = await bob.get('/comments?author=bob-3', { cookies: new Map() })
    assert.deepEqual(stale, { comments: [] })
    assert.equal(bob.delta.app.unconstrainedReads, 1)
    // The simulation's own check caught that read, and only that one.
    const { violations } = (await report()).app
    assert.deepEqual(violations.map((v) => v.tag), ['bob'])
    assert.ok(violations[0].served < violations[0].lastWrite)
  })

  it('a logout from another device is seen late where that device\'s bookmark is not carried, and is never undone', async () => {
    await reset({ seed: 4, catchUp: 0, halfway: 0, behind: 'forward', active: 1 })
    await advance()
    const ann = browser('ann4')
    const eve = browser('eve4')
    await ann.get('/login?user=ann4')
    await eve.get('/count') // eve's own session and bookmark
    await advance()
    const stolen = ann.id
    await ann.get('/logout')
    assert.equal(await alive(stolen), false)
    // Eve replays Ann's cookie with her own (older) bookmark: a replica that has not seen the
    // logout may still show the session. That is the documented lag for another browser's write.
    const seen = await eve.get('/whoami', { cookies: new Map([[SESSION, stolen], [BOOKMARKS, eve.jar.get(BOOKMARKS)]]) })
    assert.deepEqual(seen, { session: { userId: 'ann4', visits: 0 } })
    // Her write finds the row gone: nothing comes back, no cookie, and her bookmark moves past the logout.
    eve.jar.set(SESSION, stolen)
    const wrote = await eve.get('/count')
    assert.equal(wrote.session.visits, 1)
    assert.equal(eve.setCookies.some((c) => c.startsWith(`${SESSION}=`)), false)
    assert.equal(await alive(stolen), false)
    assert.deepEqual(await eve.get('/whoami'), { session: {} })
    assert.equal(eve.jar.has(SESSION), false)
    // Ann herself, replaying the old cookie with her own bookmark, never sees it.
    assert.deepEqual(await ann.get('/whoami', { cookies: new Map([[SESSION, stolen], [BOOKMARKS, ann.jar.get(BOOKMARKS)]]) }), { session: {} })
    assert.deepEqual((await report()).sessions.violations, [])
  })

  it('a bookmark the replica set refuses (forged, or ahead of the primary): the read is retried on the primary and the cookie replaced', async () => {
    await reset({ seed: 5, catchUp: 0.5 })
    const mo = browser('mo5')
    await mo.get('/login?user=mo5')
    await mo.get('/page')
    const ahead = new ReplicaSet(null, []).bookmark(1e6) // well-formed, this set's own, but far ahead
    for (const forged of [`00000000-00000001-00000000-${'0'.repeat(32)}`, ahead]) {
      mo.jar.set(BOOKMARKS, `SESSIONS:${forged}`)
      assert.deepEqual(await mo.get('/whoami'), { session: { userId: 'mo5', visits: 0 } })
      assert.deepEqual([mo.delta.sessions.refused, mo.delta.sessions.primaryReads], [1, 1])
      assert.notEqual(mo.jar.get(BOOKMARKS), `SESSIONS:${forged}`)
      await mo.get('/whoami')
      assert.deepEqual([mo.delta.sessions.refused, mo.setCookies.length], [0, 0])
    }

    // A write first (a comment, with a forged APP bookmark): writes start on the primary, so D1 never sees it.
    mo.jar.set(BOOKMARKS, `APP:${ahead}~SESSIONS:${ahead}`)
    await mo.get('/post?author=mo5&body=hi')
    assert.equal(mo.delta.app.refused, 0)
    assert.deepEqual(await mo.get('/comments?author=mo5'), { comments: ['hi'] })
  })

  it('a bookmark older than the session (a reordered or restored cookie): the session is found on the primary, not logged out, and the bookmark renewed', async () => {
    await reset({ seed: 6, catchUp: 0, halfway: 0, behind: 'forward', active: 1 })
    await advance()
    const zed = browser('zed6')
    await zed.get('/post?author=zed6&body=x') // a bookmark for APP only
    const older = `SESSIONS:${new ReplicaSet(null, []).bookmark((await report()).sessions.position)}`
    await zed.get('/login?user=zed6')
    // The replica has not seen the login; the browser's bookmark is from before it.
    zed.jar.set(BOOKMARKS, older)
    assert.deepEqual(await zed.get('/whoami'), { session: { userId: 'zed6', visits: 0 } })
    assert.deepEqual([zed.delta.sessions.replicaReads, zed.delta.sessions.primaryReads], [1, 1])
    assert.ok(zed.jar.has(SESSION))
    assert.notEqual(zed.jar.get(BOOKMARKS), older)
    await zed.get('/whoami')
    assert.deepEqual([zed.delta.sessions.replicaReads, zed.delta.sessions.primaryReads, zed.setCookies.length], [0, 1, 0])
  })
})

/**
 * Seeded random interleavings. Alice and Bob each keep a model of what they wrote (their session,
 * their comments) and check every answer against it. Carol's sessions are ended by an
 * administrator (a concurrent writer), and Mallory replays cookies that were logged out or
 * ended. Writers act between any two statements of a browser's request. Checked: no read ever
 * older than the reader's own last write (the simulation checks every read), Alice's and Bob's
 * answers exactly as modelled, no ended session ever back in the primary.
 */
describe('read replicas on a simulated replica set: random interleavings', () => {
  const only = process.env.REPLICA_SEED === undefined ? undefined : Number(process.env.REPLICA_SEED)
  const SEEDS = only === undefined ? Array.from({ length: 16 }, (_, i) => 100 + i) : [only]
  const STEPS = 36
  const totals = { requests: 0, primaryReads: 0, replicaReads: 0, staleReplicaReads: 0, waits: 0, unconstrainedReads: 0, refused: 0, writerActions: 0, staleViews: 0, sawOwnWrite: 0 }

  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      const config = { seed, catchUp: [0.05, 0.3, 0.7][seed % 3], behind: seed % 2 ? 'wait' : 'forward', active: 1 + ((seed >> 1) % 2), writers: 0.15, victim: `carol-${seed}` }
      await reset(config)
      const rng = random(seed * 7919)
      const pick = (list) => list[Math.floor(rng() * list.length)]
      const trace = []
      const fail = (message) => assert.fail(`seed ${seed} (${JSON.stringify(config)}): ${message}\nlast steps: ${trace.slice(-12).join(' | ')}`)

      // Alice and Bob: a model of their own writes.
      const modelled = ['alice', 'bob'].map((who) => ({ b: browser(`${who}-${seed}`), user: `${who}-${seed}`, session: null, comments: [], dead: [] }))
      const carol = { b: browser(`carol-${seed}`), user: `carol-${seed}`, dead: new Set() }
      const mallory = browser(`mallory-${seed}`)
      const dropped = (who, before) => {
        if (before && before !== who.b.id) who.dead.add ? who.dead.add(before) : who.dead.push(before)
      }

      for (let step = 0; step < STEPS; step++) {
        const roll = rng()
        if (roll < 0.62) {
          const m = pick(modelled)
          const before = m.b.id
          const action = pick(['login', 'count', 'count', 'whoami', 'post', 'comments', 'comments', 'logout', 'replay'])
          trace.push(`${m.user} ${action}`)
          if (action === 'login') {
            const out = await m.b.get(`/login?user=${m.user}`)
            m.session = { userId: m.user, visits: 0 }
            if (!same(out.session, m.session)) fail(`${m.user} login answered ${JSON.stringify(out)}`)
          } else if (action === 'count') {
            const out = await m.b.get('/count')
            m.session = { ...(m.session ?? {}), visits: (m.session?.visits ?? 0) + 1 }
            if (!same(out.session, m.session)) fail(`${m.user} count: expected ${JSON.stringify(m.session)}, got ${JSON.stringify(out.session)}`)
            totals.sawOwnWrite++
          } else if (action === 'whoami') {
            const out = await m.b.get('/whoami')
            if (!same(out.session, m.session ?? {})) fail(`${m.user} whoami: expected ${JSON.stringify(m.session ?? {})}, got ${JSON.stringify(out.session)}`)
            if (m.session) totals.sawOwnWrite++
          } else if (action === 'post') {
            const body = `${m.user}:${step}`
            await m.b.get(`/post?author=${m.user}&body=${encodeURIComponent(body)}`)
            m.comments.push(body)
          } else if (action === 'comments') {
            const out = await m.b.get(`/comments?author=${m.user}`)
            if (!same(out.comments, m.comments)) fail(`${m.user} comments: expected ${JSON.stringify(m.comments)}, got ${JSON.stringify(out.comments)}`)
            if (m.comments.length) totals.sawOwnWrite++
          } else if (action === 'logout') {
            await m.b.get('/logout')
            m.session = null
          } else if (m.dead.length) {
            // A cookie this browser logged out (or replaced), replayed with its current bookmark: never alive again.
            const id = pick(m.dead)
            const cookies = new Map(m.b.jar)
            cookies.set(SESSION, id)
            const out = await m.b.get('/whoami', { cookies })
            if (Object.keys(out.session).length) fail(`${m.user} replayed a logged-out cookie and saw ${JSON.stringify(out.session)}`)
          }
          dropped(m, before)
          if (m.session === null && m.b.id !== undefined) fail(`${m.user} still holds a session cookie after logging out`)
        } else if (roll < 0.85) {
          // Carol: her sessions may be ended by the administrator at any moment.
          const action = carol.b.id ? pick(['count', 'whoami']) : 'login'
          trace.push(`carol ${action}`)
          const before = carol.b.id
          const wasAlive = before ? await alive(before) : false
          const out = await carol.b.get(action === 'login' ? `/login?user=${carol.user}` : `/${action}`)
          if (before && !wasAlive && out.session?.userId === carol.user) totals.staleViews++
          if (before && before !== carol.b.id) carol.dead.add(before)
        } else {
          // Mallory replays a cookie that was logged out or ended, with her own bookmark.
          const dead = [...modelled.flatMap((m) => m.dead), ...carol.dead]
          const action = dead.length ? pick(['whoami', 'count']) : 'count'
          const id = dead.length ? pick(dead) : undefined
          trace.push(`mallory ${action}${id ? ' (replayed)' : ''}`)
          if (id) mallory.jar.set(SESSION, id)
          const out = await mallory.get(`/${action}`)
          if (id && out.session?.userId) totals.staleViews++
          if (id && (await alive(id))) fail(`mallory brought back an ended session (${action})`)
        }
        totals.requests++
      }

      const { sessions, app, ended, writerActions } = await report()
      for (const [db, r] of [['sessions', sessions], ['app', app]]) {
        if (r.violations.length) fail(`${db}: reads older than the reader's own last write: ${JSON.stringify(r.violations.slice(0, 3))}`)
        for (const k of ['primaryReads', 'replicaReads', 'staleReplicaReads', 'waits', 'unconstrainedReads', 'refused']) totals[k] += r.stats[k]
      }
      totals.writerActions += writerActions
      const ids = [...modelled.flatMap((m) => m.dead), ...carol.dead]
      for (const id of ids) if (await alive(id)) fail('an ended session is back in the primary')
      for (const key of ended) {
        const n = await primary.prepare('SELECT count(*) AS n FROM sessions WHERE sid = ?1').bind(key).first('n')
        if (n) fail('a session the administrator ended is back in the primary')
      }
    })
  }

  it('the random runs exercised what they claim: stale replicas, replica reads, writers', (t) => {
    t.diagnostic(`totals over ${SEEDS.length} seeds x ${STEPS} steps: ${JSON.stringify(totals)}`)
    console.log(`# replicas-sim totals: ${JSON.stringify(totals)}`)
    assert.ok(totals.replicaReads > totals.primaryReads, 'most reads should be served by replicas')
    assert.ok(totals.staleReplicaReads > 0, 'replicas should have served reads while behind the primary')
    assert.ok(totals.writerActions > 0 && totals.sawOwnWrite > 0)
    if (only === undefined) assert.ok(totals.staleViews > 0, 'a replayed, ended session should have been seen stale at least once')
  })
})
