// The contract harness for D1Provider: the provider inside workerd (Miniflare) on a real local D1.
import { workerHarness } from './harness.mjs'

export default async function d1Harness() {
  const h = await workerHarness('tests/contract/workers/d1.js', { d1: ['SESSIONS'], name: 'contract_d1' })
  const db = await h.mf.getD1Database('SESSIONS')
  await h.call('get', 'make-the-table', Date.now())
  return {
    ...h,
    seedRaw: async (key, { data, expiry, created }) => {
      await db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)').bind(key, data, expiry, created ?? null).run()
    },
  }
}
