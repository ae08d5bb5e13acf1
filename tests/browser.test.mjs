// End to end in a real browser: examples/worker under `wrangler dev --local` (a fresh, empty local
// D1 each run), driven by Debian's headless Chromium through playwright-core. Logs in through the
// form, checks the visit counter and the session cookie's flags as the browser stored them, logs
// out, and tries a wrong password. Then the "Your devices" page with two devices of one user (two
// browser contexts, different user agents) and a third context as another user: ending a device,
// a password change that logs out everywhere else, and forms posted from another site. Screenshots
// go to tests/.artifacts/screenshots/ (logged-in.png, devices-*.png, and failure-*.png when a test
// fails).
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, afterEach, before, describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import { startWranglerDev } from './helpers/wrangler-dev.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
const shots = join(root, 'tests/.artifacts/screenshots')
const loggedInShot = join(shots, 'logged-in.png')
const VIEWPORT = { width: 800, height: 600 }
// Escaping and non-ASCII on the way through the form, D1 and the page.
const USERNAME = `Zoë "O'Brien" <b>&`
const PASSWORD = 'test' // what the example accepts

let server, browser, context, page
let lastPage // the page a failure screenshot shows
const scratch = [] // contexts a single test opened, closed after it (and after its failure screenshot)
const pageErrors = []
const state = { loggedIn: false, sid: undefined }

/** The whitespace-normalized text of `selector`, or a failure that says what the page shows. */
async function text(p, selector) {
  try {
    return (await p.locator(selector).textContent({ timeout: 5_000 })).replace(/\s+/g, ' ').trim()
  } catch (e) {
    const shown = await p.evaluate(() => document.body?.innerText ?? '').catch(() => '(unreadable)')
    throw new Error(`no ${selector} on ${p.url()} (${e.message.split('\n')[0]}); the page shows: ${JSON.stringify(shown.replace(/\s+/g, ' ').slice(0, 400))}`)
  }
}
const sidCookie = async (ctx) => (await ctx.cookies(server.url)).find((c) => c.name === '__Host-sid')

async function newContext(options = {}) {
  const ctx = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-US', colorScheme: 'light', ...options })
  ctx.setDefaultTimeout(10_000)
  ctx.setDefaultNavigationTimeout(15_000)
  return ctx
}

function watch(p) {
  p.on('pageerror', (e) => pageErrors.push(`${p.url()}: ${e.message}`))
  lastPage = p
  return p
}

/** A fresh browser context (no cookies) for one test, and a page in it. */
async function scratchPage() {
  const ctx = await newContext()
  scratch.push(ctx)
  return { ctx, p: watch(await ctx.newPage()) }
}

/** Click a form's submit button; wait for the POST's response and the next page to load. */
async function submit(p, button, path) {
  const response = p.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path)
  const loaded = p.waitForEvent('load')
  await p.getByRole('button', { name: button }).click()
  const res = await response
  await loaded
  return res
}

async function fillLogin(p, username, password) {
  await p.getByLabel('Username').fill(username)
  await p.getByLabel('Password').fill(password)
}

before(
  async () => {
    assert.ok(
      existsSync(join(root, 'node_modules/itty-session/package.json')),
      'node_modules/itty-session (a link to dist/) is missing: run `npm run build` first (npm test and npm start do)',
    )
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (npm test does, as root)`)
    mkdirSync(shots, { recursive: true })
    for (const f of readdirSync(shots)) if (f === 'logged-in.png' || f.startsWith('devices-') || f.startsWith('failure-')) rmSync(join(shots, f))
    const [s, b] = await Promise.allSettled([
      startWranglerDev(join(root, 'examples/worker')),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30_000,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ])
    if (s.status === 'fulfilled') server = s.value
    if (b.status === 'fulfilled') browser = b.value
    if (s.status === 'rejected') throw s.reason
    if (b.status === 'rejected') throw new Error(`could not launch ${CHROMIUM}: ${b.reason.message}`)
    context = await newContext()
    page = watch(await context.newPage())
  },
  { timeout: 120_000 },
)

after(async () => {
  try {
    await browser?.close()
  } finally {
    await server?.stop()
  }
})

afterEach(async (t) => {
  try {
    if (!t.passed) await evidence(t)
  } finally {
    for (const ctx of scratch.splice(0)) await ctx.close().catch(() => {})
    lastPage = page
  }
})

// Leave evidence of a failure: what the page showed, and what wrangler logged.
async function evidence(t) {
  const name = `failure-${t.name.replace(/\W+/g, '-').slice(0, 60)}.png`
  try {
    await lastPage?.screenshot({ path: join(shots, name), timeout: 5_000 })
    t.diagnostic(`screenshot: tests/.artifacts/screenshots/${name} (${lastPage.url()})`)
  } catch (e) {
    t.diagnostic(`no failure screenshot: ${e.message.split('\n')[0]}`)
  }
  if (pageErrors.length) t.diagnostic(`page errors: ${pageErrors.join(' | ')}`)
  if (server?.reloads()) {
    t.diagnostic(`wrangler rebuilt the Worker ${server.reloads()} time(s) during this run: dist/ or examples/worker changed under it (a concurrent build?)`)
  }
  if (server) {
    const log = server.output().split('\n').filter((l) => !/^\s+at |getaddrinfo|Request\.cf/.test(l))
    t.diagnostic('wrangler dev, last lines:')
    for (const line of log.slice(-20)) t.diagnostic(`  ${line}`)
  }
}

describe('examples/worker in headless Chromium (wrangler dev, local D1)', () => {
  const needsLogin = (t) => {
    if (state.loggedIn) return false
    t.skip('needs the login test to have passed')
    return true
  }

  it('a new visitor sees the login form and gets no cookie', async () => {
    const res = await page.goto('/')
    assert.equal(res.status(), 200)
    assert.equal(await text(page, '#status'), 'You are not logged in.')
    assert.equal(await page.getByRole('button', { name: 'Log in' }).count(), 1, 'the login form is shown')
    assert.deepEqual(await context.cookies(server.url), [], 'an empty session sets no cookie')
  })

  it('logging in through the form shows the username and visit 1', async () => {
    await fillLogin(page, USERNAME, PASSWORD)
    const res = await submit(page, 'Log in', '/login')
    const setCookie = await res.headerValue('set-cookie')
    if (res.status() !== 303) {
      const body = await res.text().catch((e) => `(no body: ${e.message})`)
      assert.fail(`POST /login answered ${res.status()}, expected the 303 to /. Body: ${body.replace(/\s+/g, ' ').slice(0, 400)}`)
    }
    assert.equal(new URL(page.url()).pathname, '/', 'the 303 led back to /')
    const sid = await sidCookie(context)
    assert.ok(
      sid,
      `Chromium stored no "sid" cookie for ${server.url}. POST /login sent Set-Cookie: ${JSON.stringify(setCookie)}; ` +
        `the page says: ${JSON.stringify(await text(page, '#status'))}`,
    )
    assert.equal(await text(page, '#status'), `Logged in as ${USERNAME}.`)
    assert.equal(await text(page, '#user'), USERNAME, 'the username, escaped in the HTML, reads back exactly')
    assert.equal(await text(page, '#visits'), '1')
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, 'the logout button is shown')
    state.sid = sid.value
    state.loggedIn = true
  })

  it('the logged-in page renders (screenshot)', async (t) => {
    if (needsLogin(t)) return
    await page.screenshot({ path: loggedInShot })
    const png = readFileSync(loggedInShot)
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature')
    assert.equal(png.toString('latin1', 12, 16), 'IHDR')
    assert.deepEqual({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, VIEWPORT, 'the size of the viewport')
    // A blank 800x600 page compresses to well under 1 kB; text, a form and a button do not.
    assert.ok(statSync(loggedInShot).size > 4_000, `the screenshot is only ${statSync(loggedInShot).size} bytes: is the page blank?`)
  })

  it('the session cookie is HttpOnly, Secure and SameSite=Strict: hidden from scripts, still sent', async (t) => {
    if (needsLogin(t)) return
    const sid = await sidCookie(context)
    assert.ok(sid, 'the sid cookie is still there')
    assert.equal(sid.httpOnly, true, 'HttpOnly')
    assert.equal(sid.secure, true, 'Secure (http://127.0.0.1 is a secure context, so Chromium keeps it)')
    assert.equal(sid.sameSite, 'Strict', 'SameSite')
    assert.equal(sid.path, '/')
    assert.equal(sid.domain, '127.0.0.1', 'host-only, for the page’s host')
    assert.ok(sid.value.length >= 43, `an id of at least 256 bits, got ${JSON.stringify(sid.value)}`)
    const week = 7 * 24 * 3600
    const now = Date.now() / 1000
    assert.ok(sid.expires > now + 60 && sid.expires <= now + week + 60, `a persistent cookie, Max-Age at most the example's 7 days: expires ${sid.expires}, now ${now}`)

    const visible = await page.evaluate(() => document.cookie)
    assert.doesNotMatch(visible, /(^|;\s*)__Host-sid=/, `document.cookie must not expose the HttpOnly cookie, got ${JSON.stringify(visible)}`)
    assert.ok(!visible.includes(sid.value), 'nor its value')
    // Same-origin fetch from the page still sends it.
    const me = await page.evaluate(async () => (await fetch('/me')).json())
    assert.deepEqual(me, { loggedIn: true, username: USERNAME })
  })

  it('the session survives a reload: visit 2, same id', async (t) => {
    if (needsLogin(t)) return
    const res = await page.reload()
    assert.equal(res.status(), 200)
    assert.equal(await text(page, '#user'), USERNAME)
    assert.equal(await text(page, '#visits'), '2')
    assert.equal(await res.headerValue('set-cookie'), null, 'a changed session sends no new Set-Cookie')
    assert.equal((await sidCookie(context))?.value, state.sid, 'the same session id')
  })

  it('logging out through the button ends the session and removes the cookie; the old id is dead', async (t) => {
    if (needsLogin(t)) return
    const res = await submit(page, 'Log out', '/logout')
    assert.equal(res.status(), 303, `POST /logout answered ${res.status()}, expected the 303 to /`)
    assert.equal(await text(page, '#status'), 'You are not logged in.')
    assert.equal(await sidCookie(context), undefined, 'the clearing cookie removed sid from the browser')
    assert.deepEqual(await context.cookies(server.url), [])

    // Replaying the old id (as a stolen cookie would) gets nothing: the row is gone from D1.
    const old = { name: '__Host-sid', value: state.sid, domain: '127.0.0.1', path: '/', httpOnly: true, secure: true, sameSite: 'Strict' }
    const { ctx, p } = await scratchPage()
    await ctx.addCookies([old])
    await p.goto('/')
    assert.equal(await text(p, '#status'), 'You are not logged in.', 'a destroyed id does not log anyone in')
    assert.deepEqual(await p.evaluate(async () => (await fetch('/me')).json()), { loggedIn: false, username: null })
  })

  it('a wrong password shows the error and sets no cookie', async () => {
    const { ctx, p } = await scratchPage()
    await p.goto('/')
    await fillLogin(p, 'mallory', 'not-the-password')
    const res = await submit(p, 'Log in', '/login')
    assert.equal(await text(p, '#status'), 'Wrong username or password.')
    assert.equal(await res.headerValue('set-cookie'), null, 'no Set-Cookie header')
    assert.deepEqual(await ctx.cookies(server.url), [], 'no cookie in the browser')
    assert.equal(await p.evaluate(() => document.cookie), '')
    await Promise.all([p.waitForEvent('load'), p.getByRole('link', { name: 'Try again' }).click()])
    assert.equal(await text(p, '#status'), 'You are not logged in.')
  })

  it('no page threw a JavaScript error', () => {
    assert.deepEqual(pageErrors, [])
  })
})

// Two devices of one user, and someone else, as three browser contexts (three cookie jars).
const LAPTOP_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'
const OTHER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
const PHONE_VIEWPORT = { width: 390, height: 844 }

/** What the devices page shows, entry by entry, in page order. */
async function readDevices(p) {
  const items = p.getByRole('list', { name: 'Your devices' }).getByRole('listitem')
  return items.evaluateAll((lis) =>
    lis.map((li) => {
      const heading = li.querySelector('h3')
      const button = li.querySelector('button')
      return {
        handle: li.dataset.handle,
        device: heading.firstChild.textContent.trim(),
        current: heading.querySelector('.this')?.textContent === 'This device',
        text: li.innerText.replace(/\s+/g, ' ').trim(),
        times: [...li.querySelectorAll('time')].map((t) => t.dateTime),
        button: button && { name: button.textContent, describedBy: document.getElementById(button.getAttribute('aria-describedby'))?.textContent.trim() },
      }
    }),
  )
}

async function screenshot(p, name) {
  const path = join(shots, name)
  await p.screenshot({ path, fullPage: true })
  const png = readFileSync(path)
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name} is a PNG`)
  assert.ok(png.length > 4_000, `${name} is only ${png.length} bytes: is the page blank?`)
}

describe('"Your devices": two devices of one user, and another user (wrangler dev, local D1)', () => {
  const USER = 'ann'
  const OTHER = 'carol'
  const dev = {} // laptop, phone (USER) and other (OTHER): { ctx, p }
  const state = { ready: false, otherHandle: undefined, ended: false, changed: false }
  const needs = (t, flag) => {
    if (state[flag]) return false
    t.skip(`needs the earlier "Your devices" tests to have passed`)
    return true
  }

  async function open(name, options) {
    const ctx = await newContext(options)
    dev[name] = { ctx, p: watch(await ctx.newPage()) }
    return dev[name]
  }

  async function login({ ctx, p }, username) {
    await p.goto('/')
    await fillLogin(p, username, PASSWORD)
    const res = await submit(p, 'Log in', '/login')
    assert.equal(res.status(), 303, `POST /login answered ${res.status()}`)
    assert.equal(await text(p, '#status'), `Logged in as ${username}.`)
    const sid = await sidCookie(ctx)
    assert.ok(sid, `Chromium kept no __Host-sid cookie for ${server.url} (Set-Cookie: ${JSON.stringify(await res.headerValue('set-cookie'))})`)
    assert.equal(sid.secure, true)
    return sid.value
  }

  /** Load /devices in `d`; the entries it lists. */
  async function devicesOf(d) {
    watch(d.p)
    const res = await d.p.goto('/devices')
    assert.equal(res.status(), 200)
    assert.equal(new URL(d.p.url()).pathname, '/devices', `redirected to ${d.p.url()}: ${await text(d.p, 'main')}`)
    return readDevices(d.p)
  }

  /** `d`'s next page load finds it logged out, and the browser has dropped its cookie. */
  async function assertLoggedOut(d, why) {
    watch(d.p)
    await d.p.goto('/devices')
    assert.equal(new URL(d.p.url()).pathname, '/', `${why}: /devices should send a logged-out browser home`)
    assert.equal(await text(d.p, '#status'), 'You are not logged in.', why)
    assert.equal(await sidCookie(d.ctx), undefined, `${why}: the clearing cookie removed __Host-sid`)
  }

  /** The other user is logged in as before, and sees only their own one session. */
  async function assertOtherUntouched() {
    const seen = await devicesOf(dev.other)
    assert.equal(await text(dev.other.p, '#user'), OTHER)
    assert.deepEqual(
      seen.map((d) => [d.handle, d.device, d.current]),
      [[state.otherHandle, 'Firefox on Windows', true]],
      `${OTHER} sees exactly their own session: ${JSON.stringify(seen)}`,
    )
  }

  after(async () => {
    for (const d of Object.values(dev)) await d.ctx.close().catch(() => {})
  })

  it('two devices of one user and a third user log in through the form (the __Host- cookie is kept on http://127.0.0.1)', async () => {
    await open('laptop', { userAgent: LAPTOP_UA })
    await open('phone', { userAgent: PHONE_UA, viewport: PHONE_VIEWPORT, isMobile: true })
    await open('other', { userAgent: OTHER_UA })
    const ids = [await login(dev.laptop, USER), await login(dev.phone, USER), await login(dev.other, OTHER)]
    assert.equal(new Set(ids).size, 3, 'three sessions, three ids')
    // The logged-in page links to the devices page.
    await Promise.all([dev.laptop.p.waitForEvent('load'), dev.laptop.p.getByRole('link', { name: 'Your devices' }).click()])
    assert.equal(new URL(dev.laptop.p.url()).pathname, '/devices')
    state.ready = true
  })

  it('each device lists both, newest activity first, "this device" marked on each; the other user sees only their own (screenshots)', async (t) => {
    if (needs(t, 'ready')) return
    const onLaptop = await devicesOf(dev.laptop)
    await screenshot(dev.laptop.p, 'devices-laptop.png')
    const onPhone = await devicesOf(dev.phone)
    await screenshot(dev.phone.p, 'devices-phone.png')

    for (const [seen, mine, theirs] of [
      [onLaptop, 'Chrome on macOS', 'Safari on iOS'],
      [onPhone, 'Safari on iOS', 'Chrome on macOS'],
    ]) {
      assert.deepEqual(
        seen.map((d) => [d.device, d.current]),
        [
          [mine, true],
          [theirs, false],
        ],
        `this device first (it is active now), marked; the other one after it: ${JSON.stringify(seen)}`,
      )
      const [here, there] = seen
      assert.equal(here.button, null, 'no "End session" button on this device (Log out is below)')
      assert.deepEqual(there.button, { name: 'End session', describedBy: theirs }, 'the other one can be ended; its button is described by the device name')
      assert.match(here.text, /Signed in just now · active now/)
      assert.match(there.text, /Signed in just now · active just now/)
      for (const d of seen) {
        assert.match(d.handle, /^[\w-]{16}$/)
        assert.equal(d.times.length, 2, 'when it was created and when it was last active')
        for (const at of d.times) assert.ok(Math.abs(Date.parse(at) - Date.now()) < 10 * 60_000, `a recent time: ${at}`)
      }
    }
    // Both lists name the same two sessions; neither shows a session id.
    assert.deepEqual(onLaptop.map((d) => d.handle).sort(), onPhone.map((d) => d.handle).sort())
    assert.equal(onLaptop[0].handle, onPhone[1].handle)
    const html = await dev.laptop.p.content()
    for (const d of [dev.laptop, dev.phone]) {
      const { value } = await sidCookie(d.ctx)
      assert.ok(!html.includes(value.split('.')[0]), 'the page never shows a session id')
    }
    state.phoneHandle = onPhone[0].handle
    state.laptopHandle = onLaptop[0].handle

    const other = await devicesOf(dev.other)
    assert.equal(other.length, 1, `${OTHER} sees one session: ${JSON.stringify(other)}`)
    state.otherHandle = other[0].handle
    assert.ok(!onLaptop.some((d) => d.handle === state.otherHandle), `${USER}'s list does not show ${OTHER}'s session`)
    await assertOtherUntouched()
  })

  it('ending the other device from the first logs the second out on its next page load', async (t) => {
    if (needs(t, 'ready') || !state.phoneHandle) return t.skip('needs the listing test')
    const { p } = dev.laptop
    await devicesOf(dev.laptop)
    const res = await submit(p, 'End session', '/devices/end')
    assert.equal(res.status(), 303)
    assert.equal(new URL(p.url()).pathname, '/devices')
    assert.equal(await text(p, '[role=status]'), 'Session ended: that device is logged out on its next visit.')
    assert.deepEqual(
      (await readDevices(p)).map((d) => [d.handle, d.current]),
      [[state.laptopHandle, true]],
      'only this device is left',
    )
    await screenshot(p, 'devices-ended.png')
    // The message was for that one page.
    await devicesOf(dev.laptop)
    assert.equal(await p.locator('.flash').count(), 0)

    await assertLoggedOut(dev.phone, 'the ended device')
    assert.equal(await dev.phone.p.evaluate(async () => (await fetch('/me')).json()).then((m) => m.loggedIn), false)
    await assertOtherUntouched()
    state.ended = true
  })

  it('the second device logs in again; a password change on the first logs it out everywhere else', async (t) => {
    if (needs(t, 'ended')) return
    const before = await login(dev.phone, USER)
    const { p, ctx } = dev.laptop
    assert.equal((await devicesOf(dev.laptop)).length, 2, 'the phone is back in the list')
    const laptopId = (await sidCookie(ctx)).value

    // A wrong current password changes nothing.
    await p.getByLabel('Current password').fill('not-the-password')
    await p.getByLabel('New password').fill('correct horse battery staple')
    await submit(p, 'Change password', '/password')
    assert.equal(await text(p, '[role=alert]'), 'Wrong current password: nothing was changed.')
    assert.equal((await readDevices(p)).length, 2)
    assert.equal((await sidCookie(dev.phone.ctx))?.value, before)
    assert.equal((await dev.phone.p.evaluate(async () => (await fetch('/me')).json())).loggedIn, true, 'the phone is still logged in')

    await p.getByLabel('Current password').fill(PASSWORD)
    await p.getByLabel('New password').fill('correct horse battery staple')
    const res = await submit(p, 'Change password', '/password')
    assert.equal(res.status(), 303)
    assert.match(await res.headerValue('set-cookie'), /^__Host-sid=/, 'this session gets a new id')
    assert.equal(await text(p, '[role=status]'), 'Password changed. Logged out everywhere else (1 other session).')
    const seen = await readDevices(p)
    assert.deepEqual(
      seen.map((d) => [d.device, d.current]),
      [['Chrome on macOS', true]],
    )
    assert.notEqual(seen[0].handle, state.laptopHandle, 'a new id, so a new handle')
    const newId = (await sidCookie(ctx)).value
    assert.notEqual(newId, laptopId)
    assert.match(seen[0].text, /Signed in just now/, 'the new id keeps the time this session signed in')

    await assertLoggedOut(dev.phone, 'the phone, after the password change')
    // The laptop's old id is dead too: replaying it logs no one in.
    const { ctx: replay, p: rp } = await scratchPage()
    await replay.addCookies([{ name: '__Host-sid', value: laptopId, domain: '127.0.0.1', path: '/', httpOnly: true, secure: true, sameSite: 'Strict' }])
    await rp.goto('/')
    assert.equal(await text(rp, '#status'), 'You are not logged in.')
    await assertOtherUntouched()
    state.changed = true
  })

  it('a form posted from another site ends nothing: the cookie is not sent (SameSite=Strict) and the post is refused (Sec-Fetch-Site)', async (t) => {
    if (needs(t, 'changed')) return
    await login(dev.phone, USER)
    const [laptop, phone] = [await devicesOf(dev.laptop), await devicesOf(dev.phone)]
    const phoneHandle = phone.find((d) => d.current).handle
    assert.equal(laptop.length, 2)

    // evil.test, served by Playwright in the laptop's browser, shows the "End session" form posting
    // to `?to=`. Cookies ignore ports, so a recorder on another port of 127.0.0.1 hears exactly what
    // Chromium would send the Worker (Playwright's own view of such a request's headers is partial).
    const { ctx } = dev.laptop
    const recorded = []
    const recorder = createServer((req, res) => {
      recorded.push(req.headers)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('recorded')
    })
    await new Promise((resolve) => recorder.listen(0, '127.0.0.1', resolve))
    const evil = 'http://evil.test/'
    await ctx.route(`${evil}**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Win a prize</title><form method="post" action="${new URL(route.request().url()).searchParams.get('to')}"><input type="hidden" name="handle" value="${phoneHandle}"><button>Claim your prize</button></form>`,
      }),
    )
    try {
      const p = watch(await ctx.newPage())
      await p.goto(`${evil}?to=http://127.0.0.1:${recorder.address().port}/devices/end`)
      await Promise.all([p.waitForEvent('load'), p.getByRole('button', { name: 'Claim your prize' }).click()])
      assert.equal(recorded.length, 1, 'the cross-site form was posted')
      assert.equal(recorded[0].cookie, undefined, 'Chromium sends no session cookie with a cross-site post (SameSite=Strict)')
      assert.equal(recorded[0]['sec-fetch-site'], 'cross-site')
      assert.equal(recorded[0].origin, 'http://evil.test')

      await p.goto(`${evil}?to=${server.url}/devices/end`)
      const res = await submit(p, 'Claim your prize', '/devices/end')
      // Without the check this would be a 303 home (no cookie, so no session): the 403 is the check.
      assert.equal(res.status(), 403, 'the same-origin check refused it')
      assert.match(await text(p, 'body'), /this form was sent from another site/)
      await p.close()
    } finally {
      await ctx.unroute(`${evil}**`)
      recorder.close()
    }

    // The same post with the laptop's cookie, from outside a browser: refused unless it says it comes from this origin.
    const cookie = `__Host-sid=${(await sidCookie(ctx)).value}`
    const post = (headers, body = `handle=${phoneHandle}`) =>
      fetch(`${server.url}/devices/end`, { method: 'POST', redirect: 'manual', duplex: 'half', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })
    const refused = [{ 'sec-fetch-site': 'same-site', origin: server.url }, { 'sec-fetch-site': 'cross-site' }, { origin: 'http://evil.test' }, { origin: 'null' }, {}]
    for (const headers of refused) {
      const res = await post(headers)
      assert.equal(res.status, 403, `refused: ${JSON.stringify(headers)}`)
      await res.arrayBuffer()
    }
    // Hostile bodies from this origin: a bad handle, a huge body, not a form. Nothing ends, nothing crashes.
    const origin = { origin: server.url }
    for (const [what, res] of [
      ['a bad handle', await post(origin, 'handle=../../etc')],
      ['a huge body', await post(origin, `handle=${phoneHandle}&pad=${'x'.repeat(100_000)}`)],
      // Without Content-Length (chunked), read only up to the limit; the next requests still work.
      ['a huge chunked body', await post(origin, new Blob([`handle=${phoneHandle}&pad=${'x'.repeat(100_000)}`]).stream())],
      ['JSON', await post({ ...origin, 'content-type': 'application/json' }, JSON.stringify({ handle: phoneHandle }))],
    ]) {
      assert.equal(res.status, 400, what)
      await res.arrayBuffer()
    }
    assert.equal((await devicesOf(dev.phone)).length, 2, 'the phone is still logged in, both sessions listed')
    assert.equal((await devicesOf(dev.laptop)).length, 2)

    // The control: the same request from this origin passes the check (another user's handle ends nothing).
    const res = await post(origin, `handle=${state.otherHandle}`)
    assert.equal(res.status, 303, 'a same-origin post is accepted')
    assert.equal(res.headers.get('location'), '/devices')
    await devicesOf(dev.laptop)
    assert.equal(await text(dev.laptop.p, '[role=status]'), 'That session had already ended.', `${USER} cannot end ${OTHER}'s session`)
    await assertOtherUntouched()
  })

  it('a user with more sessions than the page shows: the 50 most recent, and a note saying how many more', async (t) => {
    if (needs(t, 'ready')) return
    // 51 logins from outside a browser (anyone may log in as anyone in this demo).
    const login = () =>
      fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'curl/8.14.1' }, body: 'username=dave&password=test' })
    let cookie
    for (let i = 0; i < 51; i++) {
      const res = await login()
      assert.equal(res.status, 303)
      cookie = res.headers.get('set-cookie').split(';')[0]
    }
    const { ctx, p } = await scratchPage()
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)]
    await ctx.addCookies([{ name, value, domain: '127.0.0.1', path: '/', httpOnly: true, secure: true, sameSite: 'Strict' }])
    const seen = await devicesOf({ ctx, p })
    assert.equal(seen.length, 50)
    assert.equal(seen[0].current, true, 'this device first')
    assert.equal(seen.filter((d) => d.current).length, 1)
    assert.ok(seen.every((d) => d.device === 'curl'), JSON.stringify(seen.slice(0, 2)))
    assert.equal(await text(p, '.devices + .note'), 'And 1 older session, not shown: changing your password ends them all.')
    await assertOtherUntouched()
  })

  it('no page threw a JavaScript error', () => {
    assert.deepEqual(pageErrors, [])
  })
})
