// Loads the core in Node: the .wasm file beside this module, synchronously, with no flags.
import { readFileSync } from 'node:fs'
import { initSync } from './core.js'

export const { memory } = initSync({ module: readFileSync(new URL('./core_bg.wasm', import.meta.url)) })
export * from './core.js'
