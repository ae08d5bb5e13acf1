// The per-request cost of itty-session against the floor: the least a cookie session can do in
// itty-router (indexOf for the cookie, a Map lookup of the raw id, JSON.parse at the start,
// JSON.stringify and compare at the end; no hashing, no signing: not safe), and a bare AutoRouter.
//
// Method (a shared 2-core VM moved paired 10,000-request runs by 2x): one Node process
// (`node --expose-gc`), MemoryProvider, a new Request per iteration with a 5-cookie header; blocks
// of BLOCK requests rotated across every variant, each block starting with a minor GC and timed in
// process CPU time (process.cpuUsage); the ratios are of the totals. Identical routers measure
// within 2% of each other this way (the "bare again" row checks it in every run).
//
// Run alone: node --expose-gc bench/floor.mjs (after node scripts/build.mjs).
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import MemoryProvider from 'itty-session/providers/memory'

const BLOCK = 300
const SECRET = 'a signing secret of 32 characters or more!'
const OTHER_COOKIES = '_ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; consent=analytics%3Dno'

const handlers = (router) =>
  router
    .get('/me', (req) => ({ username: req.session?.username ?? null }))
    .get('/bump', (req) => {
      if (req.session) req.session.n = (req.session.n ?? 0) + 1
      return { ok: true }
    })

// The floor: no security at all. Its own cookie name, so the header carries exactly one match.
function floorRouter() {
  const store = new Map()
  const before = (req) => {
    const h = req.headers.get('cookie')
    let id
    if (h) {
      const i = h.indexOf('fsid=')
      if (i >= 0) {
        const j = h.indexOf(';', i)
        id = h.slice(i + 5, j < 0 ? undefined : j)
      }
    }
    const text = id === undefined ? undefined : store.get(id)
    req.session = text === undefined ? {} : JSON.parse(text)
    req.floor = { id, text }
  }
  const after = (res, req) => {
    const text = JSON.stringify(req.session)
    if (text !== req.floor.text && req.floor.id !== undefined) store.set(req.floor.id, text)
  }
  const router = handlers(AutoRouter({ before: [before], finally: [after] }))
  const id = crypto.randomUUID()
  store.set(id, JSON.stringify({ username: 'ann', n: 0 }))
  return { router, cookie: `fsid=${id}` }
}

async function oursRouter(options) {
  const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider: MemoryProvider, providerOptions: { store: new Map() }, options })
  const router = handlers(AutoRouter({ before: [sessionPreflight], finally: [sessionify] }))
  router.get('/login', (req) => {
    req.session.username = 'ann'
    req.session.n = 0
    return { ok: true }
  })
  const env = {}
  const res = await router.fetch(new Request('http://x/login'), env)
  return { router, cookie: res.headers.getSetCookie()[0].split(';')[0], env }
}

/**
 * Measure bare / floor / ours (plain and signed) for an unchanged and a changed returning visit.
 * @returns {Promise<{ scenario: string, us: Record<string, number>, ratios: Record<string, number> }[]>}
 */
export async function measureFloor({ rounds = 60 } = {}) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc')
  const bare = { router: handlers(AutoRouter()), cookie: 'fsid=none' }
  const variants = {
    bare,
    'bare again': { router: handlers(AutoRouter()), cookie: 'fsid=none' },
    floor: floorRouter(),
    ours: await oursRouter(),
    'ours, signed': await oursRouter({ secret: SECRET }),
  }
  const out = []
  for (const [scenario, path] of [
    ['unchanged (/me)', '/me'],
    ['changed (/bump)', '/bump'],
  ]) {
    const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, 0]))
    const block = async ({ router, cookie, env = {} }) => {
      const headers = { cookie: `${OTHER_COOKIES}; ${cookie}` }
      for (let i = 0; i < BLOCK; i++) {
        const res = await router.fetch(new Request(`http://x${path}`, { headers }), env)
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
      }
    }
    // Warm up every variant, then rotate (a different order each round).
    for (const v of Object.values(variants)) for (let i = 0; i < 5; i++) await block(v)
    const names = Object.keys(variants)
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length]
        globalThis.gc({ type: 'minor' })
        const t = process.cpuUsage()
        await block(variants[name])
        const d = process.cpuUsage(t)
        cpu[name] += d.user + d.system
      }
    }
    const n = rounds * BLOCK
    const us = Object.fromEntries(names.map((k) => [k, cpu[k] / n]))
    const ratios = Object.fromEntries(names.map((k) => [k, cpu[k] / cpu.floor]))
    out.push({ scenario, us, ratios, bareRatios: Object.fromEntries(names.map((k) => [k, cpu[k] / cpu.bare])) })
  }
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await measureFloor({ rounds: Number(process.env.ROUNDS ?? 60) })
  for (const { scenario, us, ratios, bareRatios } of results) {
    console.log(`\n${scenario}`)
    console.log('variant         us/request  / floor  / bare')
    for (const k of Object.keys(us)) console.log(`${k.padEnd(15)} ${us[k].toFixed(2).padStart(10)} ${ratios[k].toFixed(3).padStart(8)} ${bareRatios[k].toFixed(3).padStart(6)}`)
  }
}
