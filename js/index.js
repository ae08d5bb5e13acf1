// itty-session: cookie sessions for itty-router, on a Rust/WebAssembly core.
export { createSessionsMiddleware } from './middleware.js'
