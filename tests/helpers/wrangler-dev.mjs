// Runs `wrangler dev --local` for a Worker directory on a free loopback port with a fresh, empty
// local D1 (a temporary --persist-to), and stops it reliably: wrangler runs in its own process
// group (it starts esbuild and two workerd processes), and the whole group is killed by stop(), on
// process exit and on SIGINT/SIGTERM/SIGHUP, so a failing or interrupted test leaves nothing behind.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const wranglerBin = join(root, 'node_modules/.bin/wrangler')
const HOST = '127.0.0.1'
const AVOID = new Set([8787]) // `npm start` serves there

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')

/** A port the kernel says is free on 127.0.0.1 right now (not 8787). */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer()
      srv.unref()
      srv.on('error', reject)
      srv.listen(0, HOST, () => {
        const { port } = srv.address()
        srv.close(() => resolve(port))
      })
    })
    if (!AVOID.has(port)) return port
  }
}

/** Whether any process is left in process group `pgid`. */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (e) {
    return e.code === 'EPERM'
  }
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal)
  } catch {
    // already gone
  }
}

const removeDir = (dir) => {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  } catch {
    // best effort: it is in the OS temp dir
  }
}

// Every group still running (pgid -> its persist dir), killed with SIGKILL if this process ends
// or is interrupted without stop().
const running = new Map()
function killAllNow() {
  for (const [pgid, dir] of running) {
    killGroup(pgid, 'SIGKILL')
    removeDir(dir)
  }
  running.clear()
}
let hooksInstalled = false
function installHooks() {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', killAllNow)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      killAllNow()
      process.kill(process.pid, sig) // the default action now that this listener is gone
    })
  }
}

/**
 * Start `wrangler dev --local` in `cwd` (a directory with a wrangler.toml). Resolves once wrangler
 * has printed "Ready on http://127.0.0.1:<port>" and the Worker answers HTTP on that port.
 *
 * Returns { url, port, persistTo, output(), reloads(), stop() }: output() is wrangler's recent
 * output, reloads() how often it rebuilt the Worker because a source changed (it always watches
 * them; a rebuild mid-test means someone edited or rebuilt the code under test). stop() is
 * idempotent and never throws.
 * On failure to start it rejects with wrangler's output in the message, having cleaned up.
 */
export async function startWranglerDev(cwd, { timeoutMs = 60_000, attempts = 3, extraArgs = [] } = {}) {
  if (!existsSync(wranglerBin)) throw new Error(`${wranglerBin} is missing: run npm ci (npm test does it)`)
  if (!['wrangler.toml', 'wrangler.json', 'wrangler.jsonc'].some((f) => existsSync(join(cwd, f)))) {
    throw new Error(`no wrangler.toml (or .json/.jsonc) in ${cwd}`)
  }
  let lastError
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(cwd, await freePort(), timeoutMs, extraArgs)
    } catch (e) {
      lastError = e
      // Another process took the port between freePort() and workerd's bind: try another.
      if (!e.portInUse) throw e
    }
  }
  throw lastError
}

async function startOnce(cwd, port, timeoutMs, extraArgs) {
  installHooks()
  // NODE_TEST_CONTEXT (set by `node --test`) is for our own process only.
  const { NODE_TEST_CONTEXT, ...env } = process.env
  const persistTo = mkdtempSync(join(tmpdir(), 'itty-session-wrangler-'))
  const args = ['dev', '--local', '--ip', HOST, '--port', String(port), '--persist-to', persistTo, '--show-interactive-dev-session=false', ...extraArgs]
  const child = spawn(wranglerBin, args, {
    cwd,
    detached: true, // its own process group, so the whole tree can be killed at once
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, WRANGLER_SEND_METRICS: 'false', WRANGLER_CI_DISABLE_CONFIG_WATCHING: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  const pgid = child.pid // undefined if it could not be spawned: then 'error' follows
  if (pgid) running.set(pgid, persistTo)

  // Keep the pipes drained (a full pipe would stall wrangler) and the last lines for diagnostics.
  const lines = []
  let ready = false
  let reloads = 0
  const readyLine = `Ready on http://${HOST}:${port}`
  const addLine = (raw) => {
    const line = stripAnsi(raw).trimEnd()
    if (!line.trim()) return
    lines.push(line)
    if (lines.length > 300) lines.shift()
    if (line.includes(readyLine)) ready = true
    // wrangler watches the Worker's sources (and the packages it bundles) and rebuilds on change.
    if (line.includes('Reloading local server')) reloads++
  }
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '' // a line can arrive in pieces
    stream.setEncoding('utf8')
    stream.on('data', (chunk) => {
      const parts = (partial + chunk).split(/\r?\n/)
      partial = parts.pop()
      parts.forEach(addLine)
    })
    stream.on('end', () => {
      if (partial) addLine(partial)
      partial = ''
    })
  }
  const output = () => lines.join('\n')

  let exited = null
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal }
      resolve()
    })
    child.on('error', (err) => {
      exited = { error: err }
      resolve()
    })
  })

  let stopped
  const stop = () =>
    (stopped ??= (async () => {
      if (!pgid) return removeDir(persistTo)
      killGroup(pgid, 'SIGTERM') // even when wrangler itself has exited: workerd may live on
      const deadline = Date.now() + 5_000
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(50)
      if (groupAlive(pgid)) {
        killGroup(pgid, 'SIGKILL')
        const hard = Date.now() + 2_000
        while (groupAlive(pgid) && Date.now() < hard) await sleep(50)
      }
      await Promise.race([exitPromise, sleep(1_000)])
      running.delete(pgid)
      removeDir(persistTo)
    })())

  const url = `http://${HOST}:${port}`
  const started = Date.now()
  let lastProbe = 'no HTTP request made yet'
  try {
    for (;;) {
      if (exited) {
        const how = exited.error ? `could not be run: ${exited.error.message}` : `exited (code ${exited.code}, signal ${exited.signal})`
        const err = new Error(`wrangler dev ${how} before it was ready on ${url}. Its output:\n${output()}`)
        err.portInUse = /Address already in use/i.test(output())
        throw err
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `wrangler dev was not ready on ${url} after ${timeoutMs} ms ` +
            `(${ready ? 'it printed "Ready"' : 'it never printed "Ready"'}; last HTTP probe: ${lastProbe}). Its output:\n${output()}`,
        )
      }
      if (ready) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' })
          await res.arrayBuffer()
          return { url, port, persistTo, output, stop, reloads: () => reloads }
        } catch (e) {
          lastProbe = `${e.name}: ${e.cause?.code ?? e.message}`
        }
      }
      await sleep(100)
    }
  } catch (e) {
    await stop()
    throw e
  }
}
