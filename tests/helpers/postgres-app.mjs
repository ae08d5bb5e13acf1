// The Node example (examples/node) with SESSION_STORE=postgres and two test routes, run as its own process by tests/postgres-node.test.mjs.
import { createApp, start } from '../../examples/node/server.js'

const app = createApp({ store: 'postgres' })
// Set one key of the session: POST {"k": name, "v": any JSON value}.
app.post('/test/set', async (req) => {
  const { k, v } = await req.json()
  req.session[k] = v
  return { ok: true }
})
app.get('/test/session', ({ session }) => ({ session }))
const server = await start({ app, port: 0 })
console.log(`itty-session test app: http://127.0.0.1:${server.address().port}`)
