// The provider contract (docs/provider-contract.md) as one node:test suite, run against every provider.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

/** The `userKey` every harness must make its provider with. */
export const USER_KEY = 'userId'

const DAY = 86400e3
/** A fresh storage key: 43 base64url characters, like the SHA-256 of an id. */
export const newKey = () => randomBytes(32).toString('base64url')
const newUser = () => `u-${randomBytes(6).toString('hex')}`
const doc = (o) => JSON.stringify(o)

/**
 * Register the whole contract as `describe`/`it` blocks against one provider.
 *
 * `setup` is called once, before the first test, and returns a harness (or a module whose default
 * export is a function returning one, so that a provider is one line in tests/contract.test.mjs:
 * `contractSuite('D1 in workerd', () => import('./contract/d1.mjs'))`). A harness is:
 * - `call(method, ...args)`: run the provider's method (or read its getter, e.g. 'label') and
 *   resolve to its JSON-able result; reject with the provider's error. Required.
 *   The provider must be made with `userKey: USER_KEY` ('userId').
 * - `has(method)`: whether the provider offers an optional method ('swap', 'listUser', ...).
 *   Without it, every optional method is taken as offered.
 * - `seedRaw(key, { data, expiry, created })`: store a record bypassing the provider (bad data,
 *   a 0.4 row whose `created` is undefined). Optional: those tests are skipped without it.
 * - `atomicPatch: false`: the provider documents that concurrent patches of one record can lose
 *   one (KV); the suite then checks only that one of them survives whole.
 * - `close()`: stop whatever setup started. Optional.
 * @param {string} name
 * @param {() => Promise<object> | object} setup
 */
export function contractSuite(name, setup) {
  describe(`provider contract: ${name}`, () => {
    let h
    before(async () => {
      const made = await setup()
      h = typeof made?.default === 'function' ? await made.default() : made
    })
    after(() => h?.close?.())

    const call = (method, ...args) => h.call(method, ...args)
    const has = async (method) => (h.has ? h.has(method) : true)
    const data = async (key) => JSON.parse((await call('get', key, Date.now())).data)
    const make = async (content, { expiry = Date.now() + DAY, created = Date.now(), meta = null, key = newKey() } = {}) => {
      await call('create', key, doc(content), expiry, created, meta)
      return key
    }

    describe('records', () => {
      it('create then get returns the stored text, expiry and created exactly, and active = the time of the create', async () => {
        const expiry = Date.now() + DAY
        // Older than the call: a session regenerated keeping its creation time is active now.
        const created = Date.now() - DAY
        const text = '{"a":1,"s":"é ✓ \\u0000 \\"q\\"","n":{"x":[1,2,{"y":null}]}}'
        const key = newKey()
        const before = Date.now()
        await call('create', key, text, expiry, created, '{"ua":"x"}')
        const { active, ...rest } = await call('get', key, Date.now())
        assert.deepEqual(rest, { data: text, expiry, created })
        // Clocks of another process (workerd, a database server) may differ by a little.
        assert.ok(active >= before - 5000 && active <= Date.now() + 5000, `active ${active}, created at ${before}`)
      })

      it('get returns active moved by patch, replace and touch with an expiry, kept with null (the middleware ends idle sessions by it)', async () => {
        const created = Date.now() - DAY
        const key = await make({ a: 1 }, { created })
        const first = (await call('get', key, Date.now())).active
        assert.equal(await call('patch', key, doc({ b: 1 }), null), true)
        assert.equal((await call('get', key, Date.now())).active, first)
        assert.equal(await call('replace', key, doc({ c: 1 }), null), true)
        assert.equal((await call('get', key, Date.now())).active, first)
        for (const [method, args] of [['patch', [doc({ d: 1 })]], ['replace', [doc({ e: 1 })]], ['touch', []]]) {
          const before = Date.now()
          if (method === 'touch') assert.equal(await call('touch', key, Date.now() + DAY), true)
          else assert.equal(await call(method, key, ...args, Date.now() + DAY), true)
          const { active } = await call('get', key, Date.now())
          // Clocks of another process (workerd, a database server) may differ by a little.
          assert.ok(active > created && active >= before - 5000 && active <= Date.now() + 5000, `${method}: active ${active}, called at ${before}`)
        }
      })

      it('get of a key never stored is null', async () => {
        assert.equal(await call('get', newKey(), Date.now()), null)
        assert.equal(await call('get', randomUUID(), 0), null)
      })

      it('get after the expiry returns null or the expired record (the middleware checks); now 0 returns it', async () => {
        const expiry = Date.now() + 60_000
        const key = await make({ a: 1 }, { expiry })
        const late = await call('get', key, expiry + 1)
        assert.ok(late === null || late.expiry <= expiry + 1, JSON.stringify(late))
        assert.deepEqual(JSON.parse((await call('get', key, 0)).data), { a: 1 })
      })

      it('a 0.4 record (UUID key, expiry long past) is returned by get with now 0', async () => {
        const key = randomUUID()
        const expiry = Date.now() - 30 * DAY
        if (h.seedRaw) await h.seedRaw(key, { data: '{"username":"test","isLoggedIn":true}', expiry, created: undefined })
        else await call('create', key, '{"username":"test","isLoggedIn":true}', expiry, expiry - DAY, null)
        const row = await call('get', key, 0)
        assert.deepEqual(JSON.parse(row.data), { username: 'test', isLoggedIn: true })
        assert.equal(row.expiry, expiry)
        if (h.seedRaw) {
          assert.ok(row.created === null || row.created === undefined, `created: ${row.created}`)
          assert.ok(row.active === null || row.active === undefined, `active: ${row.active}`)
        }
        assert.equal(await call('destroy', key), true)
        assert.equal(await call('get', key, 0), null)
      })

      it('patch applies an RFC 7396 merge patch: nulls delete, objects merge, arrays and scalars replace', async () => {
        const key = await make({ a: 1, d: 'gone', n: { x: 1, y: 2, deep: { k: 1 } }, arr: [1, 2, 3], s: 'x', o: { p: 1 } })
        const ok = await call('patch', key, doc({ d: null, n: { y: null, z: 3, deep: { j: 2 } }, arr: [9], s: { now: 'obj' }, o: 'scalar', b: { c: true } }), null)
        assert.equal(ok, true)
        assert.deepEqual(await data(key), { a: 1, n: { x: 1, z: 3, deep: { k: 1, j: 2 } }, arr: [9], s: { now: 'obj' }, o: 'scalar', b: { c: true } })
      })

      it('patch, replace and touch keep the expiry when given null, and set it when given one', async () => {
        const expiry = Date.now() + DAY
        const key = await make({ a: 1 }, { expiry })
        assert.equal(await call('patch', key, doc({ b: 2 }), null), true)
        assert.equal((await call('get', key, Date.now())).expiry, expiry)
        assert.equal(await call('replace', key, doc({ c: 3 }), null), true)
        const row = await call('get', key, Date.now())
        assert.deepEqual({ data: JSON.parse(row.data), expiry: row.expiry }, { data: { c: 3 }, expiry })
        assert.equal(await call('patch', key, doc({ d: 4 }), expiry + 1000), true)
        assert.equal((await call('get', key, Date.now())).expiry, expiry + 1000)
        assert.equal(await call('replace', key, doc({ e: 5 }), expiry + 2000), true)
        assert.equal((await call('get', key, Date.now())).expiry, expiry + 2000)
        assert.equal(await call('touch', key, expiry + 3000), true)
        const touched = await call('get', key, Date.now())
        assert.deepEqual({ data: JSON.parse(touched.data), expiry: touched.expiry }, { data: { e: 5 }, expiry: expiry + 3000 })
      })

      it('replace stores the text as given', async () => {
        const key = await make({ a: 1 })
        const text = '{ "b" : [ 1 , 2 ] }'
        assert.equal(await call('replace', key, text, null), true)
        assert.equal((await call('get', key, Date.now())).data, text)
      })

      it('destroy returns true only when it removed a record, false the second time and for unknown keys', async () => {
        const key = await make({ a: 1 })
        assert.equal(await call('destroy', key), true)
        assert.equal(await call('get', key, Date.now()), null)
        assert.equal(await call('destroy', key), false)
        assert.equal(await call('destroy', newKey()), false)
      })

      it('patch, replace and touch after destroy return false and revive nothing', async () => {
        const key = await make({ a: 1 })
        assert.equal(await call('destroy', key), true)
        assert.equal(await call('patch', key, doc({ b: 2 }), Date.now() + DAY), false)
        assert.equal(await call('replace', key, doc({ c: 3 }), Date.now() + DAY), false)
        assert.equal(await call('touch', key, Date.now() + DAY), false)
        assert.equal(await call('patch', key, doc({ b: 2 }), null), false)
        assert.equal(await call('get', key, Date.now()), null)
        assert.equal(await call('get', key, 0), null)
      })

      it('concurrent patches of one record changing different keys both persist', async (t) => {
        const key = await make({ base: 0 })
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => call('patch', key, doc({ [`k${i}`]: i }), null)))
        assert.deepEqual(results, [true, true, true, true, true, true])
        const got = await data(key)
        if (h.atomicPatch === false) {
          // Documented for this provider: a concurrent patch can be lost, but never corrupts.
          assert.equal(got.base, 0)
          assert.ok(Object.keys(got).length >= 2, JSON.stringify(got))
          t.diagnostic(`not atomic (documented): ${Object.keys(got).length - 1} of 6 concurrent patches kept`)
          return
        }
        assert.deepEqual(got, { base: 0, k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5 })
      })

      it('concurrent writes to different records all persist', async () => {
        const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => make({ i })))
        await Promise.all(keys.map((key, i) => (i % 2 ? call('patch', key, doc({ j: i }), null) : call('replace', key, doc({ r: i }), null))))
        const got = await Promise.all(keys.map(data))
        assert.deepEqual(got, keys.map((_, i) => (i % 2 ? { i, j: i } : { r: i })))
      })

      it('a 1 MiB document is stored, patched and replaced whole', async () => {
        const big = 'x'.repeat(1024 * 1024)
        const key = await make({ big, n: 1 })
        assert.equal((await call('get', key, Date.now())).data.length, doc({ big, n: 1 }).length)
        assert.equal(await call('patch', key, doc({ n: 2 }), null), true)
        assert.deepEqual(await data(key), { big, n: 2 })
        assert.equal(await call('replace', key, doc({ big: big.slice(1), n: 3 }), null), true)
        const got = await data(key)
        assert.equal(got.big.length, big.length - 1)
        assert.equal(got.n, 3)
        assert.equal(await call('destroy', key), true)
      })

      it('keys that look like SQL, paths or patterns are stored as plain keys', async () => {
        // Keys are never chosen by a client, but nothing may read them as syntax.
        const odd = ["' OR 1=1 --", 'a%_*?[]', 'sess:*', '../x', 'a"b\\c']
        for (const key of odd) await call('create', key, doc({ key }), Date.now() + DAY, Date.now(), null)
        for (const key of odd) assert.deepEqual(await data(key), { key })
        for (const key of odd) assert.equal(await call('destroy', key), true)
      })
    })

    describe('bad stored data', () => {
      it('get returns text that is not JSON as it is; destroy removes it; other sessions still list', async (t) => {
        if (!h.seedRaw) return t.skip('the harness cannot seed raw records')
        const user = newUser()
        const good = await make({ [USER_KEY]: user })
        const bad = newKey()
        await h.seedRaw(bad, { data: '{"userId": not json', expiry: Date.now() + DAY, created: Date.now() })
        const other = newKey()
        await h.seedRaw(other, { data: '[1,2,3]', expiry: Date.now() + DAY, created: Date.now() })
        assert.equal((await call('get', bad, Date.now())).data, '{"userId": not json')
        assert.equal((await call('get', other, Date.now())).data, '[1,2,3]')
        if (await has('listUser')) assert.deepEqual((await call('listUser', user, Date.now())).map((s) => s.key), [good])
        assert.equal(await call('destroy', bad), true)
        assert.equal(await call('destroy', other), true)
        assert.equal(await call('get', bad, Date.now()), null)
      })
    })

    describe("itty-session 0.4's five methods, for code that calls them directly", () => {
      it('createSession, getSession, setSession (over an existing record, and creating one), destroySession', async (t) => {
        if (!(await has('createSession'))) return t.skip('a per-request view of a provider: the provider itself has them')
        const sid = await call('createSession')
        assert.equal(typeof sid, 'string')
        const made = await call('getSession', sid)
        assert.equal(made.sid, sid)
        assert.equal(made.data, '{}')
        assert.ok(made.expiry > Date.now())
        await call('setSession', sid, { user: 'ann', n: [1, { x: null }] }, Date.now() + DAY)
        assert.deepEqual(JSON.parse((await call('getSession', sid)).data), { user: 'ann', n: [1, { x: null }] })
        const other = newKey()
        await call('setSession', other, { made: true })
        assert.deepEqual(JSON.parse((await call('getSession', other)).data), { made: true })
        await call('destroySession', sid)
        assert.equal(await call('getSession', sid), null)
        await call('destroySession', other)
      })
    })

    describe('label', () => {
      it('says where the sessions live, as text', async (t) => {
        const label = await call('label')
        if (label === null || label === undefined) return t.skip('no label')
        assert.equal(typeof label, 'string')
        assert.match(label, /\w/)
        assert.doesNotMatch(label, /\[object|undefined/)
      })
    })

    describe('swap (compare-and-swap)', () => {
      it('stores the data when the stored text is exactly the snapshot', async (t) => {
        if (!(await has('swap'))) return t.skip('no swap: the middleware diffs and patches')
        const key = await make({ a: 1 })
        const snapshot = (await call('get', key, Date.now())).data
        const expiry = Date.now() + 2 * DAY
        assert.equal(await call('swap', key, snapshot, doc({ a: 2, b: [1] }), expiry), true)
        const row = await call('get', key, Date.now())
        assert.deepEqual({ data: JSON.parse(row.data), expiry: row.expiry }, { data: { a: 2, b: [1] }, expiry })
        assert.equal(await call('swap', key, row.data, doc({ a: 3 }), null), true)
        assert.equal((await call('get', key, Date.now())).expiry, expiry)
      })

      it('returns false and changes nothing after another write, or when the record is gone', async (t) => {
        if (!(await has('swap'))) return t.skip('no swap')
        const key = await make({ a: 1 })
        const snapshot = (await call('get', key, Date.now())).data
        assert.equal(await call('patch', key, doc({ other: true }), null), true)
        assert.equal(await call('swap', key, snapshot, doc({ a: 2 }), null), false)
        assert.deepEqual(await data(key), { a: 1, other: true })
        // The same document spelled differently is not the snapshot either.
        assert.equal(await call('swap', key, '{ "a": 1, "other": true }', doc({ a: 3 }), null), false)
        assert.equal(await call('destroy', key), true)
        assert.equal(await call('swap', key, doc({ a: 1, other: true }), doc({ a: 4 }), Date.now() + DAY), false)
        assert.equal(await call('get', key, 0), null)
      })

      it('of two concurrent swaps from one snapshot, exactly one wins', async (t) => {
        if (!(await has('swap'))) return t.skip('no swap')
        const key = await make({ n: 0 })
        const snapshot = (await call('get', key, Date.now())).data
        const won = await Promise.all([1, 2].map((n) => call('swap', key, snapshot, doc({ n }), null)))
        assert.deepEqual(won.toSorted(), [false, true])
        assert.deepEqual(await data(key), { n: won[0] ? 1 : 2 })
      })
    })

    describe('per user: listUser and destroyUser', () => {
      const skipUnlessOffered = async (t) => {
        if ((await has('listUser')) && (await has('destroyUser'))) return false
        t.skip('no listUser/destroyUser')
        return true
      }
      const listed = async (user, now = Date.now()) => (await call('listUser', user, now)).map((s) => s.key).toSorted()

      it("two users on one store never see or end each other's sessions", async (t) => {
        if (await skipUnlessOffered(t)) return
        const [a, b] = [newUser(), newUser()]
        const a1 = await make({ [USER_KEY]: a, n: 1 })
        const a2 = await make({ [USER_KEY]: a, n: 2 })
        const b1 = await make({ [USER_KEY]: b })
        const anon = await make({ n: 3 })
        assert.deepEqual(await listed(a), [a1, a2].toSorted())
        assert.deepEqual(await listed(b), [b1])
        assert.equal(await call('destroyUser', a, {}), 2)
        assert.deepEqual(await listed(a), [])
        assert.equal(await call('get', a1, Date.now()), null)
        assert.equal(await call('get', a2, Date.now()), null)
        assert.deepEqual(await data(b1), { [USER_KEY]: b })
        assert.deepEqual(await data(anon), { n: 3 })
        assert.deepEqual(await listed(b), [b1])
        assert.equal(await call('destroyUser', a, {}), 0)
      })

      it('lists key, created, active, expiry and meta; active starts at the time of the create', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const created = Date.now() - DAY
        const expiry = Date.now() + DAY
        const meta = '{"ua":"Firefox on Linux","country":"DE"}'
        const before = Date.now()
        const key = await make({ [USER_KEY]: user }, { created, expiry, meta })
        const plain = await make({ [USER_KEY]: user }, { created, expiry })
        const list = await call('listUser', user, Date.now())
        for (const entry of list) assert.ok(entry.active >= before - 5000 && entry.active <= Date.now() + 5000, `active ${entry.active}`)
        assert.deepEqual(
          list.map(({ active, ...rest }) => rest).toSorted((x, y) => (x.key < y.key ? -1 : 1)),
          [
            { key, created, expiry, meta },
            { key: plain, created, expiry, meta: null },
          ].toSorted((x, y) => (x.key < y.key ? -1 : 1)),
        )
      })

      it('patch, replace and touch with an expiry set active to the time of the call; with null they keep it', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const created = Date.now() - DAY
        const key = await make({ [USER_KEY]: user }, { created })
        const active = async () => (await call('listUser', user, Date.now()))[0].active
        const first = await active()
        assert.equal(await call('patch', key, doc({ x: 1 }), null), true)
        assert.equal(await active(), first)
        for (const [method, arg] of [['patch', doc({ y: 1 })], ['replace', doc({ [USER_KEY]: user })], ['touch']]) {
          const before = Date.now()
          const args = method === 'touch' ? [key, Date.now() + DAY] : [key, arg, Date.now() + DAY]
          assert.equal(await call(method, ...args), true)
          const at = await active()
          // Clocks of another process (workerd, a database server) may differ by a little.
          assert.ok(at >= before - 5000 && at <= Date.now() + 5000, `${method}: active ${at}, called at ${before}`)
          assert.ok(at > created, method)
        }
      })

      it('destroyUser with except keeps that one session', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const keys = [await make({ [USER_KEY]: user }), await make({ [USER_KEY]: user }), await make({ [USER_KEY]: user })]
        assert.equal(await call('destroyUser', user, { except: keys[1] }), 2)
        assert.deepEqual(await listed(user), [keys[1]])
        assert.equal(await call('get', keys[0], Date.now()), null)
        assert.deepEqual(await data(keys[1]), { [USER_KEY]: user })
      })

      it("destroyUser with a handle ends only that session, and never another user's", async (t) => {
        if (await skipUnlessOffered(t)) return
        const [a, b] = [newUser(), newUser()]
        const a1 = await make({ [USER_KEY]: a })
        const a2 = await make({ [USER_KEY]: a })
        const b1 = await make({ [USER_KEY]: b })
        assert.equal(await call('destroyUser', a, { handle: b1.slice(0, 16) }), 0)
        assert.deepEqual(await data(b1), { [USER_KEY]: b })
        assert.equal(await call('destroyUser', a, { handle: 'x' }), 0)
        assert.equal(await call('destroyUser', a, { handle: '' }), 0)
        assert.deepEqual(await listed(a), [a1, a2].toSorted())
        assert.equal(await call('destroyUser', a, { handle: a2.slice(0, 16) }), 1)
        assert.deepEqual(await listed(a), [a1])
        assert.equal(await call('get', a2, Date.now()), null)
        assert.equal(await call('destroyUser', a, { handle: a2.slice(0, 16) }), 0)
      })

      it('anonymous sessions are never listed or ended by user: no value, null, "", booleans, non-integers, objects, arrays', async (t) => {
        if (await skipUnlessOffered(t)) return
        const contents = [{}, { [USER_KEY]: null }, { [USER_KEY]: '' }, { [USER_KEY]: true }, { [USER_KEY]: false }, { [USER_KEY]: 1.5 }, { [USER_KEY]: 2 ** 53 }, { [USER_KEY]: { id: 7 } }, { [USER_KEY]: [7] }, { other: 'x' }]
        const keys = await Promise.all(contents.map((c) => make(c)))
        for (const user of ['', 'true', 'false', '1', '0', '1.5', String(2 ** 53), '9007199254740992', 'null', 'undefined', '[object Object]', '7', '[7]', '{"id":7}']) {
          const seen = (await call('listUser', user, Date.now())).map((s) => s.key).filter((k) => keys.includes(k))
          assert.deepEqual(seen, [], `listUser(${JSON.stringify(user)})`)
        }
        for (const user of ['', 'true', '1', '1.5', '7']) await call('destroyUser', user, {})
        for (const [i, key] of keys.entries()) assert.deepEqual(await data(key), contents[i])
      })

      it("a user id that is the number 42 is the same user as '42'", async (t) => {
        if (await skipUnlessOffered(t)) return
        const n = 1e9 + Math.floor(Math.random() * 1e9)
        const asNumber = await make({ [USER_KEY]: n })
        const asText = await make({ [USER_KEY]: String(n) })
        assert.deepEqual(await listed(n), [asNumber, asText].toSorted())
        assert.deepEqual(await listed(String(n)), [asNumber, asText].toSorted())
        assert.deepEqual(await listed(-n), [])
        assert.equal(await call('destroyUser', n, { except: asText }), 1)
        assert.deepEqual(await listed(String(n)), [asText])
        assert.equal(await call('destroyUser', String(n), {}), 1)
      })

      it('users whose ids share a prefix or hold separators, quotes, unicode or 300 characters stay apart', async (t) => {
        if (await skipUnlessOffered(t)) return
        const base = newUser()
        const users = [base, `${base}2`, `${base}:2`, `${base}%3A2`, `${base}/2`, `${base}'"`, `${base} é✓`, `#${base}`, `${base}${'z'.repeat(300)}`, `${base}${'z'.repeat(301)}`]
        const keys = await Promise.all(users.map((u) => make({ [USER_KEY]: u })))
        for (const [i, u] of users.entries()) assert.deepEqual(await listed(u), [keys[i]], `listUser(${JSON.stringify(u.slice(0, 40))})`)
        assert.equal(await call('destroyUser', base, {}), 1)
        for (const [i, u] of users.entries()) assert.equal((await listed(u)).length, i === 0 ? 0 : 1)
      })

      it('a session whose user changes from A to B moves: patch, replace, swap; removing the user makes it anonymous', async (t) => {
        if (await skipUnlessOffered(t)) return
        const [a, b, c] = [newUser(), newUser(), newUser()]
        const key = await make({ [USER_KEY]: a, keep: 1 })
        assert.equal(await call('patch', key, doc({ [USER_KEY]: b }), null), true)
        assert.deepEqual(await listed(a), [])
        assert.deepEqual(await listed(b), [key])
        assert.equal(await call('destroyUser', a, {}), 0)
        assert.deepEqual(await data(key), { [USER_KEY]: b, keep: 1 })
        assert.equal(await call('replace', key, doc({ [USER_KEY]: c }), null), true)
        assert.deepEqual(await listed(b), [])
        assert.deepEqual(await listed(c), [key])
        if (await has('swap')) {
          const snapshot = (await call('get', key, Date.now())).data
          assert.equal(await call('swap', key, snapshot, doc({ [USER_KEY]: a }), null), true)
          assert.deepEqual(await listed(c), [])
          assert.deepEqual(await listed(a), [key])
        }
        assert.equal(await call('patch', key, doc({ [USER_KEY]: null }), null), true)
        assert.deepEqual(await listed(a), [])
        assert.deepEqual(await listed(c), [])
        // An anonymous session that logs in is listed from then on.
        const anon = await make({ n: 1 })
        assert.equal(await call('patch', anon, doc({ [USER_KEY]: b }), Date.now() + DAY), true)
        assert.deepEqual(await listed(b), [anon])
        assert.equal(await call('destroy', anon), true)
        assert.deepEqual(await listed(b), [])
      })

      it('expired sessions are not listed', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const now = Date.now()
        const soon = await make({ [USER_KEY]: user }, { expiry: now + 60_000 })
        const later = await make({ [USER_KEY]: user }, { expiry: now + DAY })
        assert.deepEqual(await listed(user, now), [soon, later].toSorted())
        assert.deepEqual(await listed(user, now + 60_000), [later])
        assert.deepEqual(await listed(user, now + DAY + 1), [])
      })

      it('a session destroyed one by one is gone from the list; touch keeps it listed', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const k1 = await make({ [USER_KEY]: user })
        const k2 = await make({ [USER_KEY]: user })
        assert.equal(await call('touch', k1, Date.now() + 3 * DAY), true)
        assert.equal(await call('destroy', k2), true)
        const list = await call('listUser', user, Date.now() + 2 * DAY)
        assert.deepEqual(list.map((s) => s.key), [k1])
        assert.ok(list[0].expiry > Date.now() + 2 * DAY)
        assert.equal(await call('destroyUser', user, {}), 1)
      })

      it('concurrent logins of one user are all listed and all ended', async (t) => {
        if (await skipUnlessOffered(t)) return
        const user = newUser()
        const keys = await Promise.all(Array.from({ length: 8 }, () => make({ [USER_KEY]: user })))
        assert.deepEqual(await listed(user), keys.toSorted())
        assert.equal(await call('destroyUser', user, {}), 8)
        for (const key of keys) assert.equal(await call('get', key, Date.now()), null)
      })
    })
  })
}
