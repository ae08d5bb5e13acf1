// The example's HTML: one page layout (styles, security headers) and escaping for everything it shows.
import { html } from 'itty-router'

/** Text made safe for HTML content and attribute values. */
export const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}
input,button{font:inherit;padding:.3rem .6rem;margin:.2rem 0}label{display:block;margin:.2rem 0 .4rem}label input{display:block;width:100%;max-width:18rem;box-sizing:border-box}.note{color:#666;font-size:.9rem}
h2{font-size:1.2rem;margin:1.6rem 0 .4rem}nav{margin:1.6rem 0 0;display:flex;gap:1rem;align-items:center}nav form{margin:0}
.devices{list-style:none;padding:0;margin:0}.devices li{border:1px solid #ccc;border-radius:.4rem;padding:.5rem .8rem;margin:.5rem 0}
.devices h3{font-size:1rem;margin:0}.devices p{margin:.1rem 0;color:#555;font-size:.9rem}.devices form{margin:.3rem 0 0}
.this{font-size:.8rem;font-weight:600;color:#1a5e2e;background:#e3f3e7;border-radius:1rem;padding:.05rem .5rem;margin-left:.4rem;white-space:nowrap}
.flash{background:#eef3fb;border-left:3px solid #3a6fc4;padding:.4rem .7rem}.flash.error{background:#fbeeee;border-color:#c43a3a}`

// No scripts at all; forms post only here; never framed (the end-session buttons cannot be clickjacked).
const HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
}

/** A whole page: `title` (plain text) names it in the tab, `body` is HTML. */
export const page = (body, { title = 'itty-session example', status = 200 } = {}) =>
  html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head><body><main><h1>itty-session</h1>${body}</main></body></html>`,
    { status, headers: HEADERS },
  )

/** A 303 after a form post, so a reload does not post it again. */
export const seeOther = (location) => new Response(null, { status: 303, headers: { Location: location } })
