// examples/worker switched to Durable Objects by its one documented line, run in workerd: log in,
// visit, log out, with sessions in real local Durable Objects and none in D1.
import assert from 'node:assert/strict'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { after, before, it } from 'node:test'
import { startWorker } from './helpers/workerd.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const LINE = 'const Provider = D1Provider\n'
let mf, fetch
before(async () => {
  const source = readFileSync(`${root}examples/worker/src/sessions.js`, 'utf8')
  assert.equal(source.split(LINE).length, 2, `examples/worker/src/sessions.js has the line ${JSON.stringify(LINE)} exactly once`)
  mkdirSync(`${root}tests/.artifacts/example-do-src`, { recursive: true })
  cpSync(`${root}examples/worker/src`, `${root}tests/.artifacts/example-do-src`, { recursive: true })
  writeFileSync(`${root}tests/.artifacts/example-do-src/sessions.js`, source.replace(LINE, 'const Provider = DurableObjectProvider\n'))
  // The bindings of examples/worker/wrangler.toml.
  const toml = readFileSync(`${root}examples/worker/wrangler.toml`, 'utf8')
  assert.match(toml, /\[\[durable_objects\.bindings\]\]\nname = "SESSIONS_DO"\nclass_name = "SessionObject"/)
  assert.match(toml, /new_sqlite_classes = \["SessionObject"\]/)
  ;({ mf, fetch } = await startWorker('tests/.artifacts/example-do-src/index.js', {
    name: 'example-do',
    d1: ['SESSIONS'],
    durableObjects: { SESSIONS_DO: { className: 'SessionObject', useSQLite: true } },
    bindings: { SESSION_SECRET: /SESSION_SECRET = "([^"]+)"/.exec(toml)[1] },
  }))
})
after(() => mf?.dispose())

it('with Provider = DurableObjectProvider, the example logs in, counts visits and logs out; D1 is never used', async () => {
  const origin = { Origin: 'http://localhost' } // the example refuses cross-site form posts
  const login = await fetch('/login', { method: 'POST', headers: origin, body: new URLSearchParams({ username: 'ann', password: 'test' }), redirect: 'manual' })
  assert.equal(login.status, 303)
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('__Host-sid='))?.split(';')[0]
  assert.ok(cookie, login.headers.getSetCookie().join('\n'))
  const headers = { Cookie: cookie, ...origin }
  assert.match(await (await fetch('/', { headers })).text(), /Logged in as <strong id="user">ann<\/strong>[\s\S]*id="visits">1</)
  assert.match(await (await fetch('/', { headers })).text(), /id="visits">2</)
  assert.deepEqual(await (await fetch('/me', { headers })).json(), { loggedIn: true, username: 'ann' })
  const db = await mf.getD1Database('SESSIONS')
  assert.equal((await db.prepare("SELECT name FROM sqlite_master WHERE name = 'sessions'").all()).results.length, 0, 'no sessions table in D1')
  const logout = await fetch('/logout', { method: 'POST', headers, redirect: 'manual' })
  assert.equal(logout.status, 303)
  assert.deepEqual(await (await fetch('/me', { headers })).json(), { loggedIn: false, username: null })
})
