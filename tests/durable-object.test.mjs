// The Durable Object provider in workerd against real local SQLite-backed Durable Objects: RPC
// calls per request, alarm expiry, logout, concurrency, the per-user index, faults.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { client, sessionCookie, startWorker } from './helpers/workerd.mjs'

let mf, fetch
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/do-app.js', {
    d1: [],
    durableObjects: {
      SESSIONS_DO: { className: 'TestSessionObject', useSQLite: true },
      NO_SQLITE: { className: 'LegacyStorageObject' },
    },
  }))
})
after(() => mf?.dispose())

const calls = (res) => JSON.parse(res.headers.get('x-do'))
const json = (res) => res.json()
const idOf = (c) => c.cookie.split('=')[1]
// The object of a session is named by its storage key: the SHA-256 of its id, never the id.
const keyOf = (id) => createHash('sha256').update(id).digest('base64url')
const peek = async (name) => json(await fetch(`/peek?name=${encodeURIComponent(name)}`))
const api = async (method, args = [], init = {}) => json(await fetch('/api', { method: 'POST', body: JSON.stringify({ method, args, init }) }))
const users = { userKey: 'userId' }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const CLEAR = '__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'
const WRITES = ['patch', 'swap'] // a change is one of these (swap when the middleware offers it)

/** Poll until `check()` is true (alarms fire on their own schedule); fails after `ms`. */
async function eventually(check, ms = 15000) {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) assert.fail('the condition did not become true')
    await sleep(200)
  }
}

describe('Durable Objects: RPC calls per request', () => {
  it('anonymous 0; login 1; unchanged 1; changed 1 read + 1 write; logout 1 read + 1 destroy', async () => {
    const anon = await fetch('/default/session')
    assert.deepEqual(calls(anon), { calls: 0, methods: [] })
    assert.deepEqual(anon.headers.getSetCookie(), [])

    const c = client(fetch)
    const login = await c.fetch('/default/set?k=user&v="ann"')
    assert.deepEqual(calls(login), { calls: 1, methods: ['create'] })
    assert.match(sessionCookie(login), /^__Host-sid=[A-Za-z0-9_-]{43}$/)

    const read = await c.fetch('/default/session')
    assert.deepEqual(await json(read), { session: { user: 'ann' } })
    assert.deepEqual(calls(read), { calls: 1, methods: ['read'] })
    assert.deepEqual(read.headers.getSetCookie(), [])

    const change = await c.fetch('/default/count')
    const { methods } = calls(change)
    assert.equal(methods.length, 2, methods.join())
    assert.equal(methods[0], 'read')
    assert.ok(WRITES.includes(methods[1]), methods[1])
    assert.deepEqual((await c.fetch('/default/session').then(json)).session, { user: 'ann', visits: 1 })

    const id = idOf(c)
    const logout = await c.fetch('/default/logout')
    assert.deepEqual(calls(logout), { calls: 2, methods: ['read', 'destroy'] })
    assert.deepEqual(logout.headers.getSetCookie(), [CLEAR])
    assert.deepEqual(await peek(keyOf(id)), { storage: {}, alarm: null })
  })

  it('a malformed or forged cookie costs no call at all', async () => {
    for (const cookie of ['__Host-sid=nope', `__Host-sid=${'A'.repeat(42)}!`, `__Host-sid=${'x'.repeat(5000)}`]) {
      const res = await fetch('/default/session', { headers: { Cookie: cookie } })
      assert.deepEqual(calls(res), { calls: 0, methods: [] }, cookie.slice(0, 60))
    }
  })

  it('a well-formed unknown id costs 1 read and is not adopted', async () => {
    const res = await fetch('/default/set?k=a', { headers: { Cookie: `__Host-sid=${'A'.repeat(43)}` } })
    assert.deepEqual(calls(res).methods, ['read', 'create'])
    assert.notEqual(sessionCookie(res), `__Host-sid=${'A'.repeat(43)}`)
    assert.deepEqual(await peek(keyOf('A'.repeat(43))), { storage: {}, alarm: null })
  })
})

describe('Durable Objects: the middleware end to end', () => {
  it('a value set to null replaces the document; a session emptied of all keys deletes its object', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=x&v=1')
    await c.fetch('/default/set?k=n&v={"a":[1,2]}')
    await c.fetch('/default/set?k=x&v=null')
    const key = keyOf(idOf(c))
    assert.equal((await peek(key)).storage.s.data, '{"x":null,"n":{"a":[1,2]}}')
    await c.fetch('/default/del?k=x')
    const res = await c.fetch('/default/del?k=n')
    assert.deepEqual(calls(res).methods, ['read', 'destroy'])
    assert.deepEqual(res.headers.getSetCookie(), [CLEAR])
    assert.deepEqual(await peek(key), { storage: {}, alarm: null })
  })

  it('the object stores the record under the hashed key, with its alarm at the expiry', async () => {
    const c = client(fetch)
    const t = Date.now()
    await c.fetch('/default/set?k=a&v=1')
    const id = idOf(c)
    const { storage, alarm } = await peek(keyOf(id))
    assert.equal(storage.s.key, keyOf(id))
    assert.ok(!JSON.stringify(storage).includes(id), 'the raw id is stored nowhere')
    assert.ok(storage.s.expiry >= t + 2592000e3 && storage.s.expiry <= Date.now() + 2592000e3)
    assert.equal(alarm, storage.s.expiry)
    // A new record is active from the time it is created (here, the same request).
    assert.ok(storage.s.active >= storage.s.created && storage.s.active <= Date.now())
  })

  it('a rolling refresh is one touch: later expiry, alarm moved, a fresh cookie', async () => {
    const c = client(fetch)
    await c.fetch('/rolling/set?k=a')
    const key = keyOf(idOf(c))
    const first = await peek(key)
    await sleep(1100) // a tenth of maxAge (10 s)
    const res = await c.fetch('/rolling/session')
    assert.deepEqual(calls(res).methods, ['read', 'touch'])
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=[^;]+; Max-Age=10;/)
    const later = await peek(key)
    assert.ok(later.storage.s.expiry >= first.storage.s.expiry + 1000)
    assert.equal(later.alarm, later.storage.s.expiry)
    assert.ok(later.storage.s.active > first.storage.s.active)
  })

  it('a 1 MiB session (the default maxSize) is stored and read back', async () => {
    const c = client(fetch)
    const big = 'x'.repeat(1024 * 1024 - 20)
    await c.fetch('/default/set?k=b')
    // A URL cannot carry 1 MiB: store it through the provider, as the middleware would.
    const key = keyOf(idOf(c))
    assert.deepEqual(await api('replace', [key, JSON.stringify({ big }), null]), { result: true, counts: { calls: 1, methods: ['replace'] } })
    const read = await c.fetch('/default/session')
    assert.equal((await json(read)).session.big.length, big.length)
  })
})

describe('Durable Objects: expiry by alarm', () => {
  it('an abandoned session deletes itself at its expiry (storage and alarm gone), index entry too', async () => {
    const c = client(fetch)
    await c.fetch('/short/login?user=exp-user') // maxAge 2 s
    const key = keyOf(idOf(c))
    const before = await peek(key)
    assert.equal(before.storage.s.index, 'user:userId:exp-user')
    assert.equal(before.alarm, before.storage.s.expiry)
    assert.ok((await peek('user:userId:exp-user')).storage[`e:${key}`])
    // Nobody asks for it again: the alarm alone removes it.
    await eventually(async () => JSON.stringify(await peek(key)) === '{"storage":{},"alarm":null}')
    await eventually(async () => JSON.stringify(await peek('user:userId:exp-user')) === '{"storage":{},"alarm":null}')
  })

  it('a record read after its expiry (before its alarm) reads as none, in one call; the alarm deletes it', async () => {
    const key = keyOf(`expired-read-${Date.now()}`)
    const expiry = Date.now() + 1500
    await api('create', [key, '{"a":1}', expiry, Date.now()])
    const late = await api('get', [key, expiry + 1])
    assert.deepEqual(late, { result: null, counts: { calls: 1, methods: ['read'] } })
    assert.equal((await api('get', [key, 0])).result.data, '{"a":1}')
    await eventually(async () => JSON.stringify(await peek(key)) === '{"storage":{},"alarm":null}')
  })
})

describe('Durable Objects: logout and concurrency', () => {
  it('a logout is seen at once by the next request replaying the cookie', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const cookie = c.cookie
    await c.fetch('/default/logout')
    const replay = await fetch('/default/session', { headers: { Cookie: cookie } })
    assert.deepEqual(await json(replay), { session: {} })
    assert.deepEqual(calls(replay).methods, ['read'])
    assert.deepEqual(replay.headers.getSetCookie(), [CLEAR])
  })

  it('a change that finishes after a logout does not revive the session', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const headers = { Cookie: c.cookie }
    const slow = fetch('/default/set?k=late&wait=600', { headers })
    await sleep(150)
    await fetch('/default/logout', { headers })
    const res = await slow
    assert.ok(!sessionCookie(res)?.slice('__Host-sid='.length), 'no cookie carrying an id')
    assert.deepEqual(await peek(keyOf(idOf(c))), { storage: {}, alarm: null })
  })

  it('concurrent changes to different keys of one session are all kept', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=base&v=0')
    const headers = { Cookie: c.cookie }
    await Promise.all([fetch('/default/set?k=a&v=1', { headers }), fetch('/default/set?k=b&v=2&wait=300', { headers })])
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`)
    await Promise.all(keys.map((k, i) => fetch(`/default/set?k=${k}&v=${i}&wait=${(i % 4) * 50}`, { headers })))
    const { session } = await json(await c.fetch('/default/session'))
    assert.deepEqual(session, { base: 0, a: 1, b: 2, ...Object.fromEntries(keys.map((k, i) => [k, i])) })
  })

  it('two concurrent logouts: exactly one destroy reports removing the session', async () => {
    const key = keyOf(`double-logout-${Date.now()}`)
    await api('create', [key, '{"a":1}', Date.now() + 60_000, Date.now()])
    const results = await Promise.all([api('destroy', [key]), api('destroy', [key])])
    assert.deepEqual(results.map((r) => r.result).sort(), [false, true])
  })
})

describe('Durable Objects: record methods on the object', () => {
  const fresh = () => keyOf(`rec-${Math.random()}`)

  it('create refuses a key it holds; patch, replace, touch and swap say false when gone', async () => {
    const key = fresh()
    const t = Date.now()
    await api('create', [key, '{"a":1}', t + 60_000, t])
    assert.match((await api('create', [key, '{}', t + 60_000, t])).error, /^itty-session: Durable Object namespace "SESSIONS_DO" failed to create a session: .*collision/)
    const { active, ...record } = (await api('get', [key, t])).result
    assert.deepEqual(record, { data: '{"a":1}', expiry: t + 60_000, created: t })
    assert.ok(active >= t && active <= Date.now(), 'active: the time of the create')
    assert.equal((await api('patch', [key, '{"b":{"c":2},"a":null}', null])).result, true)
    assert.equal((await api('get', [key, t])).result.data, '{"b":{"c":2}}')
    assert.equal((await api('swap', [key, '{"stale":1}', '{"x":1}', null])).result, false)
    assert.equal((await api('swap', [key, '{"b":{"c":2}}', '{"x":1}', t + 90_000])).result, true)
    const swapped = (await api('get', [key, t])).result
    assert.deepEqual({ ...swapped, active: undefined }, { data: '{"x":1}', expiry: t + 90_000, created: t, active: undefined })
    assert.ok(swapped.active >= t, 'a write with an expiry sets active')
    assert.equal((await api('touch', [key, t + 120_000])).result, true)
    assert.equal((await peek(key)).alarm, t + 120_000)
    assert.equal((await api('destroy', [key])).result, true)
    for (const [m, args] of [
      ['patch', [key, '{"a":1}', null]],
      ['replace', [key, '{}', null]],
      ['touch', [key, t + 1]],
      ['swap', [key, '{"x":1}', '{}', null]],
      ['destroy', [key]],
    ]) assert.equal((await api(m, args)).result, false, m)
    assert.equal((await api('get', [key, t])).result, null)
  })

  it("a merge patch keeps a member named __proto__ as data", async () => {
    const key = fresh()
    await api('create', [key, '{}', Date.now() + 60_000, Date.now()])
    await api('patch', [key, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}', null])
    assert.equal((await api('get', [key, 0])).result.data, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}')
  })

  it('the 0.4 methods work on it', async () => {
    const sid = (await api('createSession')).result
    assert.match(sid, /^[A-Za-z0-9_-]{43}$/)
    await api('setSession', [sid, { user: 'ann' }, Date.now() + 60_000])
    assert.equal((await api('getSession', [sid])).result.data, '{"user":"ann"}')
    await api('destroySession', [sid])
    assert.equal((await api('getSession', [sid])).result, null)
  })
})

describe('Durable Objects: the per-user index', () => {
  const login = async (user, router = 'users') => {
    const c = client(fetch)
    await c.fetch(`/${router}/login?user=${encodeURIComponent(user)}`)
    return c
  }
  const list = async (user) => (await api('listUser', [user], users)).result
  const keysOf = (entries) => entries.map((e) => e.key).sort()

  it('login lists the session under its user in the same call; logout removes it', async () => {
    const c = client(fetch)
    const res = await c.fetch('/users/login?user=ix-ann')
    // One call from the Worker: the session object tells the index itself.
    assert.deepEqual(calls(res), { calls: 1, methods: ['create'] })
    const key = keyOf(idOf(c))
    const [entry] = await list('ix-ann')
    assert.equal(entry.key, key)
    const { s } = (await peek(key)).storage
    assert.deepEqual(entry, { key, created: s.created, active: s.active, expiry: s.expiry, meta: s.meta })
    assert.deepEqual(JSON.parse(s.meta), { ua: 'Unknown device', country: 'US' }) // deviceDetails, stored at create
    const out = await c.fetch('/users/logout')
    assert.deepEqual(calls(out).methods, ['read', 'destroy'])
    assert.deepEqual(await list('ix-ann'), [])
    assert.deepEqual(await peek('user:userId:ix-ann'), { storage: {}, alarm: null })
  })

  it('the session object makes the index calls itself, only when the index must change', async () => {
    const outbound = async (key) => {
      const ns = await mf.getDurableObjectNamespace('SESSIONS_DO')
      return (await ns.get(ns.idFromName(key)).outbound()).methods
    }
    const c = client(fetch)
    await c.fetch('/rolling/login?user=ix-calls')
    const key = keyOf(idOf(c))
    assert.deepEqual(await outbound(key), ['indexPut'])
    await c.fetch('/rolling/session') // unchanged
    await c.fetch('/rolling/count') // changed, same user
    assert.deepEqual(await outbound(key), ['indexPut'])
    await sleep(1100) // a tenth of maxAge (10 s): the next request refreshes the expiry
    await c.fetch('/rolling/session')
    assert.deepEqual(await outbound(key), ['indexPut', 'indexPut'])
    await c.fetch('/rolling/set?k=userId&v="ix-calls-2"')
    assert.deepEqual(await outbound(key), ['indexPut', 'indexPut', 'indexDrop', 'indexPut'])
    await c.fetch('/rolling/logout')
    assert.deepEqual(await outbound(key), ['indexPut', 'indexPut', 'indexDrop', 'indexPut', 'indexDrop'])
    // An anonymous session never calls an index.
    const anon = client(fetch)
    await anon.fetch('/rolling/set?k=a')
    const anonKey = keyOf(idOf(anon))
    await anon.fetch('/rolling/logout')
    assert.deepEqual(await outbound(anonKey), [])
  })

  it('a user change moves the session to the new user; removing the user field unlists it', async () => {
    const c = await login('ix-from')
    const key = keyOf(idOf(c))
    const res = await c.fetch('/users/set?k=userId&v="ix-to"')
    assert.equal(calls(res).calls, 2)
    assert.deepEqual(await list('ix-from'), [])
    assert.deepEqual(keysOf(await list('ix-to')), [key])
    // Its only key removed, the session is deleted, and unlisted.
    await c.fetch('/users/del?k=userId')
    assert.deepEqual(await list('ix-to'), [])
    assert.deepEqual(await peek(key), { storage: {}, alarm: null })
  })

  it('a session keeping other data when its user is removed stays, unlisted', async () => {
    const c = await login('ix-keep')
    const key = keyOf(idOf(c))
    await c.fetch('/users/set?k=cart&v=[1]')
    await c.fetch('/users/del?k=userId')
    assert.deepEqual(await list('ix-keep'), [])
    assert.equal((await peek(key)).storage.s.data, '{"cart":[1]}')
    assert.equal((await peek(key)).storage.i, undefined)
  })

  it('a refresh updates active and expiry in the index', async () => {
    const c = await login('ix-roll', 'rolling')
    const [first] = await list('ix-roll')
    await sleep(1100)
    await c.fetch('/rolling/session')
    const [later] = await list('ix-roll')
    assert.ok(later.expiry > first.expiry && later.active > first.active)
  })

  it('numbers and strings name the same user; non-scalar values are anonymous', async () => {
    const a = keyOf(`num-${Math.random()}`)
    const b = keyOf(`num-${Math.random()}`)
    const t = Date.now()
    await api('create', [a, '{"userId":4242}', t + 60_000, t], users)
    await api('create', [b, '{"userId":"4242"}', t + 60_000, t], users)
    assert.deepEqual(keysOf((await api('listUser', ['4242'], users)).result), [a, b].sort())
    assert.deepEqual(keysOf((await api('listUser', [4242], users)).result), [a, b].sort())
    for (const v of ['{"userId":{"x":1}}', '{"userId":[1]}', '{"userId":true}', '{"userId":null}']) {
      const k = keyOf(v + Math.random())
      await api('create', [k, v, t + 60_000, t], users)
      assert.equal((await peek(k)).storage.s.index, null, v)
      assert.equal((await peek(k)).storage.i, undefined, v)
    }
  })

  it('meta given at create is listed as given', async () => {
    const k = keyOf(`meta-${Math.random()}`)
    const meta = '{"ua":"Firefox on Linux","country":"DE"}'
    await api('create', [k, '{"userId":"ix-meta"}', Date.now() + 60_000, Date.now(), meta], users)
    assert.equal((await list('ix-meta'))[0].meta, meta)
  })

  it('destroyUser ends all, all but one, or one by handle; never another user’s', async () => {
    const a = await Promise.all([login('ix-many'), login('ix-many'), login('ix-many'), login('ix-many')])
    const other = await login('ix-other')
    const keys = a.map((c) => keyOf(idOf(c)))
    assert.deepEqual(keysOf(await list('ix-many')), [...keys].sort())

    const byHandle = await api('destroyUser', ['ix-many', { handle: keys[0].slice(0, 16) }], users)
    assert.deepEqual(byHandle, { result: 1, counts: { calls: 1, methods: ['indexEnd'] } })
    assert.deepEqual(await json(await a[0].fetch('/users/session')), { session: {} })
    assert.equal((await api('destroyUser', ['ix-many', { handle: keys[1].slice(0, 15) }], users)).result, 0)

    assert.equal((await api('destroyUser', ['ix-many', { except: keys[1] }], users)).result, 2)
    assert.deepEqual(keysOf(await list('ix-many')), [keys[1]])
    assert.deepEqual((await json(await a[1].fetch('/users/session'))).session, { userId: 'ix-many' })
    for (const c of [a[2], a[3]]) assert.deepEqual(await json(await c.fetch('/users/session')), { session: {} })

    assert.equal((await api('destroyUser', ['ix-many'], users)).result, 1)
    assert.deepEqual(await list('ix-many'), [])
    assert.deepEqual((await json(await other.fetch('/users/session'))).session, { userId: 'ix-other' })
    assert.equal((await list('ix-other')).length, 1)
  })

  it('when the index cannot be reached, the change still succeeds and the alarm retries the index', async () => {
    const ns = await mf.getDurableObjectNamespace('SESSIONS_DO')
    const key = keyOf(`unreachable-${Math.random()}`)
    const object = ns.get(ns.idFromName(key))
    await object.failOutbound(true)
    const t = Date.now()
    const created = await api('create', [key, '{"userId":"ix-retry"}', t + 3_600_000, t], users)
    assert.deepEqual(created, { result: null, counts: { calls: 1, methods: ['create'] } })
    assert.deepEqual(await list('ix-retry'), [])
    const { storage, alarm } = await peek(key)
    assert.equal(storage.i, undefined, 'not recorded as indexed')
    assert.ok(alarm > t && alarm <= Date.now() + 10_000, `a retry soon, not at the expiry: ${alarm - t} ms`)
    assert.deepEqual((await object.outbound()).methods, ['indexPut'])
    await object.failOutbound(false)
    await eventually(async () => (await list('ix-retry')).length === 1, 25_000)
    assert.equal((await peek(key)).alarm, t + 3_600_000, 'the alarm is back at the expiry')
  })

  it('when session objects cannot be reached, destroyUser says so, keeps their entries, and a second call ends them', async () => {
    const a = await Promise.all([login('ix-unreach'), login('ix-unreach')])
    const ns = await mf.getDurableObjectNamespace('SESSIONS_DO')
    const index = ns.get(ns.idFromName('user:userId:ix-unreach'))
    await index.failOutbound(true)
    const failed = await api('destroyUser', ['ix-unreach'], users)
    assert.match(failed.error, /ended 0 of the user's sessions, but 2 could not be reached; call again to end them/)
    assert.equal((await list('ix-unreach')).length, 2)
    await index.failOutbound(false)
    assert.equal((await api('destroyUser', ['ix-unreach'], users)).result, 2)
    for (const c of a) assert.deepEqual(await json(await c.fetch('/users/session')), { session: {} })
  })

  it('a stale index entry never ends a session that now belongs to someone else', async () => {
    // The index of "ix-old" still lists a session (as if its update was lost), which is now "ix-new"'s.
    const key = keyOf(`stale-${Math.random()}`)
    const t = Date.now()
    await api('create', [key, '{"userId":"ix-new"}', t + 60_000, t], users)
    const ns = await mf.getDurableObjectNamespace('SESSIONS_DO')
    const stub = ns.get(ns.idFromName('user:userId:ix-old'))
    await stub.indexPut(key, { created: t, active: t, expiry: t + 60_000, meta: null })
    assert.equal((await list('ix-old')).length, 1)
    assert.equal((await api('destroyUser', ['ix-old'], users)).result, 0)
    assert.deepEqual(await list('ix-old'), [])
    assert.equal((await api('get', [key, t])).result.data, '{"userId":"ix-new"}')
  })

  it('indexes are per userKey: another field with the same value lists and ends nothing', async () => {
    const key = keyOf(`per-field-${Math.random()}`)
    const t = Date.now()
    await api('create', [key, '{"userId":"ix-field","username":"ix-field"}', t + 60_000, t], users)
    assert.equal((await api('listUser', ['ix-field'], users)).result.length, 1)
    const byName = { userKey: 'username' }
    assert.deepEqual((await api('listUser', ['ix-field'], byName)).result, [])
    assert.equal((await api('destroyUser', ['ix-field'], byName)).result, 0)
    assert.equal((await api('get', [key, t])).result.data, '{"userId":"ix-field","username":"ix-field"}')
  })

  it('a user named like a session key, or holding a colon, has its own index', async () => {
    const victim = await login('ix-victim')
    const key = keyOf(idOf(victim))
    for (const user of [key, `user:${key}`, 'a:b']) {
      const c = await login(user)
      assert.deepEqual(keysOf(await list(user)), [keyOf(idOf(c))])
      assert.equal((await api('destroyUser', [user], users)).result, 1)
    }
    assert.deepEqual((await json(await victim.fetch('/users/session'))).session, { userId: 'ix-victim' })
  })
})

describe("Durable Objects: a user's sessions through the middleware", () => {
  const device = (ua) => {
    const c = client((path, init) => fetch(path, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), 'User-Agent': ua } }))
    return { c, get: async (path) => json(await c.fetch(`/sessions${path}`)) }
  }
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

  it('devices page, end one, end the others, and an administrator ending every session', async () => {
    const [laptop, phone, tablet] = [device(FIREFOX), device('curl/8'), device('curl/8')]
    for (const d of [laptop, phone, tablet]) await d.get('/login?user=mw-ann')
    const other = device(FIREFOX)
    await other.get('/login?user=mw-bob')

    const { devices } = await laptop.get('/devices')
    assert.equal(devices.length, 3)
    assert.equal(devices.filter((d) => d.current).length, 1)
    assert.equal(devices.find((d) => d.current).device, 'Firefox on Linux')
    assert.ok(devices.every((d) => /^[A-Za-z0-9_-]{16}$/.test(d.handle)))

    const phoneHandle = keyOf(idOf(phone.c)).slice(0, 16)
    assert.deepEqual(await laptop.get(`/end?handle=${phoneHandle}`), { ended: true })
    assert.deepEqual((await phone.get('/session')).session, {})
    assert.equal((await laptop.get('/devices')).devices.length, 2)

    assert.deepEqual(await laptop.get('/others'), { ended: 1 })
    assert.deepEqual((await tablet.get('/session')).session, {})
    const after = (await laptop.get('/devices')).devices
    assert.equal(after.length, 1)
    assert.ok(after[0].current, 'endOthers regenerates this session, which stays listed')

    assert.equal((await laptop.get('/admin/list?user=mw-bob')).devices.length, 1)
    assert.deepEqual(await laptop.get('/admin/end?user=mw-ann'), { ended: 1 })
    assert.deepEqual((await laptop.get('/session')).session, {})
    assert.deepEqual((await other.get('/session')).session, { userId: 'mw-bob' })
  })
})

describe('Durable Objects: what you see when something fails', () => {
  it('a failing call fails the request with the namespace named', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=a')
    const res = await c.fetch('/default/session', { headers: { 'x-fail': '1' } })
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /^itty-session: Durable Object namespace "SESSIONS_DO" failed to read a session: Durable Object call failed: injected failure/)
  })

  it('a missing binding says what to add to wrangler.toml', async () => {
    const res = await fetch('/default/session', { headers: { 'x-no-binding': '1' } })
    assert.equal(res.status, 500)
    const { error } = await json(res)
    assert.match(error, /no Durable Object namespace is bound as "SESSIONS_DO"/)
    assert.match(error, /\[\[durable_objects\.bindings\]\]\nname = "SESSIONS_DO"\nclass_name = "SessionObject"/)
    assert.match(error, /new_sqlite_classes = \["SessionObject"\]/)
  })

  it('a class bound without SQLite storage fails naming new_sqlite_classes', async () => {
    const res = await fetch('/nosqlite/set?k=a')
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /new_sqlite_classes/)
  })

  it('bad options throw a TypeError naming them', async () => {
    for (const userKey of ['a b', 5, '']) {
      const r = await api('precheck', [], { userKey })
      assert.equal(r.name, 'TypeError')
      assert.match(r.error, /^itty-session: userKey must be a plain identifier/)
    }
    assert.match((await api('listUser', ['ann'])).error, /^itty-session: Durable Object namespace "SESSIONS_DO" was made without userKey/)
    assert.match((await api('get', ['user:ann', 0])).error, /cannot be a session key/)
  })

  it('a handle that is not 16 characters, or a user that names nobody, ends nothing and costs no call', async () => {
    for (const [user, opts] of [['x', { handle: '' }], ['x', { handle: 'abc' }], ['', {}], [1.5, {}], [true, {}]]) {
      assert.deepEqual(await api('destroyUser', [user, opts], users), { result: 0, counts: { calls: 0, methods: [] } })
    }
    assert.deepEqual(await api('listUser', [''], users), { result: [], counts: { calls: 0, methods: [] } })
  })
})
