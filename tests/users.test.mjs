// A user's sessions in workerd on a real local D1 and KV, and in memory: log out everywhere else,
// an account disabled, a "your devices" page, an administrator; statements per request unchanged.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { client, startWorker } from './helpers/workerd.mjs'

const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

let mf, fetch
before(async () => {
  ;({ mf, fetch } = await startWorker('tests/workers/users-app.js', { d1: ['SESSIONS'], kv: ['SESSIONS_KV'] }))
})
after(() => mf?.dispose())

const json = async (res) => {
  assert.equal(res.status, 200, await res.clone().text())
  return res.json()
}
const count = (res) => JSON.parse(res.headers.get('x-count'))

/** A browser on one device: its own cookie jar and User-Agent. */
function device(store, ua, cf) {
  const c = client((path, init) => fetch(path, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), 'User-Agent': ua }, cf }))
  return {
    get cookie() {
      return c.cookie
    },
    get: (path) => c.fetch(`/${store}${path}`),
    async login(user) {
      return json(await c.fetch(`/${store}/login?user=${user}`))
    },
    async devices() {
      return (await json(await c.fetch(`/${store}/devices`))).devices
    },
    async session() {
      return (await json(await c.fetch(`/${store}/session`))).session
    },
  }
}

for (const store of ['d1', 'kv', 'memory']) {
  describe(`a user's sessions on ${store}`, () => {
    // Unique users per store, so stores sharing nothing cannot hide a leak.
    const ann = `ann-${store}`
    const bob = `bob-${store}`

    it('"your devices": both of a user\'s devices, newest activity first, this one marked, with device and country', async () => {
      const laptop = device(store, CHROME_MAC, { country: 'DE' })
      const phone = device(store, SAFARI_IPHONE)
      const other = device(store, FIREFOX_LINUX)
      await laptop.login(ann)
      await phone.login(ann)
      await other.login(bob)
      const seen = await laptop.devices()
      assert.equal(seen.length, 2, JSON.stringify(seen))
      const mine = seen.find((d) => d.current)
      assert.ok(mine, 'this device is marked')
      assert.equal(mine.device, 'Chrome on macOS')
      if (store !== 'memory' || mine.country) assert.equal(mine.country, 'DE')
      assert.equal(seen.find((d) => !d.current).device, 'Safari on iOS')
      for (const d of seen) {
        assert.match(d.handle, /^[\w-]{16}$/)
        assert.ok(!laptop.cookie.includes(d.handle), 'the handle is not part of any session id')
        assert.ok(d.created <= d.lastActive && d.lastActive < d.expires)
      }
      assert.ok(seen[0].lastActive >= seen[1].lastActive)
    })

    it('ending another device logs it out on its next request; another user\'s handle ends nothing', async () => {
      const a1 = device(store, CHROME_MAC)
      const a2 = device(store, FIREFOX_LINUX)
      const b = device(store, SAFARI_IPHONE)
      await a1.login(`${ann}-2`)
      await a2.login(`${ann}-2`)
      await b.login(`${bob}-2`)
      const bobs = (await b.devices())[0].handle
      const cross = await json(await a1.get(`/end?handle=${bobs}`))
      assert.equal(cross.ended, false, "ann cannot end bob's session")
      assert.deepEqual(await b.session(), { userId: `${bob}-2` })
      const target = (await a1.devices()).find((d) => !d.current)
      assert.deepEqual(await json(await a1.get(`/end?handle=${target.handle}`)), { ended: true })
      const res = await a2.get('/session')
      assert.deepEqual((await json(res)).session, {})
      assert.equal(a2.cookie, undefined, 'the ended device got the clearing cookie')
      assert.deepEqual(await a1.session(), { userId: `${ann}-2` })
    })

    it('log out everywhere else: every other session of the user ends, this one gets a new id', async () => {
      const user = `${ann}-3`
      const here = device(store, CHROME_MAC)
      const there = [device(store, FIREFOX_LINUX), device(store, SAFARI_IPHONE)]
      const bystander = device(store, CHROME_MAC)
      await here.login(user)
      for (const d of there) await d.login(user)
      await bystander.login(`${bob}-3`)
      const before = here.cookie
      assert.deepEqual(await json(await here.get('/password')), { ended: 2 })
      assert.notEqual(here.cookie, before, 'this session was regenerated')
      assert.deepEqual(await here.session(), { userId: user })
      for (const d of there) assert.deepEqual(await d.session(), {})
      assert.deepEqual(await bystander.session(), { userId: `${bob}-3` })
      const left = await here.devices()
      assert.equal(left.length, 1)
      assert.equal(left[0].current, true)
    })

    it('an account disabled: one call from code with env ends all of that user\'s sessions', async () => {
      const user = `${ann}-4`
      const devices = [device(store, CHROME_MAC), device(store, FIREFOX_LINUX)]
      for (const d of devices) await d.login(user)
      const bystander = device(store, SAFARI_IPHONE)
      await bystander.login(`${bob}-4`)
      const listed = await json(await fetch(`/${store}/admin/list?user=${user}`))
      assert.equal(listed.devices.length, 2)
      assert.ok(listed.devices.every((d) => d.current === false))
      assert.deepEqual(await json(await fetch(`/${store}/admin/end?user=${user}`)), { ended: 2 })
      for (const d of devices) assert.deepEqual(await d.session(), {})
      assert.deepEqual(await bystander.session(), { userId: `${bob}-4` })
      assert.deepEqual((await json(await fetch(`/${store}/admin/list?user=${user}`))).devices, [])
    })

    it('an administrator ends one session of a user by handle; a number user id is the same as its text', async () => {
      const d = device(store, CHROME_MAC)
      const keep = device(store, FIREFOX_LINUX)
      await d.login('4242')
      await keep.login('4242')
      const list = (await json(await fetch(`/${store}/admin/list?user=4242`))).devices
      assert.equal(list.length, 2)
      const target = list.find((x) => x.device === 'Chrome on macOS')
      assert.deepEqual(await json(await fetch(`/${store}/admin/end?user=4242&handle=${target.handle}`)), { ended: 1 })
      assert.deepEqual(await d.session(), {})
      assert.deepEqual(await keep.session(), { userId: 4242 })
    })

    it('anonymous sessions are never listed', async () => {
      const anon = device(store, CHROME_MAC)
      await json(await anon.get('/touch'))
      assert.deepEqual(await anon.devices(), [])
    })
  })
}

describe('a user\'s sessions: set-up and cost', () => {
  it('ordinary requests cost what they did: 0 / 1 read / 1 read + 1 write / 1 write (D1)', async () => {
    const d = device('d1', CHROME_MAC)
    assert.deepEqual(count(await d.get('/session')), { read: 0, write: 0, schema: 0 })
    const login = await d.get('/login?user=cost')
    assert.deepEqual(count(login), { read: 0, write: 1, schema: 0 })
    assert.deepEqual(count(await d.get('/session')), { read: 1, write: 0, schema: 0 })
    assert.deepEqual(count(await d.get('/touch')), { read: 1, write: 1, schema: 0 })
  })

  it('deviceDetails: false stores no device details', async () => {
    const d = device('private', CHROME_MAC, { country: 'FR' })
    await d.login('privacy')
    const [entry] = await d.devices()
    assert.equal(entry.device, null)
    assert.equal(entry.country, null)
  })

  it('without userKey, or with a provider lacking the methods, the error says what to do', async () => {
    const none = device('nouser', CHROME_MAC)
    const res = await none.get('/devices')
    assert.equal(res.status, 500)
    assert.match(await res.text(), /set options\.userKey/)
    const five = device('fivemethods', CHROME_MAC)
    const res2 = await five.get('/devices')
    assert.equal(res2.status, 500)
    assert.match(await res2.text(), /must implement listUser\(user, now\) and destroyUser/)
  })

  it('a malformed handle is refused with a clear error', async () => {
    const d = device('d1', CHROME_MAC)
    await d.login('handles')
    const res = await d.get('/end?handle=../../x')
    assert.equal(res.status, 500)
    assert.match(await res.text(), /16-character `handle`/)
  })
})
