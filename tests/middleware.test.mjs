// The drop-in middleware in workerd against a real local D1: one or more tests per promise it makes.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { client, sessionCookie, startWorker } from './helpers/workerd.mjs'

let mf, fetch, db
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/app.js', { d1: ['SESSIONS', 'OTHER', 'LEGACY'] }))
  db = await mf.getD1Database('SESSIONS')
  // Warm up: the first statement that finds the table missing makes it.
  await (await fetch('/default/set?k=warm')).text()
})
after(() => mf?.dispose())

const d1 = (res) => {
  const { read, write, schema } = JSON.parse(res.headers.get('x-d1'))
  return { read, write, schema }
}
const json = (res) => res.json()
const rows = async (table = 'sessions', database = db) => (await database.prepare(`SELECT * FROM ${table}`).all()).results
// D1 holds the SHA-256 of our ids (base64url), and 0.4's UUIDs as they were.
const keyOf = (id) => (id.length === 36 ? id : createHash('sha256').update(id).digest('base64url'))
const row = async (id, database = db) => database.prepare('SELECT * FROM sessions WHERE sid = ?').bind(keyOf(id)).first()
const idOf = (c) => c.cookie.split('=')[1]

describe('1. lazy: an untouched session costs nothing', () => {
  it('a cookieless request makes no D1 query and sets no cookie', async () => {
    const before = (await rows()).length
    const res = await fetch('/default/session')
    assert.deepEqual(await json(res), { session: {} })
    assert.deepEqual(d1(res), { read: 0, write: 0, schema: 0 })
    assert.deepEqual(res.headers.getSetCookie(), [])
    assert.equal((await rows()).length, before)
  })

  it('reading request.sessionID alone still writes nothing', async () => {
    const res = await fetch('/default/id')
    const { id } = await json(res)
    assert.match(id, /^[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(d1(res), { read: 0, write: 0, schema: 0 })
    assert.equal(await row(id), null)
  })
})

describe('2. read once, write on change', () => {
  it('login is one write; an unchanged return is one read, no write, no Set-Cookie', async () => {
    const c = client(fetch)
    const login = await c.fetch('/default/set?k=user&v="ann"')
    assert.deepEqual(d1(login), { read: 0, write: 1, schema: 0 })
    assert.ok(c.cookie)
    for (let i = 0; i < 3; i++) {
      const res = await c.fetch('/default/session')
      assert.deepEqual(await json(res), { session: { user: 'ann' } })
      assert.deepEqual(d1(res), { read: 1, write: 0, schema: 0 })
      assert.deepEqual(res.headers.getSetCookie(), [])
    }
  })

  it('a change is one read and one write, of only what changed', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=a&v=1')
    const res = await c.fetch('/default/set?k=b&v={"x":[1,2]}')
    assert.deepEqual(d1(res), { read: 1, write: 1, schema: 0 })
    const { sql } = JSON.parse(res.headers.get('x-d1'))
    assert.match(sql.at(-1), /json_patch/)
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { a: 1, b: { x: [1, 2] } })
  })

  it('stored JSON spelled differently from JSON.stringify (spaces, escapes, key order) is no change', async () => {
    const id = 'ZZECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'
    const text = '{ "2": 0, "s" : "\\u00e9", "1": [1, {"b": 2, "a": 1}] }'
    await db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)').bind(keyOf(id), text, Date.now() + 2592000e3, Date.now()).run()
    const res = await fetch('/default/session', { headers: { Cookie: `__Host-sid=${id}` } })
    assert.deepEqual(await json(res), { session: { 1: [1, { b: 2, a: 1 }], 2: 0, s: 'é' } })
    assert.deepEqual(d1(res), { read: 1, write: 0, schema: 0 })
    assert.equal((await row(id)).data, text)
  })

  it('setting a key to the value it has is no change', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=a&v=1')
    const res = await c.fetch('/default/set?k=a&v=1')
    assert.deepEqual(d1(res), { read: 1, write: 0, schema: 0 })
  })

  it('the expiry rolls forward at most once per tenth of maxAge, with a fresh cookie', async () => {
    const c = client(fetch)
    await c.fetch('/rolling/set?k=a')
    const first = (await row(idOf(c))).expiry
    const soon = await c.fetch('/rolling/session')
    assert.deepEqual(d1(soon), { read: 1, write: 0, schema: 0 })
    await new Promise((r) => setTimeout(r, 1100)) // a tenth of maxAge (10 s) has passed
    const later = await c.fetch('/rolling/session')
    assert.deepEqual(d1(later), { read: 1, write: 1, schema: 0 })
    assert.match(later.headers.getSetCookie()[0], /^__Host-sid=[^;]+; Max-Age=10;/)
    assert.ok((await row(idOf(c))).expiry >= first + 1000)
    const again = await c.fetch('/rolling/session')
    assert.deepEqual(d1(again), { read: 1, write: 0, schema: 0 })
  })
})

describe('3. no lost updates', () => {
  it('two concurrent requests of one session changing different keys both persist', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=base&v=0')
    const headers = { Cookie: c.cookie }
    // Both load the session, then wait, then change their own key.
    const [a, b] = await Promise.all([
      fetch('/default/set?k=a&v=1&wait=150', { headers }),
      fetch('/default/set?k=b&v=2&wait=150', { headers }),
    ])
    assert.deepEqual(d1(a), { read: 1, write: 1, schema: 0 })
    assert.deepEqual(d1(b), { read: 1, write: 1, schema: 0 })
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { base: 0, a: 1, b: 2 })
  })

  it('a deleted key is deleted, concurrent additions kept', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=x&v=1')
    await c.fetch('/default/set?k=y&v=2')
    const headers = { Cookie: c.cookie }
    await Promise.all([fetch('/default/del?k=x', { headers }), fetch('/default/set?k=z&v=3&wait=50', { headers })])
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { y: 2, z: 3 })
  })

  it('a value set to null (which a merge patch cannot say) replaces the document', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=x&v=1')
    const res = await c.fetch('/default/set?k=x&v=null')
    assert.deepEqual(d1(res), { read: 1, write: 1, schema: 0 })
    assert.doesNotMatch(JSON.parse(res.headers.get('x-d1')).sql.at(-1), /json_patch/)
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { x: null })
  })
})

describe('4. Set-Cookie done right', () => {
  it("keeps the handler's own cookies, headers, status and body; one header per cookie", async () => {
    const res = await fetch('/default/own-cookie')
    assert.equal(res.status, 201)
    assert.equal(await res.text(), 'created')
    assert.equal(res.headers.get('x-custom'), 'kept')
    const cookies = res.headers.getSetCookie()
    assert.equal(cookies.length, 3)
    assert.equal(cookies[0], 'theme=dark; Path=/')
    assert.equal(cookies[1], 'lang=en; Path=/')
    assert.match(cookies[2], /^__Host-sid=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
    assert.equal(res.headers.get('cache-control'), 'private')
  })

  it('makes a public response private, keeps no-store, and copies immutable responses', async () => {
    const pub = await fetch('/default/public')
    assert.equal(pub.headers.get('cache-control'), 'private, max-age=60')
    const ns = await fetch('/default/no-store')
    assert.equal(ns.headers.get('cache-control'), 'no-store')
    const imm = await fetch('/default/immutable', { redirect: 'manual' })
    assert.equal(imm.status, 302)
    assert.equal(imm.headers.get('location'), 'http://localhost/')
    assert.ok(sessionCookie(imm))
  })

  it('never sends an empty Set-Cookie', async () => {
    const res = await fetch('/default/session')
    assert.equal(res.headers.get('set-cookie'), null)
  })
})

describe('5. expiry enforced on the server', () => {
  it('stores expiry in ms since the epoch, maxAge seconds ahead', async () => {
    const c = client(fetch)
    const t = Date.now()
    await c.fetch('/default/set?k=a')
    const { expiry } = await row(idOf(c))
    assert.ok(expiry >= t + 2592000 * 1000 && expiry <= Date.now() + 2592000 * 1000, String(expiry))
  })

  it('an expired row is never loaded, and its cookie is cleared', async () => {
    const c = client(fetch)
    await c.fetch('/short/set?k=user&v="ann"')
    const cookie = c.cookie
    await new Promise((r) => setTimeout(r, 1100))
    const res = await fetch('/short/session', { headers: { Cookie: cookie } })
    assert.deepEqual(await json(res), { session: {} })
    assert.deepEqual(res.headers.getSetCookie(), ['__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'])
  })

  it('rejects a maxAge over 400 days at set-up, naming the option', async () => {
    const { createSessionsMiddleware } = await import('itty-session')
    assert.throws(() => createSessionsMiddleware({ options: { cookieOptions: { maxAge: 400 * 86400 + 1 } } }), /options\.cookieOptions\.maxAge must be .*\(400 days/)
  })
})

describe('6. destroy()', () => {
  for (const route of ['logout', 'logout-noawait']) {
    it(`${route}: deletes the row, clears the cookie, empties the session; the id is dead`, async () => {
      const c = client(fetch)
      await c.fetch('/default/set?k=user&v="ann"')
      const cookie = c.cookie
      const res = await c.fetch(`/default/${route}`)
      assert.deepEqual(await json(res), { session: {} })
      assert.deepEqual(res.headers.getSetCookie(), ['__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'])
      assert.deepEqual(d1(res), { read: 1, write: 1, schema: 0 })
      assert.equal(await row(cookie.split('=')[1]), null)
      // Replaying the destroyed id: an empty session, and writing to it makes a new id.
      const replay = await fetch('/default/set?k=again', { headers: { Cookie: cookie } })
      const fresh = sessionCookie(replay)
      assert.ok(fresh && fresh !== cookie)
      assert.equal(await row(cookie.split('=')[1]), null)
    })
  }

  it('data set after destroy() goes to a new session, never the old id', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const old = idOf(c)
    const res = await c.fetch('/default/destroy-then-set')
    assert.deepEqual(await json(res), { session: { flash: 'bye' } })
    assert.equal(await row(old), null)
    assert.notEqual(idOf(c), old)
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { flash: 'bye' })
  })
})

describe('7. unknown, forged or malformed ids', () => {
  it('a malformed id is rejected before any D1 query', async () => {
    for (const bad of ["' OR 1=1 --", 'x'.repeat(5000), 'AAAA', '../../etc']) {
      const res = await fetch('/default/session', { headers: { Cookie: `__Host-sid=${encodeURIComponent(bad)}` } })
      assert.deepEqual(await json(res), { session: {} })
      assert.deepEqual(d1(res), { read: 0, write: 0, schema: 0 })
    }
  })

  it('a well-formed unknown id is not adopted: new data gets a new id', async () => {
    const forged = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'
    const empty = await fetch('/default/session', { headers: { Cookie: `__Host-sid=${forged}` } })
    assert.deepEqual(d1(empty), { read: 1, write: 0, schema: 0 })
    const res = await fetch('/default/set?k=x', { headers: { Cookie: `__Host-sid=${forged}` } })
    const issued = sessionCookie(res)
    assert.ok(issued && issued !== `__Host-sid=${forged}`)
    assert.equal(await row(forged), null)
  })
})

describe('8. upgrading from itty-session 0.4 loses nobody', () => {
  it('a 0.4 row (UUID sid, 0.4 expiry) keeps its data and moves to a new id once', async () => {
    const legacy = await mf.getD1Database('LEGACY')
    await legacy.exec('CREATE TABLE IF NOT EXISTS sessions (sid TEXT UNIQUE, data TEXT, expiry INTEGER)')
    const uuid = crypto.randomUUID()
    const created = Date.now() - 30 * 86400 * 1000 // long past 0.4's own "expiry"
    await legacy.prepare('INSERT INTO sessions (sid, data, expiry) VALUES (?, ?, ?)').bind(uuid, '{"username":"test","isLoggedIn":true}', created + 315360000).run()
    const c = client(fetch)
    c.cookie = `__Host-sid=${uuid}`
    const res = await c.fetch('/legacy/session')
    assert.deepEqual(await json(res), { session: { username: 'test', isLoggedIn: true } })
    assert.notEqual(c.cookie, `__Host-sid=${uuid}`)
    assert.equal(await row(uuid, legacy), null)
    assert.deepEqual(JSON.parse((await row(idOf(c), legacy)).data), { username: 'test', isLoggedIn: true })
    const next = await c.fetch('/legacy/session')
    assert.deepEqual(d1(next), { read: 1, write: 0, schema: 0 })
  })

  it("a 0.4 visitor's empty row is deleted and its cookie cleared", async () => {
    const legacy = await mf.getD1Database('LEGACY')
    const uuid = crypto.randomUUID()
    await legacy.prepare('INSERT INTO sessions (sid, data, expiry) VALUES (?, ?, ?)').bind(uuid, '{}', Date.now()).run()
    const res = await fetch('/legacy/session', { headers: { Cookie: `__Host-sid=${uuid}` } })
    assert.match(res.headers.getSetCookie()[0], /^__Host-sid=; Max-Age=0/)
    assert.equal(await row(uuid, legacy), null)
  })

  it('a custom provider written for 0.4 (five methods) keeps working', async () => {
    const c = client(fetch)
    await c.fetch('/legacyprovider/set?k=user&v="ann"')
    assert.match(c.cookie, /^__Host-sid=[0-9a-f-]{36}$/)
    assert.deepEqual(await json(await c.fetch('/legacyprovider/session')), { session: { user: 'ann' } })
    await c.fetch('/legacyprovider/set?k=n&v=2')
    assert.deepEqual(await json(await c.fetch('/legacyprovider/session')), { session: { user: 'ann', n: 2 } })
    const out = await c.fetch('/legacyprovider/logout')
    assert.match(out.headers.getSetCookie()[0], /^__Host-sid=; Max-Age=0/)
  })
})

describe('9. D1 faults are loud and lose nothing', () => {
  it('a failing read is a 500 naming D1, not a logout', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const res = await c.fetch('/default/session', { headers: { 'x-fail': 'read' } })
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /D1 database "SESSIONS" failed to read a session/)
    assert.deepEqual(res.headers.getSetCookie(), [])
    assert.deepEqual(await json(await c.fetch('/default/session')), { session: { user: 'ann' } })
  })

  it('a failing write is a 500, not swallowed, and the stored data is unchanged', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const res = await c.fetch('/default/set?k=user&v="bob"', { headers: { 'x-fail': 'write' } })
    assert.equal(res.status, 500)
    assert.match((await json(res)).error, /failed to update a session/)
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { user: 'ann' })
  })

  it('a missing binding names the binding and the wrangler.toml entry', async () => {
    const res = await fetch('/default/session', { headers: { 'x-no-binding': '1' } })
    assert.equal(res.status, 500)
    const { error } = await json(res)
    assert.match(error, /no D1 database is bound as "SESSIONS"/)
    assert.match(error, /\[\[d1_databases\]\]\nbinding = "SESSIONS"/)
  })

  it('a handler that fails (5xx) saves none of its half-made changes', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    const res = await c.fetch('/default/fail')
    assert.equal(res.status, 500)
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { user: 'ann' })
  })

  it('session data that is not JSON fails the request with a clear error; the stored data stays', async () => {
    const c = client(fetch)
    await c.fetch('/default/set?k=user&v="ann"')
    for (const route of ['bigint', 'cycle']) {
      const res = await c.fetch(`/default/${route}`)
      assert.equal(res.status, 500)
      assert.match((await json(res)).error, /request\.session cannot be saved as JSON/)
    }
    assert.deepEqual(JSON.parse((await row(idOf(c))).data), { user: 'ann' })
  })
})

describe('10. the table, made when a statement finds it missing (no schema statement per isolate)', () => {
  it('is created with a key on sid and an index on expiry, under a custom name and binding, by the login that needs it', async () => {
    const other = await mf.getD1Database('OTHER')
    const c = client(fetch, '__Host-s')
    const res = await c.fetch('/custom/set?k=a')
    // The INSERT fails (no such table), one batch makes the table and its index and reads its columns, the INSERT runs again.
    assert.deepEqual(d1(res), { read: 0, write: 2, schema: 3 })
    assert.match(sessionCookie(res, '__Host-s'), /^__Host-s=/)
    assert.match(res.headers.getSetCookie()[0], /SameSite=Lax$/)
    const schema = (await other.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'my_sessions'").all()).results
    assert.ok(schema.some((s) => /sid TEXT PRIMARY KEY/.test(s.sql ?? '')))
    assert.ok(schema.some((s) => s.name === 'my_sessions_expiry'))
    assert.equal((await rows('my_sessions', other)).length, 1)
    const next = await c.fetch('/custom/set?k=b')
    assert.deepEqual(d1(next), { read: 1, write: 1, schema: 0 })
  })

  it('rejects a table name that is not an SQL identifier', async () => {
    const { createSessionsMiddleware } = await import('itty-session')
    const { sessionPreflight } = createSessionsMiddleware({ providerOptions: { tableName: 'x; DROP TABLE y' } })
    const req = new Request('http://x/')
    await assert.rejects(sessionPreflight(req, { SESSIONS: { prepare() {} } }), /tableName must be a plain SQL identifier/)
  })

  it('the first request of a new isolate: 1 statement when the table exists; when missing, the failure, the schema batch, the retry', async () => {
    const { mf: mf2, fetch: f2 } = await startWorker('tests/workers/app.js', { d1: ['SESSIONS', 'OTHER', 'LEGACY'], name: 'new_isolate' })
    try {
      // Another isolate made the table already.
      await (await mf2.getD1Database('SESSIONS')).exec('CREATE TABLE sessions (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER, meta TEXT, active INTEGER)')
      const login = await f2('/default/set?k=a')
      assert.deepEqual(d1(login), { read: 0, write: 1, schema: 0 })
      const back = await f2('/default/session', { headers: { Cookie: sessionCookie(login) } })
      assert.deepEqual(d1(back), { read: 1, write: 0, schema: 0 })
      // A missing table (database OTHER): a failed schema batch fails the request; the next one tries again.
      const failed = await f2('/custom/set?k=a', { headers: { 'x-fail': 'schema' } })
      assert.equal(failed.status, 500)
      assert.match((await failed.json()).error, /could not create or update the sessions table in D1 database "OTHER", table "my_sessions"/)
      const ok = await f2('/custom/set?k=a')
      assert.deepEqual(d1(ok), { read: 0, write: 2, schema: 3 })
      const next = await f2('/custom/set?k=b')
      assert.deepEqual(d1(next), { read: 0, write: 1, schema: 0 })
    } finally {
      await mf2.dispose()
    }
  })
})

describe('11. no state shared between requests', () => {
  it('interleaved requests of different users each see only their own session', async () => {
    const users = Array.from({ length: 6 }, () => client(fetch))
    await Promise.all(users.map((u, i) => u.fetch(`/default/set?k=user&v=${i}&wait=${(i * 37) % 90}`)))
    const seen = await Promise.all(users.map(async (u) => (await json(await u.fetch('/default/session'))).session.user))
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5])
  })

  it('works with every argument omitted (the 0.4 README crashes there)', async () => {
    const c = client(fetch)
    await c.fetch('/bare/set?k=a&v=1')
    assert.deepEqual(await json(await c.fetch('/bare/session')), { session: { a: 1 } })
  })

  it('the MemoryProvider passes the same round trip', async () => {
    const c = client(fetch)
    await c.fetch('/memory/set?k=a&v=1')
    const res = await c.fetch('/memory/session')
    assert.deepEqual(await json(res), { session: { a: 1 } })
    assert.deepEqual(d1(res), { read: 0, write: 0, schema: 0 })
  })
})
