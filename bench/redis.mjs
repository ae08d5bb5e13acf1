// node bench/redis.mjs: what a request costs on the Redis provider (commands sent, median time beside
// MemoryProvider in the same process), on a throwaway local redis-server.
import { createClient } from 'redis'
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import MemoryProvider from 'itty-session/providers/memory'
import RedisProvider from 'itty-session/providers/redis'
import { startRedis } from '../tests/helpers/redis.mjs'

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]
const server = await startRedis()
const sent = []
const raw = createClient({ url: server.url })
// Every command the provider sends, by name (the client does the work).
const client = new Proxy(raw, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target)
    if (prop === 'sendCommand') return (args, ...rest) => (sent.push(String(args[0]).toUpperCase()), value.call(target, args, ...rest))
    return typeof value === 'function' ? value.bind(target) : value
  },
})
try {
  const router = (Provider, providerOptions) => {
    const { sessionPreflight, sessionify } = createSessionsMiddleware({ Provider, providerOptions, options: { cookieOptions: { name: 'sid' } } })
    return AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
      .get('/get', ({ session }) => ({ n: session.n ?? null }))
      .get('/set', (req) => ({ n: (req.session.n = (req.session.n ?? 0) + 1) }))
      .get('/logout', async (req) => (await req.session.destroy(), { ok: true }))
  }
  const apps = { redis: router(RedisProvider, { client }), memory: router(MemoryProvider, { store: new Map() }) }
  const call = async (app, path, cookie) => {
    const res = await app.fetch(new Request(`http://localhost${path}`, { headers: cookie ? { cookie } : {} }))
    await res.arrayBuffer()
    return res.headers.getSetCookie().find((c) => c.startsWith('sid='))?.split(';')[0] ?? cookie
  }
  // Loads the scripts into Redis (EVAL once per script after a server start).
  await call(apps.redis, '/logout', await call(apps.redis, '/set', await call(apps.redis, '/set')))
  const rows = []
  for (const [name, path, needsSession] of [
    ['anonymous', '/get', false],
    ['returning, unchanged', '/get', true],
    ['returning, changed', '/set', true],
    ['login', '/set', false],
    ['logout', '/logout', true],
  ]) {
    const row = { name }
    for (const [store, app] of Object.entries(apps)) {
      const times = []
      for (let i = 0; i < 300; i++) {
        const cookie = needsSession ? await call(app, '/set') : undefined
        sent.length = 0
        const t = performance.now()
        await call(app, path, cookie)
        times.push(performance.now() - t)
        if (store === 'redis') row.commands = sent.join(' + ') || 'none'
      }
      row[store] = median(times)
    }
    rows.push(row)
  }
  console.log('| request | Redis commands | Redis (loopback) | MemoryProvider |\n| --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.name} | ${r.commands} | ${r.redis.toFixed(3)} ms | ${r.memory.toFixed(3)} ms |`)
} finally {
  raw.destroy()
  await server.close()
}
