// The contract test Worker for KVProvider: its methods over fetch, on a real local KV namespace (binding SESSIONS_KV).
import KVProvider from 'itty-session/providers/kv'
import { contractFetch } from '../worker.mjs'

export default { fetch: contractFetch((env, options) => new KVProvider({ env, ...options })) }
