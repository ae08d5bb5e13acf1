// What a Worker using itty-session with D1 bundles of it (for the size benchmark).
export { createSessionsMiddleware } from 'itty-session'
export { default as D1Provider } from 'itty-session/providers/d1'
