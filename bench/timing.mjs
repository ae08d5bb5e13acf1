// A small timing harness: ns per call, the median of several rounds, each long enough to be stable.

/**
 * Time `fn` (called with the round's iteration index): returns nanoseconds per call, the median
 * of `rounds` rounds of about `ms` milliseconds each, after a warm-up.
 */
export function time(fn, { rounds = 7, ms = 150 } = {}) {
  let n = 1
  // Warm up and size a round.
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn(i)
    if (performance.now() - t > ms / 4) break
    n *= 2
  }
  n = Math.max(1, Math.round((n * ms) / Math.max(1, (performance.now(), ms / 4))))
  const results = []
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn(i)
    results.push(Number(process.hrtime.bigint() - t) / n)
  }
  results.sort((a, b) => a - b)
  return results[rounds >> 1]
}

/**
 * Time two async functions against each other: rounds alternate between them, so drift in the
 * machine (GC, other load) falls on both alike. Returns `[nsA, nsB]`, the medians.
 */
export async function timePairAsync(a, b, { rounds = 9, ms = 200 } = {}) {
  let n = 1
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) await a(i)
    for (let i = 0; i < n; i++) await b(i)
    if (performance.now() - t > ms / 2) break
    n *= 2
  }
  n *= 2
  const ra = []
  const rb = []
  for (let r = 0; r < rounds; r++) {
    for (const [fn, out] of [[a, ra], [b, rb]]) {
      const t = process.hrtime.bigint()
      for (let i = 0; i < n; i++) await fn(i)
      out.push(Number(process.hrtime.bigint() - t) / n)
    }
  }
  const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1]
  return [median(ra), median(rb)]
}
