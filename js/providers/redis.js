// itty-session/providers/redis: sessions in Redis (a node-redis or ioredis client you pass in), expired by Redis TTLs, changed by compare-and-swap.
import { DEFAULT_COOKIE_OPTIONS } from '../config.js'
import { RecordProvider } from '../utils/RecordProvider.js'
import { log } from '../utils/log.js'
import { applyMergePatch } from '../utils/mergePatch.js'
import { checkUserKey, noUserKey, userOf, userText } from '../utils/user.js'

// Printable ASCII without spaces: a prefix shows up as is in redis-cli, logs and KEYS patterns.
const PREFIX = /^[\x21-\x7e]{0,100}$/
/** How many times `patch` re-reads and retries when other requests keep changing the session. */
const MAX_TRIES = 40

// Each session is a hash: d (the JSON text), e (expiry), c (created), a (active), m (meta),
// u (the user's index key, when the provider has a userKey). The key expires at `e` (PEXPIREAT),
// so Redis deletes it itself. A user's sessions are a sorted set `<prefix>user:<userKey>:<user>`
// of record keys scored by expiry, expiring with its last session; naming it after userKey means
// a changed userKey starts new indexes instead of reading another field's values. The scripts
// never decode JSON (Lua's cjson rounds numbers and turns [] into {}): they compare and store the
// text as given.

// The user argument: '-' leave it (no userKey, or touch), '0' anonymous, '1' followed by the
// user's index key.
const LIB = `
local function index(ikey, member, expiry)
  redis.call('ZADD', ikey, expiry, member)
  local top = redis.call('ZRANGE', ikey, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', ikey, top[2])
end
`

// KEYS[1] the session; ARGV: data, expiry, created, meta ('' none), user, member.
const CREATE = `${LIB}
local k = KEYS[1]
if redis.call('EXISTS', k) == 1 then return redis.error_reply('ERR itty-session: a session is already stored under this key') end
redis.call('HSET', k, 'd', ARGV[1], 'e', ARGV[2], 'c', ARGV[3], 'a', ARGV[7])
if ARGV[4] ~= '' then redis.call('HSET', k, 'm', ARGV[4]) end
if string.sub(ARGV[5], 1, 1) == '1' then
  local ikey = string.sub(ARGV[5], 2)
  redis.call('HSET', k, 'u', ikey)
  index(ikey, ARGV[6], ARGV[2])
end
redis.call('PEXPIREAT', k, ARGV[2])
return 1
`

// KEYS[1] the session; ARGV: mode ('swap': only if the stored text is ARGV[2]; 'set'; 'touch'),
// snapshot, data ('' keeps it), expiry ('' keeps it), now, user, member.
// Returns 1 when written, 0 when the session is gone, or the stored text when it is not the snapshot.
const WRITE = `${LIB}
local k = KEYS[1]
local cur = redis.call('HGET', k, 'd')
if not cur then return 0 end
if ARGV[1] == 'swap' and cur ~= ARGV[2] then return cur end
if ARGV[3] ~= '' then redis.call('HSET', k, 'd', ARGV[3]) end
local expiry = ARGV[4]
if expiry ~= '' then redis.call('HSET', k, 'e', expiry, 'a', ARGV[5]) else expiry = redis.call('HGET', k, 'e') end
local old = redis.call('HGET', k, 'u')
local new = old
local mode = string.sub(ARGV[6], 1, 1)
if mode == '1' then new = string.sub(ARGV[6], 2) elseif mode == '0' then new = false end
if old and old ~= new then redis.call('ZREM', old, ARGV[7]) end
if new then
  if new ~= old then redis.call('HSET', k, 'u', new) end
  index(new, ARGV[7], expiry)
elseif old then
  redis.call('HDEL', k, 'u')
end
if ARGV[4] ~= '' then redis.call('PEXPIREAT', k, expiry) end
return 1
`

// KEYS[1] the session; ARGV: member. Returns how many keys were deleted (0 or 1).
const DESTROY = `
local ikey = redis.call('HGET', KEYS[1], 'u')
local n = redis.call('DEL', KEYS[1])
if ikey then redis.call('ZREM', ikey, ARGV[1]) end
return n
`

// KEYS[1] the user's index; ARGV: now, prefix, the clock. Drops members dead by the clock (gone,
// expired, or no longer this user's); returns [key, created, active, expiry, meta, ...] of those
// live at \`now\` ('' for a missing field).
const LIST_USER = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local out = {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local r = redis.call('HMGET', ARGV[2] .. m, 'u', 'c', 'a', 'e', 'm')
  if r[1] ~= KEYS[1] then
    redis.call('ZREM', KEYS[1], m)
  else
    out[#out + 1] = m
    out[#out + 1] = r[2] or ''
    out[#out + 1] = r[3] or ''
    out[#out + 1] = r[4] or ''
    out[#out + 1] = r[5] or ''
  end
end
return out
`

// KEYS[1] the user's index; ARGV: prefix, except ('' none), handle ('' all, else 'h' and the
// first 16 characters of a key). Deletes only sessions that are still this user's. Returns how
// many were deleted.
const DESTROY_USER = `
local n = 0
local handle = string.sub(ARGV[3], 2)
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if m ~= ARGV[2] and (ARGV[3] == '' or string.sub(m, 1, 16) == handle) then
    local k = ARGV[1] .. m
    if redis.call('HGET', k, 'u') == KEYS[1] then n = n + redis.call('DEL', k) end
    redis.call('ZREM', KEYS[1], m)
  end
end
return n
`

const sha1 = async (text) =>
  [...new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('')
const SCRIPTS = { CREATE, WRITE, DESTROY, LIST_USER, DESTROY_USER }
let shas // the scripts' SHA-1s, computed once per process
const shaOf = async (name) => (shas ??= Object.fromEntries(await Promise.all(Object.entries(SCRIPTS).map(async ([n, s]) => [n, await sha1(s)]))))[name]

const message = (e) => e?.message || e?.code || e?.name || String(e)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * One interface over the two Node clients: node-redis (`createClient()` from 'redis', 4 or later)
 * and ioredis (`new Redis()`, 5 or later): `send(args)`, `state()` ('ready', 'idle': never
 * connected, 'connecting', 'down': reconnecting after a failure, 'closed': quit), `connect()`,
 * and `where` (host:port, never the credentials).
 */
function adapt(client) {
  const where = (host, port, path) => path || `${host ?? 'localhost'}:${port ?? 6379}`
  if (client && typeof client.call === 'function' && typeof client.status === 'string') {
    const o = client.options ?? {}
    if (o.keyPrefix) {
      // ioredis adds it to declared keys only; the scripts build index and session keys themselves.
      throw new TypeError(`itty-session: the ioredis client has keyPrefix ${JSON.stringify(o.keyPrefix)}, which ioredis cannot add to the keys the provider's scripts build: give the provider a client without keyPrefix and put it in providerOptions.prefix instead (e.g. prefix: ${JSON.stringify(`${o.keyPrefix}sess:`)})`)
    }
    const a = {
      send: (args) => client.call(...args),
      state() {
        const s = client.status
        if (s === 'ready') return 'ready'
        if (s === 'wait') return 'idle' // lazyConnect, before connect()
        if (s === 'end') return 'closed'
        return s === 'reconnecting' || s === 'close' || a.lastError ? 'down' : 'connecting'
      },
      connect: () => client.connect(),
      where: where(o.host, o.port, o.path),
    }
    return a
  }
  if (client && typeof client.sendCommand === 'function' && typeof client.isReady === 'boolean') {
    const o = client.options ?? {}
    let at
    try {
      if (o.url) {
        const u = new URL(o.url)
        at = `${u.hostname}:${u.port || 6379}`
      }
    } catch {}
    const a = {
      send: (args) => client.sendCommand(args),
      state() {
        if (client.isReady) return 'ready'
        if (!client.isOpen) return a.seen ? 'closed' : 'idle'
        return a.lastError ? 'down' : 'connecting'
      },
      connect: () => client.connect(),
      where: at ?? where(o.socket?.host, o.socket?.port, o.socket?.path),
    }
    return a
  }
  const got = client === undefined ? 'nothing' : client === null ? 'null' : `a ${client?.constructor?.name ?? typeof client}`
  throw new TypeError(
    `itty-session: providerOptions.client must be a Redis client: createClient({ url }) from the "redis" package (node-redis 4 or later), or new Redis(url) from "ioredis" (5 or later); got ${got}`,
  )
}

// One adapter per client, shared by the providers made for it (one per env object).
const adapters = new WeakMap()
function adapterFor(client) {
  let a = adapters.get(client)
  if (!a) {
    a = adapt(client)
    a.lastError = null
    a.seen = a.state() === 'ready' // node-redis: connected before, so not open later means quit
    a.waiting = null
    a.queues = new Map() // Redis key of a session -> the last patch of it in flight (see patch)
    a.hints = new Map() // Redis key of a session -> its stored text, as a lost swap saw it (see patch)
    // Remember why the client is down, to say so. Listening also keeps a Redis outage from
    // crashing the process with an unhandled 'error' event: both clients reconnect by themselves.
    client.on('error', (e) => (a.lastError = message(e)))
    client.on('ready', () => {
      a.lastError = null
      a.seen = true
    })
    a.on = (event, fn) => client.on(event, fn)
    a.off = (event, fn) => client.off(event, fn)
    adapters.set(client, a)
  }
  return a
}

/** What to check, from a Redis error. */
function hint(text) {
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)) return " (check the password, or username, in the client's url or options)"
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|Socket closed|Connection is closed/i.test(text)) return ' (is redis-server running there and reachable?)'
  return ''
}

/**
 * Stores sessions in Redis through the client you pass as `providerOptions.client`: one hash per
 * session under `prefix` + the record key (the SHA-256 of the session id, never the id), expiring
 * with the session (PEXPIREAT), so Redis deletes expired sessions itself; `expiry` is also checked
 * on read. Changes are compare-and-swap scripts on the stored text: `swap` writes only if the
 * session is still what the request loaded, and `patch` re-reads, merges in JS and swaps, retrying
 * while other requests change it, so concurrent changes to different keys all persist.
 */
export class RedisProvider extends RecordProvider {
  #redis
  #prefix
  #logging
  #userKey
  #timeout

  /**
   * @param {object} init
   * @param {object} init.client a node-redis or ioredis client (connected, or connected on first use)
   * @param {string} [init.prefix='sess:'] put before every record key
   * @param {string} [init.userKey] the session field naming its user, for listUser/destroyUser
   * @param {number} [init.timeout=5000] ms to wait for Redis to answer a command
   * @param {boolean} [init.logging=false]
   * @param {number} [init.maxAge] seconds; the lifetime of a session made by `createSession()`
   */
  constructor({ client, prefix = 'sess:', userKey, timeout = 5000, logging = false, maxAge = DEFAULT_COOKIE_OPTIONS.maxAge } = {}) {
    super(maxAge)
    if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
      throw new TypeError(`itty-session: providerOptions.prefix must be at most 100 printable ASCII characters without spaces or control characters (e.g. 'sess:' or 'myapp:sess:'); got ${JSON.stringify(prefix)}`)
    }
    if (!(Number.isInteger(timeout) && timeout > 0)) {
      throw new TypeError(`itty-session: providerOptions.timeout must be a whole number of milliseconds above 0; got ${JSON.stringify(timeout)}`)
    }
    this.#redis = adapterFor(client)
    this.#prefix = prefix
    this.#logging = logging
    this.#userKey = checkUserKey(userKey)
    this.#timeout = timeout
  }

  /** Where the sessions live, for error messages. */
  get label() {
    return `Redis at ${this.#redis.where}, prefix "${this.#prefix}"`
  }

  #fail(what, e) {
    const text = message(e)
    log(this.#logging, 'error', `Redis failed to ${what}:`, e)
    return new Error(`itty-session: ${this.label} failed to ${what}: ${text}${hint(text)}`, { cause: e })
  }

  #notReady(what) {
    const r = this.#redis
    const why = r.state() === 'closed' ? 'the client was closed (quit)' : `the client is not connected${r.lastError ? ` (last error: ${r.lastError})` : ''}; it reconnects by itself`
    return new Error(`itty-session: ${this.label} could not ${what}: ${why}${hint(r.lastError ?? '')}`)
  }

  /**
   * Resolve once the client is ready: connect a client that was never connected (node-redis'
   * `createClient()` without `connect()`, ioredis' `lazyConnect`) and wait for a first connection;
   * fail at once when it is down or closed (requests fail fast during an outage, not queue).
   */
  #connected(what) {
    const r = this.#redis
    const state = r.state()
    if (state === 'ready') return
    if (state === 'down' || state === 'closed') throw this.#notReady(what)
    return (r.waiting ??= new Promise((resolve, reject) => {
      const done = (e) => {
        clearTimeout(timer)
        r.off('ready', onReady)
        r.off('error', done)
        r.waiting = null
        if (!e) return resolve()
        const text = message(e)
        reject(new Error(`itty-session: could not connect to Redis at ${r.where}: ${text}${hint(text)}`, { cause: e }))
      }
      const onReady = () => done()
      const timer = setTimeout(() => done(new Error(`no connection within ${this.#timeout} ms`)), this.#timeout)
      r.on('ready', onReady)
      r.on('error', done)
      if (state === 'idle') r.connect().catch(() => {}) // its failure arrives as an 'error' event
    }))
  }

  /** Send one command: fails at once when the client is down, and after `timeout` ms without an answer. */
  async #send(what, args) {
    if (this.#redis.state() !== 'ready') await this.#connected(what)
    let timer
    try {
      return await Promise.race([
        this.#redis.send(args),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeout} ms`)), this.#timeout)
        }),
      ])
    } catch (e) {
      throw this.#fail(what, e)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Run a script by its SHA-1, loading it (EVAL) when Redis does not have it (first use, or after a restart). */
  async #script(what, name, keys, args) {
    const tail = [String(keys.length), ...keys, ...args.map(String)]
    try {
      return await this.#send(what, ['EVALSHA', await shaOf(name), ...tail])
    } catch (e) {
      if (!/NOSCRIPT/.test(message(e.cause))) throw e
      return this.#send(what, ['EVAL', SCRIPTS[name], ...tail])
    }
  }

  /** The user argument of the scripts for the session `data` (JSON text, or parsed): see WRITE. */
  #userOf(data) {
    if (!this.#userKey) return '-'
    let parsed = data
    if (typeof data === 'string') {
      try {
        parsed = JSON.parse(data)
      } catch {
        parsed = null // not JSON (a 0.4 provider's caller): anonymous
      }
    }
    const user = userOf(parsed, this.#userKey)
    return user === null ? '0' : `1${this.#indexKey(user)}`
  }

  #indexKey(user) {
    return `${this.#prefix}user:${this.#userKey}:${user}`
  }

  /** The index key of `user`, or null when `user` names nobody; throws without userKey. */
  #indexOf(user) {
    if (!this.#userKey) throw noUserKey(this.label)
    const text = userText(user)
    return text === null ? null : this.#indexKey(text)
  }

  #write(what, key, mode, snapshot, data, expiry, user) {
    return this.#script(what, 'WRITE', [this.#prefix + key], [mode, snapshot, data, expiry ?? '', Date.now(), user, key])
  }

  /** Connect the client if it was never connected, and wait until it is ready (sends no command). */
  async precheck() {
    await this.#connected('connect')
  }

  /** The live record for `key`: `{ data, expiry, created, active }`, or null. `now` 0 skips the expiry check. One HMGET. */
  async get(key, now) {
    const [data, expiry, created, active] = await this.#send('read a session', ['HMGET', this.#prefix + key, 'd', 'e', 'c', 'a'])
    if (data === null || data === undefined) return null
    const record = { data, expiry: Number(expiry), created: created == null ? null : Number(created), active: active == null ? null : Number(active) }
    return now !== 0 && !(record.expiry > now) ? null : record
  }

  /** Store a new record (with `meta`, JSON text or null); one script. */
  async create(key, data, expiry, created = Date.now(), meta = null) {
    await this.#script('create a session', 'CREATE', [this.#prefix + key], [data, expiry, created, meta ?? '', this.#userOf(data), key, Date.now()])
  }

  /** Store `data` only if the stored text is exactly `snapshot`; false otherwise (changed, or gone). One script. */
  async swap(key, snapshot, data, expiry) {
    const r = await this.#write('update a session', key, 'swap', snapshot, data, expiry, this.#userOf(data))
    if (typeof r === 'string') {
      // The middleware follows a lost swap with a patch: let it start from what Redis answered.
      const { hints } = this.#redis
      if (hints.size >= 1000) hints.clear()
      hints.set(this.#prefix + key, r)
    }
    return r === 1
  }

  /**
   * Apply an RFC 7396 merge patch: read, merge in JS, compare-and-swap; on a conflict the swap
   * answers the stored text and the merge is redone, up to MAX_TRIES times. False when gone.
   * Patches of one session from this process (this client) run one after another, so only other
   * processes contend: 50 at once from two processes take about 1.5 swaps each, not 12.
   */
  patch(key, patch, expiry) {
    const { queues } = this.#redis
    const id = this.#prefix + key
    const previous = queues.get(id)
    const run = previous ? previous.then(() => this.#patch(key, patch, expiry)) : this.#patch(key, patch, expiry)
    const tail = run.then(
      () => {},
      () => {},
    )
    queues.set(id, tail)
    tail.then(() => queues.get(id) === tail && queues.delete(id))
    return run
  }

  async #patch(key, patch, expiry) {
    // A hint is only a first guess: the swap below checks it like any snapshot.
    const { hints } = this.#redis
    const id = this.#prefix + key
    let stored = hints.get(id)
    hints.delete(id)
    stored ??= await this.#send('read a session', ['HGET', id, 'd'])
    for (let tries = 1; ; tries++) {
      if (stored === null || stored === undefined) return false
      let merged
      try {
        merged = applyMergePatch(JSON.parse(stored), JSON.parse(patch))
      } catch (e) {
        throw new Error(`itty-session: ${this.label}: the stored session data is not JSON; it was left untouched`, { cause: e })
      }
      const r = await this.#write('update a session', key, 'swap', stored, JSON.stringify(merged), expiry, this.#userOf(merged))
      if (r === 1) return true
      if (r === 0) return false
      if (tries >= MAX_TRIES) {
        throw new Error(`itty-session: ${this.label} could not update a session: other requests changed it ${tries} times in a row while this one tried; nothing was written, try again`)
      }
      stored = r
      // Many requests racing for one session: spread the retries out (jittered, up to ~64 ms).
      if (tries > 2) await sleep(Math.random() * 2 ** Math.min(tries - 2, 6))
    }
  }

  /** Replace the whole document; false when gone. One script. */
  async replace(key, data, expiry) {
    return (await this.#write('update a session', key, 'set', '', data, expiry, this.#userOf(data))) === 1
  }

  /** Set the expiry (and `active`); false when gone. One script. */
  async touch(key, expiry) {
    return (await this.#write('refresh a session', key, 'touch', '', '', expiry, '-')) === 1
  }

  /** Delete the record; true only when this call removed a live one. One script. */
  async destroy(key) {
    return (await this.#script('delete a session', 'DESTROY', [this.#prefix + key], [key])) === 1
  }

  /** The live sessions of `user`: `[{ key, created, active, expiry, meta }]`; drops dead index entries. One script. */
  async listUser(user, now = Date.now()) {
    const index = this.#indexOf(user)
    if (index === null) return []
    const flat = await this.#script("list a user's sessions", 'LIST_USER', [index], [now, this.#prefix, Math.min(now, Date.now())])
    const out = []
    const time = (t) => (t === '' ? null : Number(t))
    for (let i = 0; i < flat.length; i += 5) {
      const expiry = Number(flat[i + 3])
      if (expiry > now) out.push({ key: flat[i], created: time(flat[i + 1]), active: time(flat[i + 2]) ?? time(flat[i + 1]), expiry, meta: flat[i + 4] === '' ? null : flat[i + 4] })
    }
    return out
  }

  /**
   * Delete `user`'s sessions: all, all but the one under `except`, or only those whose key starts
   * with `handle`. Returns how many were deleted. Atomic: one script.
   */
  async destroyUser(user, { except, handle } = {}) {
    const index = this.#indexOf(user)
    if (index === null) return 0
    const args = [this.#prefix, except ?? '', handle === undefined || handle === null ? '' : `h${handle}`]
    return Number(await this.#script("end a user's sessions", 'DESTROY_USER', [index], args))
  }
}

export default RedisProvider
