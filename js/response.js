// Attaching Set-Cookie headers to a response without losing anything the handler set.

/**
 * Append each cookie as its own `Set-Cookie` header, keeping the handler's own cookies, other
 * headers, status and body, and make the response `Cache-Control: private` (or keep a stricter
 * directive) so no shared cache stores a session cookie.
 * @param {Response} response
 * @param {string[]} cookies
 * @returns {Response}
 */
export function withCookies(response, cookies) {
  // A 101 (WebSocket upgrade) response cannot carry cookies and must not be copied.
  if (!(response instanceof Response) || response.status === 101) return response
  let res = response
  try {
    res.headers.append('Set-Cookie', cookies[0])
  } catch {
    // Immutable headers (e.g. a response from fetch): copy the response, then append.
    res = new Response(response.body, response)
    res.headers.append('Set-Cookie', cookies[0])
  }
  for (let i = 1; i < cookies.length; i++) res.headers.append('Set-Cookie', cookies[i])
  const cc = res.headers.get('Cache-Control')
  if (!cc) res.headers.set('Cache-Control', 'private')
  else if (!/\b(private|no-store)\b/i.test(cc)) {
    const rest = cc.replace(/\bpublic\b\s*,?\s*/i, '').trim()
    res.headers.set('Cache-Control', rest ? `private, ${rest}` : 'private')
  }
  return res
}
