// The fetch handler of a contract test Worker: runs a provider's methods sent as POST /call, in workerd.

/**
 * A Worker `fetch` that exposes a provider over HTTP for tests/contract/suite.mjs:
 * `POST /call {method, args, options}` answers `{ result }` or `{ error }` (status 500);
 * `POST /has {method, options}` answers whether the provider has that method.
 * `make(env, options)` makes the provider; one is kept per env and options.
 * @param {(env: object, options: object) => object} make
 */
export function contractFetch(make) {
  const providers = new Map()
  const providerFor = (env, options = {}) => {
    const id = JSON.stringify(options)
    if (!providers.has(id) || providers.get(id).env !== env) providers.set(id, { env, provider: make(env, options) })
    return providers.get(id).provider
  }
  return async (request, env) => {
    const { pathname } = new URL(request.url)
    try {
      const { method, args = [], options } = await request.json()
      const provider = providerFor(env, options)
      if (pathname === '/has') return Response.json({ result: typeof provider[method] === 'function' })
      if (pathname !== '/call') return Response.json({ error: `no route ${pathname}` }, { status: 404 })
      const member = provider[method]
      const result = typeof member === 'function' ? await member.apply(provider, args) : member
      return Response.json({ result: result ?? null })
    } catch (e) {
      return Response.json({ error: e?.message ?? String(e), name: e?.name }, { status: 500 })
    }
  }
}
