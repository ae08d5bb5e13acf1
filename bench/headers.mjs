// Cookie headers for the benchmarks: shapes taken from real sites (analytics, consent, A/B, CSRF).
const id = 'Yq3dn0m8TtH7cMnM3eKz2ZfU6Wc9Lr0xPpB4aJvQe1s' // the shape of one of our ids

const analytics = [
  '_ga=GA1.1.1234567890.1700000000',
  '_ga_ABCDEF1234=GS1.1.1700000000.3.1.1700000100.0.0.0',
  '_gid=GA1.2.987654321.1700000000',
  '_fbp=fb.1.1700000000000.1234567890',
  '_gcl_au=1.1.1234567890.1700000000',
  'OptanonConsent=isGpcEnabled=0&datestamp=Mon+Nov+27+2026+10%3A00%3A00+GMT%2B0000&version=202311.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=abcd-1234&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A1',
  'OptanonAlertBoxClosed=2026-11-27T10:00:00.000Z',
  '_hjSessionUser_123456=eyJpZCI6ImFiY2QtMTIzNCIsImNyZWF0ZWQiOjE3MDAwMDAwMDAwMDAsImV4aXN0aW5nIjp0cnVlfQ==',
  '_hjSession_123456=eyJpZCI6ImVmZ2gtNTY3OCIsImMiOjE3MDAwMDAwMDAwMDAsInMiOjAsInIiOjAsInNiIjowfQ==',
  'ajs_anonymous_id=%2212345678-90ab-cdef-1234-567890abcdef%22',
  'ajs_user_id=%22user_1234567890%22',
  'intercom-id-abcd1234=12345678-90ab-cdef-1234-567890abcdef',
  'intercom-session-abcd1234=',
  'intercom-device-id-abcd1234=12345678-90ab-cdef-1234-567890abcdef',
  '__stripe_mid=12345678-90ab-cdef-1234-567890abcdef123456',
  '__stripe_sid=abcdef12-3456-7890-abcd-ef1234567890abcdef',
  'ab_test_variant=checkout_v2_b',
  'theme=dark',
  'lang=en-GB',
  'tz=Europe%2FLondon',
  'csrftoken=Kx9mP2qR7sT4uV8wX1yZ3aB6cD0eF5gH',
  'cf_clearance=abcdefghijklmnopqrstuvwxyz0123456789-1700000000-0-150',
  '__cf_bm=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG-1700000000-0-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789=',
  '_clck=abc123%7C2%7Cfg1%7C0%7C1400',
  '_clsk=def456%7C1700000100000%7C3%7C1%7Cq.clarity.ms%2Fcollect',
  'mp_1234567890abcdef_mixpanel=%7B%22distinct_id%22%3A%20%22user_1234%22%2C%22%24device_id%22%3A%20%22abcd%22%7D',
  'amplitude_id_abcdef=eyJkZXZpY2VJZCI6ImFiY2QiLCJ1c2VySWQiOm51bGwsIm9wdE91dCI6ZmFsc2V9',
  'recently_viewed=sku123%2Csku456%2Csku789',
  'cart_token=c1a2b3c4d5e6f7a8b9c0',
]

const pad = (h, size) => {
  let out = h
  for (let i = 0; out.length < size; i++) out = `pref_${i}=${'v'.repeat(60)}; ${out}`
  return out
}

/** name -> header; every header but `malformed` carries `sid`, placed late (worst case for a scan). */
export const headers = {
  '1 cookie': `sid=${id}`,
  '6 cookies': `_ga=GA1.1.1234567890.1700000000; theme=dark; lang=en-GB; csrftoken=Kx9mP2qR7sT4uV8wX1yZ3aB6cD0eF5gH; ab_test_variant=checkout_v2_b; sid=${id}`,
  '30 cookies (~2 KiB)': `${analytics.join('; ')}; sid=${id}`,
  '~4 KiB': pad(`${analytics.join('; ')}; sid=${id}`, 4096),
  malformed: `=;;=; ;sid ;  = ;"%zz; x=%E0%A4%A; ${'a'.repeat(200)}; sid=not a session id; ===`,
}
export { id }
