// The session cookie reader's JS side (js/session-cookie.js) over the real wasm core: answers,
// offsets in non-ASCII and huge headers, the verified-cookie cache, and memory growing mid-read.
import assert from 'node:assert/strict'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { Codec, memory, scratchLayout } from '../dist/wasm/node.js'
import { AMBIGUOUS_COOKIE, BAD_COOKIE, MAX_COOKIE_HEADER, issueSession, readSessionCookie } from '../dist/session-cookie.js'

const K0 = 'the current secret, 32 characters or more'
const K1 = 'a retired secret, also 32 characters or more'
const NAME = '__Host-sid'
const newId = () => randomBytes(32).toString('base64url')
const keyOf = (id) => createHash('sha256').update(id).digest('base64url')
const sign = (id, secret = K0) => `${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`
const codec = (secrets = [K0, K1], { legacy = 'sid', uuids = true } = {}) => new Codec(NAME, secrets, legacy, uuids)
// The cache slot of a value (Cache::slot_of in src/cache.rs): to make two values share one.
const slotOf = (value) => Math.imul(Buffer.from(value).readUInt32LE(0), 0x9e3779b1) >>> 27
const sameSlot = (make) => {
  const first = make()
  for (;;) {
    const other = make()
    if (slotOf(other) === slotOf(first)) return [first, other]
  }
}

describe('readSessionCookie', () => {
  it('answers undefined, BAD_COOKIE, AMBIGUOUS_COOKIE or [id, key, resign, legacy]', () => {
    const c = codec()
    const id = newId()
    assert.deepEqual(readSessionCookie(c, `a=1; ${NAME}=${sign(id)}; b=2`), [id, keyOf(id), false, false])
    assert.deepEqual(readSessionCookie(c, `${NAME}=${sign(id, K1)}`), [id, keyOf(id), true, false])
    assert.deepEqual(readSessionCookie(c, `sid=${sign(id, K1)}`), [id, keyOf(id), true, true])
    for (const header of [null, '', 'a=1', `connect.sid=${sign(id)}`, `xsid=${sign(id)}; sid2=${sign(id)}`, `${NAME}x=${sign(id)}`, 'sid=garbage']) {
      assert.equal(readSessionCookie(c, header), undefined, header)
    }
    for (const header of [`${NAME}=garbage`, `${NAME}=${id}`, `${NAME}=${sign(id, 'another secret of 32 characters!!')}`, `${NAME}=`, `sid=${sign(id)}; ${NAME}=x`]) {
      assert.equal(readSessionCookie(c, header), BAD_COOKIE, header)
    }
    for (const header of [`${NAME}=${sign(id)}; ${NAME}=${sign(newId())}`, `${NAME}=x; ${NAME}=${sign(id)}`, `sid=${sign(id)}; sid=${sign(newId())}`]) {
      assert.equal(readSessionCookie(c, header), AMBIGUOUS_COOKIE, header)
    }
    assert.notEqual(BAD_COOKIE, AMBIGUOUS_COOKIE)
  })

  it("takes 0.4's UUIDs only when the codec accepts them", () => {
    const uuid = randomUUID()
    assert.deepEqual(readSessionCookie(codec(), `${NAME}=${uuid}`), [uuid, uuid, false, false])
    assert.deepEqual(readSessionCookie(codec([]), `sid=${uuid}`), [uuid, uuid, false, true])
    const strict = codec([K0], { uuids: false })
    assert.equal(readSessionCookie(strict, `${NAME}=${uuid}`), BAD_COOKIE)
    assert.equal(readSessionCookie(strict, `sid=${uuid}`), undefined)
    // Two arguments, as before the previous name and the option existed: UUIDs accepted.
    assert.deepEqual(readSessionCookie(new Codec('sid', []), `sid=${uuid}`), [uuid, uuid, false, false])
  })

  it('finds the id by byte offset in non-ASCII headers', () => {
    const c = codec()
    const id = newId()
    for (const header of [`é=ü; 🍪=🍪🍪; ${NAME}=${sign(id)}; z=ж`, `${NAME}=${sign(id)}; 名前=値`, `x=\ud800; ${NAME}=${sign(id)}`]) {
      assert.deepEqual(readSessionCookie(c, header), [id, keyOf(id), false, false], header)
    }
    const uuid = randomUUID()
    assert.deepEqual(readSessionCookie(c, `é=1; ${NAME}=${uuid}`), [uuid, uuid, false, false])
  })

  it('reads headers of any size browsers send, up to MAX_COOKIE_HEADER', () => {
    const c = codec()
    const id = newId()
    const value = sign(id)
    assert.equal(MAX_COOKIE_HEADER, 1024 * 1024)
    // 180 cookies of 4 KiB (what Chromium and Firefox keep per site), ours last; then 200 KiB
    // of non-ASCII (3 bytes per character in UTF-8), then exactly the cap.
    const browserMax = Array.from({ length: 179 }, (_, i) => `c${i}=${'v'.repeat(4090)}`).join('; ')
    const wide = `w=${'€'.repeat(200 * 1024)}`
    const tail = `; ${NAME}=${value}`
    const atCap = `p=${'x'.repeat(MAX_COOKIE_HEADER - tail.length - 2)}${tail}`
    assert.equal(atCap.length, MAX_COOKIE_HEADER)
    for (const header of [`${browserMax}${tail}`, `${wide}${tail}`, `${'é'.repeat(9000)}=1${tail}`, atCap]) {
      assert.deepEqual(readSessionCookie(c, header), [id, keyOf(id), false, false], `${header.length} characters`)
    }
    assert.equal(readSessionCookie(c, `${browserMax}${tail}; ${NAME}=${value}`), AMBIGUOUS_COOKIE)
    assert.equal(readSessionCookie(c, `${wide}; ${NAME}=bad`), BAD_COOKIE)
    assert.equal(readSessionCookie(c, `x${atCap}`), undefined, 'one character over the cap')
    // Short headers still work after long ones (the long buffer is released).
    assert.deepEqual(readSessionCookie(c, `${NAME}=${value}`), [id, keyOf(id), false, false])
  })

  it('reads headers at the edge of the scratch buffer, ASCII or not', () => {
    const c = codec()
    const id = newId()
    const tail = `; ${NAME}=${sign(id)}`
    const [cap] = scratchLayout() // bytes of header the scratch buffer holds
    for (const bytes of [cap - 1, cap, cap + 1, cap + 2, 3 * cap]) {
      for (const last of ['x', 'é', '€', '🍪']) {
        const lastBytes = Buffer.byteLength(last)
        const header = `p=${'x'.repeat(Math.max(0, bytes - tail.length - 2 - lastBytes))}${last}${tail}`
        assert.deepEqual(readSessionCookie(c, header), [id, keyOf(id), false, false], `${Buffer.byteLength(header)} bytes ending ${last}`)
      }
    }
  })

  it('still reads correctly when wasm memory grows during a call', () => {
    const c = codec()
    const find = c.find.bind(c)
    let grown = 0
    c.find = (length) => {
      const found = find(length)
      memory.grow(1) // detaches every view of the old buffer
      grown++
      return found
    }
    const [id, key, value] = issueSession(c)
    for (const header of [`${NAME}=${value}`, `${NAME}=${value}`, `é=1; ${NAME}=${value}`, `p=${'x'.repeat(30000)}; ${NAME}=${value}`]) {
      assert.deepEqual(readSessionCookie(c, header), [id, key, false, false], header.slice(0, 20))
    }
    assert.equal(readSessionCookie(c, `${NAME}=bad`), BAD_COOKIE)
    assert.equal(grown, 5)
    // And the next read, unwrapped, sees the grown memory.
    delete c.find
    assert.deepEqual(readSessionCookie(c, `a=1; ${NAME}=${value}`), [id, key, false, false])
  })

  it('caches verified cookies: hits, misses, and another value in the same slot', () => {
    const c = codec()
    const [a, b] = sameSlot(() => sign(newId()))
    const idOf = (value) => value.slice(0, 43)
    const read = (value) => readSessionCookie(c, `${NAME}=${value}`)
    for (let round = 0; round < 3; round++) {
      // a, b, a, b: each evicts the other, and every answer is still its own.
      for (const value of [a, a, b, b, a, b]) assert.deepEqual(read(value), [idOf(value), keyOf(idOf(value)), false, false])
    }
    // The same id signed with the retired secret is a different value: verified, flagged.
    const id = idOf(a)
    assert.deepEqual(read(sign(id, K1)), [id, keyOf(id), true, false])
    assert.deepEqual(read(sign(id, K1)), [id, keyOf(id), true, false])
    assert.deepEqual(read(sign(id)), [id, keyOf(id), false, false])
    // A forged value next to a cached one is still rejected, every time.
    const forged = `${a.slice(0, 86)}${a[86] === 'A' ? 'Q' : 'A'}`
    for (let i = 0; i < 3; i++) assert.equal(read(forged), BAD_COOKIE)
    // Unsigned codecs cache too (a hit skips the SHA-256).
    const plain = codec([])
    const [p, q] = sameSlot(newId)
    for (const value of [p, p, q, p, q, q]) assert.deepEqual(readSessionCookie(plain, `${NAME}=${value}`), [value, keyOf(value), false, false])
  })

  it('a new codec (new secrets) starts with an empty cache, and codecs never share answers', () => {
    const id = newId()
    const header = `${NAME}=${sign(id, K1)}`
    const old = codec([K1])
    assert.deepEqual(readSessionCookie(old, header), [id, keyOf(id), false, false])
    assert.deepEqual(readSessionCookie(old, header), [id, keyOf(id), false, false])
    // K1 dropped: the cached value is not trusted by the new codec.
    assert.equal(readSessionCookie(codec([K0]), header), BAD_COOKIE)
    // K1 retired: verified again, now flagged for re-signing.
    assert.deepEqual(readSessionCookie(codec([K0, K1]), header), [id, keyOf(id), true, false])
  })

  it('never trusts a slot it did not see filled (find called behind its back)', () => {
    const c = codec()
    const [a, b] = sameSlot(() => sign(newId()))
    assert.deepEqual(readSessionCookie(c, `${NAME}=${a}`), [a.slice(0, 43), keyOf(a.slice(0, 43)), false, false])
    // A find that claims a hit on that slot for b (as one called behind the reader's back
    // would leave it): this side still holds a's id and key there.
    const find = c.find.bind(c)
    c.find = (length) => find(length) | 32 // claim a hit whatever happened
    const id = b.slice(0, 43)
    assert.deepEqual(readSessionCookie(c, `${NAME}=${b}`), [id, keyOf(id), false, false], 'the key is computed, not taken from the slot')
    delete c.find
    assert.deepEqual(readSessionCookie(c, `${NAME}=${b}`), [id, keyOf(id), false, false])
    assert.deepEqual(readSessionCookie(c, `${NAME}=${a}`), [a.slice(0, 43), keyOf(a.slice(0, 43)), false, false])
  })
})
