// CSRF defence for every form post, on top of the SameSite=Strict session cookie: only this origin may POST.
import { html } from 'itty-router'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Whether `request` comes from a page of this very origin. Browsers say so in `Sec-Fetch-Site`
 * (every current one sends it); where it is missing, the `Origin` header must be ours. A request
 * carrying neither is refused: every browser sends `Origin` with a form POST.
 */
export function fromThisOrigin(request) {
  const site = request.headers.get('sec-fetch-site')
  if (site !== null) return site === 'same-origin' // not 'same-site': a sibling subdomain is not us
  const origin = request.headers.get('origin')
  return origin !== null && origin === new URL(request.url).origin
}

/** itty-router `before` middleware: a 403 for a state-changing request from anywhere else. */
export function sameOrigin(request) {
  if (SAFE.has(request.method) || fromThisOrigin(request)) return
  return html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refused</title></head><body>
<h1>Refused</h1><p>itty-session example: this form was sent from another site (or without an <code>Origin</code> header), so nothing was changed. Go to <a href="/">the start page</a> and use the form there.</p></body></html>`,
    { status: 403, headers: { 'cache-control': 'no-store' } },
  )
}
