// The Durable Object provider's declarations: a Worker using it type-checks (tsc, strict), and misuse is caught.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { it } from 'node:test'

const root = fileURLToPath(new URL('..', import.meta.url))

it('a Worker exporting SessionObject and using DurableObjectProvider type-checks; mistakes do not', () => {
  // Inside the repo, so that 'itty-session' resolves through node_modules as for tests/types/worker.ts.
  const dir = mkdtempSync(join(root, 'tests/types/tmp-do-'))
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', files: ['worker.ts'] }))
    writeFileSync(
      join(dir, 'worker.ts'),
      `import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import DurableObjectProvider, { SessionObject, type UserSessionEntry } from 'itty-session/providers/durable-object'
export { SessionObject }
interface Env { SESSIONS_DO: DurableObjectNamespace<SessionObject> }
const { sessionPreflight, sessionify, sessions } = createSessionsMiddleware<{ userId?: string }>({
  Provider: DurableObjectProvider,
  providerOptions: { doName: 'SESSIONS_DO' },
  options: { userKey: 'userId' },
})
const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
router.get('/admin', async (request, env: Env) => {
  const p = new DurableObjectProvider({ env, userKey: 'userId' })
  const list: UserSessionEntry[] = await p.listUser('ann')
  const n: number = await p.destroyUser(42, { handle: list[0]?.key.slice(0, 16) ?? '' })
  const gone: boolean = await p.destroy('k')
  const label: string = p.label
  // @ts-expect-error doName is a string
  new DurableObjectProvider({ env, doName: 1 })
  // @ts-expect-error destroyUser takes except or handle
  await p.destroyUser('ann', { all: true })
  return { n, gone, label, devices: await sessions.list(request) }
})
export default router
`,
    )
    const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
    assert.equal(r.stdout + r.stderr, '')
    assert.equal(r.status, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
