// The Worker the provider contract suite drives for Durable Objects: the provider over HTTP
// (tests/contract/worker.mjs), and the object class with `seed()` to store a record as is.
import DurableObjectProvider, { SessionObject } from 'itty-session/providers/durable-object'
import { contractFetch } from '../contract/worker.mjs'

export class ContractSessionObject extends SessionObject {
  /** Store a session record bypassing the provider (no alarm, no index): bad data, 0.4 rows. */
  seed(key, { data, expiry, created }) {
    this.ctx.storage.kv.put('s', { key, binding: 'SESSIONS_DO', data, expiry, created: created ?? null, active: created ?? null, meta: null, index: null })
  }
}

export default { fetch: contractFetch((env, options) => new DurableObjectProvider({ env, ...options })) }
