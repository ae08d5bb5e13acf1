// The PostgreSQL provider against a real throwaway PostgreSQL: records, merge patches, swap, users, schema, errors, statements per request.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { AutoRouter } from 'itty-router'
import { createSessionsMiddleware } from 'itty-session'
import PostgresProvider, { cleanupExpired, closePools, schemaSql } from 'itty-session/providers/postgres'
import { applyMergePatch } from 'itty-session/utils'
import { freePort, startPostgres } from './helpers/postgres.mjs'

let server, pool
const statements = [] // every statement sent through `counted`
const counted = {
  query(text, values) {
    statements.push(text)
    return pool.query(text, values)
  },
}
let tables = 0
const freshTable = () => `t${++tables}_${process.pid}`
const provider = (options = {}) => new PostgresProvider({ pool, tableName: freshTable(), ...options })
const sql = async (text, values) => (await pool.query(text, values)).rows
const DAY = 86400e3

before(async () => {
  server = await startPostgres()
  pool = new pg.Pool({ connectionString: server.url, max: 20 })
})
after(async () => {
  await pool?.end()
  await closePools()
  await server?.remove()
})

describe('records', () => {
  it('creates its table, indexes and functions on first use, and stores text exactly as given', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool: counted, tableName })
    statements.length = 0
    assert.equal(await p.get('k'), null)
    // The read failed (no table), the schema was made in one round trip, the read ran again.
    assert.equal(statements.length, 3)
    assert.match(statements[1], /pg_advisory_xact_lock[\s\S]*CREATE TABLE IF NOT EXISTS/)
    const columns = await sql('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [tableName])
    assert.deepEqual(columns.map((c) => `${c.column_name} ${c.data_type}`), ['sid text', 'data text', 'expiry bigint', 'created bigint', 'active bigint', 'meta text'])
    const indexes = (await sql('SELECT indexname FROM pg_indexes WHERE tablename = $1', [tableName])).map((r) => r.indexname).sort()
    assert.deepEqual(indexes, [`${tableName}_expiry`, `${tableName}_pkey`])

    const text = '{ "b" : 1,"a":"\\u00e9" }'
    const t = Date.now()
    await p.create('k', text, 2000, 1000, '{"ua":"Firefox on Linux"}')
    const got = await p.get('k')
    assert.deepEqual(got, { data: text, expiry: 2000, created: 1000, active: got.active })
    assert.ok(got.active >= t && got.active <= Date.now(), 'active starts at the time of the create')
    const [row] = await sql(`SELECT * FROM "${tableName}"`)
    assert.deepEqual(row, { sid: 'k', data: text, expiry: '2000', created: '1000', active: String(got.active), meta: '{"ua":"Firefox on Linux"}' })
    // Once there, each call is one statement.
    statements.length = 0
    await p.get('k')
    await p.touch('k', 3000)
    assert.equal(statements.length, 2)
  })

  it('patch applies RFC 7396 in the database (every example of RFC 7396 appendix A), writing the text JSON.stringify would', async () => {
    const p = provider()
    // [target, patch, result]: RFC 7396 appendix A (top level kept an object, as sessions are).
    const cases = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [{ a: 'foo' }, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
      [{ a: { b: { c: 1, d: [1, { x: null }] } } }, { a: { b: { c: null, e: { f: null } } } }, { a: { b: { d: [1, { x: null }], e: {} } } }],
      [{ __proto__x: 1, 'é"\\': 2 }, { 'é"\\': { n: 1.5e300 } }, { __proto__x: 1, 'é"\\': { n: 1.5e300 } }],
    ]
    for (const [i, [target, patch, result]] of cases.entries()) {
      assert.deepEqual(applyMergePatch(structuredClone(target), patch), result, `case ${i} (JS)`)
      await p.create(`k${i}`, JSON.stringify(target), Date.now() + DAY, Date.now())
      assert.equal(await p.patch(`k${i}`, JSON.stringify(patch), null), true)
      // Byte for byte what JSON.stringify writes: member order and untouched values' text kept.
      assert.equal((await p.get(`k${i}`)).data, JSON.stringify(result), `case ${i}`)
    }
    assert.equal(await p.patch('gone', '{"a":1}', null), false)
  })

  it('replace, swap, touch and destroy say whether the row was there; swap compares the exact text', async () => {
    const p = provider()
    await p.create('k', '{"a":1}', 5000, 1000)
    const { active } = await p.get('k')
    assert.equal(await p.replace('k', '{"b":2}', null), true)
    assert.deepEqual(await p.get('k'), { data: '{"b":2}', expiry: 5000, created: 1000, active }, 'a replace without expiry keeps active')
    assert.equal(await p.swap('k', '{"b": 2}', '{"c":3}', null), false, 'same JSON, other text: not swapped')
    assert.equal(await p.swap('k', '{"b":2}', '{"c":3}', 6000), true)
    const swapped = await p.get('k')
    assert.deepEqual({ ...swapped, active: 0 }, { data: '{"c":3}', expiry: 6000, created: 1000, active: 0 })
    assert.ok(swapped.active >= active, 'a swap with an expiry moves active')
    assert.equal(await p.touch('k', 7000), true)
    assert.equal((await p.get('k')).expiry, 7000)
    assert.equal(await p.destroy('k'), true)
    assert.equal(await p.destroy('k'), false, 'a second destroy removed nothing')
    assert.equal(await p.get('k'), null)
    for (const call of [() => p.replace('k', '{}', null), () => p.swap('k', '{"c":3}', '{}', null), () => p.touch('k', 1), () => p.patch('k', '{}', 1)]) {
      assert.equal(await call(), false)
    }
  })

  it('a write with an expiry sets active to its time; one without keeps it', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool, tableName })
    await p.create('k', '{"a":1}', Date.now() + DAY, 1000)
    const active = async () => (await sql(`SELECT active FROM "${tableName}"`))[0].active
    await sql(`UPDATE "${tableName}" SET active = 1000`)
    await p.patch('k', '{"b":1}', null)
    await p.replace('k', '{"c":1}', null)
    assert.equal(await active(), '1000')
    for (const write of [() => p.patch('k', '{"d":1}', Date.now() + DAY), () => p.replace('k', '{"e":1}', Date.now() + DAY), () => p.swap('k', '{"e":1}', '{"f":1}', Date.now() + DAY), () => p.touch('k', Date.now() + DAY)]) {
      await sql(`UPDATE "${tableName}" SET active = 1000`)
      const t = Date.now()
      assert.equal(await write(), true)
      assert.ok(Number(await active()) >= t)
    }
  })

  it('keys are values, never SQL: hostile keys and data are stored as they are', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool, tableName })
    const keys = ["'; DROP TABLE sessions; --", 'a"b', '$1', '\\', 'é'.repeat(43), 'x'.repeat(1000)]
    for (const key of keys) {
      await p.create(key, JSON.stringify({ key }), Date.now() + DAY, Date.now())
      assert.deepEqual(JSON.parse((await p.get(key)).data), { key })
      assert.equal(await p.patch(key, JSON.stringify({ "'": "'; --" }), null), true)
      assert.deepEqual(JSON.parse((await p.get(key)).data), { key, "'": "'; --" })
    }
    assert.equal((await sql(`SELECT count(*)::int AS n FROM "${tableName}"`))[0].n, keys.length)
  })

  it('a huge session (1 MiB) round-trips, and patches in place', async () => {
    const p = provider()
    const big = { blob: 'x'.repeat(1024 * 1024 - 20) }
    await p.create('big', JSON.stringify(big), Date.now() + DAY, Date.now())
    assert.equal((await p.get('big')).data.length, JSON.stringify(big).length)
    assert.equal(await p.patch('big', '{"n":1}', null), true)
    assert.deepEqual(JSON.parse((await p.get('big')).data), { ...big, n: 1 })
  })

  it("data PostgreSQL's JSON functions refuse (\\u0000, unpaired surrogates) is stored, and patched by compare-and-swap", async () => {
    const p = provider()
    const data = { nul: 'a\u0000b', lone: 'x\ud800y', ok: 1 }
    await p.create('k', JSON.stringify(data), Date.now() + DAY, Date.now())
    assert.deepEqual(JSON.parse((await p.get('k')).data), data)
    assert.equal(await p.patch('k', JSON.stringify({ ok: null, more: { nul: '\u0000' } }), null), true)
    assert.deepEqual(JSON.parse((await p.get('k')).data), { nul: 'a\u0000b', lone: 'x\ud800y', more: { nul: '\u0000' } })
    assert.equal(await p.patch('gone', JSON.stringify({ a: '\u0000' }), null), false)
  })

  it('stored data that is not JSON fails a patch loudly and is left untouched', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool, tableName })
    await p.create('k', 'not json', Date.now() + DAY, Date.now())
    await assert.rejects(p.patch('k', '{"a":1}', null), new RegExp(`^Error: itty-session: PostgreSQL table "${tableName}" failed to update a session: the stored data or the change is not JSON`))
    assert.equal((await p.get('k')).data, 'not json')
  })
})

describe('concurrency', () => {
  it('50 concurrent patches of one session, each to its own key, all persist', async () => {
    const p = provider()
    await p.create('k', '{"n":{"keep":true}}', Date.now() + DAY, Date.now())
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => p.patch('k', JSON.stringify({ [`k${i}`]: i, n: { [`k${i}`]: i } }), null)))
    assert.deepEqual(new Set(results), new Set([true]))
    const data = JSON.parse((await p.get('k')).data)
    for (let i = 0; i < 50; i++) {
      assert.equal(data[`k${i}`], i)
      assert.equal(data.n[`k${i}`], i)
    }
    assert.equal(data.n.keep, true)
  })

  it('of 20 concurrent swaps from one snapshot exactly one wins', async () => {
    const p = provider()
    await p.create('k', '{"v":0}', Date.now() + DAY, Date.now())
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => p.swap('k', '{"v":0}', `{"v":${i + 1}}`, null)))
    assert.equal(results.filter(Boolean).length, 1)
    assert.equal((await p.get('k')).data, `{"v":${results.indexOf(true) + 1}}`)
  })

  it("concurrent patches of a session PostgreSQL's JSON functions refuse all persist (the compare-and-swap retries)", async () => {
    const p = provider()
    await p.create('k', JSON.stringify({ nul: '\u0000' }), Date.now() + DAY, Date.now())
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => p.patch('k', JSON.stringify({ [`k${i}`]: i }), null)))
    assert.deepEqual(results, [true, true, true, true])
    assert.deepEqual(JSON.parse((await p.get('k')).data), { nul: '\u0000', k0: 0, k1: 1, k2: 2, k3: 3 })
  })

  it('a patch racing a destroy either lands before it or reports the row gone', async () => {
    const p = provider()
    for (let i = 0; i < 10; i++) {
      await p.create(`k${i}`, '{}', Date.now() + DAY, Date.now())
      const [patched, destroyed] = await Promise.all([p.patch(`k${i}`, '{"a":1}', null), p.destroy(`k${i}`)])
      assert.equal(destroyed, true)
      assert.equal(typeof patched, 'boolean')
      assert.equal(await p.get(`k${i}`), null, 'never revived')
    }
  })

  it('providers in separate pools (as separate processes) creating the schema at once all succeed', async () => {
    const tableName = freshTable()
    const pools = Array.from({ length: 6 }, () => new pg.Pool({ connectionString: server.url, max: 2 }))
    try {
      const ps = pools.map((each) => new PostgresProvider({ pool: each, tableName, userKey: 'userId' }))
      await Promise.all(ps.map((p, i) => p.create(`k${i}`, `{"userId":${i}}`, Date.now() + DAY, Date.now())))
      assert.equal((await sql(`SELECT count(*)::int AS n FROM "${tableName}"`))[0].n, 6)
    } finally {
      await Promise.all(pools.map((each) => each.end()))
    }
  })
})

describe('users (userKey)', () => {
  const live = Date.now() + DAY
  it('lists and ends only the given user\'s live sessions; 42 and "42" are one user', async () => {
    const p = provider({ userKey: 'userId' })
    await p.create('aaaaaaaaaaaaaaaa1', '{"userId":42}', live, 1000, '{"ua":"a"}')
    await p.create('bbbbbbbbbbbbbbbb2', '{"userId":"42"}', live, 2000, null)
    await p.create('cccccccccccccccc3', '{"userId":420}', live, 3000, null)
    await p.create('dddddddddddddddd4', '{"userId":42}', Date.now() - 1, 4000, null) // expired
    await p.create('eeeeeeeeeeeeeeee5', '{"userId":{"id":42}}', live, 5000, null) // not a user
    await p.create('ffffffffffffffff6', '{"other":42}', live, 6000, null) // anonymous
    await p.create('gggggggggggggggg7', '{"userId":true}', live, 7000, null)
    const listed = await p.listUser(42)
    assert.deepEqual(listed.map((s) => s.key).sort(), ['aaaaaaaaaaaaaaaa1', 'bbbbbbbbbbbbbbbb2'])
    const first = listed.find((s) => s.key === 'aaaaaaaaaaaaaaaa1')
    assert.deepEqual(first, { key: 'aaaaaaaaaaaaaaaa1', created: 1000, active: first.active, expiry: live, meta: '{"ua":"a"}' })
    assert.ok(first.active > 1000)
    assert.deepEqual(await p.listUser('true'), [])
    assert.deepEqual((await p.listUser('420')).map((s) => s.key), ['cccccccccccccccc3'])

    assert.equal(await p.destroyUser('42', { handle: 'bbbbbbbbbbbbbbbb' }), 1)
    assert.equal(await p.destroyUser('42', { handle: 'cccccccccccccccc' }), 0, "another user's handle ends nothing")
    assert.equal(await p.destroyUser('42', { handle: '' }), 0, 'an empty handle matches nothing')
    assert.equal(await p.destroyUser('42', { handle: 'aaaa' }), 0, 'a short handle matches nothing')
    assert.equal(await p.destroyUser(42, { except: 'aaaaaaaaaaaaaaaa1' }), 1, 'the expired one; the current one stays')
    assert.deepEqual((await p.listUser(42)).map((s) => s.key), ['aaaaaaaaaaaaaaaa1'])
    assert.equal(await p.destroyUser(42), 1)
    assert.deepEqual(await p.listUser(42), [])
    assert.deepEqual((await p.listUser(420)).map((s) => s.key), ['cccccccccccccccc3'])
  })

  it('follows the user through patches, swaps and replaces (logout of a user, login as another)', async () => {
    const p = provider({ userKey: 'username' })
    await p.create('k', '{"cart":1}', live, 1)
    assert.deepEqual(await p.listUser('ann'), [])
    await p.patch('k', '{"username":"ann"}', null)
    assert.equal((await p.listUser('ann')).length, 1)
    await p.swap('k', (await p.get('k')).data, '{"username":"bo"}', null)
    assert.equal((await p.listUser('ann')).length, 0)
    assert.equal((await p.listUser('bo')).length, 1)
    await p.patch('k', '{"username":null}', null)
    assert.equal((await p.listUser('bo')).length, 0)
  })

  it('a hostile string elsewhere in the session (\\u0000, unpaired surrogate) neither fails the write nor hides the session', async () => {
    const p = provider({ userKey: 'userId' })
    await p.create('k1', JSON.stringify({ userId: 'ann', note: 'a\u0000b' }), live, 1)
    await p.create('k2', JSON.stringify({ userId: 'ann', note: '\udc00' }), live, 1)
    // A user named with the text \u0000 (escaped in JSON as \\u0000), beside a real NUL: kept exactly.
    await p.create('k3', JSON.stringify({ note: '\u0000\u0000', userId: 'é\\u0000\\\ud800"' }), live, 1)
    await p.create('k4', JSON.stringify({ userId: 'é\\u0000\\\ud800"' }), live, 1)
    assert.deepEqual((await p.listUser('ann')).map((s) => s.key).sort(), ['k1', 'k2'])
    assert.deepEqual((await p.listUser('é\\u0000\\\ufffd"')).map((s) => s.key).sort(), ['k3', 'k4'])
    // The user as the middleware passes it (String(value), its unpaired surrogate sent as U+FFFD).
    assert.deepEqual((await p.listUser('é\\u0000\\\ud800"')).map((s) => s.key).sort(), ['k3', 'k4'])
    assert.equal(await p.patch('k1', JSON.stringify({ more: '\ud800' }), null), true)
    assert.equal(await p.destroyUser('ann'), 2)
  })

  it('user ids of any length (a hash index), numbers however spelled, and rows that are not JSON', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool, tableName, userKey: 'userId' })
    const long = 'u'.repeat(20_000) // past what a btree index entry can hold
    await p.create('long', JSON.stringify({ userId: long }), live, 1)
    assert.deepEqual((await p.listUser(long)).map((s) => s.key), ['long'])
    // Written by something other than JSON.stringify: 7.0 and 7e0 are the safe integer 7.
    for (const [i, text] of ['{"userId":7.0}', '{"userId":7e0}', '{"userId":-0}', '{"userId":9007199254740993}', '{"userId":7.5}', '{"userId": not json', '[1]', '"x"'].entries()) {
      await sql(`INSERT INTO "${tableName}" (sid, data, expiry) VALUES ($1, $2, $3)`, [`raw${i}`, text, live])
    }
    assert.deepEqual((await p.listUser(7)).map((s) => s.key).sort(), ['raw0', 'raw1'])
    assert.deepEqual((await p.listUser(0)).map((s) => s.key), ['raw2'])
    assert.deepEqual(await p.listUser('9007199254740993'), [])
    assert.deepEqual(await p.listUser(''), [])
    assert.equal(await p.destroyUser(true), 0)
  })

  it('a table made without userKey gains the user column (with its index) when first asked, rows kept', async () => {
    const tableName = freshTable()
    const plain = new PostgresProvider({ pool, tableName })
    await plain.create('k', '{"userId":"ann"}', live, 1)
    const withUser = new PostgresProvider({ pool: counted, tableName, userKey: 'userId' })
    statements.length = 0
    assert.deepEqual((await withUser.listUser('ann')).map((s) => s.key), ['k'])
    assert.equal(statements.length, 3, 'failed, migrated, retried')
    const indexes = (await sql('SELECT indexname FROM pg_indexes WHERE tablename = $1', [tableName])).map((r) => r.indexname)
    assert.ok(indexes.includes(`${tableName}_user_userId`))
  })

  it('listUser and destroyUser without userKey say what to set', async () => {
    await assert.rejects(provider().listUser('ann'), /^Error: itty-session: PostgresProvider \(PostgreSQL table "t\d+_\d+"\) was made without userKey, so it cannot find a user's sessions: set userKey/)
    await assert.rejects(provider().destroyUser('ann'), /was made without userKey/)
  })
})

describe('schema', () => {
  it('a table from an older version (sid, data, expiry only) gains the new columns, rows kept', async () => {
    const tableName = freshTable()
    await sql(`CREATE TABLE "${tableName}" (sid text PRIMARY KEY, data text NOT NULL, expiry bigint NOT NULL)`)
    await sql(`INSERT INTO "${tableName}" VALUES ('old', '{"a":1}', ${Date.now() + DAY})`)
    const p = new PostgresProvider({ pool, tableName })
    await p.create('new', '{"b":1}', Date.now() + DAY, 5, '{"ua":"x"}')
    assert.deepEqual(JSON.parse((await p.get('old')).data), { a: 1 })
    assert.deepEqual((await sql(`SELECT meta, created FROM "${tableName}" WHERE sid = 'new'`))[0], { meta: '{"ua":"x"}', created: '5' })
  })

  it('a dropped merge function is made again when a patch needs it', async () => {
    const p = provider()
    await p.create('k', '{}', Date.now() + DAY, 1)
    await sql('DROP FUNCTION itty_session_merge_patch(json, json)')
    assert.equal(await p.patch('k', '{"a":{"b":1}}', null), true)
    assert.deepEqual(JSON.parse((await p.get('k')).data), { a: { b: 1 } })
  })

  it('schemaSql() is the SQL the provider runs, for a DBA to run instead', async () => {
    const text = schemaSql({ tableName: 'my_sessions', userKey: 'userId' })
    await sql(text)
    const p = new PostgresProvider({ pool: counted, tableName: 'my_sessions', userKey: 'userId' })
    statements.length = 0
    await p.create('k', '{"userId":1}', Date.now() + DAY, 1)
    assert.equal((await p.listUser(1)).length, 1)
    assert.equal(statements.length, 2, 'no migration needed')
    assert.throws(() => schemaSql({ tableName: 'x; DROP TABLE y' }), TypeError)
  })

  it('cleanupExpired deletes expired rows in bounded batches, and nothing else', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ pool, tableName })
    for (let i = 0; i < 25; i++) await p.create(`old${i}`, '{}', Date.now() - 1000, 1)
    for (let i = 0; i < 3; i++) await p.create(`live${i}`, '{}', Date.now() + DAY, 1)
    assert.equal(await cleanupExpired(null, { pool, tableName, batchSize: 10, maxBatches: 2 }), 20)
    assert.equal(await cleanupExpired(null, { pool, tableName, batchSize: 10 }), 5)
    assert.deepEqual((await sql(`SELECT sid FROM "${tableName}" ORDER BY sid`)).map((r) => r.sid), ['live0', 'live1', 'live2'])
    await assert.rejects(cleanupExpired(null, { pool, tableName, batchSize: 0 }), /whole numbers above 0/)
  })
})

describe('bad options and a bad server, with errors that say what to change', () => {
  it('refuses a table name or userKey that is not a plain identifier', () => {
    for (const tableName of ['sessions; DROP TABLE x', 'a"b', '1abc', '', 'x'.repeat(57), 'se ssions', null]) {
      assert.throws(() => new PostgresProvider({ pool, tableName }), /^TypeError: itty-session: providerOptions.tableName must be a plain SQL identifier/)
    }
    for (const userKey of ["id') OR true --", 'a-b', '', 'x'.repeat(60)]) {
      assert.throws(() => new PostgresProvider({ pool, userKey }), /^TypeError: itty-session: userKey must be a plain identifier/)
    }
  })

  it('needs exactly one of pool, connectionString and hyperdrive', () => {
    assert.throws(() => new PostgresProvider({}), /needs exactly one of providerOptions.pool .*; got none/)
    assert.throws(() => new PostgresProvider({ pool, connectionString: server.url }), /got pool and connectionString/)
    assert.throws(() => new PostgresProvider({ pool: {} }), /providerOptions.pool must have a query\(text, values\) method/)
    assert.throws(() => new PostgresProvider({ connectionString: 42 }), /connectionString must be a postgres:\/\/ URL or a function/)
    assert.throws(() => new PostgresProvider({ env: {}, hyperdrive: 'HYPERDRIVE' }), /no Hyperdrive configuration is bound as "HYPERDRIVE" in env. Add it to wrangler.toml[\s\S]*\[\[hyperdrive\]\]/)
  })

  it('an unreachable server or an unknown host: the error names the table, the address and what to check', async () => {
    const port = await freePort()
    const p = new PostgresProvider({ connectionString: `postgres://itty:secret-pw@127.0.0.1:${port}/postgres` })
    const e = await p.get('k').catch((e) => e)
    assert.match(e.message, new RegExp(`^itty-session: PostgreSQL table "sessions" failed to read a session: cannot connect to the PostgreSQL server at 127.0.0.1:${port} \\(connection refused\\): is it running`))
    assert.doesNotMatch(e.message, /secret-pw/)
    const nohost = new PostgresProvider({ connectionString: 'postgres://itty:secret-pw@no-such-host.invalid:5432/postgres' })
    const e2 = await nohost.get('k').catch((e) => e)
    assert.match(e2.message, /^itty-session: PostgreSQL table "sessions" failed to read a session: cannot find the PostgreSQL server's host "no-such-host.invalid": check the host in the connection string$/)
  })

  it('a wrong password, an unknown database: named, and the password never shown', async () => {
    const wrong = new PostgresProvider({ connectionString: `postgres://itty:not-the-password@127.0.0.1:${server.port}/postgres` })
    const e = await wrong.get('k').catch((e) => e)
    assert.match(e.message, /^itty-session: PostgreSQL table "sessions" failed to read a session: password authentication failed for user "itty": check the user and password in the connection string$/)
    const nodb = new PostgresProvider({ connectionString: `postgres://itty:${server.password}@127.0.0.1:${server.port}/nope` })
    const e2 = await nodb.get('k').catch((e) => e)
    assert.match(e2.message, /database "nope" does not exist: check the database name in the connection string, or create it/)
    assert.doesNotMatch(e2.message + e.message, new RegExp(server.password))
  })

  it('a statement stuck behind a lock fails after providerOptions.timeout, naming the cause; a bad timeout is refused', async () => {
    const tableName = freshTable()
    const p = new PostgresProvider({ connectionString: server.url, tableName, timeout: 1000 })
    await p.create('k', '{"a":1}', Date.now() + DAY, 1) // the schema is made with the timeout lifted
    const locker = await pool.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`SELECT sid FROM "${tableName}" WHERE sid = 'k' FOR UPDATE`)
      const e = await p.patch('k', '{"b":1}', null).catch((e) => e)
      assert.match(e.message, new RegExp(`^itty-session: PostgreSQL table "${tableName}" failed to update a session: canceling statement due to statement timeout \\(a statement took longer than providerOptions.timeout`))
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
    }
    assert.equal(await p.patch('k', '{"b":1}', null), true, 'fine once the lock is gone')
    for (const timeout of [0, -1, 1.5, '10', null]) {
      assert.throws(() => new PostgresProvider({ pool, timeout }), /providerOptions.timeout must be a whole number of milliseconds above 0/)
    }
  })

  it('a connectionString function gets env; one that gives nothing says so', async () => {
    const p = new PostgresProvider({ env: { DATABASE_URL: server.url }, connectionString: (env) => env.DATABASE_URL })
    await p.create('via-env', '{}', Date.now() + DAY, 1)
    assert.notEqual(await p.get('via-env'), null)
    const none = new PostgresProvider({ env: {}, connectionString: (env) => env.DATABASE_URL })
    await assert.rejects(none.get('k'), /connectionString gave no URL/)
  })
})

describe('through the middleware: statements per request', () => {
  let fetch
  const key = (id) => createHash('sha256').update(id).digest('base64url')
  before(() => {
    const { sessionPreflight, sessionify } = createSessionsMiddleware({
      Provider: PostgresProvider,
      providerOptions: { pool: counted, tableName: 'mw_sessions' },
      options: { cookieOptions: { name: 'sid' } },
    })
    const router = AutoRouter({ before: [sessionPreflight], finally: [sessionify] })
    router.get('/get', ({ session }) => ({ session }))
    router.get('/set', (req) => {
      req.session[req.query.k] = JSON.parse(req.query.v)
      return { session: req.session }
    })
    router.get('/logout', async (req) => {
      await req.session.destroy()
      return { ok: true }
    })
    fetch = async (path, cookie) => {
      statements.length = 0
      const res = await router.fetch(new Request(`http://localhost${path}`, { headers: cookie ? { cookie } : {} }))
      const body = await res.json()
      const reads = statements.filter((s) => /^SELECT/.test(s)).length
      return { res, body, reads, writes: statements.length - reads, cookie: res.headers.getSetCookie().find((c) => c.startsWith('sid='))?.split(';')[0] }
    }
  })

  it('anonymous 0; login 1 write; unchanged 1 read; changed 1 read + 1 write; logout 1 read + 1 delete', async () => {
    await fetch('/set?k=warm&v=1') // creates the table
    const anonymous = await fetch('/get')
    assert.deepEqual([anonymous.reads, anonymous.writes], [0, 0])
    const login = await fetch('/set?k=user&v="ann"')
    assert.deepEqual([login.reads, login.writes], [0, 1])
    assert.match(login.cookie, /^sid=[A-Za-z0-9_-]{43}$/)
    const unchanged = await fetch('/get', login.cookie)
    assert.deepEqual([unchanged.reads, unchanged.writes], [1, 0])
    assert.deepEqual(unchanged.body, { session: { user: 'ann' } })
    const changed = await fetch('/set?k=cart&v={"items":[1,2]}', login.cookie)
    assert.deepEqual([changed.reads, changed.writes], [1, 1])
    const [row] = await sql('SELECT data FROM mw_sessions WHERE sid = $1', [key(login.cookie.slice(4))])
    assert.deepEqual(JSON.parse(row.data), { user: 'ann', cart: { items: [1, 2] } })
    const logout = await fetch('/logout', login.cookie)
    assert.deepEqual([logout.reads, logout.writes], [1, 1])
    const after = await fetch('/get', login.cookie)
    assert.deepEqual(after.body, { session: {} })
    assert.equal((await sql('SELECT count(*)::int AS n FROM mw_sessions WHERE sid = $1', [key(login.cookie.slice(4))]))[0].n, 0)
  })

  it('ids are stored hashed: the table never holds the cookie value', async () => {
    const login = await fetch('/set?k=user&v="bo"')
    const id = login.cookie.slice(4)
    assert.equal((await sql('SELECT count(*)::int AS n FROM mw_sessions WHERE sid = $1 OR data LIKE $2', [id, `%${id}%`]))[0].n, 0)
    assert.equal((await sql('SELECT count(*)::int AS n FROM mw_sessions WHERE sid = $1', [key(id)]))[0].n, 1)
  })
})

describe('TypeScript', () => {
  it('the .d.ts types a Node app and a Worker using the provider, and catches a wrong option', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
    const { spawnSync } = await import('node:child_process')
    const { join } = await import('node:path')
    const root = new URL('..', import.meta.url).pathname
    // Inside the repo, so that 'itty-session' resolves as it does for tests/types/worker.ts.
    const dir = mkdtempSync(join(root, 'tests/types/tmp-pg-'))
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../tsconfig.json', files: ['app.ts'] }))
      writeFileSync(
        join(dir, 'app.ts'),
        `import { createSessionsMiddleware } from 'itty-session'
import PostgresProvider, { cleanupExpired, closePools, schemaSql, type PostgresQueryable } from 'itty-session/providers/postgres'
const pool: PostgresQueryable = { query: async () => ({ rows: [], rowCount: 0 }) }
createSessionsMiddleware({ Provider: PostgresProvider, providerOptions: { pool, tableName: 'sessions' }, options: { userKey: 'userId' } })
createSessionsMiddleware({ Provider: PostgresProvider, providerOptions: { hyperdrive: 'HYPERDRIVE' } })
const p = new PostgresProvider({ connectionString: (env: { DATABASE_URL: string }) => env.DATABASE_URL, userKey: 'userId' })
export const checks: [Promise<boolean>, Promise<number>, string, Promise<number>, Promise<void>, string] = [
  p.swap('k', '{}', '{"a":1}', null), p.destroyUser(42, { handle: 'abcdefghijklmnop' }), schemaSql({ userKey: 'userId' }),
  cleanupExpired(null, { pool, batchSize: 100 }), closePools(), p.label,
]
// @ts-expect-error: a table name is a string
new PostgresProvider({ pool, tableName: 42 })
`,
      )
      const r = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
      assert.equal(r.stdout + r.stderr, '')
      assert.equal(r.status, 0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
