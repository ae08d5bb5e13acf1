// Two Node processes of the example app sharing one real redis-server: login and logout across them, 50 concurrent writes, SIGKILL mid-request, Redis restarted underneath.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { createClient } from 'redis'
import { hasRedis, startRedis } from './helpers/redis.mjs'

const skip = hasRedis() ? false : 'redis-server is not installed: scripts/setup.sh installs it (as root), or apt-get install redis-server'
const root = fileURLToPath(new URL('..', import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// Every app process started here, killed at the end whatever happens.
const children = new Set()
const killAll = () => children.forEach((c) => c.kill('SIGKILL'))
process.once('exit', killAll)

/**
 * Start `script` (default: the example plus test routes, tests/helpers/redis-app.mjs) as its own
 * Node process with SESSION_STORE=redis and `REDIS_URL`; resolves to `{ child, url, stderr() }`
 * once it listens.
 */
async function app(redisUrl, script = 'tests/helpers/redis-app.mjs') {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env: { ...process.env, SESSION_STORE: 'redis', REDIS_URL: redisUrl, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/)
      if (m) resolve(m[0])
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${err}`)))
  })
  return { child, url, stderr: () => err }
}

async function stop(p) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const exited = new Promise((r) => p.child.once('exit', r))
  p.child.kill('SIGKILL')
  await exited
}

/** A browser-ish cookie jar shared by requests to any process: the session cookie, whatever its name. */
function jar() {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    async fetch(url, init = {}) {
      const headers = new Headers(init.headers)
      if (cookie) headers.set('cookie', cookie)
      const res = await fetch(url, { ...init, headers, redirect: 'manual' })
      for (const c of res.headers.getSetCookie()) {
        if (/^(__Host-)?sid=/.test(c)) cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      }
      return res
    },
  }
}
const login = (j, base, username) => j.fetch(`${base}/login`, { method: 'POST', body: new URLSearchParams({ username, password: 'test' }) })
const me = async (j, base) => (await j.fetch(`${base}/me`)).json()
const sessionOf = async (j, base) => (await (await j.fetch(`${base}/test/session`)).json()).session

describe('two processes of the Node example sharing one Redis', { skip }, () => {
  let server, redis, a, b
  before(async () => {
    server = await startRedis({ appendonly: true })
    redis = createClient({ url: server.url }).on('error', () => {}) // it sees the restart below too
    await redis.connect()
    ;[a, b] = await Promise.all([app(server.url), app(server.url)])
  })
  after(async () => {
    for (const p of [a, b]) if (p) await stop(p)
    redis?.destroy()
    await server?.close()
  })

  it('a login through one process is seen by the other; a logout through one is final in the other at once', async () => {
    const j = jar()
    assert.equal((await login(j, a.url, 'ann')).status, 303)
    assert.deepEqual(await me(j, b.url), { loggedIn: true, username: 'ann' })
    const old = j.cookie
    assert.equal((await j.fetch(`${b.url}/logout`, { method: 'POST' })).status, 303)
    assert.equal(j.cookie, undefined)
    // The old cookie, replayed at the other process right away: logged out.
    const replay = await fetch(`${a.url}/me`, { headers: { cookie: old } })
    assert.deepEqual(await replay.json(), { loggedIn: false, username: null })
  })

  it('50 concurrent requests of one session through both processes, each setting its own key, lose nothing', async (t) => {
    const j = jar()
    await login(j, a.url, 'bo')
    const evalsBefore = await evalCalls(redis)
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => j.fetch(`${(i % 2 ? b : a).url}/test/set?k=k${i}&v=${i}&wait=${i % 7}`)),
    )
    assert.deepEqual(responses.map((r) => r.status), Array(50).fill(200))
    const session = await sessionOf(j, a.url)
    for (let i = 0; i < 50; i++) assert.equal(session[`k${i}`], i, `k${i} was lost`)
    assert.equal(session.username, 'bo')
    t.diagnostic(`50 concurrent changes through 2 processes: ${(await evalCalls(redis)) - evalsBefore} write scripts run (1 per change when none conflict)`)
  })

  it('a process killed with SIGKILL mid-request and restarted: committed sessions intact, nothing half-written', async (t) => {
    const j = jar()
    await login(j, a.url, 'cy')
    await j.fetch(`${a.url}/test/set?k=committed&v=${encodeURIComponent('{"x":[1,2,3]}')}`)
    const other = jar()
    await login(other, b.url, 'di')

    // 30 writes of 20 KB each to one session; kill the process once 3 have answered.
    let answered = 0
    const ok = new Set()
    const killed = new Promise((resolve) => {
      const requests = Array.from({ length: 30 }, (_, i) =>
        j.fetch(`${a.url}/test/fill?k=f${i}&n=20000&c=${String.fromCharCode(97 + (i % 26))}`).then(
          async (res) => {
            await res.arrayBuffer()
            if (res.status === 200) ok.add(i)
            if (++answered === 3) resolve(stop(a))
          },
          () => {}, // cut off by the kill
        ),
      )
      Promise.all(requests).then(resolve)
    })
    await killed
    assert.ok(ok.size >= 3 && ok.size < 30, `answered before the kill: ${ok.size}`)
    t.diagnostic(`SIGKILL after ${ok.size} of 30 writes answered`)

    a = await app(server.url)
    const session = await sessionOf(j, a.url)
    assert.equal(session.username, 'cy')
    assert.deepEqual(session.committed, { x: [1, 2, 3] })
    let kept = 0
    for (let i = 0; i < 30; i++) {
      const f = session[`f${i}`]
      if (f !== undefined) kept++
      if (ok.has(i)) assert.ok(f, `f${i} was answered 200 but is missing`)
      // Present means whole: every change was one Redis command, applied entirely or not at all.
      if (f !== undefined) assert.deepEqual(f, { n: 20000, text: String.fromCharCode(97 + (i % 26)).repeat(20000) }, `f${i}`)
    }
    t.diagnostic(`after the restart: ${kept} of 30 writes stored, each whole`)
    assert.deepEqual(await me(other, b.url), { loggedIn: true, username: 'di' })
    // Every session in Redis is a whole record.
    for (const key of await redis.keys('sess:*')) {
      if (key.startsWith('sess:user:')) continue
      const h = await redis.hGetAll(key)
      assert.ok(h.d && h.e && h.c, `${key} is missing fields: ${Object.keys(h)}`)
      assert.doesNotThrow(() => JSON.parse(h.d), key)
    }
  })

  it('Redis restarted under the running processes: requests fail loudly (5xx naming Redis), then both recover without a restart', async () => {
    const j = jar()
    await login(j, a.url, 'ed')
    await server.kill() // SIGKILL; its append-only file has every acknowledged write
    for (const p of [a, b]) {
      const res = await j.fetch(`${p.url}/me`)
      assert.equal(res.status, 500)
      assert.match(await res.text(), new RegExp(`itty-session: Redis at 127\\.0\\.0\\.1:${server.port}, prefix \\\\?"sess:\\\\?" (could not|failed to) read a session`))
    }
    await server.start()
    for (const p of [a, b]) {
      let res
      for (let i = 0; i < 400; i++) {
        res = await j.fetch(`${p.url}/me`)
        if (res.status === 200) break
        await res.arrayBuffer()
        await sleep(50)
      }
      assert.equal(res.status, 200, `${p.url} did not recover within 20 s of Redis coming back: ${p.stderr().slice(-500)}`)
      assert.deepEqual(await res.json(), { loggedIn: true, username: 'ed' })
    }
    await redis.ping().catch(() => {}) // the test's own client reconnects too
  })

  it('the example as run by hand (SESSION_STORE=redis node examples/node/server.js): visits count across two processes', async () => {
    const [x, y] = await Promise.all([app(server.url, 'examples/node/server.js'), app(server.url, 'examples/node/server.js')])
    try {
      const j = jar()
      await login(j, x.url, 'flo')
      const visits = async (base) => Number((await (await j.fetch(`${base}/`)).text()).match(/id="visits">(\d+)</)?.[1])
      assert.equal(await visits(x.url), 1)
      assert.equal(await visits(y.url), 2)
      assert.equal(await visits(x.url), 3)
    } finally {
      await Promise.all([stop(x), stop(y)])
    }
  })
})

/** How many EVALSHA/EVAL calls Redis has run (INFO commandstats). */
async function evalCalls(redis) {
  const info = await redis.info('commandstats')
  let n = 0
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) n += Number(m[2])
  return n
}
