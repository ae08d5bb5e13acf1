// Loads the core in browsers (and Deno, Bun): fetched and compiled from the file's URL.
import init from './core.js'

export const { memory } = await init({ module_or_path: new URL('./core_bg.wasm', import.meta.url) })
export * from './core.js'
