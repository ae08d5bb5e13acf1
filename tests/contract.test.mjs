// Every provider against the one contract (tests/contract/suite.mjs): one line per provider.
import { contractSuite } from './contract/suite.mjs'

contractSuite('memory', () => import('./contract/memory.mjs'))
contractSuite('Durable Objects in workerd', () => import('./contract/durable-object.mjs'))
contractSuite('SQLite (examples/node)', () => import('./contract/sqlite.mjs'))
contractSuite('D1 in workerd', () => import('./contract/d1.mjs'))
contractSuite('D1 with readReplicas, through a request\'s D1 session', () => import('./contract/d1-replicas.mjs'))
contractSuite('KV in workerd', () => import('./contract/kv.mjs'))
contractSuite('Redis (node-redis)', () => import('./contract/redis.mjs'))
contractSuite('Redis (ioredis)', () => import('./contract/redis.mjs').then((m) => m.redisHarness('ioredis')))
contractSuite('PostgreSQL', () => import('./contract/postgres.mjs'))
