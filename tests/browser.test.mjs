// End to end in a real browser: examples/worker under `wrangler dev --local` (a fresh, empty local
// D1 each run), driven by Debian's headless Chromium through playwright-core. Logs in through the
// form, checks the visit counter and the session cookie's flags as the browser stored them, logs
// out, and tries a wrong password. A screenshot of the logged-in page goes to
// tests/.artifacts/screenshots/logged-in.png (and failure-*.png there when a test fails).
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
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

async function newContext() {
  const ctx = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'en-US', colorScheme: 'light' })
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
    for (const f of readdirSync(shots)) if (f === 'logged-in.png' || f.startsWith('failure-')) rmSync(join(shots, f))
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
