// A short, human description of the device a session started on, for a "your devices" page.

// First match wins: order matters (Edge and Opera also say Chrome; Chrome also says Safari).
const BROWSERS = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrom(?:e|ium)\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
]
const SYSTEMS = [
  [/\bWindows\b/, 'Windows'],
  [/\biPhone\b|\biPad\b|\biPod\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]
const pick = (list, text) => list.find(([re]) => re.test(text))?.[1]

/**
 * `{ ua, country }` for `request`: the browser and system named from the `User-Agent` (e.g.
 * "Firefox on Linux"; "Unknown device" when neither is recognised), and the two-letter country
 * Cloudflare puts in `request.cf`, when there is one. Never the raw User-Agent: it is shortened to
 * what a person recognises, and bounded.
 * @param {Request & { cf?: { country?: string } }} request
 */
export function describeDevice(request) {
  const agent = String(request.headers.get('user-agent') ?? '').slice(0, 512)
  const browser = pick(BROWSERS, agent)
  const system = pick(SYSTEMS, agent)
  const ua = browser && system ? `${browser} on ${system}` : (browser ?? system ?? 'Unknown device')
  const country = request.cf?.country
  return typeof country === 'string' && /^[A-Z0-9]{2}$/.test(country) ? { ua, country } : { ua }
}
