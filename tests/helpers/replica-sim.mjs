// A simulated D1 replica set for tests, around real local D1 bindings: a primary, replicas that replay its writes with a controlled lag, and D1's Sessions API (withSession, bookmarks) on top.

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export function random(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const hex8 = (n) => n.toString(16).padStart(8, '0')
const WRITE = (sql) => !/^\s*select\b/i.test(sql)
const SHAPE = /^([0-9a-f]{8})-([0-9a-f]{8})-([0-9a-f]{8})-([0-9a-f]{32})$/

/**
 * One primary and replicas, each a real D1 database. Every write runs on the primary and, when it
 * changed the database, is appended to a log; a replica has replayed a prefix of that log, and
 * its position is the length of that prefix (the primary's is the whole log). A bookmark names a
 * position, as D1's do: a later position sorts later. A read with a bookmark is served only by a
 * copy at least that far along: a replica behind it first catches up ('wait', as D1's replicas
 * do) or the read goes to the primary ('forward'). An unconstrained first read goes to a random
 * replica, however stale. A bookmark this set did not issue, or one ahead of the primary, is
 * refused with an error, as a real D1 may do.
 */
export class ReplicaSet {
  #lock = Promise.resolve()

  /**
   * @param {object} primary a D1 binding
   * @param {object[]} replicas D1 bindings holding the same initial data (e.g. all empty)
   */
  constructor(primary, replicas) {
    this.primary = primary
    this.replicas = replicas
    this.log = []
    this.at = replicas.map(() => 0)
    this.salt = 'sim'
    this.#configure({})
    /** Called before each statement of a browser's request (not the writer's): concurrent writers. */
    this.hook = null
  }

  /**
   * Start a run: replicas caught up, counters zeroed. After each write, each replica replays the
   * whole log with the chance `catchUp`, half of what it lacks with the chance `halfway`, else
   * nothing; `behind`: 'wait' or 'forward'; `active`: how many replicas serve reads.
   */
  async reset(options) {
    this.#configure(options)
    for (let i = 0; i < this.replicas.length; i++) await this.#serial(() => this.#replay(i, this.log.length))
  }

  #configure({ seed = 1, catchUp = 0.5, halfway = (1 - catchUp) / 2, behind = 'wait', active = this.replicas.length }) {
    this.rng = random(seed)
    this.catchUp = catchUp
    this.halfway = halfway
    this.behind = behind
    this.active = active
    this.stats = { primaryReads: 0, replicaReads: 0, staleReplicaReads: 0, waits: 0, unconstrainedReads: 0, writes: 0, refused: 0 }
    this.lastWrite = new Map()
    this.violations = []
  }

  get position() {
    return this.log.length
  }

  bookmark(position) {
    return `00000000-${hex8(position)}-00000000-${this.#check(position)}`
  }

  /** The position a bookmark names; throws as D1 would for one it does not know. */
  parse(bookmark) {
    const m = SHAPE.exec(bookmark)
    const position = m ? Number.parseInt(m[2], 16) : NaN
    if (!m || m[4] !== this.#check(position)) {
      this.stats.refused++
      throw new Error(`D1_ERROR: the bookmark ${JSON.stringify(String(bookmark).slice(0, 80))} is not one of this database's`)
    }
    if (position > this.log.length) {
      this.stats.refused++
      throw new Error('D1_ERROR: the bookmark is ahead of the primary')
    }
    return position
  }

  #check(position) {
    let h = 2166136261
    for (const c of `${this.salt}:${position}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0
    return hex8(h) + hex8((h ^ 0x5bd1e995) >>> 0) + hex8(Math.imul(h, 31) >>> 0) + hex8(~h >>> 0)
  }

  /** A D1 binding for one request (or one writer), its statements tagged `tag`. */
  binding(tag) {
    const set = this
    return {
      prepare: (sql) => new SimStatement(new SimSession(set, tag, 'first-primary', true), sql, []),
      batch: (statements) => new SimSession(set, tag, 'first-primary', true).batch(statements),
      withSession: (start) => new SimSession(set, tag, start === undefined || start === null || start === '' ? 'first-unconstrained' : String(start), false),
    }
  }

  /** Replay the log on replica `i` up to `to`. */
  advance(i, to = this.log.length) {
    return this.#serial(() => this.#replay(i, to))
  }

  async #replay(i, to) {
    const db = this.replicas[i]
    while (this.at[i] < Math.min(to, this.log.length)) {
      const entry = this.log[this.at[i]]
      await db.batch(entry.map(({ sql, args }) => db.prepare(sql).bind(...args)))
      this.at[i]++
    }
  }

  // After a write, each replica catches up, goes half way, or stays behind.
  async #drift() {
    for (let i = 0; i < this.replicas.length; i++) {
      const u = this.rng()
      if (u < this.catchUp) await this.#replay(i, this.log.length)
      else if (u < this.catchUp + this.halfway) await this.#replay(i, this.at[i] + Math.ceil((this.log.length - this.at[i]) / 2))
    }
  }

  /** Run `fn` alone: the set's decisions do not depend on how workerd interleaves requests. */
  #serial(fn) {
    const run = this.#lock.then(fn)
    this.#lock = run.catch(() => {})
    return run
  }

  /**
   * Run `statements` (`{ sql, args }`) for a session at `required` (a position, 'primary' or
   * 'any'); returns `{ results, position }` with D1's results and the position the copy that
   * answered had reached.
   */
  async execute(tag, statements, required, method) {
    if (this.hook && tag !== 'writer') await this.hook(tag)
    return this.#serial(async () => {
      const write = statements.some((s) => WRITE(s.sql))
      if (write) {
        const results = await run(this.primary, statements, method)
        const list = Array.isArray(results) ? results : [results]
        if (list.some((r) => r?.meta?.changed_db || r?.meta?.changes > 0 || r?.meta?.rows_written > 0)) {
          this.log.push(statements.map(({ sql, args }) => ({ sql, args })))
          this.stats.writes++
          this.lastWrite.set(tag, this.log.length)
          await this.#drift()
        }
        return { results, position: this.log.length }
      }
      let db = this.primary
      let position = this.log.length
      if (required !== 'primary') {
        let i = Math.floor(this.rng() * this.active)
        if (required === 'any') this.stats.unconstrainedReads++
        else if (this.at[i] < required) {
          if (this.behind === 'wait') {
            this.stats.waits++
            await this.#replay(i, required)
          } else i = -1
        }
        if (i >= 0) {
          db = this.replicas[i]
          position = this.at[i]
        }
      }
      const results = await run(db, statements, method)
      if (db === this.primary) this.stats.primaryReads++
      else {
        this.stats.replicaReads++
        if (position < this.log.length) this.stats.staleReplicaReads++
      }
      // The property under test: no read older than the reader's own last write.
      const own = this.lastWrite.get(tag) ?? 0
      if (position < own) this.violations.push({ tag, served: position, lastWrite: own, sql: statements[0].sql.slice(0, 60) })
      return { results, position }
    })
  }
}

async function run(db, statements, method) {
  if (method === 'batch') return db.batch(statements.map(({ sql, args }) => db.prepare(sql).bind(...args)))
  const [{ sql, args }] = statements
  return db.prepare(sql).bind(...args)[method]()
}

/** D1's D1DatabaseSession over a ReplicaSet: the latest position seen is the session's bookmark. */
class SimSession {
  #set
  #tag
  #start
  #position = null
  #oneShot

  constructor(set, tag, start, oneShot) {
    this.#set = set
    this.#tag = tag
    this.#start = start
    this.#oneShot = oneShot
  }

  prepare(sql) {
    return new SimStatement(this, sql, [])
  }

  batch(statements) {
    return this.exec(
      statements.map((s) => ({ sql: s.sql, args: s.args })),
      'batch',
    )
  }

  getBookmark() {
    if (this.#position !== null) return this.#set.bookmark(this.#position)
    return this.#start.startsWith('first-') ? null : this.#start
  }

  async exec(statements, method) {
    let required
    if (this.#position !== null) required = this.#position
    else if (this.#start === 'first-primary') required = 'primary'
    else if (this.#start === 'first-unconstrained') required = 'any'
    else required = this.#set.parse(this.#start)
    const { results, position } = await this.#set.execute(this.#tag, statements, required, method)
    if (!this.#oneShot) this.#position = Math.max(this.#position ?? 0, position)
    return results
  }
}

class SimStatement {
  constructor(session, sql, args) {
    this.session = session
    this.sql = sql
    this.args = args
  }

  bind(...args) {
    return new SimStatement(this.session, this.sql, args.map((a) => (a === undefined ? null : a)))
  }

  async first(column) {
    const { results } = await this.session.exec([this], 'all')
    const row = results[0] ?? null
    return row === null || column === undefined ? row : row[column]
  }

  run() {
    return this.session.exec([this], 'run')
  }

  all() {
    return this.session.exec([this], 'all')
  }

  raw() {
    return this.session.exec([this], 'raw')
  }
}
