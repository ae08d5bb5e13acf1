// itty-session/cookie in Node: every conformance vector, and a differential run against cookie@1.1.1.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import * as reference from 'cookie'
import { parse, serialize } from 'itty-session/cookie'

const load = (f) => JSON.parse(readFileSync(new URL(`./conformance/${f}`, import.meta.url), 'utf8'))
const vectors = [...load('cookie-v1.json'), ...load('cookie-header-http-state.json')]

// The README's placeholders for functions and values JSON cannot hold.
const functions = {
  identity: (v) => v,
  base64: (v) => Buffer.from(v).toString('base64'),
  base64decode: (v) => Buffer.from(v, 'base64').toString(),
  bracket: (v) => `[${v}]`,
  'dashes-to-spaces': (v) => v.replace(/-/g, ' '),
  'undefined-if-bar': (v) => (v === 'bar' ? undefined : v),
}
function revive(options = {}) {
  const out = {}
  for (const [k, v] of Object.entries(options)) {
    if (v && typeof v === 'object' && '$date' in v) out[k] = new Date(v.$date === 'Invalid' ? NaN : v.$date)
    else if (v && typeof v === 'object' && '$number' in v) out[k] = Number(v.$number)
    else if ((k === 'encode' || k === 'decode') && typeof v === 'string') {
      out[k] = v.startsWith('constant:') ? () => v.slice('constant:'.length) : functions[v]
      assert.ok(out[k], `unknown placeholder ${v}`)
    } else out[k] = v
  }
  return out
}

describe('conformance vectors (cookie@1.1.1 semantics)', () => {
  it('has all 623 vectors', () => assert.equal(vectors.length, 623))

  it('parse: every vector', () => {
    let n = 0
    for (const v of vectors.filter((v) => v.kind === 'parse')) {
      const got = parse(v.input, revive(v.options))
      assert.equal(Object.getPrototypeOf(got)?.constructor, undefined, 'null-prototype result')
      assert.deepEqual({ ...got }, v.expected, `parse(${JSON.stringify(v.input)})`)
      n++
    }
    assert.equal(n, 222)
  })

  it('serialize: every vector, errors with cookie@1 messages', () => {
    let n = 0
    for (const v of vectors.filter((v) => v.kind === 'serialize')) {
      const opts = v.options === undefined ? undefined : revive(v.options)
      const what = `serialize(${JSON.stringify(v.name)}, ${JSON.stringify(v.value)}, ${JSON.stringify(v.options)})`
      if (typeof v.expected === 'string') assert.equal(serialize(v.name, v.value, opts), v.expected, what)
      else {
        assert.throws(() => serialize(v.name, v.value, opts), (e) => e instanceof TypeError && e.message.startsWith(`${v.expected.message}: `), what)
        // The whole message, value included, is cookie@1.1.1's.
        let want
        try {
          reference.serialize(v.name, v.value, opts)
        } catch (e) {
          want = e.message
        }
        assert.throws(() => serialize(v.name, v.value, opts), { message: want }, what)
      }
      n++
    }
    assert.equal(n, 401)
  })
})

// A deterministic generator, so a failure names a reproducible input.
function rng(seed) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}
const pieces = ['a', 'sid', 'b', '=', '==', ';', '; ', ' ', '\t', '"', '%', '%2', '%20', '%3B', '%E2%82%AC', '%E2%82', '%zz', 'é', '€', '😀', '__proto__', 'constructor', 'x y', ',', '\\']

describe('differential against cookie@1.1.1 on generated input', () => {
  it('parse agrees on 20,000 generated headers', () => {
    const r = rng(7)
    for (let i = 0; i < 20000; i++) {
      let h = ''
      const n = Math.floor(r() * 12)
      for (let j = 0; j < n; j++) h += pieces[Math.floor(r() * pieces.length)]
      assert.deepEqual({ ...parse(h) }, { ...reference.parse(h) }, JSON.stringify(h))
    }
  })

  it('serialize agrees on 20,000 generated names, values and options', () => {
    const r = rng(11)
    const pick = (xs) => xs[Math.floor(r() * xs.length)]
    const str = () => {
      let s = ''
      const n = Math.floor(r() * 5)
      for (let j = 0; j < n; j++) s += pick(pieces)
      return s
    }
    for (let i = 0; i < 20000; i++) {
      const opts = {}
      if (r() < 0.3) opts.maxAge = pick([0, 1, -1, 1.5, 1e21, NaN, Infinity, '10', null, 86400])
      if (r() < 0.3) opts.domain = pick(['example.com', '.example.com', 'a..b', 'ex ample', '', 'a'.repeat(64) + '.com', 'EXAMPLE.com'])
      if (r() < 0.3) opts.path = pick(['/', '/a b', '/;x', '', '/\u0001', '/é'])
      if (r() < 0.2) opts.expires = pick([new Date(0), new Date(NaN), new Date(-1e12), new Date(253402300799000), 'tomorrow'])
      if (r() < 0.3) opts.httpOnly = pick([true, false, 1, 0])
      if (r() < 0.3) opts.secure = pick([true, false])
      if (r() < 0.2) opts.partitioned = pick([true, false])
      if (r() < 0.3) opts.priority = pick(['low', 'MEDIUM', 'High', 'urgent', 3, '', true])
      if (r() < 0.3) opts.sameSite = pick(['strict', 'Lax', 'none', true, false, 'bogus', 1])
      const name = r() < 0.8 ? pick(['sid', 'a', '__Host-sid', 'x=y', 'a b', '', 'é']) : str()
      const value = str()
      let want, got
      try {
        want = reference.serialize(name, value, opts)
      } catch (e) {
        want = `${e.constructor.name}: ${e.message}`
      }
      try {
        got = serialize(name, value, opts)
      } catch (e) {
        got = `${e.constructor.name}: ${e.message}`
      }
      assert.equal(got, want, JSON.stringify({ name, value, opts: { ...opts, expires: String(opts.expires) } }))
    }
  })
})
