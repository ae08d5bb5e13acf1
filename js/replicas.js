// D1 read replicas: a request's D1 queries go through one D1 session per database, started from the bookmark this browser last saw; after a write the new bookmark goes back in a companion cookie.
import { MAX_COOKIE_HEADER } from './session-cookie.js'
import { log } from './utils/log.js'

/**
 * A D1 bookmark as D1 issues it: hex fields joined by '-' (today
 * `00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683`, 59 characters). Anything else
 * from a browser is refused before D1 sees it; the length is capped.
 */
const BOOKMARK = /^[0-9a-f]{8}(?:-[0-9a-f]{1,64}){1,7}$/
const MAX_BOOKMARK = 128
/** A binding name as the cookie carries it. */
const BINDING = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
/** At most this many databases' bookmarks travel in the cookie. */
export const MAX_DATABASES = 4
const MAX_VALUE = MAX_DATABASES * (64 + 1 + MAX_BOOKMARK) + MAX_DATABASES
/** The companion cookie is the session cookie's name plus this. */
export const BOOKMARK_COOKIE_SUFFIX = '-d1'
// SELECT (or VALUES) after any comments: a read. Everything else (WITH included) is treated as a
// possible write: it starts its session on the primary, which is always fresh enough.
const READ = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:select|values)\b/i
const BOOKMARKS = Symbol('itty-session.bookmarks')

export const isBookmark = (value) => typeof value === 'string' && value.length <= MAX_BOOKMARK && BOOKMARK.test(value)
export const isRead = (sql) => READ.test(sql)

// Trust in what the browser sent.
const OK = 0 // no cookie, or a well-formed one
const BAD = 1 // malformed: every database starts on the primary, and the response rewrites the cookie
const AMBIGUOUS = 2 // sent twice (one may be planted): every database starts on the primary; never rewritten

/**
 * The value of the cookie `name` in a Cookie header: a string, undefined when absent, or
 * AMBIGUOUS when the header holds the name more than once.
 */
function cookieValue(header, name) {
  if (!header) return undefined
  // Over the cap (1 MiB) the session cookie is not read either: treated as untrusted, never rewritten.
  if (header.length > MAX_COOKIE_HEADER) return AMBIGUOUS
  const key = `${name}=`
  let found
  for (let at = header.indexOf(key); at !== -1; at = header.indexOf(key, at + key.length)) {
    let before = at - 1
    while (before >= 0 && (header[before] === ' ' || header[before] === '\t')) before--
    if (before >= 0 && header[before] !== ';') continue // the end of another cookie's name or value
    if (found !== undefined) return AMBIGUOUS
    const end = header.indexOf(';', at)
    found = header.slice(at + key.length, end === -1 ? undefined : end).trim()
  }
  return found
}

/** `NAME:bookmark` entries joined by '~' into a Map, or null when anything is malformed. */
function parseEntries(value) {
  if (value.length > MAX_VALUE) return null
  const entries = new Map()
  for (const entry of value.split('~')) {
    const colon = entry.indexOf(':')
    const name = entry.slice(0, colon)
    const bookmark = entry.slice(colon + 1)
    if (colon < 1 || !BINDING.test(name) || !isBookmark(bookmark) || entries.has(name)) return null
    entries.set(name, bookmark)
  }
  return entries.size > MAX_DATABASES ? null : entries
}

// What D1 reports about a statement that changed the database. A result without meta (raw())
// from a statement that may write counts as a change.
const changedMeta = (meta) => meta.changed_db === true || meta.changes > 0 || meta.rows_written > 0
const changed = (result) => (Array.isArray(result) ? result.some((r) => (r?.meta ? changedMeta(r.meta) : true)) : result?.meta ? changedMeta(result.meta) : true)

let warnedShape = false

/**
 * One D1 database for one request, used like the binding (`prepare`, `batch`): every statement
 * goes through one D1 session. It is opened at the first statement: a read starts from the
 * browser's bookmark (or 'first-unconstrained' when it has none), a possible write starts on the
 * primary. A read that fails before the session is anchored on the primary (a forged or unknown
 * bookmark, a table a replica does not have yet) runs once more on the primary.
 */
export class ReplicaDatabase {
  #binding
  #start
  #session = null
  /**
   * @param {object} binding the D1 binding (with `withSession`)
   * @param {string} start the browser's bookmark, 'first-unconstrained' or 'first-primary'
   * @param {boolean} hasBookmark the browser sent a bookmark for this database
   */
  constructor(binding, start, hasBookmark) {
    this.#binding = binding
    this.#start = start
    this.hasBookmark = hasBookmark
    /** Reads see at least the primary as of this request: the session began there. */
    this.fresh = false
    /** A statement changed the database: the new bookmark goes back to the browser. */
    this.wrote = false
    /** Send the bookmark back even without a write: the browser's was missing, behind or refused. */
    this.sync = false
  }

  /** Whether a statement has run (the session is open). */
  get started() {
    return this.#session !== null
  }

  /** From here on, the session starts anew on the primary (always fresh enough for this browser). */
  primary() {
    this.#session = this.#binding.withSession('first-primary')
    this.fresh = true
  }

  /** The latest bookmark this request's session has seen, or null. */
  getBookmark() {
    return this.#session?.getBookmark() ?? null
  }

  prepare(sql) {
    return new ReplicaStatement(this, String(sql), [])
  }

  batch(statements) {
    if (!Array.isArray(statements) || statements.some((s) => !(s instanceof ReplicaStatement) || s.db !== this)) {
      return Promise.reject(new TypeError('itty-session: batch() takes statements prepared on the same d1(request, env, name) database'))
    }
    return this.exec(
      statements.every((s) => isRead(s.sql)),
      (session) => session.batch(statements.map((s) => s.on(session))),
    )
  }

  /** Run `run(session)` as a read or a possible write, with the fallback described above. */
  async exec(read, run) {
    let result
    try {
      if (this.#session === null) {
        if (!read || this.#start === 'first-primary') this.primary()
        else this.#session = this.#binding.withSession(this.#start) // a runtime may refuse it here
      }
      result = await run(this.#session)
    } catch (e) {
      if (!read || this.fresh) throw e
      // Once more on the primary. When the browser's bookmark was refused, replace it.
      this.primary()
      if (this.hasBookmark) this.sync = true
      result = await run(this.#session)
    }
    if (!read && !this.wrote) this.wrote = changed(result)
    return result
  }
}

/** A prepared statement of a ReplicaDatabase: `bind`, `first`, `run`, `all`, `raw` as D1's. */
class ReplicaStatement {
  constructor(db, sql, args) {
    this.db = db
    this.sql = sql
    this.args = args
  }

  bind(...args) {
    return new ReplicaStatement(this.db, this.sql, args)
  }

  /** This statement on a D1 session. */
  on(session) {
    const statement = session.prepare(this.sql)
    return this.args.length ? statement.bind(...this.args) : statement
  }

  // first() through all(): the same query on the wire (both ask for rows and columns), but with
  // the meta that says whether it wrote.
  async first(column) {
    const { results } = await this.all()
    const row = results[0]
    if (row === undefined) return null
    if (column === undefined) return row
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`)
    return row[column]
  }

  run() {
    return this.db.exec(isRead(this.sql), (session) => this.on(session).run())
  }

  all() {
    return this.db.exec(isRead(this.sql), (session) => this.on(session).all())
  }

  raw(options) {
    return this.db.exec(isRead(this.sql), (session) => this.on(session).raw(options))
  }
}

/**
 * The D1 bookmarks of one request: what the browser sent, one ReplicaDatabase per database used,
 * and the cookie that carries them back.
 */
export class Bookmarks {
  #env
  #config
  #incoming
  #trust
  #dbs = new Map()

  /**
   * @param {object} env the Worker's env
   * @param {string | null} header the request's Cookie header
   * @param {{ name: string, setSuffix: string, clearCookie: string }} config the session cookie's
   *   name and attributes (the middleware's resolved options)
   */
  constructor(env, header, config) {
    this.#env = env
    this.#config = config
    const value = cookieValue(header, config.name + BOOKMARK_COOKIE_SUFFIX)
    this.#incoming = new Map()
    this.#trust = OK
    if (value === AMBIGUOUS) this.#trust = AMBIGUOUS
    else if (value !== undefined) {
      const entries = parseEntries(value)
      if (entries) this.#incoming = entries
      else this.#trust = BAD
    }
  }

  /** The request's D1 database `name`: a ReplicaDatabase, or the binding itself when it has no `withSession`. */
  database(name) {
    const db = this.#dbs.get(name)
    if (db) return db
    const binding = this.#env?.[name]
    if (typeof binding?.withSession !== 'function') return binding
    if (this.#dbs.size >= MAX_DATABASES) {
      throw new TypeError(`itty-session: at most ${MAX_DATABASES} D1 databases per request carry bookmarks (asked for "${name}" after ${[...this.#dbs.keys()].join(', ')}); use env.${name} directly for the others`)
    }
    const bookmark = this.#incoming.get(name)
    const start = this.#trust !== OK ? 'first-primary' : (bookmark ?? 'first-unconstrained')
    const made = new ReplicaDatabase(binding, start, bookmark !== undefined)
    this.#dbs.set(name, made)
    return made
  }

  /** Push the bookmark cookie onto `cookies` when a database was written (or its bookmark must be replaced). */
  addCookie(cookies) {
    if (this.#trust === AMBIGUOUS) return
    const next = new Map(this.#incoming)
    let change = this.#trust === BAD
    for (const [name, db] of this.#dbs) {
      if (!db.wrote && !db.sync) continue
      const bookmark = db.getBookmark()
      if (!isBookmark(bookmark)) {
        if (bookmark !== null && !warnedShape) {
          warnedShape = true
          log(true, 'warn', `D1 database "${name}" returned a bookmark of a shape this version does not carry (${String(bookmark).length} characters); this browser's next reads of it may be served by a replica that has not seen this write`)
        }
        continue
      }
      if (next.get(name) !== bookmark) {
        next.set(name, bookmark)
        change = true
      }
    }
    if (!change) return
    const name = this.#config.name + BOOKMARK_COOKIE_SUFFIX
    // Entries of databases no longer bound are dropped; the order is fixed, so equal sets are equal text.
    const entries = [...next].filter(([n]) => typeof this.#env?.[n]?.withSession === 'function').sort(([a], [b]) => (a < b ? -1 : 1))
    if (entries.length === 0) {
      cookies.push(name + this.#config.clearCookie.slice(this.#config.name.length))
      return
    }
    cookies.push(`${name}=${entries.map(([n, b]) => `${n}:${b}`).join('~')}${this.#config.setSuffix}`)
  }
}

/**
 * A provider's record methods over one request's ReplicaDatabase (what D1Provider's `forRequest`
 * gives the middleware). A session is read on the primary when the browser carries no bookmark for
 * its database (it was written without one: before the option was on, or the cookie was lost), and
 * a session not found on a replica is looked for on the primary before the browser is told to drop
 * it. A write that finds the row gone means this browser saw an older copy: its bookmark is renewed.
 */
export class ReplicaRecords {
  #records
  #db
  #bookmarks

  constructor(records, db, bookmarks) {
    this.#records = records
    this.#db = db
    this.#bookmarks = bookmarks
  }

  get label() {
    return this.#records.label
  }

  precheck() {}

  async get(key, now) {
    const db = this.#db
    if (!db.started && !db.hasBookmark) db.primary()
    let row = await this.#records.get(key, now)
    if (!row && !db.fresh) {
      db.primary()
      row = await this.#records.get(key, now)
    }
    // Found only on the primary: give the browser the bookmark it lacked.
    if (row && db.fresh && !db.wrote) db.sync = true
    return row
  }

  create(...args) {
    return this.#records.create(...args)
  }

  patch(...args) {
    return this.#found(this.#records.patch(...args))
  }

  replace(...args) {
    return this.#found(this.#records.replace(...args))
  }

  touch(...args) {
    return this.#found(this.#records.touch(...args))
  }

  destroy(...args) {
    return this.#found(this.#records.destroy(...args))
  }

  listUser(...args) {
    return this.#records.listUser(...args)
  }

  destroyUser(...args) {
    return this.#records.destroyUser(...args)
  }

  /** The middleware's hook at the end of the request: the bookmark cookie, when one is due. */
  addCookie(cookies) {
    this.#bookmarks.addCookie(cookies)
  }

  async #found(result) {
    const there = await result
    if (!there) this.#db.sync = true
    return there
  }
}

/** The request's Bookmarks, made on first use from its Cookie header. */
export function bookmarksFor(request, env, config) {
  let bookmarks = request[BOOKMARKS]
  if (!bookmarks) {
    bookmarks = new Bookmarks(env, request.headers.get('cookie'), config)
    Object.defineProperty(request, BOOKMARKS, { value: bookmarks, configurable: true })
  }
  return bookmarks
}

/**
 * The D1 database bound as `name`, for this request: with `providerOptions.readReplicas` on, its
 * queries go through the request's D1 session for that database (the session's own one when
 * `name` is the sessions database), so this browser reads its own earlier writes even from a
 * replica, and a write's bookmark goes back with the response. Otherwise (the option off, no
 * `sessionPreflight` on this request, or a binding without `withSession`) it is `env[name]`.
 * Use it like the binding: `prepare`, `bind`, `first`, `run`, `all`, `raw`, `batch`.
 * @param {Request} request
 * @param {object} env the Worker's env
 * @param {string} name the D1 binding's name in wrangler.toml, e.g. 'DB'
 */
export function d1(request, env, name) {
  if (typeof name !== 'string' || !BINDING.test(name)) {
    throw new TypeError(`itty-session: d1(request, env, name) takes the D1 binding's name from wrangler.toml (letters, digits and _), e.g. d1(request, env, 'DB'); got ${JSON.stringify(name)}`)
  }
  const binding = env?.[name]
  if (!binding || typeof binding.prepare !== 'function') {
    throw new Error(`itty-session: no D1 database is bound as "${name}" in env: add it to wrangler.toml ([[d1_databases]] binding = "${name}"), or pass the name of the D1 binding you have to d1(request, env, name)`)
  }
  const bookmarks = request?.[BOOKMARKS]
  return bookmarks ? bookmarks.database(name) : binding
}
