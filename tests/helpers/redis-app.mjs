// One process of the Node example with SESSION_STORE=redis (REDIS_URL from the environment), plus test routes; prints its URL.
import { createApp, start } from '../../examples/node/server.js'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const app = createApp({ store: 'redis' })

// Set one key after a wait (to overlap requests of one session), or a large value.
app.get('/test/set', async (req) => {
  await sleep(Number(req.query.wait ?? 0))
  req.session[req.query.k] = JSON.parse(req.query.v)
  return { ok: true }
})
app.get('/test/fill', (req) => {
  const n = Number(req.query.n)
  req.session[req.query.k] = { n, text: req.query.c.repeat(n) }
  return { ok: true }
})
app.get('/test/session', (req) => ({ session: req.session }))

const server = await start({ port: 0, app })
console.log(`listening http://127.0.0.1:${server.address().port} pid ${process.pid}`)
