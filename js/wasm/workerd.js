// Loads the core in workerd (Cloudflare Workers): the bundler hands over a compiled module.
import module from './core_bg.wasm'
import { initSync } from './core.js'

export const { memory } = initSync({ module })
export * from './core.js'
