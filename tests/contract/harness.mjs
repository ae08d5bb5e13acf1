// Harnesses for tests/contract/suite.mjs: a provider object in this process, or one inside a workerd test Worker.
import { startWorker } from '../helpers/workerd.mjs'
import { USER_KEY } from './suite.mjs'

/** JSON-able, as if it had crossed a process boundary (undefined becomes null). */
const plain = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)))

/**
 * A harness over a provider in this process.
 * @param {object} provider made with `userKey: USER_KEY`
 * @param {object} [extra] e.g. `{ seedRaw, close }`
 */
export function directHarness(provider, extra = {}) {
  return {
    async call(method, ...args) {
      const member = provider[method]
      return plain(typeof member === 'function' ? await member.apply(provider, args) : member)
    },
    has: (method) => typeof provider[method] === 'function',
    ...extra,
  }
}

/**
 * Start `entry` (a Worker whose fetch is `contractFetch(...)`, see worker.mjs) in workerd with
 * `bindings` (startWorker's options: d1, kv, ...), and return a harness calling its provider,
 * made with `{ userKey: USER_KEY, ...options }`. The harness also carries `mf` (the Miniflare) and
 * `callWith(options, method, ...args)` for a provider made with other options.
 */
export async function workerHarness(entry, bindings, { options = {}, ...extra } = {}) {
  const { mf, fetch } = await startWorker(entry, bindings)
  const post = async (path, body) => {
    const res = await fetch(path, { method: 'POST', body: JSON.stringify(body) })
    const out = await res.json()
    if (out.error !== undefined) throw Object.assign(new Error(out.error), { name: out.name ?? 'Error' })
    return out.result
  }
  const base = { userKey: USER_KEY, ...options }
  return {
    mf,
    call: (method, ...args) => post('/call', { method, args, options: base }),
    callWith: (more, method, ...args) => post('/call', { method, args, options: { ...base, ...more } }),
    has: (method) => post('/has', { method, options: base }),
    close: () => mf.dispose(),
    ...extra,
  }
}
