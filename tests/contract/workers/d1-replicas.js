// The contract test Worker for D1Provider with readReplicas: each call runs on the per-request provider the middleware gets (forRequest), over a D1 session started from the bookmark the last call left, as a browser's cookie would carry it.
import D1Provider from 'itty-session/providers/d1'
import { contractFetch } from '../worker.mjs'

// What the middleware passes: the session cookie's name and attributes.
const config = { name: 'sid', setSuffix: '; Path=/', clearCookie: 'sid=; Max-Age=0; Path=/' }
let cookie = ''

const call = contractFetch((env, options) => {
  const base = new D1Provider({ env, ...options, readReplicas: true })
  // Every member access makes the provider of a new request, carrying the last bookmark.
  return new Proxy(
    {},
    {
      get(_, method) {
        const view = base.forRequest(new Request('http://localhost/', { headers: cookie ? { cookie } : {} }), config)
        const member = view[method]
        if (typeof member !== 'function') return member
        return async (...args) => {
          const result = await member.apply(view, args)
          const out = []
          view.addCookie(out)
          if (out.length) cookie = out[0].split(';')[0]
          return result
        }
      },
    },
  )
})

export default { fetch: (request, env) => call(request, env) }
