// Starts a throwaway PostgreSQL server for tests (initdb in a temp dir, a free loopback port), and always removes it.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** The directory holding initdb and postgres: Debian's newest /usr/lib/postgresql/N/bin, else $PATH. */
export function postgresBin() {
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/postgres'))) : []
  if (versions.length) return join(base, String(Math.max(...versions.map(Number))), 'bin')
  const found = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).stdout.trim()
  if (found) return found.replace(/\/postgres$/, '')
  throw new Error('PostgreSQL is not installed: run `bash scripts/setup.sh` as root, or `sudo apt-get install postgresql`')
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package creates. */
function runAs() {
  if (process.getuid?.() !== 0) return {}
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  try {
    return { uid: id('-u'), gid: id('-g') }
  } catch {
    throw new Error('running as root, the tests start PostgreSQL as the user "postgres", which does not exist: run `bash scripts/setup.sh` (installs Debian\'s postgresql)')
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

const servers = new Set()
// Whatever happens to the test process, no server and no data directory outlive it.
function cleanupAll() {
  for (const server of servers) server.removeSync()
}
process.once('exit', cleanupAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanupAll()
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal] ?? 0))
  })
}

/**
 * Start a PostgreSQL server in a new temp directory on a free 127.0.0.1 port, with password
 * (SCRAM) authentication for `user` and `settings` passed as `-c name=value`. Returns
 * `{ url, host, port, user, password, database, start(), stop(), remove() }`: `stop()` shuts it
 * down (fast) keeping its data, `start()` starts it again on the same port, `remove()` stops it
 * and deletes the directory. A watchdog process does the same if this process dies without
 * running its exit handlers (SIGKILL).
 */
export async function startPostgres({ user = 'itty', password = 'itty-test-password', database = 'postgres', settings = {} } = {}) {
  const bin = postgresBin()
  const owner = runAs()
  // As root the server runs as "postgres", which must reach the directory: /tmp, whatever TMPDIR says.
  const dir = mkdtempSync(join(owner.uid === undefined ? tmpdir() : '/tmp', 'itty-session-pg-'))
  const data = join(dir, 'data')
  const as = { ...owner, stdio: 'pipe', encoding: 'utf8' }
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid)
  const pwfile = join(dir, 'pwfile')
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
  if (owner.uid !== undefined) chownSync(pwfile, owner.uid, owner.gid)
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as)
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error}`)
  }
  const port = await freePort()
  const log = join(dir, 'postgres.log')
  let child = null
  let watchdog = null
  let removed = false

  const server = {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    dir,
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    /** The server's log so far (for a failing test's message). */
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    async start() {
      if (child) return
      const out = openSync(log, 'a')
      if (owner.uid !== undefined) chownSync(log, owner.uid, owner.gid)
      // fsync off: the tests kill processes, never the machine; commits still go through the WAL.
      const extra = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])
      child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100', ...extra], { ...owner, stdio: ['ignore', out, out] })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.exited = exited
      for (let i = 0; ; i++) {
        const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database], { encoding: 'utf8' })
        if (ready.status === 0) break
        if (child.exitCode !== null || i > 300) {
          const text = server.log()
          await server.stop()
          throw new Error(`PostgreSQL did not start on port ${port}: ${text.slice(-2000)}`)
        }
        await sleep(50)
      }
      watchdog?.kill()
      // If this process is killed outright, the watchdog stops the server and removes its directory.
      const pid = child.pid
      watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done; kill -INT ${pid} 2>/dev/null; for i in $(seq 100); do kill -0 ${pid} 2>/dev/null || break; sleep 0.1; done; kill -KILL ${pid} 2>/dev/null; rm -rf '${dir}'`], { stdio: 'ignore', detached: true })
      watchdog.unref()
    },
    /** Shut the server down (fast: open connections are ended), keeping its data. */
    async stop() {
      if (!child) return
      const c = child
      child = null
      if (c.exitCode === null) {
        c.kill('SIGINT')
        let timer
        await Promise.race([c.exited, new Promise((r) => (timer = setTimeout(r, 10_000)))])
        clearTimeout(timer)
        if (c.exitCode === null) {
          c.kill('SIGKILL')
          await c.exited
        }
      }
    },
    /** How many client connections the server has (through its Unix socket, as a superuser). */
    clients() {
      const r = spawnSync(join(bin, 'psql'), ['-h', dir, '-p', String(port), '-U', user, '-d', database, '-Atc', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"], { encoding: 'utf8' })
      return r.status === 0 ? Number(r.stdout.trim()) : 0
    },
    /** Stop the server and delete its directory, once closed pools' connections are gone (up to 2 s). */
    async remove() {
      // pg's pool.end() resolves before its sockets close: a server stopped then would send the
      // closing connections an error nobody listens to any more.
      for (let i = 0; child && i < 40 && server.clients() > 0; i++) await sleep(50)
      await server.stop()
      watchdog?.kill()
      rmSync(dir, { recursive: true, force: true })
      removed = true
      servers.delete(server)
    },
    /** What remove() does, synchronously (for process exit handlers). */
    removeSync() {
      if (removed) return
      if (child && child.exitCode === null) {
        child.kill('SIGINT')
        // It stays a zombie (nobody reaps it while this process exits): gone means exited or zombie.
        const pid = child.pid
        spawnSync('sh', ['-c', `for i in $(seq 100); do grep -qs '^State:[[:space:]]*[^Z[:space:]]' /proc/${pid}/status || exit 0; sleep 0.05; done; kill -KILL ${pid}`])
      }
      watchdog?.kill()
      rmSync(dir, { recursive: true, force: true })
      removed = true
      servers.delete(server)
    },
  }
  servers.add(server)
  try {
    await server.start()
  } catch (e) {
    server.removeSync()
    throw e
  }
  return server
}
