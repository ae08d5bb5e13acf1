// The contract harness for DurableObjectProvider: real local SQLite-backed Durable Objects in workerd.
import { workerHarness } from './harness.mjs'

export default async function durableObjectHarness() {
  const h = await workerHarness('tests/workers/do-contract.js', {
    d1: [],
    durableObjects: { SESSIONS_DO: { className: 'ContractSessionObject', useSQLite: true } },
  })
  const ns = await h.mf.getDurableObjectNamespace('SESSIONS_DO')
  return { ...h, seedRaw: (key, record) => ns.get(ns.idFromName(key)).seed(key, record) }
}
