// The Node example with SESSION_STORE=postgres as separate processes sharing one real PostgreSQL: logins, logouts, races, SIGKILL, a database restart.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { startPostgres } from './helpers/postgres.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const keyOf = (cookie) => createHash('sha256').update(cookie.slice(cookie.indexOf('=') + 1)).digest('base64url')

let server, pool, dir
const children = new Set()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

before(async () => {
  server = await startPostgres()
  pool = new pg.Pool({ connectionString: server.url })
  pool.on('error', () => {}) // its idle connections end when the server is restarted
  dir = mkdtempSync(join(tmpdir(), 'itty-session-pg-node-'))
})
after(async () => {
  await Promise.all([...children].map(stop))
  await pool?.end()
  await server?.remove()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Start `script` (relative to the repo) as a Node process on a free port; resolves to its base URL. */
async function app(script = 'examples/node/server.js') {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: dir,
    env: { ...process.env, SESSION_STORE: 'postgres', DATABASE_URL: server.url, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const found = String(d).match(/http:\/\/127\.0\.0\.1:\d+/)
      if (found) resolve(found[0])
    })
    child.exited.then((how) => reject(new Error(`${script} exited (${how}) before listening: ${stderr}`)))
  })
  child.url = url
  child.stderrText = () => stderr
  return child
}

async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  await child.exited
  children.delete(child)
}

/** A browser-ish client of one or more app processes, sharing one cookie jar; never follows redirects. */
function browser() {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    set cookie(v) {
      cookie = v
    },
    async fetch(base, path, init = {}) {
      const headers = new Headers(init.headers)
      if (cookie) headers.set('cookie', cookie)
      const res = await fetch(base + path, { ...init, headers, redirect: 'manual' })
      for (const c of res.headers.getSetCookie()) {
        if (!/^(__Host-)?sid=/.test(c)) continue
        cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      }
      return res
    },
  }
}
const login = (b, base, username) => b.fetch(base, '/login', { method: 'POST', body: new URLSearchParams({ username, password: 'test' }) })
const me = async (b, base) => (await b.fetch(base, '/me')).json()
const setKey = (b, base, k, v) => b.fetch(base, '/test/set', { method: 'POST', body: JSON.stringify({ k, v }) })
const stored = async (cookie) => (await pool.query('SELECT data FROM sessions WHERE sid = $1', [keyOf(cookie)])).rows[0]?.data

describe('SESSION_STORE=postgres without DATABASE_URL', () => {
  it('fails at start, saying what to set', async () => {
    const child = spawn(process.execPath, [join(root, 'examples/node/server.js')], { cwd: dir, env: { ...process.env, SESSION_STORE: 'postgres', DATABASE_URL: '', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise((resolve) => child.once('exit', resolve))
    assert.notEqual(code, 0)
    assert.match(stderr, /SESSION_STORE=postgres needs DATABASE_URL, e\.g\. postgres:\/\/user:password@127\.0\.0\.1:5432\/postgres/)
  })
})

describe('two processes of examples/node/server.js sharing one PostgreSQL', () => {
  let a, b
  before(async () => {
    ;[a, b] = await Promise.all([app(), app()])
  })
  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((c) => stop(c)))
  })

  it('a login made through one is seen by the other', async () => {
    const user = browser()
    const res = await login(user, a.url, 'ann')
    assert.equal(res.status, 303)
    assert.match(user.cookie, /^__Host-sid=[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(await me(user, b.url), { loggedIn: true, username: 'ann' })
    // Visits counted by either process land in the one row.
    for (const base of [a.url, b.url, a.url]) await (await user.fetch(base, '/')).text()
    assert.equal(JSON.parse(await stored(user.cookie)).visits, 3)
  })

  it('a logout through one is final in the other at once', async () => {
    const user = browser()
    await login(user, a.url, 'bo')
    const old = user.cookie
    assert.deepEqual(await me(user, b.url), { loggedIn: true, username: 'bo' })
    const res = await user.fetch(b.url, '/logout', { method: 'POST' })
    assert.equal(res.status, 303)
    assert.equal(user.cookie, undefined)
    // The very next request, to the other process, with the old cookie replayed.
    user.cookie = old
    assert.deepEqual(await me(user, a.url), { loggedIn: false, username: null })
    assert.equal(await stored(old), undefined)
  })
})

describe('two processes of the example (with a route that sets one key) sharing one PostgreSQL', () => {
  let a, b
  before(async () => {
    ;[a, b] = await Promise.all([app('tests/helpers/postgres-app.mjs'), app('tests/helpers/postgres-app.mjs')])
  })
  after(async () => {
    await Promise.all([a, b].filter(Boolean).map((c) => stop(c)))
  })

  it('50 concurrent requests of one session through both processes, each setting its own key, lose nothing', async () => {
    const user = browser()
    await login(user, a.url, 'cy')
    const statuses = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await setKey(user, i % 2 ? b.url : a.url, `k${i}`, { i, nested: { i } })).status))
    assert.deepEqual(new Set(statuses), new Set([200]))
    const { session } = await (await user.fetch(b.url, '/test/session')).json()
    for (let i = 0; i < 50; i++) assert.deepEqual(session[`k${i}`], { i, nested: { i } }, `k${i}`)
    assert.equal(session.username, 'cy')
  })

  it('the same key set through both processes at once ends with one of the values, whole', async () => {
    const user = browser()
    await login(user, a.url, 'di')
    const values = Array.from({ length: 20 }, (_, i) => ({ writer: i, list: Array.from({ length: 50 }, () => i) }))
    await Promise.all(values.map((v, i) => setKey(user, i % 2 ? b.url : a.url, 'shared', v)))
    const { session } = await (await user.fetch(a.url, '/test/session')).json()
    assert.deepEqual(session.shared, values[session.shared.writer])
  })
})

describe('a process killed with SIGKILL while its writes are in flight', () => {
  it('every committed session is intact after a restart, and nothing half-written is visible', async () => {
    let a = await app('tests/helpers/postgres-app.mjs')
    const users = Array.from({ length: 10 }, () => browser())
    for (const [i, user] of users.entries()) {
      await login(user, a.url, `u${i}`)
      assert.equal((await setKey(user, a.url, 'n', i)).status, 200)
    }
    const blob = (i) => `${i}:${'x'.repeat(200_000)}:${i}`
    // Hold the rows of the first five sessions locked, so their writes are surely in flight.
    const locker = await pool.connect()
    try {
      await locker.query('BEGIN')
      await locker.query('SELECT sid FROM sessions WHERE sid = ANY($1) FOR UPDATE', [users.slice(0, 5).map((u) => keyOf(u.cookie))])
      const writes = users.map((user, i) => setKey(user, a.url, 'blob', blob(i)).then((r) => r.status, () => 'failed'))
      // The other five commit; the first five wait on the lock inside PostgreSQL.
      assert.deepEqual(await Promise.all(writes.slice(5)), [200, 200, 200, 200, 200])
      for (let i = 0; ; i++) {
        const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE%'")
        if (rows[0].n === 5) break
        assert.ok(i < 800, `expected 5 writes waiting on the lock, saw ${rows[0].n}`)
        await sleep(25)
      }
      await stop(a, 'SIGKILL')
      assert.deepEqual(await Promise.all(writes.slice(0, 5)), ['failed', 'failed', 'failed', 'failed', 'failed'])
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
    }
    a = await app('tests/helpers/postgres-app.mjs')
    try {
      for (const [i, user] of users.entries()) {
        const res = await user.fetch(a.url, '/test/session')
        assert.equal(res.status, 200)
        const { session } = await res.json()
        assert.equal(session.username, `u${i}`)
        assert.equal(session.n, i)
        // Acknowledged writes are there; a write killed in flight is there whole or not at all.
        if (i >= 5) assert.equal(session.blob, blob(i))
        else assert.ok(session.blob === undefined || session.blob === blob(i), `session ${i}: blob of length ${session.blob?.length}`)
      }
      const { rows } = await pool.query('SELECT data FROM sessions')
      for (const row of rows) JSON.parse(row.data)
      const { rows: stuck } = await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'")
      assert.equal(stuck[0].n, 0)
    } finally {
      await stop(a)
    }
  })
})

describe('the database restarted under a running app', () => {
  it('requests fail loudly during the outage (5xx naming the store) and work again when it is back, without a restart', async () => {
    const a = await app('tests/helpers/postgres-app.mjs')
    try {
      const user = browser()
      await login(user, a.url, 'ed')
      assert.equal((await setKey(user, a.url, 'before', 1)).status, 200)
      await server.stop()

      const during = await user.fetch(a.url, '/test/session')
      assert.equal(during.status, 500)
      const body = await during.json()
      assert.match(body.error, /^itty-session: PostgreSQL table "sessions" failed to read a session: /)
      assert.equal(user.cookie !== undefined, true, 'the user is not logged out by the outage')
      const write = await setKey(user, a.url, 'during', 1)
      assert.equal(write.status, 500)
      // A visitor without a session needs no database.
      assert.equal((await fetch(`${a.url}/me`)).status, 200)

      await server.start()
      const back = await user.fetch(a.url, '/test/session')
      assert.equal(back.status, 200)
      assert.deepEqual((await back.json()).session, { username: 'ed', since: (await (await user.fetch(a.url, '/test/session')).json()).session.since, before: 1 })
      assert.equal((await setKey(user, a.url, 'after', 1)).status, 200)
      assert.equal(JSON.parse(await stored(user.cookie)).after, 1)
      assert.equal(a.exitCode, null, 'the app kept running')
    } finally {
      await stop(a)
    }
  })
})

describe('the throwaway server (tests/helpers/postgres.mjs) never outlives its process', () => {
  const alive = (pid) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  // A process that starts a server, reports its pid and directory, then `ends` itself.
  async function orphan(ends) {
    const script = `import { startPostgres } from ${JSON.stringify(join(root, 'tests/helpers/postgres.mjs'))}
const s = await startPostgres()
const pid = Number((await import('node:fs')).readFileSync(s.dir + '/data/postmaster.pid', 'utf8').split('\\n')[0])
console.log(JSON.stringify({ pid, dir: s.dir }))
${ends}`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const info = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(JSON.parse(String(d)))))
    return { child, exited, ...info }
  }
  const gone = async ({ pid, dir }) => {
    const { existsSync } = await import('node:fs')
    for (let i = 0; i < 100 && (alive(pid) || existsSync(dir)); i++) await sleep(100)
    assert.equal(alive(pid), false, 'the server process is gone')
    assert.equal(existsSync(dir), false, 'its directory is removed')
  }

  it('a process that exits without stopping it: the exit handler stops it and removes its directory', async () => {
    const o = await orphan('process.exit(1)')
    await o.exited
    await gone(o)
  })

  it('a process killed with SIGKILL: the watchdog stops it and removes its directory', async () => {
    const o = await orphan('setInterval(() => {}, 1000)')
    assert.equal(alive(o.pid), true)
    o.child.kill('SIGKILL')
    await o.exited
    await gone(o)
  })
})
