// RedisProvider against real throwaway redis-servers: storage layout and TTLs, values Lua's cjson would break, compare-and-swap under contention, bad input, commands per request, an outage.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import RedisProvider from 'itty-session/providers/redis'
import { createApp, start } from '../examples/node/server.js'
import { freePort, hasRedis, startRedis } from './helpers/redis.mjs'

const skip = hasRedis() ? false : 'redis-server is not installed: scripts/setup.sh installs it (as root), or apt-get install redis-server'
const DAY = 86400e3
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const newKey = () => randomBytes(32).toString('base64url')

/** A client of `kind` for `url`, not connected (the provider connects it). */
const makeClient = (kind, url, options = {}) =>
  kind === 'ioredis' ? new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, ...options }) : createClient({ url, ...options })
const closeClient = (c) => (typeof c.disconnect === 'function' && typeof c.status === 'string' ? c.disconnect() : c.destroy())

/** `client` with every command it sends pushed onto `sent` (the real client does the work). */
function counted(client) {
  const sent = []
  const proxy = new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target)
      if (prop === 'sendCommand') return (args, ...rest) => (sent.push(String(args[0]).toUpperCase()), value.call(target, args, ...rest))
      if (prop === 'call') return (...args) => (sent.push(String(args[0]).toUpperCase()), value.apply(target, args))
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { client: proxy, sent }
}

/** A browser-ish client for the example app: keeps the session cookie (whatever its name), no redirects. */
function browser(base) {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    set cookie(c) {
      cookie = c
    },
    async fetch(path, init = {}) {
      const headers = new Headers(init.headers)
      if (cookie) headers.set('cookie', cookie)
      const res = await fetch(base + path, { ...init, headers, redirect: 'manual' })
      for (const c of res.headers.getSetCookie()) {
        if (/^(__Host-)?sid=/.test(c)) cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      }
      return res
    },
  }
}
const login = (b, username = 'ann') => b.fetch('/login', { method: 'POST', body: new URLSearchParams({ username, password: 'test' }) })

for (const kind of ['node-redis', 'ioredis']) {
  describe(`RedisProvider with ${kind}`, { skip }, () => {
    let server, client, raw, provider
    const cmd = (...args) => raw.sendCommand(args.map(String))
    before(async () => {
      server = await startRedis()
      client = makeClient(kind, server.url)
      provider = new RedisProvider({ client, userKey: 'userId' })
      await provider.precheck()
      raw = await createClient({ url: server.url }).connect()
    })
    after(async () => {
      if (client) closeClient(client)
      raw?.destroy()
      await server?.close()
    })

    it('stores a session as one hash that Redis expires at the session expiry; expiry is also checked on read', async () => {
      const key = newKey()
      const now = Date.now()
      const expiry = now + DAY
      await provider.create(key, '{"userId":"ann","n":1}', expiry, now - 10, '{"ua":"Firefox on Linux"}')
      const { a, ...hash } = await raw.hGetAll(`sess:${key}`)
      assert.deepEqual(hash, { d: '{"userId":"ann","n":1}', e: String(expiry), c: String(now - 10), m: '{"ua":"Firefox on Linux"}', u: 'sess:user:userId:ann' })
      // Active from the time of the create (not the creation time a regenerated session keeps).
      assert.ok(Number(a) >= now && Number(a) <= Date.now(), `active ${a}`)
      assert.equal(await cmd('PEXPIRETIME', `sess:${key}`), expiry)
      assert.deepEqual(await provider.get(key, expiry - 1), { data: '{"userId":"ann","n":1}', expiry, created: now - 10, active: Number(a) })
      // Past the expiry by the app's clock, before Redis' own: not returned.
      assert.equal(await provider.get(key, expiry), null)
      assert.ok(await provider.get(key, 0))
    })

    it('touch, and swap, patch and replace with an expiry, move the key expiry; with null they keep it', async () => {
      const key = newKey()
      const expiry = Date.now() + DAY
      await provider.create(key, '{"a":1}', expiry, Date.now(), null)
      const ttl = () => cmd('PEXPIRETIME', `sess:${key}`)
      assert.equal(await provider.patch(key, '{"b":2}', null), true)
      assert.equal(await ttl(), expiry)
      assert.equal(await provider.touch(key, expiry + 1000), true)
      assert.equal(await ttl(), expiry + 1000)
      assert.equal(await provider.swap(key, '{"a":1,"b":2}', '{"a":2}', expiry + 2000), true)
      assert.equal(await ttl(), expiry + 2000)
      assert.equal(await provider.replace(key, '{"a":3}', expiry + 3000), true)
      assert.equal(await ttl(), expiry + 3000)
      assert.equal(await provider.patch(key, '{"c":1}', expiry + 4000), true)
      assert.equal(await ttl(), expiry + 4000)
      assert.equal((await provider.get(key, Date.now())).expiry, expiry + 4000)
    })

    it('Redis deletes an expired session by itself; its user index entry goes with the next listing', async () => {
      const key = newKey()
      const user = `u-${randomBytes(4).toString('hex')}`
      await provider.create(key, JSON.stringify({ userId: user }), Date.now() + 1500, Date.now(), null)
      assert.equal(await cmd('EXISTS', `sess:${key}`), 1)
      assert.equal(await cmd('ZCARD', `sess:user:userId:${user}`), 1)
      await sleep(1700)
      assert.equal(await cmd('EXISTS', `sess:${key}`), 0)
      assert.deepEqual(await provider.listUser(user, Date.now()), [])
      assert.equal(await cmd('EXISTS', `sess:user:userId:${user}`), 0)
    })

    it("keeps a user's index as a sorted set scored by expiry, expiring with the user's last session", async () => {
      const user = `u-${randomBytes(4).toString('hex')}`
      const [k1, k2] = [newKey(), newKey()]
      const e1 = Date.now() + DAY
      await provider.create(k1, JSON.stringify({ userId: user }), e1, Date.now(), null)
      await provider.create(k2, JSON.stringify({ userId: user }), e1 + 5000, Date.now(), null)
      assert.deepEqual(await cmd('ZRANGE', `sess:user:userId:${user}`, 0, -1), [k1, k2])
      assert.equal(Number(await cmd('ZSCORE', `sess:user:userId:${user}`, k1)), e1)
      assert.equal(Number(await cmd('ZSCORE', `sess:user:userId:${user}`, k2)), e1 + 5000)
      assert.equal(await cmd('PEXPIRETIME', `sess:user:userId:${user}`), e1 + 5000)
      assert.equal(await provider.touch(k1, e1 + 9000), true)
      assert.equal(Number(await cmd('ZSCORE', `sess:user:userId:${user}`, k1)), e1 + 9000)
      assert.equal(await cmd('PEXPIRETIME', `sess:user:userId:${user}`), e1 + 9000)
      assert.equal(await provider.destroyUser(user), 2)
      assert.equal(await cmd('EXISTS', `sess:user:userId:${user}`), 0)
    })

    it("values Lua's cjson would change survive patches exactly: 2^53-1, 0.1+0.2, 1e-7, empty arrays, unicode, NUL", async () => {
      const value = { big: 2 ** 53 - 1, sum: 0.1 + 0.2, tiny: 1e-7, neg: -0, empty: [], nested: { e: [], o: {}, deep: [[], [{}]] }, s: 'é ✓ 😀 \u2028 \u0000 "q" \\' }
      const key = newKey()
      const text = JSON.stringify(value)
      await provider.create(key, text, Date.now() + DAY, Date.now(), null)
      assert.equal(await provider.patch(key, '{"added":1}', null), true)
      const got = (await provider.get(key, Date.now())).data
      assert.equal(got, JSON.stringify({ ...value, added: 1 }))
      assert.equal(got.slice(0, text.length - 1), text.slice(0, -1)) // byte for byte, then the new key
      assert.equal(await provider.patch(key, '{"nested":{"e":[1]}}', null), true)
      assert.deepEqual(JSON.parse((await provider.get(key, Date.now())).data).nested, { e: [1], o: {}, deep: [[], [{}]] })
    })

    it('50 concurrent patches of one session, each changing its own key, all persist (two connections)', async (t) => {
      const key = newKey()
      await provider.create(key, '{"base":0}', Date.now() + DAY, Date.now(), null)
      const other = counted(makeClient(kind, server.url))
      const second = new RedisProvider({ client: other.client, userKey: 'userId' })
      await second.precheck()
      try {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? second : provider).patch(key, JSON.stringify({ [`k${i}`]: i }), null)))
        assert.ok(results.every((r) => r === true))
        const got = JSON.parse((await provider.get(key, Date.now())).data)
        assert.deepEqual(got, Object.fromEntries([['base', 0], ...Array.from({ length: 50 }, (_, i) => [`k${i}`, i])]))
        const swaps = other.sent.filter((c) => c.startsWith('EVAL')).length
        t.diagnostic(`the 25 patches on the second connection took ${swaps} compare-and-swap attempts`)
      } finally {
        closeClient(other.client)
      }
    })

    it('a lost swap hands what Redis answered to the patch that follows: no extra read', async () => {
      const { client: c, sent } = counted(makeClient(kind, server.url))
      const p = new RedisProvider({ client: c })
      try {
        await p.precheck()
        const key = newKey()
        await p.create(key, '{"a":1}', Date.now() + DAY, Date.now(), null)
        assert.equal(await p.patch(key, '{"other":2}', null), true) // another request's change
        sent.length = 0
        assert.equal(await p.swap(key, '{"a":1}', '{"a":1,"mine":3}', null), false)
        assert.equal(await p.patch(key, '{"mine":3}', null), true)
        assert.deepEqual(sent, ['EVALSHA', 'EVALSHA'])
        assert.deepEqual(JSON.parse((await p.get(key, Date.now())).data), { a: 1, other: 2, mine: 3 })
        // A stale hint costs one more swap, never a wrong write.
        assert.equal(await p.swap(key, '{"a":1}', '{}', null), false)
        assert.equal(await p.replace(key, '{"z":0}', null), true)
        sent.length = 0
        assert.equal(await p.patch(key, '{"y":1}', null), true)
        assert.deepEqual(sent, ['EVALSHA', 'EVALSHA'])
        assert.deepEqual(JSON.parse((await p.get(key, Date.now())).data), { z: 0, y: 1 })
      } finally {
        closeClient(c)
      }
    })

    it('a change racing a logout never revives the session', async () => {
      const key = newKey()
      await provider.create(key, '{"a":1}', Date.now() + DAY, Date.now(), null)
      const [patched, destroyed] = await Promise.all([provider.patch(key, '{"b":1}', Date.now() + DAY), provider.destroy(key)])
      assert.equal(destroyed, true)
      assert.equal(typeof patched, 'boolean')
      assert.equal(await cmd('EXISTS', `sess:${key}`), 0)
      const destroys = await Promise.all(Array.from({ length: 5 }, () => provider.destroy(key)))
      assert.deepEqual(destroys, [false, false, false, false, false])
    })

    it('hostile user ids (patterns, Lua syntax, newlines, another user index key) stay apart', async () => {
      const users = ['*', 'sess:*', "']] .. redis.call('FLUSHALL') .. [['", 'a\nb', 'x:user:y', 'x', '%s%n']
      const keys = []
      for (const u of users) {
        const k = newKey()
        keys.push(k)
        await provider.create(k, JSON.stringify({ userId: u }), Date.now() + DAY, Date.now(), null)
      }
      for (const [i, u] of users.entries()) assert.deepEqual((await provider.listUser(u, Date.now())).map((s) => s.key), [keys[i]])
      assert.equal(await provider.destroyUser('*'), 1)
      for (const [i, u] of users.entries()) assert.equal((await provider.listUser(u, Date.now())).length, i === 0 ? 0 : 1)
    })

    it('a changed userKey starts new indexes: sessions indexed under the old one are not listed as the new field\'s users', async () => {
      const key = newKey()
      await provider.create(key, '{"userId":"42","username":"bob"}', Date.now() + DAY, Date.now(), null)
      const byName = new RedisProvider({ client, userKey: 'username' })
      assert.deepEqual(await byName.listUser('42', Date.now()), [])
      assert.equal(await byName.destroyUser('42'), 0)
      assert.equal(await byName.touch(key, Date.now() + DAY), true) // a refresh keeps the session in its own index
      assert.deepEqual(await byName.listUser('42', Date.now()), [])
      assert.deepEqual((await provider.listUser('42', Date.now())).map((s) => s.key), [key])
      // Its next change under the new userKey moves it to the new field's index.
      assert.equal(await byName.patch(key, '{"n":1}', null), true)
      assert.deepEqual((await byName.listUser('bob', Date.now())).map((s) => s.key), [key])
      assert.deepEqual(await provider.listUser('42', Date.now()), [])
    })

    it('says where the sessions live, without the password', () => {
      assert.equal(provider.label, `Redis at 127.0.0.1:${server.port}, prefix "sess:"`)
    })
  })
}

describe('RedisProvider: bad input and failures', { skip }, () => {
  let server
  before(async () => (server = await startRedis({ password: 'right horse battery staple' })))
  after(() => server?.close())
  const clients = []
  after(() => clients.forEach(closeClient))
  const track = (c) => (clients.push(c), c)

  it('a prefix with spaces or control characters, or not a string, is refused naming the option', () => {
    const client = track(createClient({ url: server.url }))
    for (const prefix of ['my sess:', 'sess:\n', 'a\x00b', 'tab\t', 'é:', 'x'.repeat(101), 42, null]) {
      assert.throws(() => new RedisProvider({ client, prefix }), { name: 'TypeError', message: /^itty-session: providerOptions\.prefix must be at most 100 printable ASCII characters without spaces or control characters/ })
    }
    assert.ok(new RedisProvider({ client, prefix: 'myapp:{sess}:' }))
  })

  it('a missing or unknown client is refused, naming both clients', () => {
    for (const client of [undefined, null, 'redis://127.0.0.1:6379', {}, { get() {} }]) {
      assert.throws(() => new RedisProvider({ client }), { name: 'TypeError', message: /^itty-session: providerOptions\.client must be a Redis client: createClient\(\{ url \}\) from the "redis" package .* or new Redis\(url\) from "ioredis"/ })
    }
    assert.throws(() => new RedisProvider({ client: track(createClient({ url: server.url })), timeout: 0 }), /providerOptions\.timeout must be a whole number/)
    assert.throws(() => new RedisProvider({ client: track(createClient({ url: server.url })), userKey: 'user id' }), /userKey must be a plain identifier/)
  })

  it('an ioredis client with keyPrefix is refused, saying to use prefix', () => {
    const client = track(new Redis(server.url, { lazyConnect: true, keyPrefix: 'app:' }))
    assert.throws(() => new RedisProvider({ client }), { name: 'TypeError', message: /^itty-session: the ioredis client has keyPrefix "app:", .* put it in providerOptions\.prefix instead \(e\.g\. prefix: "app:sess:"\)/ })
  })

  it('a server that stops answering fails the request after `timeout` ms, and works again when it answers', async () => {
    const hung = await startRedis()
    const client = createClient({ url: hung.url })
    try {
      const provider = new RedisProvider({ client, timeout: 300 })
      await provider.precheck()
      const key = newKey()
      await provider.create(key, '{"a":1}', Date.now() + DAY, Date.now(), null)
      hung.signal('SIGSTOP')
      await assert.rejects(provider.get(key, Date.now()), { message: new RegExp(`^itty-session: Redis at 127\\.0\\.0\\.1:${hung.port}, prefix "sess:" failed to read a session: no answer within 300 ms`) })
      hung.signal('SIGCONT')
      assert.equal((await provider.get(key, Date.now())).data, '{"a":1}')
    } finally {
      hung.signal('SIGCONT')
      client.destroy()
      await hung.close()
    }
  })

  for (const kind of ['node-redis', 'ioredis']) {
    it(`${kind}: an unreachable server fails with an error naming Redis and what to check; the next call fails at once`, async () => {
      const port = await freePort() // nothing listens there
      const provider = new RedisProvider({ client: track(makeClient(kind, `redis://127.0.0.1:${port}`)) })
      await assert.rejects(provider.get(newKey(), Date.now()), { message: new RegExp(`^itty-session: could not connect to Redis at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.* \\(is redis-server running there and reachable\\?\\)`) })
      await assert.rejects(provider.get(newKey(), Date.now()), {
        message: new RegExp(`^itty-session: Redis at 127\\.0\\.0\\.1:${port}, prefix "sess:" could not read a session: the client is not connected \\(last error: .*ECONNREFUSED`),
      })
    })

    it(`${kind}: a wrong password fails naming the password, and never shows it`, async () => {
      const url = `redis://:wrong-secret@127.0.0.1:${server.port}`
      const provider = new RedisProvider({ client: track(makeClient(kind, url)) })
      const error = await provider.precheck().then(() => null, (e) => e)
      assert.match(error?.message ?? '', new RegExp(`^itty-session: could not connect to Redis at 127\\.0\\.0\\.1:${server.port}: WRONGPASS.*check the password`))
      assert.doesNotMatch(error.message, /wrong-secret/)
      await assert.rejects(provider.create(newKey(), '{}', Date.now() + DAY, Date.now(), null), { message: /^itty-session: Redis at .* could not create a session: the client is not connected \(last error: WRONGPASS.*check the password/ })
    })

    it(`${kind}: no password where one is required fails naming the password`, async () => {
      const provider = new RedisProvider({ client: track(makeClient(kind, `redis://127.0.0.1:${server.port}`)) })
      await assert.rejects(provider.get(newKey(), Date.now()), { message: new RegExp(`^itty-session: could not connect to Redis at 127\\.0\\.0\\.1:${server.port}: NOAUTH.*check the password`) })
    })

    it(`${kind}: a key of another type under the prefix fails loudly, and is left alone`, async () => {
      const client = track(makeClient(kind, server.url))
      const provider = new RedisProvider({ client })
      await provider.precheck()
      const key = newKey()
      const send = (args) => (kind === 'ioredis' ? client.call(...args) : client.sendCommand(args))
      await send(['SET', `sess:${key}`, 'not a hash'])
      await assert.rejects(provider.get(key, Date.now()), { message: /^itty-session: Redis at .* failed to read a session: WRONGTYPE/ })
      await assert.rejects(provider.patch(key, '{"a":1}', null), { message: /WRONGTYPE/ })
      assert.equal(await send(['GET', `sess:${key}`]), 'not a hash')
    })
  }
})

describe('the Node example on Redis (in this process): commands per request, an outage', { skip }, () => {
  let server, http, base, redis, sent
  before(async () => {
    server = await startRedis({ appendonly: true }) // sessions survive the restart below
    ;({ client: redis, sent } = counted(createClient({ url: server.url })))
    const app = createApp({ store: 'redis', providerOptions: { client: redis } })
    app.get('/test/set', (req) => {
      req.session[req.query.k] = JSON.parse(req.query.v)
      return { ok: true }
    })
    http = await start({ port: 0, app })
    base = `http://127.0.0.1:${http.address().port}`
  })
  after(async () => {
    http?.closeAllConnections()
    http?.close()
    redis?.destroy()
    await server?.close()
  })

  /** The commands `fn` made the app send to Redis. */
  async function during(fn) {
    sent.length = 0
    const res = await fn()
    await res.arrayBuffer()
    return { res, sent: [...sent] }
  }

  it('anonymous 0 commands, login 1 write, unchanged 1 read, changed 1 read + 1 write, logout 1 read + 1 delete', async (t) => {
    const warm = browser(base) // loads the scripts into Redis (EVALSHA, then EVAL once per script)
    await login(warm)
    await warm.fetch('/')
    await warm.fetch('/logout', { method: 'POST' })

    const anonymous = await during(() => fetch(`${base}/`))
    assert.deepEqual(anonymous.sent, [])
    const b = browser(base)
    const loggedIn = await during(() => login(b))
    assert.deepEqual(loggedIn.sent, ['EVALSHA'])
    const unchanged = await during(() => b.fetch('/me'))
    assert.deepEqual(unchanged.sent, ['HMGET'])
    const changed = await during(() => b.fetch('/'))
    assert.deepEqual(changed.sent, ['HMGET', 'EVALSHA']) // the read, then the swap from what it read
    const logout = await during(() => b.fetch('/logout', { method: 'POST' }))
    assert.deepEqual(logout.sent, ['HMGET', 'EVALSHA'])
    t.diagnostic(`commands: anonymous ${anonymous.sent.length}, login ${loggedIn.sent.join('+')}, unchanged ${unchanged.sent.join('+')}, changed ${changed.sent.join('+')}, logout ${logout.sent.join('+')}`)
  })

  it('Redis down: requests that need it fail with a 500 naming Redis, anonymous pages still work; back up: the same session works again', async () => {
    const b = browser(base)
    await login(b, 'outage')
    assert.equal((await (await b.fetch('/test/set?k=before&v=1')).json()).ok, true)
    await server.stop()
    const down = await b.fetch('/me')
    assert.equal(down.status, 500)
    // Once the client has seen the connection drop: "could not ... not connected"; a command
    // sent in the instant before: "failed to ...".
    assert.match(await down.text(), new RegExp(`itty-session: Redis at 127\\.0\\.0\\.1:${server.port}, prefix \\\\?"sess:\\\\?" (could not|failed to) read a session`))
    const anonymous = await fetch(`${base}/`)
    assert.equal(anonymous.status, 200)
    assert.match(await anonymous.text(), /You are not logged in/)
    const write = await fetch(`${base}/test/set?k=a&v=1`)
    assert.equal(write.status, 500)
    assert.match(await write.text(), /itty-session: Redis at .* (could not|failed to) create a session/)

    await server.start()
    let me
    for (let i = 0; i < 400; i++) {
      me = await b.fetch('/me')
      if (me.status === 200) break
      await me.arrayBuffer()
      await sleep(50)
    }
    assert.equal(me.status, 200, 'the app did not recover within 20 s of Redis coming back')
    assert.deepEqual(await me.json(), { loggedIn: true, username: 'outage' })
    assert.equal((await (await b.fetch('/test/set?k=after&v=2')).json()).ok, true)
    const { session } = { session: JSON.parse((await redis.hGet(`sess:${await keyOf(b)}`, 'd')) ?? 'null') }
    assert.equal(session.before, 1)
    assert.equal(session.after, 2)
  })

  /** The storage key of a browser's session: the SHA-256 of its id, base64url. */
  async function keyOf(b) {
    const id = b.cookie.split('=')[1].split('.')[0]
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id))
    return Buffer.from(digest).toString('base64url')
  }
})

describe("a user's sessions through the middleware on Redis (two middlewares, two clients, one server)", { skip }, () => {
  let server
  const clients = []
  before(async () => (server = await startRedis()))
  after(async () => {
    clients.forEach(closeClient)
    await server?.close()
  })

  /** A router like an app process would have, with its own client; `sent` collects its commands. */
  function appOn(kind) {
    const { client, sent } = counted(makeClient(kind, server.url))
    clients.push(client)
    const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware({
      Provider: RedisProvider,
      providerOptions: { client },
      options: { userKey: 'username', cookieOptions: { name: 'sid' } },
    })
    const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
      .get('/login', async (req) => {
        await req.session.regenerate({ authenticated: true })
        req.session.username = req.query.user
        return { ok: true }
      })
      .get('/me', (req) => ({ username: req.session.username ?? null }))
      .get('/devices', async (req) => ({ devices: await sessions.list(req) }))
      .get('/others', async (req) => ({ ended: await sessions.endOthers(req) }))
      .get('/admin/end', async (req, env) => ({ ended: await sessions.endUser(env, req.query.user) }))
    const env = {}
    return { sent, fetch: (path, cookie, ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0') => router.fetch(new Request(`http://x${path}`, { headers: { cookie: cookie ?? '', 'user-agent': ua } }), env) }
  }
  const cookieOf = (res) => res.headers.getSetCookie().find((c) => c.startsWith('sid='))?.split(';')[0]

  it('lists a user\'s devices from either app, ends the others, and an admin ends the rest', async () => {
    const a = appOn('node-redis')
    const b = appOn('ioredis')
    const laptop = cookieOf(await a.fetch('/login?user=ann'))
    const phone = cookieOf(await b.fetch('/login?user=ann', '', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1'))
    const bob = cookieOf(await a.fetch('/login?user=bob'))
    a.sent.length = 0
    await a.fetch('/devices', laptop)
    assert.deepEqual(a.sent, ['HMGET', 'EVALSHA', 'EVAL']) // a script's first run on this server: EVALSHA, then EVAL
    a.sent.length = 0
    const { devices } = await (await a.fetch('/devices', laptop)).json()
    assert.deepEqual(a.sent, ['HMGET', 'EVALSHA']) // the session, then the user's list
    assert.equal(devices.length, 2)
    assert.deepEqual(devices.map((d) => d.current).toSorted(), [false, true])
    assert.ok(devices.every((d) => typeof d.device === 'string' && d.handle.length === 16), JSON.stringify(devices))

    const others = await b.fetch('/others', phone)
    assert.deepEqual(await others.json(), { ended: 1 })
    const phoneNow = cookieOf(others) // endOthers gives this session a new id
    assert.deepEqual(await (await a.fetch('/me', laptop)).json(), { username: null })
    assert.deepEqual(await (await a.fetch('/me', phoneNow)).json(), { username: 'ann' })

    assert.deepEqual(await (await a.fetch('/admin/end?user=ann')).json(), { ended: 1 })
    assert.deepEqual(await (await b.fetch('/me', phoneNow)).json(), { username: null })
    assert.deepEqual(await (await b.fetch('/me', bob)).json(), { username: 'bob' })
  })
})

describe('RedisProvider types', () => {
  it('both clients type-check as providerOptions.client, and the class as the middleware\'s Provider (tsc, strict)', () => {
    const root = fileURLToPath(new URL('..', import.meta.url))
    // Inside the repo, so that 'itty-session' resolves to dist/ as it does for a user.
    const dir = mkdtempSync(join(root, 'tests/types/tmp-redis-'))
    try {
      // skipLibCheck: the clients' own declarations need @types/node, which this repo does not install.
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', lib: ['es2022', 'dom'], module: 'nodenext', moduleResolution: 'nodenext', types: [], strict: true, noEmit: true, skipLibCheck: true, exactOptionalPropertyTypes: true }, files: ['app.ts'] }))
      writeFileSync(
        join(dir, 'app.ts'),
        `import { createClient } from 'redis'
import { Redis } from 'ioredis'
import { createSessionsMiddleware } from 'itty-session'
import RedisProvider, { type RedisUserSession } from 'itty-session/providers/redis'
const nodeRedis = new RedisProvider({ client: createClient({ url: 'redis://127.0.0.1:6379' }) })
const ioredis = new RedisProvider({ client: new Redis({ lazyConnect: true }), prefix: 'app:sess:', timeout: 2000 })
createSessionsMiddleware({ Provider: RedisProvider, providerOptions: { client: createClient() }, options: { userKey: 'userId' } })
const removed: Promise<boolean> = nodeRedis.destroy('k')
const label: string = ioredis.label
const list: Promise<RedisUserSession[]> = ioredis.listUser('ann', Date.now())
// @ts-expect-error a prefix is a string
new RedisProvider({ client: createClient(), prefix: 1 })
// @ts-expect-error a URL is not a client
new RedisProvider({ client: 'redis://127.0.0.1:6379' })
export { removed, label, list }
`,
      )
      const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
      assert.equal(r.stdout + r.stderr, '')
      assert.equal(r.status, 0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
