// npm run bench, part: per-request wall time through Miniflare with sessions in D1, KV and Durable
// Objects (and without sessions), for the same scenarios; the store's operations per request.
import { startWorker } from '../tests/helpers/workerd.mjs'

const SCENARIOS = [
  // name, path, whether the request carries a fresh logged-in session
  ['anonymous', '/page', false],
  ['returning, unchanged', '/page', true],
  ['returning, changed', '/count', true],
  ['login', '/login', false],
  ['logout', '/logout', true],
]
const STORES = ['d1', 'kv', 'do', 'bare']
const N = 200

const median = (xs) => {
  const s = xs.toSorted((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Run the scenarios, `N` requests each per store, the stores taking turns request by request (so
 * a slow moment of the shared machine hits them all); store the medians in `results.stores` and
 * print a table.
 */
export async function benchStores(results) {
  const { mf, fetch } = await startWorker('bench/stores-worker.js', {
    name: 'bench-stores',
    d1: ['SESSIONS'],
    kv: ['SESSIONS_KV'],
    durableObjects: { SESSIONS_DO: { className: 'SessionObject', useSQLite: true } },
  })
  const call = async (path, cookie, count) => {
    const headers = {}
    if (cookie) headers.cookie = cookie
    if (count) headers['x-count'] = '1'
    const res = await fetch(path, { headers })
    await res.arrayBuffer()
    return res
  }
  const login = async (store) => (await call(`/${store}/login`)).headers.getSetCookie()[0]?.split(';')[0]
  const out = {}
  try {
    for (const store of STORES) for (let i = 0; i < 20; i++) await call(`/${store}/login`) // warm up: table check, JIT
    for (const [name, path, withSession] of SCENARIOS) {
      const row = (out[name] = {})
      const cookies = {}
      for (const store of STORES) {
        cookies[store] = withSession && store !== 'bare' ? await login(store) : undefined
        const res = await call(`/${store}${path}`, withSession && name === 'logout' ? await login(store) : cookies[store], true)
        row[store] = { ops: JSON.parse(res.headers.get('x-ops') ?? '[]'), ms: [] }
      }
      for (let i = 0; i < N; i++) {
        for (const store of STORES) {
          // A logout needs a live session each time: made before the clock starts.
          const cookie = name === 'logout' && store !== 'bare' ? await login(store) : cookies[store]
          const t = performance.now()
          await call(`/${store}${path}`, cookie)
          row[store].ms.push(performance.now() - t)
        }
      }
      for (const store of STORES) row[store] = { ops: row[store].ops, medianMs: median(row[store].ms), meanMs: row[store].ms.reduce((a, b) => a + b, 0) / N }
    }
    results.swapVsPatch = await swapVsPatch(fetch)
  } finally {
    await mf.dispose()
  }
  results.stores = out
  const cell = (r) => `${r.medianMs.toFixed(2)} (${r.ops.length ? r.ops.join(' + ') : 'none'})`
  console.log(`\n| per request in Miniflare, median ms of ${N} (store operations) | D1 | KV | Durable Objects | no sessions |`)
  console.log('| --- | --- | --- | --- | --- |')
  for (const [name, r] of Object.entries(out)) console.log(`| ${name} | ${cell(r.d1)} | ${cell(r.kv)} | ${cell(r.do)} | ${r.bare.medianMs.toFixed(2)} |`)
  console.log('\n| Durable Objects: a change, mean ms (two rounds) | swap | diff + patch |')
  console.log('| --- | --- | --- |')
  for (const { size, swap, patch } of results.swapVsPatch) console.log(`| session of ${size} bytes | ${swap.map((x) => x.toFixed(2)).join(', ')} | ${patch.map((x) => x.toFixed(2)).join(', ')} |`)
}

/** The provider's swap against diff + patch for sessions of growing size (the middleware uses swap when offered). */
async function swapVsPatch(fetch) {
  const rows = []
  for (const size of [100, 10_000, 100_000, 1_000_000]) {
    const n = size >= 1_000_000 ? 20 : 100
    const row = { size, swap: [], patch: [] }
    for (let round = 0; round < 2; round++) {
      for (const mode of ['swap', 'patch']) row[mode].push((await (await fetch(`/swap-vs-patch?size=${size}&n=${n}&mode=${mode}`)).json()).ms)
    }
    rows.push(row)
  }
  return rows
}
