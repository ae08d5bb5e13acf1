// The example Worker: log in, see who you are, count visits, see and end your devices, log out. Sessions live in D1.
import { AutoRouter } from 'itty-router'
import { passwordOk } from './accounts.js'
import { changePassword, devicesPage, endDevice } from './devices.js'
import { badForm, readForm } from './form.js'
import { escape, page, seeOther } from './layout.js'
import { sameOrigin } from './same-origin.js'
import { cleanup, sessionPreflight, sessionify } from './sessions.js'

// The Durable Object class for sessions, when sessions.js chooses DurableObjectProvider.
export { SessionObject } from './sessions.js'

// sameOrigin first: a form posted from another site is refused before its session is even read.
const router = AutoRouter({ before: [sameOrigin, sessionPreflight], finally: [sessionify] })

router.get('/', (request) => {
  const { session } = request
  if (!session.username) {
    return page(`<p id="status">You are not logged in.</p>
<form method="post" action="/login">
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>
<p class="note">Any username; the password is <code>test</code>. Nothing is stored until you log in.</p>`)
  }
  session.visits = (session.visits ?? 0) + 1
  return page(`<p id="status">Logged in as <strong id="user">${escape(session.username)}</strong>.</p>
<p>Visits this session: <strong id="visits">${session.visits}</strong></p>
<nav><a href="/devices">Your devices</a><form method="post" action="/logout"><button type="submit">Log out</button></form></nav>`)
})

router.post('/login', async (request) => {
  const form = await readForm(request)
  if (!form) return badForm()
  const username = String(form.get('username') ?? '').trim()
  if (!passwordOk(username, form.get('password'))) {
    return page(`<p id="status">Wrong username or password.</p><p><a href="/">Try again</a></p>`)
  }
  // A new id at login (no session fixation); the absolute timeout starts now.
  await request.session.regenerate({ authenticated: true })
  request.session.username = username
  return seeOther('/')
})

router.post('/logout', async (request) => {
  await request.session.destroy()
  return seeOther('/')
})

router.get('/devices', devicesPage)
router.post('/devices/end', endDevice)
router.post('/password', changePassword)

router.get('/me', (request) => ({ loggedIn: !!request.session.username, username: request.session.username ?? null }))

export default {
  fetch: router.fetch,
  // The Cron Trigger in wrangler.toml: delete expired sessions in bounded batches.
  async scheduled(controller, env) {
    await cleanup(env)
  },
}
