// The packed npm tarball, installed into fresh projects: Node imports it, wrangler bundles it.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { Miniflare } from 'miniflare'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name) => join(root, 'node_modules/.bin', name)
// NODE_TEST_CONTEXT would make a nested `node --test` report to us instead of printing.
const { NODE_TEST_CONTEXT, ...baseEnv } = process.env
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, env: { ...baseEnv, WRANGLER_SEND_METRICS: 'false' }, encoding: 'utf8', stdio: 'pipe' })

let work, tarball
before(() => {
  work = mkdtempSync(join(tmpdir(), 'itty-session-pack-'))
  run('npm', ['pack', join(root, 'dist'), '--pack-destination', work, '--silent'], root)
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')))
})
after(() => rmSync(work, { recursive: true, force: true }))

/** A fresh project with the tarball installed, plus dev packages linked from this repo. */
function project(name, links = []) {
  const dir = join(work, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }))
  run('npm', ['install', '--no-audit', '--no-fund', '--silent', tarball], dir)
  for (const l of links) symlinkSync(join(root, 'node_modules', l), join(dir, 'node_modules', l), 'dir')
  return dir
}

describe('the packed package', () => {
  it('ships only the package: JS, the wasm, README, LICENSE', () => {
    const files = run('tar', ['tzf', tarball], work).trim().split('\n').sort()
    assert.ok(files.includes('package/wasm/core_bg.wasm'))
    assert.ok(files.includes('package/README.md'))
    assert.ok(files.every((f) => /\.(js|d\.ts|wasm|json|md)$|LICENSE$/.test(f)), files.join('\n'))
  })

  it('in a fresh Node project, itty-session/cookie passes every conformance vector', () => {
    const dir = project('node-app', ['cookie'])
    cpSync(join(root, 'tests/cookie.test.mjs'), join(dir, 'cookie.test.mjs'))
    cpSync(join(root, 'tests/conformance'), join(dir, 'conformance'), { recursive: true })
    const out = run(process.execPath, ['--test', 'cookie.test.mjs'], dir)
    assert.match(out, /# pass 5\n# fail 0/)
  })

  it('in a fresh Node project, every export resolves and a session round-trips', () => {
    const dir = project('node-app-2', ['itty-router'])
    writeFileSync(
      join(dir, 'check.mjs'),
      `import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider from 'itty-session/providers/d1'
import MemoryProvider from 'itty-session/providers/memory'
import KVProvider from 'itty-session/providers/kv'
import { cleanupExpired } from 'itty-session/providers/d1'
import { BaseProvider, log } from 'itty-session/utils'
import { parse, serialize } from 'itty-session/cookie'
if (!(new MemoryProvider() instanceof BaseProvider) || typeof D1Provider !== 'function' || typeof KVProvider !== 'function' || typeof cleanupExpired !== 'function' || typeof log !== 'function') throw new Error('exports')
const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider: MemoryProvider })
const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
router.get('/in', (r) => { r.session.user = 'ann'; return { ok: true } }).get('/me', (r) => ({ user: r.session.user ?? null }))
const first = await router.fetch(new Request('http://x/in'))
const cookie = first.headers.getSetCookie()[0].split(';')[0]
const me = await (await router.fetch(new Request('http://x/me', { headers: { cookie } }))).json()
console.log(JSON.stringify({ me, sid: parse(cookie)['__Host-sid'].length, s: serialize('a', 'b c') }))
`,
    )
    const out = JSON.parse(run(process.execPath, ['check.mjs'], dir))
    assert.deepEqual(out, { me: { user: 'ann' }, sid: 43, s: 'a=b%20c' })
  })

  it('in a fresh Worker project, wrangler bundles it and the 0.4 README example runs in workerd', async () => {
    const dir = project('worker-app', ['itty-router'])
    cpSync(join(root, 'tests/workers/readme.js'), join(dir, 'index.js'))
    writeFileSync(
      join(dir, 'wrangler.toml'),
      'name = "worker-app"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n[[d1_databases]]\nbinding = "SESSIONS"\ndatabase_name = "s"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n',
    )
    run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], dir)
    const out = join(dir, 'out')
    const wasm = readdirSync(out).filter((f) => f.endsWith('.wasm'))
    assert.equal(wasm.length, 1)
    const mf = new Miniflare({
      modules: [
        { type: 'ESModule', path: join(out, 'index.js') },
        { type: 'CompiledWasm', path: join(out, wasm[0]) },
      ],
      modulesRoot: out,
      compatibilityDate: '2025-09-01',
      d1Databases: ['SESSIONS'],
    })
    try {
      const db = await mf.getD1Database('SESSIONS')
      await db.exec('CREATE TABLE sessions (sid TEXT UNIQUE, data TEXT, expiry INTEGER)')
      const sid = crypto.randomUUID()
      await db.prepare('INSERT INTO sessions VALUES (?, ?, ?)').bind(sid, '{"username":"test"}', Date.now()).run()
      const login = await mf.dispatchFetch('http://localhost/login', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
      assert.deepEqual(await login.json(), { success: false, message: 'invalid credentials' })
      const logout = await mf.dispatchFetch('http://localhost/logout', { headers: { Cookie: `__Host-sid=${sid}` } })
      assert.deepEqual(await logout.json(), { success: true, message: 'logged out' })
      assert.match(logout.headers.getSetCookie()[0], /^__Host-sid=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
      assert.equal(await db.prepare('SELECT * FROM sessions WHERE sid = ?').bind(sid).first(), null)
    } finally {
      await mf.dispose()
    }
  })
})
