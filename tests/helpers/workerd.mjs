// Runs a test Worker in workerd (Miniflare) with a real local D1: bundled by esbuild as wrangler would.
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

const root = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Bundle `entry` (a path relative to the repo) with the workerd export conditions and start it
 * in Miniflare with the given D1 databases, KV namespaces and Durable Objects (`durableObjects`:
 * `{ BINDING: { className, useSQLite: true } }`, the class exported by `entry`). Returns the
 * Miniflare instance and a `fetch`.
 */
export async function startWorker(entry, { d1 = ['SESSIONS'], kv = [], durableObjects = {}, bindings = {}, name = entry.replace(/\W+/g, '_') } = {}) {
  const outdir = join(root, 'tests/.artifacts', name)
  mkdirSync(outdir, { recursive: true })
  await build({
    entryPoints: [join(root, entry)],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    loader: { '.wasm': 'copy' },
    assetNames: '[name]',
    external: ['node:*', 'cloudflare:*'],
    logLevel: 'error',
  })
  const script = join(outdir, `${entry.split('/').pop().replace(/\.m?js$/, '')}.js`)
  const modules = [
    { type: 'ESModule', path: script },
    ...readdirSync(outdir)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => ({ type: 'CompiledWasm', path: join(outdir, f) })),
  ]
  const mf = new Miniflare({
    modules,
    modulesRoot: outdir,
    compatibilityDate: '2025-09-01',
    d1Databases: d1,
    kvNamespaces: kv,
    durableObjects,
    bindings,
  })
  await mf.ready
  const fetch = (path, init) => mf.dispatchFetch(new URL(path, 'http://localhost'), init)
  return { mf, fetch }
}

/** The session cookie pair (`sid=...`) a response sets, or undefined. */
export const sessionCookie = (res, name = '__Host-sid') =>
  res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(';')[0]

/** A client that keeps the session cookie between requests, like a browser. */
export function client(fetch, name = '__Host-sid') {
  let cookie
  return {
    get cookie() {
      return cookie
    },
    set cookie(v) {
      cookie = v
    },
    async fetch(path, init = {}) {
      const headers = new Headers(init.headers)
      if (cookie) headers.set('Cookie', cookie)
      const res = await fetch(path, { ...init, headers })
      for (const c of res.headers.getSetCookie()) {
        if (!c.startsWith(`${name}=`)) continue
        cookie = /Max-Age=0(;|$)/.test(c) ? undefined : c.split(';')[0]
      }
      return res
    },
  }
}
