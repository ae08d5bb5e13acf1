// The KV provider in workerd against a real local KV namespace: round trip, TTLs, expiry, faults.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { client, sessionCookie, startWorker } from './helpers/workerd.mjs'

let mf, fetch, kv
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/kv-app.js', { d1: [], kv: ['SESSIONS_KV', 'OTHER_KV'] }))
  kv = await mf.getKVNamespace('SESSIONS_KV')
})
after(() => mf?.dispose())

const ops = (res) => JSON.parse(res.headers.get('x-kv'))
const json = (res) => res.json()
const idOf = (c) => c.cookie.split('=')[1]
// The store's key for a session is the SHA-256 of its id (base64url), never the id.
const keyOf = (id) => createHash('sha256').update(id).digest('base64url')
const stored = async (id, ns = kv, prefix = 'sess:') => {
  const { value, metadata } = await ns.getWithMetadata(prefix + keyOf(id))
  return value === null ? null : { data: JSON.parse(value), metadata }
}
const listed = async (id, ns = kv, prefix = 'sess:') => (await ns.list({ prefix: prefix + keyOf(id) })).keys[0]
const CLEAR = '__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

describe('KV: the round trip', () => {
  it('a cookieless request touches no KV and sets no cookie', async () => {
    const res = await fetch('/default/session')
    assert.deepEqual(await json(res), { session: {} })
    assert.deepEqual(ops(res), { read: 0, write: 0, delete: 0 })
    assert.deepEqual(res.headers.getSetCookie(), [])
  })

  it('login, read, change, logout: one KV operation each, plus a read before each change', async () => {
    const c = client(fetch)
    const login = await c.fetch('/default/set?k=user&v="ann"')
    assert.deepEqual(ops(login), { read: 0, write: 1, delete: 0 })
    assert.match(sessionCookie(login), /^__Host-sid=[A-Za-z0-9_-]{43}$/)
    assert.deepEqual((await stored(idOf(c))).data, { user: 'ann' })

    const read = await c.fetch('/default/session')
    assert.deepEqual(await json(read), { session: { user: 'ann' } })
    assert.deepEqual(ops(read), { read: 1, write: 0, delete: 0 })
    assert.deepEqual(read.headers.getSetCookie(), [])

    // No read-modify-write in KV: the change re-reads the record, merges, writes it whole.
    const change = await c.fetch('/default/set?k=n&v={"x":[1,2]}')
    assert.deepEqual(ops(change), { read: 2, write: 1, delete: 0 })
    assert.deepEqual((await stored(idOf(c))).data, { user: 'ann', n: { x: [1, 2] } })
    const del = await c.fetch('/default/del?k=n')
    assert.deepEqual(ops(del), { read: 2, write: 1, delete: 0 })
    assert.deepEqual((await stored(idOf(c))).data, { user: 'ann' })

    const id = idOf(c)
    const logout = await c.fetch('/default/logout')
    assert.deepEqual(await json(logout), { session: {} })
    assert.deepEqual(ops(logout), { read: 1, write: 0, delete: 1 })
    assert.deepEqual(logout.headers.getSetCookie(), [CLEAR])
    assert.equal(await stored(id), null)
    const replay = await fetch('/default/session', { headers: { Cookie: `__Host-sid=${id}` } })
    assert.deepEqual(await json(replay), { session: {} })
    assert.deepEqual(replay.headers.getSetCookie(), [CLEAR])
  })

  it('a value set to null replaces the document; a session emptied of all keys is deleted', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=x&v=1')
    await c.fetch('/default/set?k=x&v=null')
    assert.deepEqual((await stored(idOf(c))).data, { x: null })
    const id = idOf(c)
    const res = await c.fetch('/default/del?k=x')
    assert.deepEqual(ops(res), { read: 1, write: 0, delete: 1 })
    assert.deepEqual(res.headers.getSetCookie(), [CLEAR])
    assert.equal(await stored(id), null)
  })

  it('a custom binding and key prefix', async () => {
    const other = await mf.getKVNamespace('OTHER_KV')
    const c = client(fetch)
    await c.fetch('/custom/set?k=a&v=1')
    assert.deepEqual((await stored(idOf(c), other, 'app1:')).data, { a: 1 })
    assert.equal(await stored(idOf(c)), null)
    assert.deepEqual(await json(await c.fetch('/custom/session')), { session: { a: 1 } })
  })
})

describe('KV: TTL and expiry', () => {
  it('gives KV an expiration maxAge ahead and keeps the exact expiry (ms) in the metadata', async () => {
    const c = client(fetch)
    const t = Date.now()
    await c.fetch('/default/set?k=a')
    const key = await listed(idOf(c))
    const { expiry } = key.metadata
    assert.ok(expiry >= t + 2592000e3 && expiry <= Date.now() + 2592000e3, String(expiry))
    assert.ok(Math.abs(key.expiration - expiry / 1000) <= 2, `${key.expiration} vs ${expiry}`)
  })

  it('clamps the TTL up to KV’s minimum of 60 s, and still enforces the real expiry on read', async () => {
    const c = client(fetch)
    const t = Date.now()
    await c.fetch('/short/set?k=user&v="ann"')
    const key = await listed(idOf(c))
    assert.ok(key.metadata.expiry - t <= 1000 + (Date.now() - t))
    assert.ok(Math.abs(key.expiration - (t / 1000 + 60)) <= 2, `${key.expiration} vs ${t / 1000 + 60}`)
    await sleep(1100)
    const res = await c.fetch('/short/session')
    assert.deepEqual(await json(res), { session: {} })
    assert.deepEqual(res.headers.getSetCookie(), [CLEAR])
    assert.deepEqual(ops(res), { read: 1, write: 0, delete: 0 })
    // No delete either: KV drops the key itself, at its TTL.
    assert.equal((await kv.list({ prefix: key.name })).keys.length, 1)
  })

  it('a rolling refresh rewrites the record with a later expiry and TTL, and a fresh cookie', async () => {
    const c = client(fetch)
    await c.fetch('/rolling/set?k=a')
    const first = await listed(idOf(c))
    await sleep(1100) // a tenth of maxAge (10 s)
    const res = await c.fetch('/rolling/session')
    assert.deepEqual(ops(res), { read: 2, write: 1, delete: 0 })
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=[^;]+; Max-Age=10;/)
    const later = await listed(idOf(c))
    assert.ok(later.metadata.expiry >= first.metadata.expiry + 1000)
    assert.ok(later.expiration >= first.expiration + 1)
    assert.deepEqual((await stored(idOf(c))).data, { a: true })
  })
})

describe('KV: concurrency (no atomic read-modify-write)', () => {
  it('a change is merged into the record as it is when written, not as it was loaded', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=base&v=0')
    const headers = { Cookie: c.cookie }
    // Both load the session at once; a writes at once, b well after a's write.
    await Promise.all([fetch('/default/set?k=a&v=1', { headers }), fetch('/default/set?k=b&v=2&wait=300', { headers })])
    assert.deepEqual((await stored(idOf(c))).data, { base: 0, a: 1, b: 2 })
  })

  it('a change that finishes after a logout does not revive the session', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const headers = { Cookie: c.cookie }
    // The slow request loads the session at once, then waits while the logout runs.
    const slow = fetch('/default/set?k=late&wait=600', { headers })
    await sleep(150)
    await fetch('/default/logout', { headers })
    const res = await slow
    assert.deepEqual(ops(res), { read: 2, write: 0, delete: 0 })
    assert.ok(!sessionCookie(res)?.slice('__Host-sid='.length), 'no cookie carrying an id')
    assert.equal(await stored(idOf(c)), null)
  })
})

describe('KV: ids and faults', () => {
  it('a malformed id never touches KV', async () => {
    for (const bad of ["' OR 1=1 --", 'x'.repeat(5000), 'AAAA', '../../etc', 'sess:*']) {
      const res = await fetch('/default/session', { headers: { Cookie: `__Host-sid=${encodeURIComponent(bad)}` } })
      assert.deepEqual(await json(res), { session: {} })
      assert.deepEqual(ops(res), { read: 0, write: 0, delete: 0 })
    }
  })

  it('a missing binding names the binding and the wrangler.toml entry', async () => {
    const res = await fetch('/default/session', { headers: { 'x-no-binding': '1' } })
    assert.equal(res.status, 500)
    const { error } = await json(res)
    assert.match(error, /no KV namespace is bound as "SESSIONS_KV" in env/)
    assert.match(error, /\[\[kv_namespaces\]\]\nbinding = "SESSIONS_KV"\nid = /)
  })

  it('a failing read is a 500 naming KV, not a logout', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const res = await c.fetch('/default/session', { headers: { 'x-fail': 'read' } })
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /KV namespace "SESSIONS_KV" failed to read a session/)
    assert.deepEqual(res.headers.getSetCookie(), [])
    assert.deepEqual(await json(await c.fetch('/default/session')), { session: { user: 'ann' } })
  })

  it('a failing write is a 500 and the stored data is unchanged', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const res = await c.fetch('/default/set?k=user&v="bob"', { headers: { 'x-fail': 'write' } })
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /KV namespace "SESSIONS_KV" failed to update a session/)
    assert.deepEqual((await stored(idOf(c))).data, { user: 'ann' })
  })

  it("itty-session 0.4's five provider methods work on KV", async () => {
    const out = await json(await fetch('/legacy-api'))
    assert.match(out.sid, /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(out, { sid: out.sid, created: '{}', set: '{"user":"ann"}', gone: null })
  })
})
