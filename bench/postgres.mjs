// node bench/postgres.mjs: what a request costs on the PostgreSQL provider (statements, time) and what concurrent changes of one session cost, on a throwaway local server.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import pg from 'pg'
import PostgresProvider, { closePools } from 'itty-session/providers/postgres'
import { startPostgres } from '../tests/helpers/postgres.mjs'
import { call, router, scenarios } from './scenarios.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } })
const pool = new pg.Pool({ connectionString: server.url, max: 10 })
const out = { machine: `${process.version}`, scenarios: [], concurrency: [] }

try {
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
  const statements = []
  const counted = { query: (text, values) => (statements.push(text), pool.query(text, values)) }

  // 1. Per request, in this process: statements sent, and the median time against MemoryProvider.
  const app = router(PostgresProvider, { pool: counted, tableName: 'bench_sessions' })
  await call(app, '/set') // creates the table
  for (const row of await scenarios(app, { ops: () => statements.map((s) => s.split(' ')[0]).join(' + ') || 'none', reset: () => (statements.length = 0) })) {
    out.scenarios.push({ name: row.name, statements: row.ops, postgres: row.store, memory: row.memory })
  }

  // 2. 50 concurrent changes of one session, each its own key: in one process, then through two
  // processes of the Node example; pg_stat_statements counts what ran and what it changed.
  const stats = async () => {
    const { rows } = await pool.query(
      "SELECT query, calls::int, rows::int FROM pg_stat_statements WHERE query LIKE 'UPDATE%sessions%' OR query LIKE 'SELECT data, expiry%'",
    )
    const pick = (re) => rows.filter((r) => re.test(r.query)).reduce((a, r) => ({ calls: a.calls + r.calls, rows: a.rows + r.rows }), { calls: 0, rows: 0 })
    return { reads: pick(/^SELECT data, expiry/), swaps: pick(/AND data = \$2/), patches: pick(/itty_session_merge_patch/) }
  }
  const concurrent = async (label, send) => {
    await pool.query('SELECT pg_stat_statements_reset()')
    const t = performance.now()
    const lost = await send()
    const ms = performance.now() - t
    const s = await stats()
    out.concurrency.push({ label, ms, lost, reads: s.reads.calls, swapsWon: s.swaps.rows, swapsLost: s.swaps.calls - s.swaps.rows, patches: s.patches.calls })
  }
  {
    const app = router(PostgresProvider, { pool, tableName: 'sessions' })
    app.get('/k', (req) => ({ ok: (req.session[req.query.k] = 1) }))
    const cookie = await call(app, '/set')
    await concurrent('50 at once, one process (pool of 10)', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => call(app, `/k?k=k${i}`, cookie)))
      const { rows } = await pool.query('SELECT data FROM sessions WHERE sid = $1', [createHash('sha256').update(cookie.slice(4)).digest('base64url')])
      const data = JSON.parse(rows[0].data)
      return Array.from({ length: 50 }, (_, i) => `k${i}`).filter((k) => data[k] !== 1).length
    })
  }
  const procs = await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [join(root, 'tests/helpers/postgres-app.mjs')], { env: { ...process.env, SESSION_STORE: 'postgres', DATABASE_URL: server.url, PORT: '0' } })
          child.stdout.on('data', (d) => {
            const url = String(d).match(/http:\/\/127\.0\.0\.1:\d+/)?.[0]
            if (url) resolve({ child, url })
          })
          child.once('exit', (code) => reject(new Error(`app exited ${code}`)))
        }),
    ),
  )
  try {
    const login = await fetch(`${procs[0].url}/login`, { method: 'POST', body: new URLSearchParams({ username: 'ann', password: 'test' }), redirect: 'manual' })
    const cookie = login.headers.getSetCookie()[0].split(';')[0]
    await concurrent('50 at once, two processes of the Node example', async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${procs[i % 2].url}/test/set`, { method: 'POST', headers: { cookie }, body: JSON.stringify({ k: `k${i}`, v: i }) }).then((r) => r.arrayBuffer()),
        ),
      )
      const { session } = await (await fetch(`${procs[0].url}/test/session`, { headers: { cookie } })).json()
      return Array.from({ length: 50 }, (_, i) => i).filter((i) => session[`k${i}`] !== i).length
    })
  } finally {
    for (const { child } of procs) child.kill()
  }

  console.log('| request | statements | PostgreSQL (loopback) | MemoryProvider |\n| --- | --- | --- | --- |')
  for (const r of out.scenarios) console.log(`| ${r.name} | ${r.statements} | ${r.postgres.toFixed(3)} ms | ${r.memory.toFixed(3)} ms |`)
  console.log('\n| 50 concurrent changes of one session | changes lost | reads | swaps won | swaps lost | merge patches | wall |\n| --- | --- | --- | --- | --- | --- | --- |')
  for (const c of out.concurrency) console.log(`| ${c.label} | ${c.lost} | ${c.reads} | ${c.swapsWon} | ${c.swapsLost} | ${c.patches} | ${c.ms.toFixed(0)} ms |`)
} finally {
  await pool.end()
  await closePools()
  await server.remove()
}
