// The read-replica types: a Worker using readReplicas and d1() type-checks (strict) against the built package, and misuse is reported.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { it } from 'node:test'

const root = fileURLToPath(new URL('..', import.meta.url))

function check(source) {
  // Inside tests/types, so that 'itty-session' resolves as it does for a user's project.
  const dir = mkdtempSync(join(root, 'tests/types/tmp-replicas-'))
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', files: ['worker.ts'] }))
    writeFileSync(join(dir, 'worker.ts'), source)
    const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
    return { status: r.status, output: (r.stdout + r.stderr).replaceAll(dir, '') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const worker = `import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import D1Provider, { d1, type D1RequestDatabase } from 'itty-session/providers/d1'

interface Env { SESSIONS: D1Database; DB: D1Database }
const { sessionPreflight, sessionify } = createSessionsMiddleware({ providerOptions: { readReplicas: true } })
const router = AutoRouter<any, [Env]>({ before: [sessionPreflight], finally: [sessionify] })
router.get('/comments', async (request, env) => {
  const db: D1RequestDatabase = d1(request, env, 'DB')
  const { results } = await db.prepare('SELECT body FROM comments WHERE author = ?1').bind('ann').all<{ body: string }>()
  const n: number | null = await db.prepare('SELECT count(*) AS n FROM comments').first<number>('n')
  await db.batch([db.prepare('INSERT INTO comments (body) VALUES (?1)').bind('x')])
  return { bodies: results.map((r) => r.body), n }
})
// D1's own binding fits where d1() is expected, as d1() returns it when the option is off.
export const same: D1RequestDatabase = {} as Env['DB']
export const provider = (env: Env) => new D1Provider({ env, readReplicas: true })
export default router
`

it('readReplicas and d1() type-check in a strict Worker', () => {
  const { status, output } = check(worker)
  assert.equal(output, '')
  assert.equal(status, 0)
})

it('a readReplicas that is not a boolean, and d1() without a binding name, are type errors', () => {
  const { status, output } = check(`import D1Provider, { d1 } from 'itty-session/providers/d1'
export const a = (env: { SESSIONS: D1Database }) => new D1Provider({ env, readReplicas: 'yes' })
export const b = (request: Request, env: object) => d1(request, env)
`)
  assert.notEqual(status, 0)
  assert.match(output, /worker\.ts\(2,[0-9]+\): error TS2322: Type 'string' is not assignable to type 'boolean'/)
  assert.match(output, /worker\.ts\(3,[0-9]+\): error TS2554: Expected 3 arguments, but got 2/)
})
