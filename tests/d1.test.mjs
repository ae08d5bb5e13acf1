// D1Provider beyond the contract, in workerd on a real local D1: statements per call, query plans, schema made and migrated on demand.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startWorker } from './helpers/workerd.mjs'

let mf, fetch, db
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/contract/workers/d1.js', { d1: ['SESSIONS'], name: 'd1_provider' }))
  db = await mf.getD1Database('SESSIONS')
})
after(() => mf?.dispose())

const DAY = 86400e3
const newKey = () => randomBytes(32).toString('base64url')
let tables = 0
const freshTable = () => `t${Date.now().toString(36)}_${tables++}`

/** Run `calls` on a provider made for them (as in a new isolate); see the Worker's /counted. */
async function counted(calls, options = {}, more = {}) {
  const res = await fetch('/counted', { method: 'POST', body: JSON.stringify({ calls, options, ...more }) })
  const out = await res.json()
  const { read, write, schema } = out.counts
  return { ...out, results: out.results, n: { read, write, schema }, result: out.results[0].result, error: out.results[0].error }
}
const columns = async (table) => (await db.prepare(`SELECT name FROM pragma_table_xinfo('${table}')`).all()).results.map((c) => c.name)
const indexes = async (table) => (await db.prepare(`SELECT name FROM pragma_index_list('${table}')`).all()).results.map((c) => c.name).toSorted()

describe('D1: no schema statement on the request path', () => {
  it('a new isolate on an existing table: create is 1 statement, get 1, patch 1, destroy 1', async () => {
    const options = { tableName: freshTable(), userKey: 'userId' }
    await counted([['get', 'warm', 0]], options) // makes the table
    const key = newKey()
    const login = await counted([['create', key, '{"userId":"ann"}', Date.now() + DAY, Date.now(), null]], options)
    assert.deepEqual(login.n, { read: 0, write: 1, schema: 0 })
    assert.deepEqual((await counted([['get', key, Date.now()]], options)).n, { read: 1, write: 0, schema: 0 })
    assert.deepEqual((await counted([['patch', key, '{"n":1}', null]], options)).n, { read: 0, write: 1, schema: 0 })
    const gone = await counted([['destroy', key]], options)
    assert.deepEqual([gone.result, gone.n], [true, { read: 0, write: 1, schema: 0 }])
  })

  it('a missing table: the statement fails, one batch creates the table and reads its columns, a second indexes the user, the statement runs again', async () => {
    const table = freshTable()
    const key = newKey()
    const first = await counted([['create', key, '{"userId":"ann"}', Date.now() + DAY, Date.now(), null]], { tableName: table, userKey: 'userId' })
    assert.equal(first.error, undefined)
    // 1 failed INSERT + [CREATE TABLE, CREATE INDEX expiry, read columns] + [CREATE INDEX user] + the INSERT again.
    assert.deepEqual(first.n, { read: 0, write: 2, schema: 4 })
    assert.deepEqual(first.counts.sql.map((s) => s.slice(0, 11)), ['INSERT INTO', 'INSERT INTO'])
    assert.deepEqual(await columns(table), ['sid', 'data', 'expiry', 'created', 'meta', 'active', 'user_userId'])
    assert.deepEqual(await indexes(table), [`${table}_expiry`, `${table}_user_userId`, `sqlite_autoindex_${table}_1`].toSorted())
    // Without userKey: no user column, no second batch.
    const plain = await counted([['get', key, Date.now()]], { tableName: freshTable() })
    assert.deepEqual([plain.result, plain.n], [null, { read: 2, write: 0, schema: 3 }])
  })

  it('a failed schema batch fails the call, naming the table and database; the next call tries again', async () => {
    const table = freshTable()
    const failed = await counted([['get', newKey(), Date.now()]], { tableName: table }, { fail: 'schema' })
    assert.match(failed.error, new RegExp(`could not create or update the sessions table in D1 database "SESSIONS", table "${table}": .*injected schema failure`))
    const ok = await counted([['get', newKey(), Date.now()]], { tableName: table })
    assert.deepEqual([ok.result, ok.n], [null, { read: 2, write: 0, schema: 3 }])
  })

  it('concurrent first calls in one isolate share the schema batch; in separate isolates all succeed', async () => {
    const options = { tableName: freshTable(), userKey: 'userId' }
    const keys = [newKey(), newKey(), newKey()]
    const one = await counted(keys.map((k) => ['create', k, '{"userId":"ann"}', Date.now() + DAY, Date.now(), null]), options)
    assert.deepEqual(one.results, [{ result: null }, { result: null }, { result: null }])
    const apart = await counted(keys.map((k) => ['listUser', 'ann', Date.now()]), { tableName: freshTable(), userKey: 'userId' }, { isolates: true })
    for (const r of apart.results) assert.deepEqual(r, { result: [] })
    const listed = await counted([['listUser', 'ann', Date.now()]], options)
    assert.deepEqual(listed.result.map((s) => s.key).toSorted(), keys.toSorted())
  })
})

describe('D1: per-user queries use the index on the generated user column', () => {
  it('listUser is one indexed SELECT and destroyUser one indexed DELETE', async () => {
    const options = { tableName: freshTable(), userKey: 'userId' }
    for (let i = 0; i < 20; i++) await counted([['create', newKey(), JSON.stringify({ userId: `u${i % 5}` }), Date.now() + DAY, Date.now(), null]], options)
    const list = await counted([['listUser', 'u1', Date.now()]], options)
    assert.equal(list.result.length, 4)
    assert.deepEqual(list.n, { read: 1, write: 0, schema: 0 })
    assert.match(list.plans[0], new RegExp(`SEARCH ${options.tableName} USING INDEX ${options.tableName}_user_userId \\(user_userId=\\?\\)`))
    const end = await counted([['destroyUser', 'u1', { except: list.result[0].key }]], options)
    assert.deepEqual([end.result, end.n], [3, { read: 0, write: 1, schema: 0 }])
    assert.match(end.plans[0], new RegExp(`SEARCH ${options.tableName} USING INDEX ${options.tableName}_user_userId \\(user_userId=\\?\\)`))
  })

  it('the user column holds what utils/user.js says: non-empty strings and safe integers, as text', async () => {
    const table = freshTable()
    await counted([['get', 'warm', 0]], { tableName: table, userKey: 'userId' })
    const values = ['ann', 42, -7, '', 1.5, 2 ** 53, true, null, [1], { a: 1 }]
    for (const v of values) await db.prepare(`INSERT INTO ${table} (sid, data, expiry) VALUES (?, ?, ?)`).bind(newKey(), JSON.stringify({ userId: v }), Date.now() + DAY).run()
    await db.prepare(`INSERT INTO ${table} (sid, data, expiry) VALUES (?, ?, ?)`).bind(newKey(), 'not json', Date.now() + DAY).run()
    await db.prepare(`INSERT INTO ${table} (sid, data, expiry) VALUES (?, ?, ?)`).bind(newKey(), '{"userId":-9223372036854775808}', Date.now() + DAY).run()
    const got = (await db.prepare(`SELECT user_userId AS u, typeof(user_userId) AS t FROM ${table} ORDER BY rowid`).all()).results
    assert.deepEqual(
      got.map((r) => r.u),
      ['ann', '42', '-7', null, null, null, null, null, null, null, null, null],
    )
    assert.deepEqual([...new Set(got.filter((r) => r.u !== null).map((r) => r.t))], ['text'])
  })

  it('userKey must be a plain identifier: a TypeError saying what to change', async () => {
    for (const userKey of ['user-id', "x'); DROP TABLE sessions; --", 'a.b', '1st', '', 'user id', 5, ['userId']]) {
      const { error } = await counted([['get', newKey(), 0]], { userKey })
      assert.match(error ?? '', /^itty-session: userKey must be a plain identifier naming the session field that holds the user .*e\.g\. 'userId'; got /, JSON.stringify(userKey))
    }
    const res = await fetch('/call', { method: 'POST', body: JSON.stringify({ method: 'get', args: ['k', 0], options: { userKey: 'a.b' } }) })
    assert.equal((await res.json()).name, 'TypeError')
  })

  it('listUser and destroyUser without userKey say which option to set', async () => {
    const { error } = await counted([['listUser', 'ann', Date.now()]], {})
    assert.match(error, /D1Provider \(D1 database "SESSIONS", table "sessions"\) was made without userKey.*set userKey in createSessionsMiddleware/)
  })

  it('changing userKey later adds a column for the new key instead of reading the wrong field', async () => {
    const table = freshTable()
    const k = newKey()
    await counted([['create', k, '{"userId":"ann","username":"bob"}', Date.now() + DAY, Date.now(), null]], { tableName: table, userKey: 'userId' })
    const byName = await counted([['listUser', 'bob', Date.now()]], { tableName: table, userKey: 'username' })
    assert.deepEqual(byName.result.map((s) => s.key), [k])
    // The failed SELECT, [CREATE TABLE IF NOT EXISTS, CREATE INDEX IF NOT EXISTS, columns], [ADD COLUMN, CREATE INDEX], the SELECT again.
    assert.deepEqual(byName.n, { read: 2, write: 0, schema: 5 })
    assert.deepEqual((await counted([['listUser', 'ann', Date.now()]], { tableName: table, userKey: 'username' })).result, [])
    assert.deepEqual((await counted([['listUser', 'ann', Date.now()]], { tableName: table, userKey: 'userId' })).result.map((s) => s.key), [k])
    assert.deepEqual((await columns(table)).slice(-2), ['user_userId', 'user_username'])
  })
})

describe('D1: tables made by earlier versions gain the new columns in place, keeping rows', () => {
  it('a 0.4 table (sid, data, expiry) with a 0.4 row, a bad row and a user row', async () => {
    const table = freshTable()
    await db.exec(`CREATE TABLE ${table} (sid TEXT UNIQUE, data TEXT, expiry INTEGER)`)
    const uuid = randomUUID()
    const [bad, user] = [randomUUID(), randomUUID()]
    const old = Date.now() - 30 * DAY
    const live = Date.now() + DAY
    await db.prepare(`INSERT INTO ${table} (sid, data, expiry) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)`)
      .bind(uuid, '{"username":"test","isLoggedIn":true}', old, bad, '{oops', old, user, '{"userId":7}', live)
      .run()
    const got = await counted([['get', uuid, 0]], { tableName: table, userKey: 'userId' })
    assert.deepEqual(got.result, { data: '{"username":"test","isLoggedIn":true}', expiry: old, created: null, active: null })
    // The failed SELECT, [CREATE TABLE IF NOT EXISTS, CREATE INDEX, columns], [3 ADD COLUMN, ADD user column, CREATE INDEX], the SELECT again.
    assert.deepEqual(got.n, { read: 2, write: 0, schema: 8 })
    assert.deepEqual(await columns(table), ['sid', 'data', 'expiry', 'created', 'meta', 'active', 'user_userId'])
    assert.equal((await db.prepare(`SELECT count(*) AS n FROM ${table}`).first()).n, 3)
    assert.deepEqual((await counted([['listUser', 7, Date.now()]], { tableName: table, userKey: 'userId' })).result, [{ key: user, created: null, active: null, expiry: live, meta: null }])
    assert.equal((await counted([['get', bad, 0]], { tableName: table })).result.data, '{oops')
    const key = newKey()
    const login = await counted([['create', key, '{"userId":7}', Date.now() + DAY, Date.now(), '{"ua":"x"}']], { tableName: table, userKey: 'userId' })
    assert.deepEqual(login.n, { read: 0, write: 1, schema: 0 })
  })

  it("the previous version's table (sid, data, expiry, created) gains meta and active at its first read", async () => {
    const table = freshTable()
    await db.exec(`CREATE TABLE ${table} (sid TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expiry INTEGER NOT NULL, created INTEGER)`)
    const kept = newKey()
    const created = Date.now()
    await db.prepare(`INSERT INTO ${table} VALUES (?, '{"a":1}', ?, ?)`).bind(kept, created + DAY, created).run()
    const first = await counted([['get', kept, Date.now()]], { tableName: table })
    // The SELECT (no such column: active), [CREATE TABLE IF NOT EXISTS, CREATE INDEX, columns], [2 ADD COLUMN], the SELECT again.
    assert.deepEqual(first.n, { read: 2, write: 0, schema: 5 })
    assert.deepEqual(first.result, { data: '{"a":1}', expiry: created + DAY, created, active: null })
    const login = await counted([['create', newKey(), '{}', Date.now() + DAY, Date.now(), null]], { tableName: table })
    assert.deepEqual(login.n, { read: 0, write: 1, schema: 0 })
  })

  it('two isolates migrating one old table at once both succeed (a duplicate column is looked at again)', async () => {
    const table = freshTable()
    await db.exec(`CREATE TABLE ${table} (sid TEXT UNIQUE, data TEXT, expiry INTEGER)`)
    const keys = Array.from({ length: 4 }, newKey)
    const out = await counted(keys.map((k) => ['create', k, '{"userId":"ann"}', Date.now() + DAY, Date.now(), null]), { tableName: table, userKey: 'userId' }, { isolates: true })
    assert.deepEqual(out.results, keys.map(() => ({ result: null })))
    assert.equal((await counted([['listUser', 'ann', Date.now()]], { tableName: table, userKey: 'userId' })).result.length, 4)
  })
})
