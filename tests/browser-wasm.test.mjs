// The package in a real browser: dist/ served as static files and loaded by headless Chromium,
// so the core's browser loader fetches and compiles the .wasm from its URL.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { chromium } from 'playwright-core'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' }
// Browsers do not read package.json "imports": the page maps #core to the browser loader, as a
// bundler would.
const PAGE = `<!doctype html><script type="importmap">{"imports":{"#core":"/wasm/browser.js"}}</script>
<script type="module">
import { parse, serialize } from '/cookie.js'
import { newSessionId } from '/utils/index.js'
window.result = {
  parsed: { ...parse('a=1; b=%20x; a=2; sid="q"') },
  cookie: serialize('sid', 'a b', { httpOnly: true, secure: true, sameSite: 'strict', path: '/' }),
  ids: [newSessionId(), newSessionId()],
}
</script>`

let server, browser, url
const requested = []
before(async () => {
  server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url, 'http://x').pathname)
    requested.push(path)
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE)
    try {
      const body = await readFile(join(dist, path))
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${server.address().port}/`
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})
after(async () => {
  await browser?.close()
  server?.close()
})

describe('itty-session in headless Chromium, the wasm loaded from its URL', () => {
  it('parses, serialises and makes ids', async () => {
    const page = await browser.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(url)
    const result = await page.waitForFunction(() => window.result, null, { timeout: 10_000 }).then((h) => h.jsonValue())
    assert.deepEqual(errors, [])
    assert.deepEqual(result.parsed, { a: '1', b: ' x', sid: '"q"' })
    assert.equal(result.cookie, 'sid=a%20b; Path=/; HttpOnly; Secure; SameSite=Strict')
    assert.match(result.ids[0], /^[A-Za-z0-9_-]{43}$/)
    assert.notEqual(result.ids[0], result.ids[1])
    assert.ok(requested.includes('/wasm/core_bg.wasm'), requested.join(' '))
    await page.close()
  })
})
