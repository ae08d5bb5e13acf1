// Per-call timings of the core's hot calls (hashId, cookie reads signed or not, cached or not, huge
// headers), beside other builds if given: `node bench/core-calls.mjs [other/dist ...]`, one process,
// blocks rotated.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const dirs = [new URL('../dist/', import.meta.url).href, ...process.argv.slice(2).map((d) => pathToFileURL(`${resolve(d)}/`).href)]
const SECRET = 'a signing secret of 32 characters or more'
const NAME = '__Host-sid'
const header = (value) => `_ga=GA1.2.3; theme=dark; ${NAME}=${value}; consent=yes`

// The cache slot a value lands in (Cache::slot_of in src/cache.rs), to make values that collide.
const slotOf = (value) => {
  const b = Buffer.from(value)
  return Math.imul(b.readUInt32LE(0), 0x9e3779b1) >>> 27
}

async function variants(dir) {
  const core = await import(`${dir}wasm/node.js`)
  const { readSessionCookie, issueSession } = await import(`${dir}session-cookie.js`)
  const make = (secrets) => new core.Codec(NAME, secrets, '', true)
  const signed = make([SECRET])
  const plain = make([])
  // Two sessions whose values share a slot: reading them in turn misses the cache every time.
  const pair = (codec) => {
    const first = issueSession(codec)[2]
    for (;;) {
      const other = issueSession(codec)[2]
      if (slotOf(other) === slotOf(first)) return [header(first), header(other)]
    }
  }
  const [s1, s2] = pair(signed)
  const [p1, p2] = pair(plain)
  const id = issueSession(plain)[0]
  // What Chromium and Firefox send at most (180 cookies of 4 KiB), ours last; 200 KiB likewise.
  const pad = (n) => Array.from({ length: n }, (_, i) => `c${i}=${'v'.repeat(4090)}`).join('; ')
  const [browserMax, kib200] = [pad(179), pad(49)].map((p) => `${p}; ${s1.slice(s1.indexOf(NAME))}`)
  let sink
  return {
    'hashId (SHA-256 of an id)': [() => (sink = core.hashId(id))],
    'read: unsigned, not cached': [(i) => (sink = readSessionCookie(plain, i & 1 ? p1 : p2))],
    'read: unsigned, cached': [() => (sink = readSessionCookie(plain, p1))],
    'read: signed, not cached (HMAC + SHA-256)': [(i) => (sink = readSessionCookie(signed, i & 1 ? s1 : s2))],
    'read: signed, cached': [() => (sink = readSessionCookie(signed, s1))],
    'read: 200 KiB header, signed, cached': [() => (sink = readSessionCookie(signed, kib200)), 50],
    'read: 720 KiB header (browser max), cached': [() => (sink = readSessionCookie(signed, browserMax)), 20],
    sink: [() => sink],
  }
}

const builds = await Promise.all(dirs.map(variants))
const names = Object.keys(builds[0]).filter((k) => k !== 'sink')
const ROUNDS = 21
const block = ([fn, n = 20000]) => {
  const t = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t) / n
}
const results = builds.map(() => Object.fromEntries(names.map((n) => [n, []])))
for (let r = 0; r < ROUNDS; r++) {
  // Rotate which build and which call go first, so drift falls on all alike.
  for (let k = 0; k < names.length * builds.length; k++) {
    const j = (k + r) % (names.length * builds.length)
    const b = j % builds.length
    const name = names[Math.floor(j / builds.length)]
    results[b][name].push(block(builds[b][name]))
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
// Median of the rounds, then the best round: on a shared machine the best moves least.
const cell = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)})`
console.log(`${'ns per call: median (best)'.padEnd(44)} ${dirs.map((d, i) => (i ? `build ${i}, ratio to this` : 'this build').padEnd(30)).join('')}`)
for (const name of names) {
  const base = median(results[0][name])
  const cells = results.map((res, i) => `${cell(res[name]).padStart(15)}${i ? ` ${(median(res[name]) / base).toFixed(2)}x` : ''}`.padEnd(30))
  console.log(`${name.padEnd(44)} ${cells.join('')}`)
}
dirs.slice(1).forEach((d, i) => console.log(`build ${i + 1}: ${d}`))
