// npm run bench: what a request costs with itty-session, each figure beside a peer measured in
// the same run. Prints a table and writes bench/results.json. Not part of npm test.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { parse as cookieParse, serialize as cookieSerialize } from 'cookie'
import { serialize } from 'itty-session/cookie'
import * as core from '../dist/wasm/node.js'
import { issueSession, newSessionId, readSessionCookie } from '../dist/session-cookie.js'
import { startWorker } from '../tests/helpers/workerd.mjs'
import { headers } from './headers.mjs'
import { measureFloor } from './floor.mjs'
import { time } from './timing.mjs'

const results = { machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, date: new Date().toISOString() } }
const rows = []
const row = (section, what, ours, peer, peerName, unit = 'ns') => {
  const ratio = peer / ours
  rows.push({ section, what, ours, peer, peerName, unit, ratio })
  process.stderr.write(`  ${section}: ${what}: ${ratio.toFixed(2)}x\n`)
  return ratio
}
let sink

// 1. The core against cookie@1.1.1 (what itty-session 0.4 used), in this process.
const codec = new core.Codec('sid', [])
const signed = new core.Codec('sid', ['a signing secret of 32 characters or more'])
for (const [name, h] of Object.entries(headers)) {
  const peer = time(() => (sink = cookieParse(h).sid))
  row('read sid', name, time(() => (sink = readSessionCookie(codec, h))), peer, 'cookie@1 parse(h).sid')
}
{
  const value = issueSession(signed)[2]
  const h = headers['30 cookies (~2 KiB)'].replace(/sid=[^;]+$/, `sid=${value}`)
  row('read sid', '30 cookies, signed (HMAC check)', time(() => (sink = readSessionCookie(signed, h))), time(() => (sink = cookieParse(h).sid)), 'cookie@1 parse(h).sid')
}
const opts = { maxAge: 2592000, path: '/', httpOnly: true, secure: true, sameSite: 'strict' }
const id = newSessionId()
// The middleware serialises the cookie's attributes once (Rust, at set-up) and joins per request.
const suffix = serialize('sid', 'x', opts).slice(5)
row('Set-Cookie', 'session cookie, as the middleware makes it', time((i) => (sink = `sid=${i & 1 ? id : 'x'}${suffix}`)), time(() => (sink = cookieSerialize('sid', id, opts))), 'cookie@1 serialize')
row('Set-Cookie', 'itty-session/cookie serialize (full, per call)', time(() => (sink = serialize('sid', id, opts))), time(() => (sink = cookieSerialize('sid', id, opts))), 'cookie@1 serialize')
row('new id', 'newSessionId (256 bits)', time(() => (sink = newSessionId())), time(() => (sink = crypto.randomUUID())), 'crypto.randomUUID (122 bits)')
row('new id', 'new session: id + storage key + cookie', time(() => (sink = issueSession(codec))), time(() => (sink = crypto.randomUUID())), 'crypto.randomUUID (122 bits)')
{
  const session = { user: 'ann', roles: ['admin', 'dev'], cart: { items: [1, 2, 3], total: 42.5 }, visits: 17, since: '2026-11-27T10:00:00.000Z' }
  const snapshot = JSON.stringify(session)
  const peer = time(() => (sink = JSON.stringify(session) !== snapshot))
  // Unchanged: the middleware's test is exactly this string comparison; wasm is not called.
  row('diff', 'unchanged (stringify + compare)', time(() => (sink = JSON.stringify(session) === snapshot)), peer, 'JSON.stringify(s) !== snapshot')
  const changed = { ...session, visits: 18 }
  row('diff', 'changed: merge patch from wasm', time(() => (sink = core.diffSession(snapshot, JSON.stringify(changed)))), peer, 'JSON.stringify(s) !== snapshot')
}
await import('./diff.mjs').then((m) => m.diffBench(row, results)) // large sessions: bench/diff.mjs

// 2. The whole middleware against the floor (the least a cookie session can do, with no security)
// and a bare AutoRouter: the method is in bench/floor.mjs.
{
  results.floor = await measureFloor()
  for (const { scenario, us } of results.floor) {
    for (const variant of ['ours', 'ours, signed', 'bare again']) {
      row('per request vs floor', `${scenario}, ${variant}`, us[variant] * 1000, us.floor * 1000, 'floor (no security)')
    }
  }
}

// 3. D1 in workerd (Miniflare, local D1): statements and rows per request, and wall time.
{
  const { mf, fetch } = await startWorker('bench/worker.js', { name: 'bench' })
  try {
    const call = async (path, cookie) => {
      const res = await fetch(path, cookie ? { headers: { cookie } } : {})
      await res.arrayBuffer()
      return { res, d1: JSON.parse(res.headers.get('x-d1')) }
    }
    await call('/s/login') // the first statement creates the table
    const fresh = async () => (await call('/s/login')).res.headers.getSetCookie()[0].split(';')[0]
    const scenarios = [
      ['anonymous', '/page', async () => undefined],
      ['returning, unchanged', '/page', fresh],
      ['returning, changed', '/count', fresh],
      ['login', '/login', async () => undefined],
      ['logout', '/logout', fresh],
    ]
    results.d1 = {}
    for (const [name, path, setup] of scenarios) {
      const cookie = await setup()
      const { d1 } = await call(`/s${path}`, cookie)
      const n = 200
      let t = performance.now()
      for (let i = 0; i < n; i++) await call(`/s${path}`, name === 'logout' ? await setup() : cookie)
      const oursMs = (performance.now() - t) / n
      t = performance.now()
      for (let i = 0; i < n; i++) await call(`/bare${path}`, name === 'logout' ? await setup() : cookie)
      const bareMs = (performance.now() - t) / n
      results.d1[name] = { statements: d1.read + d1.write + d1.schema, reads: d1.read, writes: d1.write, rowsRead: d1.rowsRead, rowsWritten: d1.rowsWritten, bytesSent: d1.bytesSent, wallMs: oursMs, bareWallMs: bareMs }
    }
  } finally {
    await mf.dispose()
  }
  // The first request of a new isolate: no schema statement when the table exists; when it does
  // not, the failed statement, the schema batch and the retry (once per database, ever).
  for (const [name, existing] of [
    ['login, first request of a new isolate', true],
    ['login, first request ever (no table yet)', false],
  ]) {
    const cold = await startWorker('bench/worker.js', { name: `bench_cold_${existing}` })
    try {
      if (existing) await (await cold.mf.getD1Database('SESSIONS')).exec('CREATE TABLE sessions (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER, meta TEXT, active INTEGER)')
      const res = await cold.fetch('/s/login')
      await res.arrayBuffer()
      const d1 = JSON.parse(res.headers.get('x-d1'))
      results.d1[name] = { statements: d1.read + d1.write + d1.schema, reads: d1.read, writes: d1.write, rowsRead: d1.rowsRead, rowsWritten: d1.rowsWritten, bytesSent: d1.bytesSent, wallMs: NaN, bareWallMs: NaN }
    } finally {
      await cold.mf.dispose()
    }
  }
}

// 3b. The same scenarios with sessions in D1, KV and Durable Objects: bench/stores.mjs.
await (await import('./stores.mjs')).benchStores(results)

// 4. Size and start-up.
{
  const wasm = readFileSync('dist/wasm/core_bg.wasm')
  const bundle = await build({
    entryPoints: ['bench/size-entry.js'],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    conditions: ['workerd', 'worker', 'browser'],
    external: ['itty-router', '*.wasm'],
    logLevel: 'error',
  })
  const js = bundle.outputFiles[0].contents
  const compileNs = time(() => (sink = new WebAssembly.Module(wasm)), { rounds: 5, ms: 200 })
  // Start-up: importing the package in a fresh Node process (read, compile and instantiate the
  // wasm, evaluate the JS), the median of 5.
  const importMs = []
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "const t = performance.now(); await import('itty-session'); await import('itty-session/providers/d1'); console.log(performance.now() - t)"], { encoding: 'utf8' })
    importMs.push(Number(out))
  }
  importMs.sort((x, y) => x - y)
  results.size = {
    wasmBytes: wasm.length,
    wasmGzip: gzipSync(wasm, { level: 9 }).length,
    jsBytes: js.length,
    jsGzip: gzipSync(js, { level: 9 }).length,
    compileUs: compileNs / 1000,
    importMs: importMs[2],
  }
}

// 5. D1 read replicas (bench/replicas.mjs): reads sent to the primary off and on, bookmark bytes.
results.replicas = await (await import('./replicas.mjs')).measureReplicas()

// Report.
results.rows = rows
writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`)
const fmt = (ns, unit) => (unit === 'ns' ? (ns >= 10000 ? `${(ns / 1000).toFixed(1)} us` : `${Math.round(ns)} ns`) : `${ns}`)
console.log(`itty-session benchmark — ${results.machine.cpu} (${results.machine.cores} cores), Node ${results.machine.node}\n`)
console.log('| what | itty-session | peer | peer time | peer / ours |')
console.log('| --- | --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.section}: ${r.what} | ${fmt(r.ours, r.unit)} | ${r.peerName} | ${fmt(r.peer, r.unit)} | ${r.ratio.toFixed(2)}x |`)
console.log('\n| per request (us, CPU) | bare | floor | ours | ours, signed | ours / floor | signed / floor | bare again / bare |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const { scenario, us, ratios, bareRatios } of results.floor) {
  console.log(`| ${scenario} | ${us.bare.toFixed(2)} | ${us.floor.toFixed(2)} | ${us.ours.toFixed(2)} | ${us['ours, signed'].toFixed(2)} | ${ratios.ours.toFixed(3)} | ${ratios['ours, signed'].toFixed(3)} | ${bareRatios['bare again'].toFixed(3)} |`)
}
console.log('\n| D1 in workerd | statements | reads | writes | rows read | rows written | bytes bound to writes | wall ms (bare) |')
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const [k, v] of Object.entries(results.d1)) console.log(`| ${k} | ${v.statements} | ${v.reads} | ${v.writes} | ${v.rowsRead} | ${v.rowsWritten} | ${v.bytesSent} | ${v.wallMs.toFixed(2)} (${v.bareWallMs.toFixed(2)}) |`)
const s = results.size
console.log(`\nwasm ${s.wasmBytes} B (gzip ${s.wasmGzip} B); JS ${s.jsBytes} B minified (gzip ${s.jsGzip} B); compiling the wasm ${s.compileUs.toFixed(0)} us; importing the package in a fresh Node process ${s.importMs.toFixed(1)} ms`)

// 6. Beyond Cloudflare: statements (PostgreSQL) and commands (Redis) per request, beside D1's above,
// on throwaway local servers (skipped, saying so, where the server binaries are missing).
for (const [name, script] of [
  ['PostgreSQL', 'bench/postgres.mjs'],
  ['Redis', 'bench/redis.mjs'],
]) {
  console.log(`\n${name} (${script})\n`)
  try {
    execFileSync(process.execPath, [script], { stdio: 'inherit' })
  } catch (e) {
    console.log(`skipped: ${e.message.split('\n')[0]} (scripts/setup.sh installs the server as root)`)
  }
}
