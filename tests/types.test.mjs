// The package's TypeScript declarations: a sample Worker type-checks against them (as a user's
// project would, through package.json "exports"), and tsc does fail on a type error.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = (project) => {
  const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', project, '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
  return { status: r.status, output: r.stdout + r.stderr }
}

describe('TypeScript declarations', () => {
  it('tests/types/worker.ts type-checks (strict), its @ts-expect-error lines all catching a mistake', () => {
    const { status, output } = tsc('tests/types/tsconfig.json')
    assert.equal(output, '')
    assert.equal(status, 0)
  })

  it('a type error is reported', () => {
    // Inside the repo, so that 'itty-session' resolves as it does for worker.ts.
    const dir = mkdtempSync(join(root, 'tests/types/tmp-'))
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', files: ['bad.ts'] }))
      writeFileSync(
        join(dir, 'bad.ts'),
        `import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
const { sessionPreflight, sessionify } = createSessionsMiddleware<{ username?: string }>({ options: { cookieOptions: { sameSite: 'lax' } } })
const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
router.get('/', (request) => {
  request.session.username = 42
})
createSessionsMiddleware({ options: { idleTimout: 60 } })
export default router
`,
      )
      const { status, output } = tsc(join(dir, 'tsconfig.json'))
      assert.equal(status, 2, output)
      const errors = output.trim().split('\n').filter((l) => / error TS\d+:/.test(l))
      assert.equal(errors.length, 2, output)
      assert.match(errors[0], /bad\.ts\(6,3\): error TS2322: Type 'number' is not assignable to type 'string'/)
      assert.match(errors[1], /bad\.ts\(8,39\): error TS2561: .*'idleTimout' does not exist in type 'SessionOptions'/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
