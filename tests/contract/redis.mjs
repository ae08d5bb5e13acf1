// The contract harness for RedisProvider: a throwaway redis-server, reached through node-redis or ioredis.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import RedisProvider from 'itty-session/providers/redis'
import { startRedis } from '../helpers/redis.mjs'
import { directHarness } from './harness.mjs'
import { USER_KEY } from './suite.mjs'

/**
 * A harness over RedisProvider on its own redis-server. `kind`: 'node-redis' (the client made
 * with createClient() and left unconnected: the provider connects it) or 'ioredis'.
 */
export async function redisHarness(kind = 'node-redis') {
  const server = await startRedis()
  const client = kind === 'ioredis' ? new Redis(server.url, { lazyConnect: true }) : createClient({ url: server.url })
  const provider = new RedisProvider({ client, userKey: USER_KEY, prefix: 'contract:' })
  await provider.precheck()
  const send = (args) => (kind === 'ioredis' ? client.call(...args) : client.sendCommand(args))
  return directHarness(provider, {
    // A record written without the provider: no TTL (as a 0.4 row would have), `created` left out when undefined.
    async seedRaw(key, { data, expiry, created }) {
      await send(['HSET', `contract:${key}`, 'd', data, 'e', String(expiry), ...(created === undefined || created === null ? [] : ['c', String(created)])])
    },
    async close() {
      if (kind === 'ioredis') client.disconnect()
      else client.destroy()
      await server.close()
    },
  })
}

export default () => redisHarness('node-redis')
