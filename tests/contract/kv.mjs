// The contract harness for KVProvider: the provider inside workerd (Miniflare) on a real local KV namespace.
import { workerHarness } from './harness.mjs'

export default async function kvHarness() {
  const h = await workerHarness('tests/contract/workers/kv.js', { d1: [], kv: ['SESSIONS_KV'], name: 'contract_kv' })
  const kv = await h.mf.getKVNamespace('SESSIONS_KV')
  return {
    ...h,
    // Documented: KV has no atomic read-modify-write, so concurrent patches of one record can lose one.
    atomicPatch: false,
    seedRaw: (key, { data, expiry, created }) => kv.put(`sess:${key}`, data, { metadata: { expiry, created } }),
  }
}
