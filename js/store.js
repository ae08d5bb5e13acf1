// One storage interface for the middleware, over our providers' record methods or a 0.4 provider's five.

const RECORD_METHODS = ['get', 'create', 'patch', 'replace', 'touch', 'destroy']

/** Whether `provider` offers the record methods (see BaseProvider). */
export const hasRecordMethods = (provider) => RECORD_METHODS.every((m) => typeof provider[m] === 'function')

/**
 * Record methods over a provider that has only itty-session 0.4's five methods. Such a provider
 * picks its own ids in `createSession()`, keeps data as it likes and checks expiry itself.
 */
export function legacyRecords(provider) {
  return {
    async get(key) {
      const row = await provider.getSession(key)
      if (row?.data == null) return null
      return { data: typeof row.data === 'string' ? row.data : JSON.stringify(row.data), expiry: Infinity }
    },
    async create(key, data, expiry) {
      const sid = await provider.createSession()
      await provider.setSession(sid, JSON.parse(data), expiry)
      return sid
    },
    // A 0.4 provider can only store whole documents: patch and replace both write it all.
    patch: () => {
      throw new Error('unreachable: legacy providers are always given whole documents')
    },
    async replace(key, data, expiry) {
      await provider.setSession(key, JSON.parse(data), expiry ?? undefined)
      return true
    },
    touch: async () => true,
    async destroy(key) {
      await provider.destroySession(key)
      return true
    },
    wholeOnly: true,
  }
}

/**
 * Run `precheck()` once per middleware, lazily: on the first request that needs the store.
 * Returns `true` once it has succeeded (callers skip the await), else its promise. A failed
 * check is retried by the next request.
 */
export function oncePerIsolate() {
  let done = null
  let ready = false
  return (provider) =>
    ready ||
    (done ??= (async () => provider.precheck?.())().then(
      () => {
        ready = true
      },
      (e) => {
        done = null
        throw e
      },
    ))
}
