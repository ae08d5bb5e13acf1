// Wraps a real Durable Object namespace to count the Worker's RPC calls to its objects (and, on
// request, to make them fail). Every call still reaches the real local Durable Object.

/**
 * @param {DurableObjectNamespace} ns
 * @param {{ calls: number, methods: string[] }} counts
 * @param {boolean | (() => boolean)} fail make every call fail (a function: asked at each call)
 */
export function countingDO(ns, counts, fail) {
  return {
    idFromName: (name) => ns.idFromName(name),
    get(id) {
      const stub = ns.get(id)
      return new Proxy(
        {},
        {
          get: (_, method) =>
            method === 'then'
              ? undefined
              : async (...args) => {
                  counts.calls++
                  counts.methods.push(method)
                  if (typeof fail === 'function' ? fail() : fail) throw new Error('Durable Object call failed: injected failure')
                  return stub[method](...args)
                },
        },
      )
    },
  }
}
