// A sample Worker in TypeScript: it must type-check against the package's .d.ts files
// (tests/types.test.mjs runs tsc on it). Each @ts-expect-error line is a mistake the types catch.
import { AutoRouter, withContent } from 'itty-router'
import { createSessionsMiddleware, type SessionRequest } from 'itty-session'
import { parse, serialize } from 'itty-session/cookie'
import D1Provider, { cleanupExpired } from 'itty-session/providers/d1'
import MemoryProvider from 'itty-session/providers/memory'
import { BaseProvider, applyMergePatch, log, newSessionId, type ProviderInit, type ProviderRecord } from 'itty-session/utils'

interface Env {
  SESSIONS: D1Database
  SESSION_SECRET: string
}

type SessionData = { username?: string; visits?: number }
type AppRequest = SessionRequest<SessionData>

const { sessionPreflight, sessionify } = createSessionsMiddleware<SessionData>({
  Provider: D1Provider,
  providerOptions: { dbName: 'SESSIONS', tableName: 'sessions' },
  options: {
    cookieOptions: { name: '__Host-sid', maxAge: 7 * 24 * 3600, sameSite: 'lax' },
    secret: (env: Env) => env.SESSION_SECRET,
    idleTimeout: 30 * 60,
    absoluteTimeout: 12 * 3600,
  },
  logging: true,
})

const router = AutoRouter<AppRequest, [Env, ExecutionContext]>({
  before: [sessionPreflight],
  finally: [sessionify],
})

router.get('/', (request, env, ctx) => {
  const { session } = request
  if (!session.username) return { loggedIn: false, id: request.sessionID }
  session.visits = (session.visits ?? 0) + 1
  const name: string = session.username
  // @ts-expect-error: username is a string
  session.username = 42
  // @ts-expect-error: not a key of SessionData
  session.isAdmin = true
  return { name, visits: session.visits, db: env.SESSIONS !== undefined, ctx: typeof ctx.waitUntil }
})

// itty-router types a route's request from its handlers: withContent takes an IRequest, which
// would make request.session `any`. Name the request type (with the body's) to keep it.
router.post<AppRequest & { content: { username?: string } }>('/login', withContent, async (request) => {
  await request.session.regenerate({ authenticated: true }) // a new id at login: no session fixation
  request.session.username = request.content.username ?? ''
  // @ts-expect-error: still typed after withContent
  request.session.visits = 'many'
  return new Response(null, { status: 303, headers: { Location: '/' } })
})

router.post('/logout', async ({ session }) => {
  await session.destroy()
  return { loggedOut: true }
})

// A user's sessions: a devices page, log out everywhere else, an administrator.
const users = createSessionsMiddleware<SessionData>({ options: { userKey: 'username', deviceDetails: false, acceptLegacy: false } })
router.get('/devices', async (request) => {
  const list = await users.sessions.list(request)
  const first: string | null = list[0]?.device ?? null
  const current: boolean = list.some((s) => s.current)
  const ended: boolean = await users.sessions.end(request, list[0]?.handle ?? '')
  const others: number = await users.sessions.endOthers(request)
  // @ts-expect-error: a handle is a string
  await users.sessions.end(request, 42)
  return { first, current, ended, others }
})
router.get('/admin/:user', async (request, env) => {
  const all = await users.sessions.listUser(env, request.params.user)
  const n: number = await users.sessions.endUser(env, 42, { handle: all[0]?.handle })
  return { n }
})

// The router's request type is also inferred from the middleware, with no type arguments.
const inferred = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
inferred.get('/who', (request) => request.session.username ?? 'nobody')

// A middleware for any data: request.session takes any key.
const loose = createSessionsMiddleware({ Provider: MemoryProvider, providerOptions: { store: new Map() } })
AutoRouter({ before: [loose.sessionPreflight], finally: [loose.sessionify] }).get('/', (request) => {
  request.session.anything = { nested: [1, 2] }
  return request.session.destroy()
})

// A custom provider with the record methods, subclassing BaseProvider.
class MapProvider extends BaseProvider {
  static rows = new Map<string, ProviderRecord>()
  #logging: boolean
  constructor({ logging }: ProviderInit) {
    super()
    this.#logging = logging
  }
  precheck() {}
  get(key: string, now: number): ProviderRecord | null {
    const row = MapProvider.rows.get(key)
    return row && (now === 0 || row.expiry > now) ? row : null
  }
  create(key: string, data: string, expiry: number, created: number) {
    log(this.#logging, 'log', 'create', key.slice(0, 8))
    MapProvider.rows.set(key, { data, expiry, created })
  }
  patch(key: string, patch: string, expiry: number | null) {
    const row = MapProvider.rows.get(key)
    if (!row) return false
    row.data = JSON.stringify(applyMergePatch(JSON.parse(row.data), JSON.parse(patch)))
    if (expiry !== null) row.expiry = expiry
    return true
  }
  async replace(key: string, data: string, expiry: number | null) {
    const row = MapProvider.rows.get(key)
    if (!row) return false
    row.data = data
    row.expiry = expiry ?? row.expiry
    return true
  }
  touch(key: string, expiry: number) {
    const row = MapProvider.rows.get(key)
    if (row) row.expiry = expiry
    return !!row
  }
  destroy(key: string) {
    return MapProvider.rows.delete(key)
  }
  // 0.4's method, for code that calls it directly (the middleware uses the record methods).
  createSession() {
    const sid = newSessionId()
    this.create(sid, '{}', Date.now() + 3600_000, Date.now())
    return sid
  }
}
createSessionsMiddleware<SessionData>({ Provider: MapProvider, options: { secret: ['a'.repeat(32), 'b'.repeat(32)] } })

class BrokenProvider extends BaseProvider {
  // @ts-expect-error: patch must return a boolean (whether the record still exists)
  patch(key: string, patch: string, expiry: number | null) {
    return key + patch + expiry
  }
}
void BrokenProvider

class UnsaidDestroyProvider extends BaseProvider {
  // @ts-expect-error: destroy must say whether it removed a record
  destroy(key: string) {
    void key
  }
}
void UnsaidDestroyProvider

// The optional parts of the contract, typed on the shipped providers.
async function endOtherSessions(env: { SESSIONS: D1Database }, user: string, current: string) {
  const d1 = new D1Provider({ env, userKey: 'userId' })
  const list: { key: string; created: number | null; active: number | null; expiry: number; meta: string | null }[] = await d1.listUser(user, Date.now())
  const ended: number = await d1.destroyUser(user, { except: current })
  const memory = new MemoryProvider({ store: new Map(), userKey: 'userId' })
  const swapped: boolean = memory.swap('k', '{}', '{"a":1}', null)
  return [list, ended, swapped, d1.label, memory.label]
}
void endOtherSessions

// itty-session/cookie: cookie@1's parse and serialize.
const cookies = parse('a=1; b=2')
const a: string | undefined = cookies.a
serialize('pref', a ?? 'dark', { maxAge: 3600, sameSite: true, priority: 'high', partitioned: true, secure: true })
serialize({ name: 'pref', value: undefined, httpOnly: true })
// @ts-expect-error: cookie@1 has no 'sideways'
serialize('pref', 'dark', { sameSite: 'sideways' })

// Mistakes in createSessionsMiddleware's options.
// @ts-expect-error: not a provider class
createSessionsMiddleware({ Provider: Map })
// @ts-expect-error: a provider instance instead of its class
createSessionsMiddleware({ Provider: new MemoryProvider() })
// @ts-expect-error: unknown option (it is idleTimeout)
createSessionsMiddleware({ options: { idleTimout: 60 } })
// @ts-expect-error: sameSite has no 'sideways'
createSessionsMiddleware({ options: { cookieOptions: { sameSite: 'sideways' } } })
// @ts-expect-error: expires is refused (sessions roll: use maxAge)
createSessionsMiddleware({ options: { cookieOptions: { expires: new Date() } } })
// @ts-expect-error: the secret is a string, strings or a function of env
createSessionsMiddleware({ options: { secret: 42 } })
// @ts-expect-error: maxAge is in seconds, a number
createSessionsMiddleware({ options: { cookieOptions: { maxAge: '30d' } } })
// The README's options, defaults spelt out (this file is checked with exactOptionalPropertyTypes).
createSessionsMiddleware({
  Provider: D1Provider,
  providerOptions: { dbName: 'SESSIONS', tableName: 'sessions' },
  options: {
    cookieOptions: {
      name: 'sid',
      path: '/',
      domain: undefined,
      maxAge: 2592000,
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      partitioned: undefined,
      priority: undefined,
    },
    secret: undefined,
    idleTimeout: undefined,
    absoluteTimeout: undefined,
    maxSize: 1024 * 1024,
  },
  logging: false,
})
// @ts-expect-error: an explicit undefined does not mean the default here: it drops Secure
createSessionsMiddleware({ options: { cookieOptions: { secure: undefined } } })
// @ts-expect-error: batchSize is a number
cleanupExpired({}, { batchSize: '500' })

export default {
  fetch: router.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(cleanupExpired(env, { batchSize: 1000, maxBatches: 10 }).then((n) => log(true, 'info', `deleted ${n} sessions at ${controller.cron}`)))
  },
} satisfies ExportedHandler<Env>
