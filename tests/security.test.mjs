// Session security (OWASP ASVS 5 V7, V3.3) in workerd with a real local D1.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createSessionsMiddleware } from 'itty-session'
import MemoryProvider from 'itty-session/providers/memory'
import { client, sessionCookie, startWorker } from './helpers/workerd.mjs'

let mf, fetch, db
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/secure-app.js', { bindings: { SESSION_SECRET: 'a Worker secret of 32 characters or more' } }))
  db = await mf.getD1Database('SESSIONS')
  await (await fetch('/plain/set?k=warm')).text() // the once-per-isolate table check
})
after(() => mf?.dispose())

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const d1 = (res) => {
  const { read, write } = JSON.parse(res.headers.get('x-d1'))
  return { read, write }
}
const hash = (id) => createHash('sha256').update(id).digest('base64url')
const value = (c) => c.cookie.split('=')[1]
const row = (id) => db.prepare('SELECT * FROM sessions WHERE sid = ?').bind(hash(id)).first()

describe('signed cookies', () => {
  it('carry the id and an HMAC tag; request.sessionID is the bare id', async () => {
    const c = client(fetch)
    await c.fetch('/signed/set?k=user&v=ann')
    const [id, tag] = value(c).split('.')
    assert.match(id, /^[A-Za-z0-9_-]{43}$/)
    assert.match(tag, /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(await (await c.fetch('/signed/id')).json(), { id })
    assert.deepEqual(await (await c.fetch('/signed/session')).json(), { session: { user: 'ann' } })
  })

  it('a tampered, missing or foreign tag is rejected before any D1 query', async () => {
    const c = client(fetch)
    await c.fetch('/signed/set?k=user&v=ann')
    const [id, tag] = value(c).split('.')
    const flipped = `${tag.slice(0, 10)}${tag[10] === 'A' ? 'B' : 'A'}${tag.slice(11)}`
    const plain = client(fetch)
    await plain.fetch('/plain/set?k=user&v=mallory')
    for (const bad of [`${id}.${flipped}`, id, `${id}.`, value(plain), `${value(plain)}.${tag}`]) {
      const res = await fetch('/signed/session', { headers: { Cookie: `__Host-sid=${bad}` } })
      assert.deepEqual(await res.json(), { session: {} }, bad)
      assert.deepEqual(d1(res), { read: 0, write: 0 }, bad)
    }
  })

  it('a cookie signed with a retired secret still works and is re-signed with the current one', async () => {
    const c = client(fetch)
    await c.fetch('/signed/set?k=user&v=ann') // signed with K1
    const old = c.cookie
    const res = await c.fetch('/rotated/session') // secrets [K2, K1]
    assert.deepEqual(await res.json(), { session: { user: 'ann' } })
    assert.notEqual(c.cookie, old)
    assert.equal(c.cookie.split('.')[0], old.split('.')[0], 'same id, new tag')
    const next = await c.fetch('/rotated/session')
    assert.deepEqual(next.headers.getSetCookie(), [], 're-signed once')
    // Once K1 is dropped from the list, cookies signed with it are dead.
    const dropped = await fetch('/retired/session', { headers: { Cookie: old } })
    assert.deepEqual(await dropped.json(), { session: {} })
    assert.deepEqual(d1(dropped), { read: 0, write: 0 })
  })
})

describe('signed cookies stay signed', () => {
  it('through a rolling refresh', async () => {
    const c = client(fetch)
    await c.fetch('/signedroll/set?k=user&v=ann')
    const first = c.cookie
    await sleep(1100) // a tenth of maxAge (10 s)
    const res = await c.fetch('/signedroll/session')
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Max-Age=10;/)
    assert.equal(c.cookie, first, 'same id, same tag')
  })

  it('a refresh that races a regenerate() sends no cookie that would undo the new one', async () => {
    const c = client(fetch)
    await c.fetch('/signedroll/set?k=user&v=ann')
    await sleep(1100) // a refresh is now due
    const headers = { Cookie: c.cookie }
    const [slow] = await Promise.all([fetch('/signedroll/wait?ms=300', { headers }), c.fetch('/signedroll/login')])
    assert.deepEqual(slow.headers.getSetCookie(), [])
    assert.deepEqual(await (await c.fetch('/signedroll/session')).json(), { session: { user: 'ann' } })
  })

  it('with the secret read from env (a Worker secret) on the first request', async () => {
    const c = client(fetch)
    await c.fetch('/envsecret/set?k=user&v=ann')
    assert.match(value(c), /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(await (await c.fetch('/envsecret/session')).json(), { session: { user: 'ann' } })
    const bare = await fetch('/envsecret/session', { headers: { Cookie: `__Host-sid=${value(c).split('.')[0]}` } })
    assert.deepEqual(await bare.json(), { session: {} })
  })
})

describe('a secret function that finds no secret', () => {
  it('fails every request with an error saying which secret to set', async () => {
    const res = await fetch('/nosecret/set?k=user&v=ann')
    assert.equal(res.status, 500)
    assert.match((await res.json()).error, /options\.secret is a function and it returned undefined .*wrangler secret put/)
    assert.deepEqual(res.headers.getSetCookie(), [])
  })
})

describe('timeouts, enforced on the server', () => {
  it('idle: activity keeps the session, idleness ends it and deletes the row', async () => {
    const c = client(fetch)
    await c.fetch('/idle/set?k=user&v=ann')
    const id = value(c)
    await sleep(1200)
    assert.deepEqual(await (await c.fetch('/idle/session')).json(), { session: { user: 'ann' } })
    await sleep(1200) // 2.4 s since login, 1.2 s since the last request
    assert.deepEqual(await (await c.fetch('/idle/session')).json(), { session: { user: 'ann' } })
    await sleep(2100)
    const res = await fetch('/idle/session', { headers: { Cookie: `__Host-sid=${id}` } })
    assert.deepEqual(await res.json(), { session: {} })
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=; Max-Age=0/)
    assert.equal(await row(id), null)
  })

  it('idle refreshes are throttled: most requests write nothing', async () => {
    const c = client(fetch)
    await c.fetch('/idle/set?k=user&v=ann')
    const writes = []
    for (let i = 0; i < 5; i++) writes.push(d1(await c.fetch('/idle/session')).write)
    assert.deepEqual(writes, [0, 0, 0, 0, 0])
  })

  it('absolute: the session ends at creation + absoluteTimeout, however active', async () => {
    const c = client(fetch)
    await c.fetch('/absolute/set?k=user&v=ann')
    const id = value(c)
    // Active every 0.7 s for 2.1 s (0.9 s inside the 3 s limit, so a slow machine passes too)...
    for (let i = 0; i < 3; i++) {
      await sleep(700)
      assert.deepEqual(await (await c.fetch('/absolute/session')).json(), { session: { user: 'ann' } })
    }
    // ...and ended once 3 s have passed since creation.
    await sleep(1000)
    const res = await fetch('/absolute/session', { headers: { Cookie: `__Host-sid=${id}` } })
    assert.deepEqual(await res.json(), { session: {} })
    assert.equal(await row(id), null)
  })
})

describe('regenerate()', () => {
  for (const mode of ['yes', 'no']) {
    it(`${mode === 'yes' ? 'awaited' : 'not awaited'}: new id, same data, old id dead`, async () => {
      const c = client(fetch)
      await c.fetch('/plain/set?k=cart&v=3')
      const old = value(c)
      const res = await c.fetch(`/plain/login?await=${mode}`)
      const body = await res.json()
      assert.equal(body.before, old)
      assert.notEqual(body.after, old)
      assert.equal(value(c), body.after)
      assert.equal(await row(old), null)
      assert.deepEqual(JSON.parse((await row(body.after)).data), { cart: '3', user: 'ann' })
      const replay = await fetch('/plain/session', { headers: { Cookie: `__Host-sid=${old}` } })
      assert.deepEqual(await replay.json(), { session: {} })
    })
  }

  it('a request that ran while the session was regenerated sends no cookie that would undo it', async () => {
    const c = client(fetch)
    await c.fetch('/plain/set?k=cart&v=3')
    const headers = { Cookie: c.cookie }
    const [slow] = await Promise.all([fetch('/plain/slow-set?k=x&wait=200', { headers }), c.fetch('/plain/login')])
    assert.deepEqual(slow.headers.getSetCookie(), [])
    assert.deepEqual(JSON.parse((await row(value(c))).data), { cart: '3', user: 'ann' })
  })
})

describe('ids hashed at rest', () => {
  it('D1 holds SHA-256(id), never the id: a copy of the table opens no session', async () => {
    const c = client(fetch)
    await c.fetch('/plain/set?k=user&v=ann')
    const id = value(c)
    const all = (await db.prepare('SELECT sid FROM sessions').all()).results.map((r) => r.sid)
    assert.ok(all.includes(hash(id)))
    assert.ok(!all.includes(id))
    // Presenting a stored key as a cookie finds nothing.
    const res = await fetch('/plain/session', { headers: { Cookie: `__Host-sid=${hash(id)}` } })
    assert.deepEqual(await res.json(), { session: {} })
  })
})

describe('bounded input', () => {
  it('a Cookie header padded up to what workerd accepts still carries the session; past that, workerd answers 431', async () => {
    const c = client(fetch)
    await c.fetch('/plain/set?k=user&v=ann')
    // Padding by another app on the domain logs nobody out (workerd takes 128 KiB of request head).
    const res = await fetch('/plain/session', { headers: { Cookie: `pad=${'x'.repeat(120 * 1024)}; ${c.cookie}` } })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { session: { user: 'ann' } })
    assert.deepEqual(d1(res), { read: 1, write: 0 })
    // Past it, the request never reaches the Worker (the reader's own cap, 1 MiB, is tested in
    // tests/session-cookie.test.mjs).
    const over = await fetch('/plain/session', { headers: { Cookie: `pad=${'x'.repeat(132 * 1024)}; ${c.cookie}` } })
    assert.equal(over.status, 431)
    assert.equal(over.headers.get('x-d1'), null)
  })

  it('a session over maxSize fails the request, naming the limit; the stored data stays', async () => {
    const c = client(fetch)
    await c.fetch('/small/set?k=user&v=ann')
    const res = await c.fetch('/small/big?n=2000')
    assert.equal(res.status, 500)
    assert.match((await res.json()).error, /larger than options\.maxSize \(1000 bytes/)
    assert.deepEqual(JSON.parse((await row(value(c))).data), { user: 'ann' })
    assert.equal((await c.fetch('/small/big?n=500')).status, 200)
  })
})

describe('cleanupExpired', () => {
  it('deletes expired rows in batches and leaves live rows and 0.4 rows alone', async () => {
    const past = Date.now() - 1000
    const insert = db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)')
    const expired = Array.from({ length: 5 }, (_, i) => hash(`expired-${i}-${Math.random()}`))
    const uuid = crypto.randomUUID()
    await db.batch([...expired.map((k) => insert.bind(k, '{}', past, past)), insert.bind(uuid, '{}', past, null)])
    const live = client(fetch)
    await live.fetch('/plain/set?k=user&v=ann')
    const res = await fetch('/cleanup?batch=2')
    assert.ok((await res.json()).deleted >= 5)
    const left = (await db.prepare('SELECT sid FROM sessions').all()).results.map((r) => r.sid)
    assert.ok(expired.every((k) => !left.includes(k)))
    assert.ok(left.includes(uuid))
    assert.ok(left.includes(hash(value(live))))
  })
})

describe('configuration mistakes fail at createSessionsMiddleware, saying what to change', () => {
  const make = (options) => () => createSessionsMiddleware({ Provider: MemoryProvider, options })
  it('cookie prefixes', () => {
    assert.throws(make({ cookieOptions: { name: '__Host-sid', domain: 'example.com' } }), /"__Host-" cookie needs secure: true, path: '\/' and no domain/)
    assert.throws(make({ cookieOptions: { name: '__Host-sid', path: '/app' } }), /"__Host-"/)
    assert.throws(make({ cookieOptions: { name: '__Host-sid', secure: false } }), /"__Host-"/)
    assert.throws(make({ cookieOptions: { name: '__Secure-sid', secure: false } }), /"__Secure-" cookie needs secure: true/)
    assert.doesNotThrow(make({ cookieOptions: { name: '__Host-sid' } }))
  })
  it('an option given as undefined keeps its secure default', async () => {
    const { AutoRouter } = await import('itty-router')
    const { sessionPreflight, sessionify } = createSessionsMiddleware({
      Provider: MemoryProvider,
      options: { cookieOptions: { secure: undefined, httpOnly: undefined, sameSite: undefined, maxAge: undefined } },
    })
    const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    router.get('/in', (r) => ((r.session.user = 'ann'), {}))
    const res = await router.fetch(new Request('http://x/in'))
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=[\w-]{43}; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
  })
  it('secrets, timeouts, sizes and unknown options', () => {
    assert.throws(make({ secret: 'short' }), /at least 32 characters/)
    assert.throws(make({ secret: [] }), /non-empty array/)
    assert.throws(make({ idleTimeout: 0 }), /options\.idleTimeout must be a whole number/)
    assert.throws(make({ absoluteTimeout: 1.5 }), /options\.absoluteTimeout/)
    assert.throws(make({ maxSize: 3e6 }), /options\.maxSize/)
    assert.throws(make({ secrets: ['x'] }), /unknown option options\.secrets/)
    assert.throws(make({ cookieOptions: { domain: 'a b' } }), /options\.cookieOptions is invalid: option domain is invalid/)
  })
})

describe('logging', () => {
  it('never prints a raw session id', async () => {
    const lines = []
    const orig = { log: console.log, warn: console.warn, error: console.error }
    for (const k of Object.keys(orig)) console[k] = (...a) => lines.push(a.map(String).join(' '))
    try {
      const { AutoRouter } = await import('itty-router')
      const store = new Map()
      const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider: MemoryProvider, providerOptions: { store }, logging: true })
      const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
      router.get('/in', (r) => ((r.session.user = 'ann'), {})).get('/out', async (r) => (await r.session.destroy(), {}))
      const res = await router.fetch(new Request('http://x/in'))
      const cookie = sessionCookie(res)
      await router.fetch(new Request('http://x/out', { headers: { cookie } }))
      await router.fetch(new Request('http://x/out', { headers: { cookie } })) // unknown now: logged
      const id = cookie.split('=')[1]
      assert.ok(lines.length >= 2, lines.join('\n'))
      assert.ok(lines.every((l) => !l.includes(id)), lines.join('\n'))
      assert.ok(lines.some((l) => l.includes(`#${hash(id).slice(0, 8)}`)), lines.join('\n'))
    } finally {
      Object.assign(console, orig)
    }
  })
})
