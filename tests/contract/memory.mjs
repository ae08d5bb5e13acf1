// The contract harness for MemoryProvider: a fresh Map, in this process.
import MemoryProvider from 'itty-session/providers/memory'
import { directHarness } from './harness.mjs'
import { USER_KEY } from './suite.mjs'

export default function memoryHarness() {
  const store = new Map()
  return directHarness(new MemoryProvider({ store, userKey: USER_KEY }), {
    seedRaw: (key, { data, expiry, created }) => void store.set(key, { data, expiry, created }),
  })
}
