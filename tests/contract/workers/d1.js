// The test Worker for D1Provider on a real local D1: its methods over fetch (POST /call, for the
// contract suite), and POST /counted, which runs calls on providers made for it (a new isolate's),
// counting their D1 statements and explaining each statement's query plan.
import D1Provider from 'itty-session/providers/d1'
import { countingD1 } from '../../workers/d1-count.js'
import { contractFetch } from '../worker.mjs'

const call = contractFetch((env, options) => new D1Provider({ env, ...options }))

/**
 * POST /counted `{ calls: [[method, ...args]], options, isolates, fail }`: the calls run at once,
 * on one new provider, or with `isolates` on one new provider each. Answers
 * `{ results: [{ result } | { error }], counts, plans }`.
 */
async function counted(request, env) {
  const { calls, options = {}, isolates = false, fail = null } = await request.json()
  const dbName = options.dbName ?? 'SESSIONS'
  const counts = { read: 0, write: 0, schema: 0, sql: [] }
  const make = () => new D1Provider({ ...options, env: { [dbName]: countingD1(env[dbName], counts, fail) } })
  let shared
  const results = await Promise.all(
    calls.map(async ([method, ...args]) => {
      try {
        const provider = isolates ? make() : (shared ??= make())
        return { result: (await provider[method](...args)) ?? null }
      } catch (e) {
        return { error: e.message }
      }
    }),
  )
  const plans = []
  for (const sql of counts.sql) {
    try {
      const params = Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])))
      const rows = (await env[dbName].prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...Array(params).fill(null)).all()).results
      plans.push(rows.map((r) => r.detail).join('; '))
    } catch (e) {
      plans.push(`(no plan: ${e.message})`)
    }
  }
  return Response.json({ results, counts, plans })
}

export default {
  fetch: (request, env) => (new URL(request.url).pathname === '/counted' ? counted(request, env) : call(request, env)),
}
