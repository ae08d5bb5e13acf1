// The Node example (examples/node): itty-router on node:http with SQLite and memory sessions, over real HTTP.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import Database from 'better-sqlite3'
import MemoryProvider from 'itty-session/providers/memory'
import { createApp, start } from '../examples/node/server.js'
import SqliteProvider from '../examples/node/sqlite-provider.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** `Base` with its record-method calls pushed onto `calls`. */
function counting(Base, calls) {
  const Counted = class extends Base {}
  for (const m of ['get', 'create', 'patch', 'replace', 'swap', 'touch', 'destroy']) {
    Counted.prototype[m] = function (...args) {
      calls.push(m)
      return Base.prototype[m].apply(this, args)
    }
  }
  return Counted
}

/** A browser-ish client: keeps the session cookie, never follows redirects. */
function browser(base) {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    async fetch(path, init = {}) {
      const headers = new Headers(init.headers)
      if (cookie) headers.set('cookie', cookie)
      const res = await fetch(base + path, { ...init, headers, redirect: 'manual' })
      for (const c of res.headers.getSetCookie()) {
        if (c.startsWith('__Host-sid=')) cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      }
      return res
    },
  }
}
const login = (b, username = 'ann', password = 'test') => b.fetch('/login', { method: 'POST', body: new URLSearchParams({ username, password }) })
const visits = async (res) => Number((await res.text()).match(/id="visits">(\d+)</)?.[1])

for (const store of ['sqlite', 'memory']) {
  describe(`the Node example, sessions in ${store}`, () => {
    let server, base, db, map
    const calls = [] // provider record-method calls
    const sql = [] // SQLite statements run (better-sqlite3's verbose hook)
    const hasTable = () => db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sessions'").get()
    const stored = () => (store === 'memory' ? map.size : hasTable() ? db.prepare('SELECT count(*) AS n FROM sessions').get().n : 0)

    before(async () => {
      db = new Database(':memory:', { verbose: (s) => sql.push(s) })
      map = new Map()
      const Base = store === 'sqlite' ? SqliteProvider : MemoryProvider
      const app = createApp({ store, Provider: counting(Base, calls), providerOptions: store === 'sqlite' ? { db } : { store: map } })
      // A test-only route: change one key after a wait, to overlap two requests of one session.
      app.get('/test/set', async (req) => {
        await sleep(Number(req.query.wait ?? 0))
        req.session[req.query.k] = JSON.parse(req.query.v)
        return { session: req.session }
      })
      app.get('/test/two-cookies', (req) => {
        req.session.theme = 'dark'
        return new Response('ok', { headers: { 'set-cookie': 'theme=dark; Path=/' } })
      })
      server = await start({ port: 0, app })
      base = `http://127.0.0.1:${server.address().port}`
    })
    after(() => {
      server?.closeAllConnections()
      server?.close()
    })

    /** What `fn` made the store do: record-method calls, and for SQLite the statements. */
    async function during(fn) {
      calls.length = sql.length = 0
      const res = await fn()
      await res.arrayBuffer()
      return { res, calls: [...calls], writes: sql.filter((s) => !/^\s*SELECT/i.test(s)) }
    }

    it('a first visit shows the login form, stores nothing and sets no cookie', async () => {
      const { res, calls } = await during(() => fetch(`${base}/`))
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type'), /text\/html/)
      assert.deepEqual(res.headers.getSetCookie(), [])
      assert.deepEqual(calls, [])
    })

    it('a wrong password logs nobody in', async () => {
      const b = browser(base)
      const res = await login(b, 'ann', 'nope')
      assert.match(await res.text(), /Wrong username or password/)
      assert.equal(b.cookie, undefined)
    })

    it('login sets one HttpOnly session cookie; visits count up; an unchanged request writes nothing', async () => {
      const b = browser(base)
      const before = stored()
      const res = await login(b)
      assert.equal(res.status, 303)
      assert.equal(res.headers.get('location'), '/')
      const cookies = res.headers.getSetCookie()
      assert.equal(cookies.length, 1)
      assert.match(cookies[0], /^__Host-sid=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
      assert.equal(res.headers.get('cache-control'), 'private')
      assert.equal(stored(), before + 1)

      assert.equal(await visits(await b.fetch('/')), 1)
      assert.equal(await visits(await b.fetch('/')), 2)
      const third = await during(() => b.fetch('/'))
      // Both providers offer compare-and-swap: one UPDATE of the whole text, no diff, when nothing changed meanwhile.
      assert.deepEqual(third.calls, ['get', 'swap'])
      if (store === 'sqlite') assert.match(third.writes.join('\n'), /^UPDATE "sessions" SET data = '\{"username":"ann".* WHERE sid = '[\w-]+'.* AND data = '\{"username":"ann"/)

      const me = await during(() => b.fetch('/me'))
      assert.deepEqual(await (await b.fetch('/me')).json(), { loggedIn: true, username: 'ann' })
      assert.deepEqual(me.calls, ['get'])
      assert.deepEqual(me.writes, [])
      assert.deepEqual(me.res.headers.getSetCookie(), [])
    })

    it("each cookie is its own Set-Cookie header (the handler's and the session's)", async () => {
      const res = await fetch(`${base}/test/two-cookies`)
      const cookies = res.headers.getSetCookie()
      assert.equal(cookies.length, 2)
      assert.equal(cookies[0], 'theme=dark; Path=/')
      assert.match(cookies[1], /^__Host-sid=[A-Za-z0-9_-]{43}; /)
    })

    it('logout deletes the session and clears the cookie; the old cookie then gets the login form', async () => {
      const b = browser(base)
      await login(b)
      const old = b.cookie
      const before = stored()
      const { res, calls } = await during(() => b.fetch('/logout', { method: 'POST' }))
      assert.equal(res.status, 303)
      assert.deepEqual(res.headers.getSetCookie(), ['__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'])
      assert.deepEqual(calls, ['get', 'destroy'])
      assert.equal(stored(), before - 1)
      const replay = await fetch(`${base}/`, { headers: { cookie: old } })
      assert.match(await replay.text(), /You are not logged in/)
    })

    it('two concurrent requests of one session changing different keys both persist', async () => {
      const b = browser(base)
      await login(b)
      const headers = { cookie: b.cookie }
      // Both load the session first, then each changes its own key.
      await Promise.all([fetch(`${base}/test/set?k=a&v=1&wait=100`, { headers }), fetch(`${base}/test/set?k=b&v=2&wait=100`, { headers })])
      const { session } = await (await b.fetch('/test/set?k=c&v=3')).json()
      assert.deepEqual({ ...session, since: undefined }, { username: 'ann', since: undefined, a: 1, b: 2, c: 3 })
    })
  })
}

describe('the Node example as `npm run example:node` runs it', () => {
  let dir
  before(() => (dir = mkdtempSync(join(tmpdir(), 'itty-session-node-'))))
  after(() => rmSync(dir, { recursive: true, force: true }))

  /** Run examples/node/server.js with `env` in `dir`, log in over HTTP, stop it. */
  async function run(env) {
    const child = spawn(process.execPath, [join(root, 'examples/node/server.js')], { cwd: dir, env: { ...process.env, PORT: '0', ...env } })
    try {
      const line = await new Promise((resolve, reject) => {
        child.stdout.on('data', (d) => resolve(String(d)))
        child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
      })
      const url = line.match(/http:\/\/127\.0\.0\.1:\d+/)[0]
      const b = browser(url)
      await login(b, 'bo')
      assert.equal(await visits(await b.fetch('/')), 1)
      return line
    } finally {
      child.kill()
    }
  }

  it('SESSION_STORE=memory keeps sessions in memory', async () => {
    assert.match(await run({ SESSION_STORE: 'memory' }), /sessions in memory/)
    assert.equal(existsSync(join(dir, 'sessions.db')), false)
  })

  it('by default keeps sessions in ./sessions.db', async () => {
    assert.match(await run({ SESSION_STORE: '' }), /sessions in sqlite/)
    const db = new Database(join(dir, 'sessions.db'), { readonly: true })
    assert.match(db.prepare('SELECT data FROM sessions').get().data, /"username":"bo"/)
    db.close()
  })

  it('an unknown SESSION_STORE fails at start, naming the choices', () => {
    assert.throws(() => createApp({ store: 'mongodb' }), /unknown session store "mongodb" \(SESSION_STORE\): use sqlite, memory, redis, postgres/)
  })
})
