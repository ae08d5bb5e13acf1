// Starts throwaway redis-server processes for the tests (loopback, free port, temp dir) and makes sure none outlives the run.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Every redis-server started here and still running: killed at process exit, whatever ends it. */
const running = new Set()
const killAll = () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
  running.clear()
}
process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll()
    process.kill(process.pid, signal)
  })
}
// If this process is killed outright (SIGKILL), the kernel ends the servers too (setpriv --pdeathsig).
const pdeathsig = spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout?.includes('--pdeathsig') ?? false

/** Whether redis-server is installed (scripts/setup.sh installs Debian's package as root). */
export const hasRedis = () => spawnSync('redis-server', ['--version']).status === 0

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Send one inline command over a fresh socket; resolves to the first reply line ('' when refused). */
export function ping(port, command = 'PING') {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.write(`${command}\r\n`))
    socket.on('data', (d) => {
      reply += d
      if (reply.includes('\r\n')) socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(reply.split('\r\n')[0]))
  })
}

/**
 * Start a redis-server on a free loopback port, in its own temp dir, with no snapshots
 * (`--save ''`). `password` sets `--requirepass`; `appendonly` keeps data across a restart
 * (an append-only file fsynced on every write). Returns `{ port, url, dir, stop(), kill(), start() }`:
 * `stop()` shuts it down (SIGTERM), `kill()` SIGKILLs it, `start()` starts it again on the same
 * port and dir, `close()` stops it for good and removes the dir.
 */
export async function startRedis({ password, appendonly = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'itty-session-redis-'))
  let port
  let child
  const args = () => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--appendonly', appendonly ? 'yes' : 'no', '--appendfsync', 'always', '--loglevel', 'warning',
    '--logfile', join(dir, 'redis.log'), ...(password ? ['--requirepass', password] : []),
  ]
  async function start() {
    const restart = port !== undefined
    for (let attempt = 0; ; attempt++) {
      port ??= await freePort()
      const [cmd, argv] = pdeathsig ? ['setpriv', ['--pdeathsig', 'SIGKILL', 'redis-server', ...args()]] : ['redis-server', args()]
      child = spawn(cmd, argv, { stdio: 'ignore' })
      running.add(child)
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.once('exit', () => running.delete(child))
      // Ready when it answers (+PONG, or -NOAUTH with a password); gone when it exited (port taken).
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null || child.signalCode !== null) break
        const reply = await ping(port)
        if (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH')) return
        await sleep(25)
      }
      child.kill('SIGKILL')
      await exited
      if (restart || attempt >= 3) throw new Error(`redis-server did not start on port ${port}; see ${join(dir, 'redis.log')}`)
      port = undefined // someone took the port between freePort() and the start: try another
    }
  }
  async function end(signal) {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill(signal)
    await exited
  }
  await start()
  const auth = password ? `:${encodeURIComponent(password)}@` : ''
  return {
    port,
    dir,
    url: `redis://${auth}127.0.0.1:${port}`,
    start,
    stop: () => end('SIGTERM'),
    /** Send `signal` to the running server (e.g. SIGSTOP to make it hang, SIGCONT to resume it). */
    signal: (signal) => child.kill(signal),
    kill: () => end('SIGKILL'),
    async close() {
      await end('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
