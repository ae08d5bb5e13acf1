// node bench/redis.mjs: what a request costs on the Redis provider (commands sent, median time beside
// MemoryProvider in the same process), on a throwaway local redis-server.
import { createClient } from 'redis'
import RedisProvider from 'itty-session/providers/redis'
import { startRedis } from '../tests/helpers/redis.mjs'
import { call, router, scenarios } from './scenarios.mjs'

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
  const app = router(RedisProvider, { client })
  // Loads the scripts into Redis (EVAL once per script after a server start).
  await call(app, '/logout', await call(app, '/set', await call(app, '/set')))
  const rows = await scenarios(app, { ops: () => sent.join(' + ') || 'none', reset: () => (sent.length = 0) })
  console.log('| request | Redis commands | Redis (loopback) | MemoryProvider |\n| --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.name} | ${r.ops} | ${r.store.toFixed(3)} ms | ${r.memory.toFixed(3)} ms |`)
} finally {
  raw.destroy()
  await server.close()
}
