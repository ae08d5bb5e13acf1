// D1 read replicas in workerd on a real local D1: bookmarks flow from a write into the companion cookie and back into the next request's D1 session, for sessions and the app's own queries; hostile bookmarks never fail a request.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startWorker } from './helpers/workerd.mjs'

let mf, fetch
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/replica-app.js', { d1: ['SESSIONS', 'APP'] }))
})
after(() => mf?.dispose())

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/
const pairOf = (setCookie) => {
  const [pair] = setCookie.split(';')
  const eq = pair.indexOf('=')
  return [pair.slice(0, eq), pair.slice(eq + 1)]
}
const attributes = (setCookie) => setCookie.slice(setCookie.indexOf(';'))
/** The bookmark cookie's entries, `{ SESSIONS: '0000...', APP: '...' }`. */
const entries = (value) => Object.fromEntries(value.split('~').map((e) => [e.slice(0, e.indexOf(':')), e.slice(e.indexOf(':') + 1)]))

/** A browser: a cookie jar (every cookie, as a browser keeps them) and the last response's spy. */
function browser(scope = 'on', { session = '__Host-sid' } = {}) {
  const jar = new Map()
  const b = {
    jar,
    bookmarkName: `${session}-d1`,
    spy: [],
    setCookies: [],
    get bookmarks() {
      return jar.has(b.bookmarkName) ? entries(jar.get(b.bookmarkName)) : undefined
    },
    async get(path, headers = {}) {
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      const res = await fetch(`/${scope}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } })
      b.setCookies = res.headers.getSetCookie()
      for (const c of b.setCookies) {
        const [name, value] = pairOf(c)
        if (/Max-Age=0(;|$)/.test(c)) jar.delete(name)
        else jar.set(name, value)
      }
      b.spy = JSON.parse(res.headers.get('x-spy') ?? '[]')
      b.status = res.status
      const text = await res.text()
      try {
        return JSON.parse(text)
      } catch {
        return text
      }
    },
    /** The constraints or bookmarks this request's D1 sessions started from. */
    get starts() {
      return b.spy.filter(([what]) => what === 'session').map(([, start]) => start)
    },
    setCookie: (name) => b.setCookies.find((c) => c.startsWith(`${name}=`)),
  }
  return b
}

describe('read replicas: bookmarks from a write to the next read', () => {
  it('login sets the bookmark cookie beside the session cookie, with the same attributes', async () => {
    const ann = browser()
    await ann.get('/login?user=ann')
    const session = ann.setCookie('__Host-sid')
    const bookmark = ann.setCookie('__Host-sid-d1')
    assert.ok(session && bookmark, ann.setCookies.join('\n'))
    assert.equal(attributes(bookmark), attributes(session))
    assert.deepEqual(Object.keys(ann.bookmarks), ['SESSIONS'])
    assert.match(ann.bookmarks.SESSIONS, BOOKMARK)
    // The login's first statement is a write: its D1 session starts on the primary.
    assert.equal(ann.starts[0], 'first-primary')
  })

  it('the next request reads the session through a D1 session started from that bookmark, and an unchanged visit sends no cookie', async () => {
    const ann = browser()
    await ann.get('/login?user=ann')
    const { SESSIONS } = ann.bookmarks
    assert.deepEqual(await ann.get('/session'), { session: { userId: 'ann' } })
    assert.deepEqual(ann.starts, [SESSIONS])
    assert.deepEqual(ann.spy, [['session', SESSIONS], [0, 'read']])
    assert.deepEqual(ann.setCookies, [])
    await ann.get('/session')
    assert.deepEqual(ann.setCookies, [])
  })

  it('a changed session sends only a newer bookmark, and the next request starts from it', async () => {
    const ann = browser()
    await ann.get('/login?user=ann')
    const before = ann.bookmarks.SESSIONS
    assert.deepEqual(await ann.get('/count'), { visits: 1 })
    assert.deepEqual(ann.setCookies.map((c) => pairOf(c)[0]), ['__Host-sid-d1'])
    const after = ann.bookmarks.SESSIONS
    assert.ok(after > before, `${after} > ${before}`)
    assert.deepEqual(await ann.get('/session'), { session: { userId: 'ann', visits: 1 } })
    assert.deepEqual(ann.starts, [after])
  })

  it("the app's own queries: a post's bookmark comes back for APP, the next read of APP starts from it and shows the post", async () => {
    const bob = browser()
    await bob.get('/login?user=bob')
    const sessions = bob.bookmarks.SESSIONS
    await bob.get('/post?body=first')
    // The post is a write to APP: its session starts on the primary; SESSIONS's entry is kept.
    assert.deepEqual(bob.starts, [sessions, 'first-primary'])
    assert.deepEqual(Object.keys(bob.bookmarks), ['APP', 'SESSIONS'])
    assert.equal(bob.bookmarks.SESSIONS, sessions)
    assert.match(bob.bookmarks.APP, BOOKMARK)
    const app = bob.bookmarks.APP
    assert.deepEqual(await bob.get('/comments?author=bob'), { comments: ['first'] })
    assert.deepEqual(bob.starts, [sessions, app])
    assert.deepEqual(bob.setCookies, [])
  })

  it('app data in the sessions database shares the session queries\' D1 session', async () => {
    const cy = browser()
    await cy.get('/login?user=cy')
    const out = await cy.get('/note?body=hi')
    assert.ok(out.notes >= 1)
    assert.equal(cy.starts.length, 1, JSON.stringify(cy.spy))
    assert.ok(cy.setCookie('__Host-sid-d1'))
  })

  it('an anonymous visitor opens no D1 session and gets no cookie; an anonymous post gets only the bookmark cookie', async () => {
    const anon = browser()
    await anon.get('/session')
    assert.deepEqual([anon.spy, anon.setCookies], [[], []])
    const res = await fetch('/on/post?body=anon')
    assert.equal(res.headers.get('Cache-Control'), 'private') // a response that sets a cookie is never shared
    await anon.get('/post?body=anon')
    assert.deepEqual(anon.setCookies.map((c) => pairOf(c)[0]), ['__Host-sid-d1'])
    assert.deepEqual(Object.keys(anon.bookmarks), ['APP'])
    // A read-only page for a visitor with no bookmark for APP may be served by any copy.
    const fresh = browser()
    await fresh.get('/read-app')
    assert.deepEqual(fresh.starts, ['first-unconstrained'])
    assert.deepEqual(fresh.setCookies, [])
  })

  it('logout: the clearing cookie and a bookmark past the delete; the old cookie replayed with it finds nothing', async () => {
    const dee = browser()
    await dee.get('/login?user=dee')
    const stolen = dee.jar.get('__Host-sid')
    const before = dee.bookmarks.SESSIONS
    await dee.get('/logout')
    assert.ok(dee.setCookies.some((c) => c.startsWith('__Host-sid=;') && /Max-Age=0/.test(c)))
    assert.ok(dee.bookmarks.SESSIONS > before)
    dee.jar.set('__Host-sid', stolen)
    assert.deepEqual(await dee.get('/session'), { session: {} })
    assert.ok(dee.setCookies.some((c) => c.startsWith('__Host-sid=;')))
  })

  it('a session cookie without a bookmark (the option just turned on, a lost cookie): read on the primary once, then the bookmark travels', async () => {
    const eve = browser()
    await eve.get('/login?user=eve')
    eve.jar.delete('__Host-sid-d1')
    assert.deepEqual(await eve.get('/session'), { session: { userId: 'eve' } })
    assert.deepEqual(eve.starts, ['first-primary'])
    assert.deepEqual(eve.setCookies.map((c) => pairOf(c)[0]), ['__Host-sid-d1'])
    const { SESSIONS } = eve.bookmarks
    await eve.get('/session')
    assert.deepEqual([eve.starts, eve.setCookies], [[SESSIONS], []])
  })

  it('the devices page and "log out everywhere else" go through the same D1 session, and the latter renews the bookmark', async () => {
    const fay = browser()
    const other = browser()
    await other.get('/login?user=fay')
    await fay.get('/login?user=fay')
    const devices = await fay.get('/devices')
    assert.equal(devices.devices.length, 2)
    assert.deepEqual(fay.starts.length, 1)
    const before = fay.bookmarks.SESSIONS
    assert.deepEqual(await fay.get('/end-others'), { ended: 1 })
    assert.ok(fay.bookmarks.SESSIONS > before)
    assert.equal((await fay.get('/devices')).devices.length, 1)
    assert.deepEqual(await other.get('/session'), { session: {} })
  })

  it('a failed request (500) after an app write still carries the bookmark: the write happened', async () => {
    const gus = browser()
    await gus.get('/fail-after-post')
    assert.equal(gus.status, 500)
    assert.ok(gus.bookmarks?.APP, gus.setCookies.join('\n'))
  })

  it("the companion cookie copies a non-default session cookie's name and attributes; signing does not touch it", async () => {
    const hal = browser('named', { session: 'app_sid' })
    await hal.get('/count')
    const session = hal.setCookie('app_sid')
    const bookmark = hal.setCookie('app_sid-d1')
    assert.ok(session && bookmark, hal.setCookies.join('\n'))
    assert.equal(attributes(bookmark), attributes(session))
    assert.match(attributes(bookmark), /Max-Age=3600/)
    assert.doesNotMatch(attributes(bookmark), /Secure/)
    const { SESSIONS } = hal.bookmarks
    assert.equal((await hal.get('/count')).visits, 2)
    assert.deepEqual(hal.starts, [SESSIONS])
    const ivy = browser('secret')
    await ivy.get('/count')
    await ivy.get('/count')
    assert.deepEqual(await ivy.get('/session'), { session: { visits: 2 } })
    assert.match(ivy.jar.get('__Host-sid'), /\./) // signed
    assert.match(ivy.bookmarks.SESSIONS, BOOKMARK)
  })
})

describe('read replicas: untrusted bookmarks', () => {
  const valid = '0000000a-0000000b-00000000-0000000000000000000000000000000c'
  const hostile = {
    garbage: 'garbage',
    empty: '',
    'name only': 'SESSIONS:',
    'not hex': 'SESSIONS:garbage',
    'upper-case hex': `SESSIONS:${valid.toUpperCase()}`,
    'a bad character': `SESSIONS:${valid.slice(0, -1)}g`,
    'a space inside': `SESSIONS:${valid.slice(0, 9)} ${valid.slice(10)}`,
    'too long': `SESSIONS:${valid}${'-0123456789abcdef'.repeat(8)}`,
    'one field': 'SESSIONS:00000000',
    'a trailing separator': `SESSIONS:${valid}~`,
    'a name twice': `SESSIONS:${valid}~SESSIONS:${valid}`,
    'five databases': ['A', 'B', 'C', 'D', 'E'].map((n) => `${n}:${valid}`).join('~'),
    'a bad name': `1SESSIONS:${valid}`,
    quoted: `"SESSIONS:${valid}"`,
    'percent-encoded': `SESSIONS%3A${valid}`,
    huge: 'a'.repeat(6000),
    'a tab inside': `SESSIONS:${valid}\tx`,
    'latin-1': `SESSIONS:${valid}\u00e9`,
  }

  for (const [what, value] of Object.entries(hostile)) {
    it(`${what}: the request succeeds, D1 never sees it, the session reads on the primary, and the cookie is replaced`, async () => {
      const b = browser()
      await b.get('/login?user=jo')
      await b.get('/count')
      b.jar.set('__Host-sid-d1', value)
      assert.deepEqual(await b.get('/session'), { session: { userId: 'jo', visits: 1 } })
      assert.equal(b.status, 200)
      assert.deepEqual(b.starts, ['first-primary'])
      // Replaced by the primary's bookmark, which the next request starts from.
      assert.match(b.bookmarks.SESSIONS, BOOKMARK)
      const { SESSIONS } = b.bookmarks
      assert.deepEqual(await b.get('/count'), { visits: 2 })
      assert.deepEqual(b.starts, [SESSIONS])
    })
  }

  it('a malformed bookmark cookie on a visit that uses no database is cleared, with the session cookie\'s attributes', async () => {
    const b = browser()
    b.jar.set('__Host-sid-d1', 'garbage')
    await b.get('/session')
    assert.deepEqual(b.spy, [])
    const cleared = b.setCookie('__Host-sid-d1')
    assert.match(cleared, /^__Host-sid-d1=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
    assert.equal(b.jar.has('__Host-sid-d1'), false)
    await b.get('/session')
    assert.deepEqual(b.setCookies, [])
  })

  it('two bookmark cookies (one may be planted): every database starts on the primary and neither is overwritten', async () => {
    const b = browser()
    await b.get('/login?user=kim')
    const cookie = [...b.jar].map(([k, v]) => `${k}=${v}`).join('; ') + `; __Host-sid-d1=SESSIONS:${valid}`
    const res = await fetch('/on/count', { headers: { cookie } })
    assert.deepEqual(await res.json(), { visits: 1 })
    const spy = JSON.parse(res.headers.get('x-spy'))
    assert.deepEqual(spy.filter(([w]) => w === 'session').map(([, s]) => s), ['first-primary'])
    assert.deepEqual(res.headers.getSetCookie().filter((c) => c.startsWith('__Host-sid-d1=')), [])
  })

  it('a Cookie header padded with other cookies still carries the bookmark, as it carries the session', async () => {
    const b = browser()
    await b.get('/login?user=max')
    for (let i = 0; i < 40; i++) b.jar.set(`pad${i}`, 'p'.repeat(1000))
    assert.deepEqual(await b.get('/session'), { session: { userId: 'max' } })
    assert.deepEqual(b.starts, [b.bookmarks.SESSIONS])
  })

  it('a name that only ends like ours (x__Host-sid-d1) is not ours', async () => {
    const b = browser()
    await b.get('/login?user=lee')
    b.jar.set('x__Host-sid-d1', 'SESSIONS:garbage')
    await b.get('/session')
    assert.deepEqual(b.starts, [b.bookmarks.SESSIONS])
  })

  it('a well-shaped bookmark D1 does not know: its read is retried on the primary and the cookie replaced (a D1 that refuses it)', async () => {
    const b = browser()
    await b.get('/login?user=mo')
    await b.get('/post?body=x')
    b.jar.set('__Host-sid-d1', `SESSIONS:ffffffff-ffffffff-ffffffff-ffffffffffffffffffffffffffffffff~APP:${b.bookmarks.APP}`)
    assert.deepEqual(await b.get('/session', { 'x-binding': 'fail-bookmarks' }), { session: { userId: 'mo' } })
    assert.deepEqual(b.starts, ['ffffffff-ffffffff-ffffffff-ffffffffffffffffffffffffffffffff', 'first-primary'])
    assert.match(b.bookmarks.SESSIONS, /^0/)
    assert.deepEqual(await b.get('/comments?author=mo', { 'x-binding': 'fail-bookmarks' }), { comments: ['x'] })
    assert.equal(b.status, 200)
  })

  it('a runtime whose withSession throws for a bookmark: the read starts again on the primary', async () => {
    const b = browser()
    await b.get('/login?user=mo2')
    const headers = { 'x-binding': 'refuse-bookmarks' }
    assert.deepEqual(await b.get('/session', headers), { session: { userId: 'mo2' } })
    assert.deepEqual(b.starts, [b.starts[0], 'first-primary'])
    assert.notEqual(b.starts[0], 'first-primary')
    await b.get('/post?body=y', headers)
    assert.deepEqual(await b.get('/comments?author=mo2', headers), { comments: ['y'] })
  })

  it('a bookmark for a database no longer bound is ignored, and dropped when the cookie is next written', async () => {
    const b = browser()
    await b.get('/login?user=ned')
    b.jar.set('__Host-sid-d1', `GONE:${valid}~SESSIONS:${b.bookmarks.SESSIONS}`)
    await b.get('/count')
    assert.deepEqual(Object.keys(b.bookmarks), ['SESSIONS'])
  })

  it('a bookmark older than the session (a lost or reordered cookie): the session is found on the primary, not logged out', async () => {
    const b = browser()
    await b.get('/login?user=oz')
    // A bookmark from before the login, well-formed and known to D1: the local D1 has no replica,
    // so this checks the path, not the staleness (tests/replicas-sim.test.mjs does).
    const old = '00000000-00000001-00000000-00000000000000000000000000000000'
    b.jar.set('__Host-sid-d1', `SESSIONS:${old}`)
    assert.deepEqual(await b.get('/session'), { session: { userId: 'oz' } })
    assert.equal(b.starts[0], old)
  })
})

describe('read replicas: off, and without the Sessions API', () => {
  it('the option off: no D1 session, no bookmark cookie', async () => {
    const b = browser('off')
    await b.get('/login?user=pat')
    await b.get('/count')
    assert.deepEqual(b.starts, [])
    assert.ok(b.spy.every(([where]) => where === 'plain'))
    assert.equal(b.jar.has('__Host-sid-d1'), false)
    assert.deepEqual(await b.get('/session'), { session: { userId: 'pat', visits: 1 } })
    // d1() with the option off is the binding: its statements go to the primary.
    await b.get('/post?body=p')
    assert.deepEqual([b.starts, b.jar.has('__Host-sid-d1')], [[], false])
  })

  it('a binding without withSession (a test double, an older runtime): today\'s behaviour, no bookmark cookie', async () => {
    const b = browser()
    const headers = { 'x-binding': 'counting' }
    await b.get('/login?user=quin', headers)
    await b.get('/count', headers)
    await b.get('/post?body=q', headers)
    assert.deepEqual(await b.get('/comments?author=quin', headers), { comments: ['q'] })
    assert.deepEqual(await b.get('/session', headers), { session: { userId: 'quin', visits: 1 } })
    assert.equal(b.jar.has('__Host-sid-d1'), false)
  })

  it('readReplicas must be true or false', async () => {
    for (const value of ['1', '"yes"', '{}', 'null']) {
      const out = await (await fetch(`/construct?value=${encodeURIComponent(value)}`)).json()
      assert.equal(out.type, 'TypeError', value)
      assert.match(out.error, /^itty-session: providerOptions\.readReplicas must be true or false; got /)
    }
    assert.deepEqual(await (await fetch('/construct?value=true')).json(), { ok: true })
  })

  it('d1(): outside the middleware it is the binding; a bad name or a missing binding says what to change', async () => {
    assert.deepEqual(await (await fetch('/direct?name=APP')).json(), { same: true })
    const bad = await (await fetch('/direct?name=my-db')).json()
    assert.equal(bad.type, 'TypeError')
    assert.match(bad.error, /^itty-session: d1\(request, env, name\) takes the D1 binding's name/)
    const missing = await (await fetch('/direct?name=NOPE')).json()
    assert.match(missing.error, /^itty-session: no D1 database is bound as "NOPE" in env: add it to wrangler\.toml/)
  })

  it('at most four databases carry bookmarks: the fifth says so', async () => {
    const b = browser()
    const out = await b.get('/five-dbs')
    assert.equal(b.status, 500)
    assert.match(JSON.stringify(out), /at most 4 D1 databases per request carry bookmarks/)
  })
})
