// Builds the wasm core with wasm-pack (release, size-minded) and assembles dist/, the npm package.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const at = (...p) => join(root, ...p)
const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${at('node_modules/.bin')}:${process.env.PATH}` }

const newest = (path) => {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))))
}

// Rebuild the wasm only when the Rust sources changed: a no-op build takes well under a second.
const wasm = at('pkg/core_bg.wasm')
const inputs = ['src', 'Cargo.toml', 'Cargo.lock'].map((p) => newest(at(p)))
if (!existsSync(wasm) || statSync(wasm).mtimeMs < Math.max(...inputs)) {
  execFileSync('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', 'pkg', '--out-name', 'core', '--no-typescript', '--no-pack'], {
    cwd: root,
    env,
    stdio: 'inherit',
  })
}

const dist = at('dist')
rmSync(dist, { recursive: true, force: true })
mkdirSync(dist)
cpSync(at('js'), dist, { recursive: true })
cpSync(at('pkg/core.js'), join(dist, 'wasm/core.js'))
cpSync(wasm, join(dist, 'wasm/core_bg.wasm'))
cpSync(at('pkg-template'), dist, { recursive: true })
for (const f of ['README.md', 'LICENSE']) if (existsSync(at(f))) cpSync(at(f), join(dist, f))
const pkg = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8'))
pkg.version = JSON.parse(readFileSync(at('package.json'), 'utf8')).version
writeFileSync(join(dist, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
// The examples and tests import 'itty-session' by name, as users do: link it to dist/.
const link = at('node_modules/itty-session')
if (!existsSync(link)) {
  if (lstatSync(link, { throwIfNoEntry: false })) rmSync(link)
  symlinkSync('../dist', link, 'dir')
}
console.log(`built dist/ (itty-session ${pkg.version}, wasm ${statSync(wasm).size} bytes)`)
