// The PostgreSQL provider on Workers: built by `wrangler deploy --dry-run` (nodejs_compat, pg bundled), run in workerd with Miniflare's local Hyperdrive.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import net from 'node:net'
import { Miniflare } from 'miniflare'
import pg from 'pg'
import { startPostgres } from './helpers/postgres.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const keyOf = (cookie) => createHash('sha256').update(cookie.slice(cookie.indexOf('=') + 1)).digest('base64url')
let server, pool, dir, out, build, mf

/** A client of the Worker keeping its session cookie (named sid in this Worker). */
function client() {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    async fetch(path) {
      const res = await mf.dispatchFetch(`http://localhost${path}`, { headers: cookie ? { cookie } : {} })
      for (const c of res.headers.getSetCookie()) if (c.startsWith('sid=')) cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      return res
    },
  }
}

// Miniflare's local Hyperdrive is a TCP proxy in this process that pipes workerd's sockets to
// PostgreSQL without listening for their errors: a connection workerd resets as it closes would
// throw in this process. Such a socket (no error listener of its own) gets one here.
const emit = net.Socket.prototype.emit
net.Socket.prototype.emit = function (event, error, ...rest) {
  if (event === 'error' && this.listenerCount('error') === 0 && ['ECONNRESET', 'EPIPE'].includes(error?.code)) return false
  return emit.call(this, event, error, ...rest)
}
before(async () => {
  server = await startPostgres()
  pool = new pg.Pool({ connectionString: server.url })
  dir = mkdtempSync(join(tmpdir(), 'itty-session-pg-worker-'))
  out = join(dir, 'out')
  // What a user deploys: the provider through a Hyperdrive binding, with nodejs_compat.
  writeFileSync(
    join(dir, 'wrangler.toml'),
    `name = "itty-session-postgres-test"
main = ${JSON.stringify(join(root, 'tests/workers/postgres-app.js'))}
compatibility_date = "2025-09-01"
compatibility_flags = ["nodejs_compat"]

[[hyperdrive]]
binding = "HYPERDRIVE"
id = "00000000000000000000000000000000"
localConnectionString = ${JSON.stringify(server.url)}
`,
  )
  build = spawnSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', WRANGLER_LOG_PATH: join(dir, 'logs') },
  })
  if (build.status !== 0) return
  mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: join(out, 'postgres-app.js') },
      ...readdirSync(out)
        .filter((f) => f.endsWith('.wasm'))
        .map((f) => ({ type: 'CompiledWasm', path: join(out, f) })),
    ],
    modulesRoot: out,
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    // Miniflare's local Hyperdrive: env.HYPERDRIVE.connectionString leads to this server.
    hyperdrives: { HYPERDRIVE: server.url },
  })
  await mf.ready
})
after(async () => {
  await mf?.dispose()
  await pool?.end()
  await server?.remove()
  if (dir) rmSync(dir, { recursive: true, force: true })
  net.Socket.prototype.emit = emit
})

describe('a Worker using itty-session/providers/postgres', () => {
  it('builds with `wrangler deploy --dry-run`: pg bundled, its sockets from cloudflare:sockets', () => {
    assert.equal(build.status, 0, build.stderr + build.stdout)
    assert.match(build.stdout, /env\.HYPERDRIVE \(0{32}\)\s+Hyperdrive Config/)
    const bundle = readFileSync(join(out, 'postgres-app.js'), 'utf8')
    assert.match(bundle, /cloudflare:sockets/)
    assert.match(bundle, /itty_session_merge_patch/)
  })

  it('runs in workerd: login, read back, change, logout, against the real PostgreSQL', async () => {
    const ua = await (await mf.dispatchFetch('http://localhost/runtime')).json()
    assert.deepEqual(ua, { userAgent: 'Cloudflare-Workers' })
    const c = client()
    assert.deepEqual(await (await c.fetch('/session')).json(), { session: {} })
    assert.equal(c.cookie, undefined, 'an anonymous visit sets no cookie')
    await c.fetch('/login?user=ann')
    assert.match(c.cookie, /^sid=[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(await (await c.fetch('/session')).json(), { session: { user: 'ann' } })
    await c.fetch('/set?k=cart&v={"items":[1,2]}')
    const [row] = (await pool.query('SELECT data, meta FROM worker_sessions WHERE sid = $1', [keyOf(c.cookie)])).rows
    assert.deepEqual(JSON.parse(row.data), { user: 'ann', cart: { items: [1, 2] } })
    const old = c.cookie
    await c.fetch('/logout')
    assert.equal(c.cookie, undefined)
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM worker_sessions WHERE sid = $1', [keyOf(old)])).rows[0].n, 0)
    const replay = await mf.dispatchFetch('http://localhost/session', { headers: { cookie: old } })
    assert.deepEqual(await replay.json(), { session: {} })
  })

  it('20 concurrent requests of one session, each setting its own key, all persist', async () => {
    const c = client()
    await c.fetch('/login?user=bo')
    const cookie = c.cookie
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => mf.dispatchFetch(`http://localhost/set?k=k${i}&v=${i}`, { headers: { cookie } })))
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]))
    await Promise.all(results.map((r) => r.arrayBuffer()))
    const { session } = await (await c.fetch('/session')).json()
    for (let i = 0; i < 20; i++) assert.equal(session[`k${i}`], i)
  })

  it("a user's sessions: listed with their device, the others ended (listUser/destroyUser in workerd)", async () => {
    const phone = client()
    const laptop = client()
    await phone.fetch('/login?user=cy')
    await laptop.fetch('/login?user=cy')
    const { devices } = await (await laptop.fetch('/devices')).json()
    assert.equal(devices.length, 2)
    assert.equal(devices.filter((d) => d.current).length, 1)
    assert.deepEqual(await (await laptop.fetch('/end-others')).json(), { ended: 1 })
    assert.deepEqual(await (await phone.fetch('/session')).json(), { session: {} })
    assert.deepEqual(await (await laptop.fetch('/session')).json(), { session: { user: 'cy' } })
  })

  it('cleanupExpired runs in workerd (the scheduled handler) and deletes only expired rows', async () => {
    await pool.query("INSERT INTO worker_sessions (sid, data, expiry) VALUES ('expired-1', '{}', 1), ('expired-2', '{}', 2)")
    const live = (await pool.query('SELECT count(*)::int AS n FROM worker_sessions WHERE expiry > $1', [Date.now()])).rows[0].n
    assert.deepEqual(await (await mf.dispatchFetch('http://localhost/cleanup')).json(), { deleted: 2 })
    assert.equal((await pool.query('SELECT count(*)::int AS n FROM worker_sessions')).rows[0].n, live)
  })
})
