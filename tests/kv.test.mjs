// The KV provider in workerd against a real local KV namespace: round trip, TTLs, expiry, faults.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { workerHarness } from './contract/harness.mjs'
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
    // destroy reads the record first, to report whether it removed one.
    assert.deepEqual(ops(logout), { read: 2, write: 0, delete: 1 })
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
    assert.deepEqual(ops(res), { read: 2, write: 0, delete: 1 })
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

describe('KV: the per-user index (one index key per logged-in session)', () => {
  const indexKeys = async (user, ns = kv) => (await ns.list({ prefix: `sess:user:userId:${encodeURIComponent(user)}:` })).keys
  const DAY = 86400e3

  it('an extra write only at login, a user change and logout; none on a read, a change or a rolling refresh', async () => {
    const c = client(fetch)
    const user = `ann-${Date.now()}`
    const login = await c.fetch(`/users/set?k=userId&v="${user}"`)
    assert.deepEqual(ops(login), { read: 0, write: 2, delete: 0 })
    const [entry] = await indexKeys(user)
    assert.equal(entry.name, `sess:user:userId:${user}:${keyOf(idOf(c))}`)
    // KV keeps the index key at least as long as the session.
    assert.ok(entry.expiration >= (await listed(idOf(c))).expiration, `${entry.expiration} vs ${(await listed(idOf(c))).expiration}`)
    assert.deepEqual(ops(await c.fetch('/users/session')), { read: 1, write: 0, delete: 0 })
    assert.deepEqual(ops(await c.fetch('/users/set?k=n&v=1')), { read: 2, write: 1, delete: 0 })
    const other = `bob-${Date.now()}`
    const change = await c.fetch(`/users/set?k=userId&v="${other}"`)
    assert.deepEqual(ops(change), { read: 2, write: 2, delete: 1 })
    assert.deepEqual(await indexKeys(user), [])
    assert.equal((await indexKeys(other)).length, 1)
    const id = idOf(c)
    const logout = await c.fetch('/users/logout')
    assert.deepEqual(ops(logout), { read: 2, write: 0, delete: 2 })
    assert.deepEqual(await indexKeys(other), [])
    assert.equal(await stored(id), null)
  })

  it('an anonymous session has no index key, and its login adds one', async () => {
    const c = client(fetch)
    assert.deepEqual(ops(await c.fetch('/users/set?k=cart&v=[1]')), { read: 0, write: 1, delete: 0 })
    const user = `cy-${Date.now()}`
    assert.deepEqual(ops(await c.fetch(`/users/set?k=userId&v="${user}"`)), { read: 2, write: 2, delete: 0 })
    assert.equal((await indexKeys(user)).length, 1)
  })

  describe('through the provider', () => {
    let h
    before(async () => {
      h = await workerHarness('tests/contract/workers/kv.js', { d1: [], kv: ['SESSIONS_KV'], name: 'kv_index' })
    })
    after(() => h?.close())
    const ns = () => h.mf.getKVNamespace('SESSIONS_KV')
    const newKey = () => randomBytes(32).toString('base64url')

    it('the index key is rewritten only when the session outlives it (about once per lifetime)', async () => {
      const user = `dee-${Date.now()}`
      const key = newKey()
      const now = Date.now()
      await h.call('create', key, JSON.stringify({ userId: user }), now + DAY, now, null)
      const first = (await indexKeys(user, await ns()))[0].expiration
      assert.ok(Math.abs(first - (now + 2 * DAY) / 1000) < 30, `${first}`)
      await h.call('touch', key, now + 1.5 * DAY)
      assert.equal((await indexKeys(user, await ns()))[0].expiration, first)
      await h.call('touch', key, now + 3 * DAY)
      const later = (await indexKeys(user, await ns()))[0].expiration
      // The expiry plus the time left to it: the next rewrite is a lifetime away.
      assert.ok(Math.abs(later - (now + 6 * DAY) / 1000) < 30, `${later}`)
    })

    it("a stale index key (the user changed by a write that did not know userKey) never ends the new user's session", async () => {
      const [a, b] = [`eve-${Date.now()}`, `fay-${Date.now()}`]
      const key = newKey()
      await h.call('create', key, JSON.stringify({ userId: a }), Date.now() + DAY, Date.now(), null)
      await h.callWith({ userKey: null }, 'replace', key, JSON.stringify({ userId: b }), null)
      assert.equal((await indexKeys(a, await ns())).length, 1) // stale: left for its TTL
      assert.deepEqual(await h.call('listUser', a, Date.now()), [])
      assert.equal(await h.call('destroyUser', a, {}), 0)
      assert.deepEqual(JSON.parse((await h.call('get', key, Date.now())).data), { userId: b })
      // Not indexed under b until its next write through a provider with userKey.
      assert.deepEqual(await h.call('listUser', b, Date.now()), [])
      await h.call('touch', key, Date.now() + DAY)
      assert.deepEqual((await h.call('listUser', b, Date.now())).map((s) => s.key), [key])
    })

    it('an index key whose record is gone (KV TTL, or deleted elsewhere) is skipped', async () => {
      const user = `gus-${Date.now()}`
      const key = newKey()
      await h.call('create', key, JSON.stringify({ userId: user }), Date.now() + DAY, Date.now(), null)
      await (await ns()).delete(`sess:${key}`)
      assert.deepEqual(await h.call('listUser', user, Date.now()), [])
      assert.equal(await h.call('destroyUser', user, {}), 0)
    })

    it('ending all of a user’s sessions while they log in again: every earlier session ends; the new one may survive', async () => {
      const user = `hal-${Date.now()}`
      const before = await Promise.all([1, 2, 3].map(async () => {
        const key = newKey()
        await h.call('create', key, JSON.stringify({ userId: user }), Date.now() + DAY, Date.now(), null)
        return key
      }))
      const fresh = newKey()
      const [ended] = await Promise.all([h.call('destroyUser', user, {}), h.call('create', fresh, JSON.stringify({ userId: user }), Date.now() + DAY, Date.now(), null)])
      assert.ok(ended === 3 || ended === 4, String(ended))
      for (const key of before) assert.equal(await h.call('get', key, Date.now()), null)
      const left = (await h.call('listUser', user, Date.now())).map((s) => s.key)
      assert.deepEqual(left, ended === 4 ? [] : [fresh])
    })

    it('two concurrent destroys of one session: the record is gone, and at least one reports it (KV cannot say which)', async () => {
      const key = newKey()
      await h.call('create', key, '{"a":1}', Date.now() + DAY, Date.now(), null)
      const results = await Promise.all([h.call('destroy', key), h.call('destroy', key)])
      assert.ok(results.includes(true), JSON.stringify(results))
      assert.equal(await h.call('get', key, 0), null)
    })

    it('device details are kept in the metadata (up to 512 characters), and a huge one is dropped, not a failed login', async () => {
      const user = `ida-${Date.now()}`
      const [k1, k2] = [newKey(), newKey()]
      await h.call('create', k1, JSON.stringify({ userId: user }), Date.now() + DAY, Date.now(), '{"ua":"Safari on iOS","country":"FR"}')
      await h.call('create', k2, JSON.stringify({ userId: user }), Date.now() + DAY, Date.now(), JSON.stringify({ ua: 'x'.repeat(2000) }))
      const metas = Object.fromEntries((await h.call('listUser', user, Date.now())).map((s) => [s.key, s.meta]))
      assert.deepEqual(metas, { [k1]: '{"ua":"Safari on iOS","country":"FR"}', [k2]: null })
    })
  })
})
