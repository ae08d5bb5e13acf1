// npm run bench, D1 read replicas: reads sent to the primary per request with readReplicas off and on (the simulated replica set in workerd), the bytes the bookmark adds, and the option's CPU cost per request.
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import { startWorker } from '../tests/helpers/workerd.mjs'

const DBS = ['SESSIONS', 'SESSIONS_R1', 'SESSIONS_R2', 'APP', 'APP_R1', 'APP_R2']
const SESSION = '__Host-sid'
const BOOKMARKS = `${SESSION}-d1`

const last = { stats: null }

/** A browser against the simulation Worker: its cookie jar, and what each request cost there. */
function browser(fetch, name, scope) {
  const jar = new Map()
  const b = {
    jar,
    async get(path) {
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      const res = await fetch(`/${scope}${path}`, { headers: { 'x-browser': name, ...(cookie ? { cookie } : {}) } })
      await res.arrayBuffer()
      const setCookies = res.headers.getSetCookie()
      for (const c of setCookies) {
        const [pair] = c.split(';')
        const eq = pair.indexOf('=')
        if (/Max-Age=0(;|$)/.test(c)) jar.delete(pair.slice(0, eq))
        else jar.set(pair.slice(0, eq), pair.slice(eq + 1))
      }
      const stats = JSON.parse(res.headers.get('x-sim'))
      // The set's counters are global: the difference since the previous request, of any browser.
      const cost = last.stats ? { primaryReads: 0, replicaReads: 0, waits: 0 } : null
      if (cost) for (const db of ['sessions', 'app']) for (const k of Object.keys(cost)) cost[k] += stats[db][k] - last.stats[db][k]
      last.stats = stats
      return { cost, setCookies, requestCookie: cookie }
    },
  }
  return b
}

/** Reads per request on the simulated replica set, off and on, in several workloads. */
async function simulated() {
  const { mf, fetch } = await startWorker('tests/workers/replica-sim-app.js', { d1: DBS, name: 'bench_replicas' })
  const reset = (config) => fetch('/_sim/reset', { method: 'POST', body: JSON.stringify({ writers: 0, ...config }) }).then((r) => r.arrayBuffer())
  const rows = []
  const bytes = {}
  try {
    const workloads = [
      // [name, replicas catch up after each write with this chance, behind, what each request does]
      ['returning, unchanged (replicas caught up)', 1, 'wait', () => '/page'],
      ['returning, changed (replicas caught up)', 1, 'wait', () => '/count'],
      ['returning, 80% unchanged / 20% changed, replicas lagging, wait', 0.1, 'wait', (i) => (i % 5 === 4 ? '/count' : '/page')],
      ['returning, 80% unchanged / 20% changed, replicas lagging, forward', 0.1, 'forward', (i) => (i % 5 === 4 ? '/count' : '/page')],
      // Each visitor posts, then (on its next request) lists: a read right after its own write.
      ["the app's own read after its own write (post, then list), replicas lagging, forward", 0.1, 'forward', (i) => (Math.floor(i / 10) % 2 ? '/comments?author=bench' : '/post?author=bench&body=x')],
    ]
    const visitors = 10
    const n = 200
    for (const [name, catchUp, behind, path] of workloads) {
      const row = { name }
      for (const scope of ['off', 'on']) {
        await reset({ seed: 42, catchUp, behind })
        last.stats = null
        const bs = Array.from({ length: visitors }, (_, v) => browser(fetch, `v${v}`, scope))
        for (const b of bs) {
          await b.get('/login?user=bench')
          await b.get('/page') // primes the per-request counters
        }
        const total = { primaryReads: 0, replicaReads: 0, waits: 0, setCookies: 0, bookmarkSetCookies: 0 }
        for (let i = 0; i < n; i++) {
          const { cost, setCookies } = await bs[i % visitors].get(path(i))
          for (const k of ['primaryReads', 'replicaReads', 'waits']) total[k] += cost[k]
          total.setCookies += setCookies.length
          total.bookmarkSetCookies += setCookies.filter((c) => c.startsWith(`${BOOKMARKS}=`)).length
        }
        row[scope] = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / n]))
        if (scope === 'on' && !bytes.request) {
          // What the bookmark adds on the wire, from a real exchange.
          const b = bs[0]
          const { setCookies } = await b.get('/count')
          const session = setCookies.find((c) => c.startsWith(`${SESSION}=`))
          const bookmark = setCookies.find((c) => c.startsWith(`${BOOKMARKS}=`))
          const value = b.jar.get(BOOKMARKS)
          const id = b.jar.get(SESSION)
          const attributes = bookmark.slice(bookmark.indexOf(';'))
          await b.get('/post?author=bench&body=bytes')
          const both = b.jar.get(BOOKMARKS)
          bytes.request = `; ${BOOKMARKS}=${value}`.length
          bytes.requestTwoDatabases = `; ${BOOKMARKS}=${both}`.length
          bytes.setCookie = bookmark.length
          bytes.setCookieTwoDatabases = `${BOOKMARKS}=${both}${attributes}`.length
          // The alternative: the bookmark inside the session cookie's value (id + '.' + bookmarks).
          bytes.insideRequest = `.${value}`.length
          bytes.insideSetCookie = `${SESSION}=${id}.${value}${attributes}`.length
          bytes.sessionSetCookie = (session ?? `${SESSION}=${id}${attributes}`).length
        }
      }
      rows.push(row)
    }
  } finally {
    await mf.dispose()
  }
  return { rows, bytes }
}

// An in-process stand-in for a D1 binding, only to time the middleware's own CPU with the option
// off and on (correctness is tested against real D1 in tests/replicas*.test.mjs).
function timingD1() {
  const rows = new Map()
  const meta = { changes: 1, changed_db: true, rows_written: 1 }
  const statement = (sql, args) => ({
    bind: (...a) => statement(sql, a),
    first: async () => rows.get(args[0]) ?? null,
    all: async () => ({ results: sql.startsWith('SELECT') ? [rows.get(args[0])].filter(Boolean) : [], meta }),
    run: async () => {
      if (sql.startsWith('INSERT')) rows.set(args[0], { data: args[1], expiry: args[2], created: args[3], active: args[3] })
      return { results: [], meta }
    },
  })
  const db = { prepare: (sql) => statement(sql, []), batch: async (s) => Promise.all(s.map((x) => x.run())) }
  db.withSession = () => ({ ...db, getBookmark: () => '00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683' })
  return db
}

/**
 * CPU per returning, unchanged request through AutoRouter with the option off and on (Node, µs):
 * blocks of requests alternating between the two, each block started with a GC (with
 * --expose-gc) and timed in process CPU time, as bench/floor.mjs does on this shared machine.
 */
export async function cpu({ blocks = 40, block = 300 } = {}) {
  const env = { SESSIONS: timingD1() }
  const apps = {}
  for (const readReplicas of [false, true]) {
    const { sessionPreflight, sessionify } = createSessionsMiddleware({ providerOptions: { readReplicas } })
    const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] }).get('/page', () => ({ ok: true })).get('/login', (req) => {
      req.session.user = 'ann'
      return { ok: true }
    })
    const login = await router.fetch(new Request('https://example.com/login'), env)
    const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    apps[readReplicas ? 'on' : 'off'] = async () => {
      const res = await router.fetch(new Request('https://example.com/page', { headers: { cookie: cookies } }), env)
      if (res.status !== 200 || res.headers.getSetCookie().length) throw new Error('the timing request should be a returning, unchanged visit')
    }
  }
  const total = { off: 0, on: 0 }
  for (let i = 0; i < blocks + 4; i++) {
    for (const which of i % 2 ? ['on', 'off'] : ['off', 'on']) {
      globalThis.gc?.({ type: 'minor' })
      const t = process.cpuUsage()
      for (let j = 0; j < block; j++) await apps[which]()
      const used = process.cpuUsage(t)
      if (i >= 4) total[which] += used.user + used.system // the first blocks warm up
    }
  }
  return { offUs: total.off / (blocks * block), onUs: total.on / (blocks * block) }
}

/** Run everything, print the tables, and return the figures for bench/results.json. */
export async function measureReplicas() {
  const { rows, bytes } = await simulated()
  const time = await cpu()
  const f = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2))
  console.log('\n| D1 read replicas (simulated, per request) | primary reads off | primary reads on | replica reads on | waits on | Set-Cookie off | Set-Cookie on (bookmark) |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.name} | ${f(r.off.primaryReads)} | ${f(r.on.primaryReads)} | ${f(r.on.replicaReads)} | ${f(r.on.waits)} | ${f(r.off.setCookies)} | ${f(r.on.setCookies)} (${f(r.on.bookmarkSetCookies)}) |`)
  console.log(`\nbookmark bytes: +${bytes.request} B on every request's Cookie header (${bytes.requestTwoDatabases} B with two databases); a write's response adds a Set-Cookie of ${bytes.setCookie} B (${bytes.setCookieTwoDatabases} B with two). Inside the session cookie instead: +${bytes.insideRequest} B per request, and every write re-sends the session cookie (${bytes.insideSetCookie} B, against ${bytes.sessionSetCookie} B today)`)
  console.log(`the option's CPU per returning, unchanged request (Node, AutoRouter): ${time.offUs.toFixed(1)} us off, ${time.onUs.toFixed(1)} us on (${time.onUs >= time.offUs ? '+' : ''}${(time.onUs - time.offUs).toFixed(1)} us)`)
  return { rows, bytes, cpu: time }
}

if (import.meta.url === `file://${process.argv[1]}`) await measureReplicas()
