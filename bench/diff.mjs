// The session diff (wasm diffSession) on large sessions: one changed key, and how its cost grows.
// Run by `npm run bench` (bench/run.mjs), or alone after `node scripts/build.mjs`:
//   node --expose-gc bench/diff.mjs [--max-kib=1024] [--quick]
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { diffSession } from '../dist/wasm/node.js'
import { time } from './timing.mjs'

let sink

/** A flat session of about `bytes` bytes of JSON: mixed members, ~40 bytes each. */
export function flatSession(bytes) {
  const session = {}
  for (let i = 0; JSON.stringify(session).length < bytes; i++) {
    const n = String(i).padStart(5, '0')
    switch (i % 5) {
      case 0: session[`name_${n}`] = `value ${n} abcdefghijklmnop`; break
      case 1: session[`count_${n}`] = i * 7919 + 1000000; break
      case 2: session[`flag_is_set_${n}`] = i % 2 === 0; break
      case 3: session[`list_${n}`] = [i, 'xyz', i / 4, true]; break
      default: session[`object_${n}`] = { a: i, b: 'yes', c: [] }
    }
  }
  return session
}

/** A session of `keys` short members (`"k00012":12`). */
export function manyKeys(keys) {
  const session = {}
  for (let i = 0; i < keys; i++) session[`k${String(i).padStart(5, '0')}`] = i
  return session
}

/** A copy of `session` with its middle member's value changed (inside `data`, if it has it). */
function changeOne(session) {
  if (session.data) return { ...session, data: changeOne(session.data) }
  const keys = Object.keys(session)
  const key = keys[keys.length >> 1]
  return { ...session, [key]: typeof session[key] === 'number' ? session[key] + 1 : 'changed' }
}

/** Check the diff is a one-member patch, so the benchmark measures what it says. */
function check(old, text, key) {
  const patch = diffSession(old, text)
  const parsed = JSON.parse(patch)
  const path = []
  for (let p = parsed; typeof p === 'object' && p !== null && !Array.isArray(p); p = p[Object.keys(p)[0]]) {
    if (Object.keys(p).length !== 1) throw new Error(`itty-session bench: expected a one-member patch, got ${patch.slice(0, 200)}`)
    path.push(Object.keys(p)[0])
  }
  if (key && path[path.length - 1] !== key) throw new Error(`itty-session bench: patch ${patch.slice(0, 200)} does not change ${key}`)
}

/** ns for one diff of `session` against it with one member changed, beside the stringify compare. */
function measure(session, { rounds = 7, ms = 150 } = {}) {
  const snapshot = JSON.stringify(session)
  const changed = changeOne(session)
  const text = JSON.stringify(changed)
  check(snapshot, text)
  globalThis.gc?.()
  // A slow call (the quadratic diff of old) gets fewer, shorter rounds.
  const once = performance.now()
  diffSession(snapshot, text)
  const slow = performance.now() - once > 50
  const opts = slow ? { rounds: 1, ms: 1 } : { rounds, ms }
  const diff = time(() => (sink = diffSession(snapshot, text)), opts)
  const whole = time(() => (sink = diffSession(snapshot, JSON.stringify(changed))), opts)
  const peer = time(() => (sink = JSON.stringify(changed) !== snapshot), opts)
  return { bytes: snapshot.length, keys: Object.keys(session).length, diff, whole, peer }
}

/**
 * Run the diff benchmark: adds its rows through `row(section, what, ours, peer, peerName)` (as
 * bench/run.mjs's), prints the growth series, and stores it in `results.diff` when given.
 */
export function diffBench(row, results, { maxKiB = 1024, quick = false } = {}) {
  const opts = quick ? { rounds: 3, ms: 50 } : {}
  const peerName = 'JSON.stringify(s) !== snapshot'
  const flat = measure(flatSession(10 * 1024), opts)
  row('diff', `flat 10 KiB (${flat.keys} keys), one changed: stringify + diffSession`, flat.whole, flat.peer, peerName)
  const many = measure(manyKeys(20000), opts)
  row('diff', `20,000 keys (${Math.round(many.bytes / 1024)} KiB), one changed: stringify + diffSession`, many.whole, many.peer, peerName)
  const series = { flat: [], nested: [] }
  for (let kib = 1; kib <= maxKiB; kib *= 4) {
    const session = flatSession(kib * 1024)
    series.flat.push({ kib, ...measure(session, opts) })
    // The same members one level down: the changed member is parsed, its keys indexed.
    series.nested.push({ kib, ...measure({ user: 'ann', data: session }, opts) })
  }
  const us = (ns) => (ns / 1000).toFixed(ns < 10000 ? 2 : 0)
  const lines = [
    `diff: one changed key; diffSession alone (us), and per n log2 n (n = bytes) in ns; beside ${peerName} (us)`,
    `| shape | flat 10 KiB (${flat.keys} keys) | 20,000 keys (${Math.round(many.bytes / 1024)} KiB) |`,
    '| --- | --- | --- |',
    `| diffSession alone | ${us(flat.diff)} us | ${us(many.diff)} us |`,
    `| ${peerName} | ${us(flat.peer)} us | ${us(many.peer)} us |`,
    '',
    '| size | shape | keys | bytes | diffSession (us) | ns / (n log2 n) | stringify compare (us) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const shape of ['flat', 'nested']) {
    for (const r of series[shape]) {
      const nlogn = r.bytes * Math.log2(r.bytes)
      lines.push(`| ${r.kib} KiB | ${shape} | ${r.keys} | ${r.bytes} | ${us(r.diff)} | ${(r.diff / nlogn).toFixed(4)} | ${us(r.peer)} |`)
    }
  }
  console.log(`${lines.join('\n')}\n`)
  if (results) results.diff = { flat10KiB: flat, keys20000: many, series }
  return { flat, many, series }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}`))
  const maxKiB = Number(arg('max-kib')?.split('=')[1] ?? 1024)
  const rows = []
  const row = (section, what, ours, peer, peerName) => rows.push({ section, what, ours, peer, peerName })
  diffBench(row, null, { maxKiB, quick: Boolean(arg('quick')) })
  console.log('| what | itty-session | peer | peer time | peer / ours |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.section}: ${r.what} | ${(r.ours / 1000).toFixed(1)} us | ${r.peerName} | ${(r.peer / 1000).toFixed(1)} us | ${(r.peer / r.ours).toFixed(2)}x |`)
  const wasm = readFileSync(new URL('../dist/wasm/core_bg.wasm', import.meta.url))
  console.log(`\nwasm ${wasm.length} B (gzip ${gzipSync(wasm, { level: 9 }).length} B)`)
}
