// The contract harness for D1Provider: the provider inside workerd (Miniflare) on a real local D1.
import { workerHarness } from './harness.mjs'

/** A harness for the D1 provider run by `worker` (one with readReplicas reuses it). */
export async function d1WorkerHarness(worker, name) {
  const h = await workerHarness(worker, { d1: ['SESSIONS'], name })
  const db = await h.mf.getD1Database('SESSIONS')
  await h.call('get', 'make-the-table', Date.now())
  return {
    ...h,
    seedRaw: async (key, { data, expiry, created }) => {
      await db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)').bind(key, data, expiry, created ?? null).run()
    },
  }
}

export default () => d1WorkerHarness('tests/contract/workers/d1.js', 'contract_d1')
