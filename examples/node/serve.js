// Serves a fetch-style handler (Request in, Response out, like itty-router's router.fetch) with node:http.
import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** The web `Request` for a node:http request (headers kept as sent, body streamed). */
export function toRequest(req, signal) {
  const url = new URL(req.url, `http://${req.headers.host ?? 'localhost'}`)
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1])
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Readable.toWeb(req)
  return new Request(url, { method: req.method, headers, body, duplex: 'half', signal })
}

/** Write a web `Response` to a node:http response: each cookie gets its own Set-Cookie header. */
export async function send(res, response, method = 'GET') {
  res.statusCode = response.status
  // Headers iterate with Set-Cookie values split apart; setHeader would keep only the last one.
  response.headers.forEach((value, name) => name !== 'set-cookie' && res.setHeader(name, value))
  const cookies = response.headers.getSetCookie()
  if (cookies.length) res.setHeader('set-cookie', cookies)
  if (!response.body || method === 'HEAD') return void res.end()
  await pipeline(Readable.fromWeb(response.body), res)
}

/** A node:http request listener calling `handler(request, env)`. */
export function listener(handler, env = {}) {
  return async (req, res) => {
    const aborted = new AbortController()
    res.on('close', () => res.writableFinished || aborted.abort()) // the client went away
    try {
      const response = (await handler(toRequest(req, aborted.signal), env)) ?? new Response('Not found', { status: 404 })
      await send(res, response, req.method)
    } catch (e) {
      console.error(e)
      if (res.headersSent) return void res.destroy()
      res.statusCode = 500
      res.end('Internal Server Error')
    }
  }
}

/** Listen on `hostname:port` (port 0: any free port); resolves to the node:http Server. */
export function serve(handler, { port = 8788, hostname = '127.0.0.1', env } = {}) {
  const server = createServer(listener(handler, env))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, hostname, () => resolve(server))
  })
}
