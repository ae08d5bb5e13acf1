// The "Your devices" page: the user's live sessions, ending one of them, and a password change that logs out everywhere else.
import { passwordOk } from './accounts.js'
import { badForm, readForm } from './form.js'
import { escape, page, seeOther } from './layout.js'
import { sessions } from './sessions.js'

const HANDLE = /^[A-Za-z0-9_-]{16}$/
// Anyone may log in as anyone in this demo: a list is shown only up to this many sessions.
const SHOWN = 50
const TITLE = 'Your devices · itty-session example'

/** The ended-sessions message after a password change. */
const afterPasswordChange = (n) =>
  `Password changed. ${n === 0 ? 'You were not logged in anywhere else.' : `Logged out everywhere else (${n} other session${n === 1 ? '' : 's'}).`}`

let regions
/** A country's English name from its two-letter code, or the code when the runtime cannot name it. */
function countryName(code) {
  try {
    regions ??= new Intl.DisplayNames(['en'], { type: 'region' })
    return regions.of(code) ?? code
  } catch {
    return code
  }
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
function ago(ms, now) {
  const s = Math.max(0, Math.floor((now - ms) / 1000))
  if (s < 60) return 'just now'
  const [n, unit] = s < 3600 ? [Math.floor(s / 60), 'minute'] : s < 86400 ? [Math.floor(s / 3600), 'hour'] : [Math.floor(s / 86400), 'day']
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`
}

const utc = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })
/** A <time> saying how long ago, with the exact moment (UTC) in its title and datetime. */
const time = (ms, now, text) => {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return 'at an unknown time' // e.g. a session from itty-session 0.4
  text ??= ago(ms, now)
  const at = new Date(ms)
  return `<time datetime="${at.toISOString()}" title="${escape(utc.format(at))} UTC">${escape(text)}</time>`
}

// What a form post says on the page it redirects to: kept in the session for that one page (so a
// link cannot make the page claim something happened), then deleted.
const say = (session, text, error = false) => {
  session.flash = { text, error }
}
function flash(session) {
  const f = session.flash
  if (f === undefined) return ''
  delete session.flash
  const text = escape(String(f?.text ?? ''))
  return f?.error ? `<p class="flash error" role="alert">${text}</p>` : `<p class="flash" role="status">${text}</p>`
}

function item(device, now) {
  const id = `s-${device.handle}`
  const name = escape(device.device ?? 'Unknown device')
  const where = device.country ? `<p>${escape(countryName(device.country))}</p>` : ''
  const active = device.current ? time(now, now, 'now') : time(device.lastActive, now)
  const end = device.current
    ? ''
    : `<form method="post" action="/devices/end"><input type="hidden" name="handle" value="${escape(device.handle)}"><button type="submit" aria-describedby="${id}">End session</button></form>`
  return `<li data-handle="${escape(device.handle)}"${device.current ? ' aria-current="true"' : ''}>
<h3 id="${id}">${name}${device.current ? ' <span class="this">This device</span>' : ''}</h3>
<p>Signed in ${time(device.created, now)} · active ${active}</p>${where}${end}</li>`
}

/** GET /devices: this user's live sessions, most recent activity first (this one: now). */
export async function devicesPage(request) {
  const { session } = request
  if (!session.username) return seeOther('/')
  const now = Date.now()
  const list = await sessions.list(request)
  // This device is active right now, whatever the coarse stored "last active" says.
  const recency = (d) => (d.current ? now : (d.lastActive ?? 0))
  list.sort((a, b) => recency(b) - recency(a))
  const hidden = list.length - SHOWN
  return page(
    `<p>Logged in as <strong id="user">${escape(session.username)}</strong>.</p>
${flash(session)}
<h2 id="devices-heading">Your devices</h2>
<p class="note">Where you are logged in now. End a session you do not recognise.</p>
<ul class="devices" aria-labelledby="devices-heading">
${list.slice(0, SHOWN).map((d) => item(d, now)).join('\n')}
</ul>${hidden > 0 ? `\n<p class="note">And ${hidden} older session${hidden === 1 ? '' : 's'}, not shown: changing your password ends them all.</p>` : ''}
<h2>Change password</h2>
<form method="post" action="/password">
<input name="username" autocomplete="username" value="${escape(session.username)}" hidden readonly>
<label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
<label>New password <input name="new" type="password" autocomplete="new-password" required></label>
<button type="submit">Change password</button></form>
<p class="note">Changing it logs you out everywhere else. The demo keeps no passwords: you still log in with <code>test</code>.</p>
<nav><a href="/">Home</a><form method="post" action="/logout"><button type="submit">Log out</button></form></nav>`,
    { title: TITLE },
  )
}

/** POST /devices/end: end one of this user's sessions by its handle (never another user's). */
export async function endDevice(request) {
  if (!request.session.username) return seeOther('/')
  const form = await readForm(request)
  if (!form) return badForm()
  const handle = form.get('handle')
  if (handle === null || !HANDLE.test(handle)) {
    return page(`<p class="flash error" role="alert">That is not a session from your list: nothing was ended.</p><p><a href="/devices">Back to your devices</a></p>`, { title: TITLE, status: 400 })
  }
  const ended = await sessions.end(request, handle)
  // Ending this very session logs this browser out.
  if (!request.session.username) return seeOther('/')
  say(request.session, ended ? 'Session ended: that device is logged out on its next visit.' : 'That session had already ended.')
  return seeOther('/devices')
}

/** POST /password: check the current password, (pretend to) store the new one, log out everywhere else. */
export async function changePassword(request) {
  const { session } = request
  if (!session.username) return seeOther('/')
  const form = await readForm(request)
  if (!form) return badForm()
  if (!passwordOk(session.username, form.get('current'))) {
    say(session, 'Wrong current password: nothing was changed.', true)
    return seeOther('/devices')
  }
  if (!form.get('new')) {
    say(session, 'Type a new password: nothing was changed.', true)
    return seeOther('/devices')
  }
  // A real app stores the new password's hash here. Then: every other session ends, this one gets a new id.
  const ended = await sessions.endOthers(request)
  say(session, afterPasswordChange(ended))
  return seeOther('/devices')
}
