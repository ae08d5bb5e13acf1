// Wraps a real KV binding to count operations by kind (and, on request, to make one kind fail).
// Every operation still runs against the real local KV namespace.

/**
 * @param {KVNamespace} kv
 * @param {{ read: number, write: number, delete: number }} counts
 * @param {'read' | 'write' | 'delete' | null} fail the kind of operation to fail, if any
 */
export function countingKV(kv, counts, fail) {
  const count = (kind, method) => async (...args) => {
    counts[kind]++
    if (fail === kind) throw new Error(`KV ${kind.toUpperCase()} failed: injected failure`)
    return kv[method](...args)
  }
  return {
    get: count('read', 'get'),
    getWithMetadata: count('read', 'getWithMetadata'),
    list: count('read', 'list'),
    put: count('write', 'put'),
    delete: count('delete', 'delete'),
  }
}
