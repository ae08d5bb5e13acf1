// The contract harness for D1Provider with readReplicas: each call through one request's D1 session (a real local D1 in workerd), bookmarks carried from call to call.
import { workerHarness } from './harness.mjs'

export default async function d1ReplicasHarness() {
  const h = await workerHarness('tests/contract/workers/d1-replicas.js', { d1: ['SESSIONS'], name: 'contract_d1_replicas' })
  const db = await h.mf.getD1Database('SESSIONS')
  await h.call('get', 'make-the-table', Date.now())
  return {
    ...h,
    seedRaw: async (key, { data, expiry, created }) => {
      await db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)').bind(key, data, expiry, created ?? null).run()
    },
  }
}
