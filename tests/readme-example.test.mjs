// itty-session 0.4.1's README example, unchanged, in workerd with a real local D1.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startWorker } from './helpers/workerd.mjs'

let mf, fetch
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/readme.js'))
})
after(() => mf?.dispose())

describe("itty-session 0.4.1's README example runs unchanged", () => {
  it('starts (0.4.0 crashes here because options is omitted) and answers /login', async () => {
    const res = await fetch('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'test', password: 'test' }),
    })
    assert.equal(res.status, 200)
    // The example's own check (`!content?.username !== 'test'`) is always true, so it always
    // refuses; what matters is that it runs, and that a refused login stores nothing.
    assert.deepEqual(await res.json(), { success: false, message: 'invalid credentials' })
    assert.deepEqual(res.headers.getSetCookie(), [])
    const db = await mf.getD1Database('SESSIONS')
    const tables = (await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").all()).results
    assert.equal(tables.length, 0, 'no D1 query at all for a session that stayed empty')
  })

  it('answers /logout, clearing a session the visitor had', async () => {
    const db = await mf.getD1Database('SESSIONS')
    await db.exec('CREATE TABLE IF NOT EXISTS sessions (sid TEXT UNIQUE, data TEXT, expiry INTEGER)')
    const sid = crypto.randomUUID() // as itty-session 0.4 issued them
    await db.prepare('INSERT INTO sessions (sid, data, expiry) VALUES (?, ?, ?)').bind(sid, '{"username":"test","isLoggedIn":true}', Date.now()).run()
    const res = await fetch('/logout', { headers: { Cookie: `__Host-sid=${sid}` } })
    assert.deepEqual(await res.json(), { success: true, message: 'logged out' })
    assert.deepEqual(res.headers.getSetCookie(), ['__Host-sid=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict'])
    assert.equal(await db.prepare('SELECT * FROM sessions WHERE sid = ?').bind(sid).first(), null)
  })
})
