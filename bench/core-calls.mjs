// Per-call timings of the core's hot calls (hashId, a signed cookie read, a cached read), optionally
// beside another build: `node bench/core-calls.mjs [other/dist]`, blocks rotated in one process.
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
  let sink
  return {
    sink: () => sink,
    'hashId (SHA-256 of an id)': () => (sink = core.hashId(id)),
    'read: unsigned, not cached': (i) => (sink = readSessionCookie(plain, i & 1 ? p1 : p2)),
    'read: unsigned, cached': () => (sink = readSessionCookie(plain, p1)),
    'read: signed, not cached (HMAC + SHA-256)': (i) => (sink = readSessionCookie(signed, i & 1 ? s1 : s2)),
    'read: signed, cached': () => (sink = readSessionCookie(signed, s1)),
  }
}

const builds = await Promise.all(dirs.map(variants))
const names = Object.keys(builds[0]).filter((k) => k !== 'sink')
const N = 20000
const ROUNDS = 21
const block = (fn) => {
  const t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) fn(i)
  return Number(process.hrtime.bigint() - t) / N
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
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1]
for (const name of names) {
  const cells = results.map((res) => `${median(res[name]).toFixed(0).padStart(6)} ns`)
  const ratio = builds.length > 1 ? `   other/this ${(median(results[1][name]) / median(results[0][name])).toFixed(2)}x` : ''
  console.log(`${name.padEnd(44)} ${cells.join('  ')}${ratio}`)
}
