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

/** Like `time`, for async functions (each call awaited). */
export async function timeAsync(fn, { rounds = 7, ms = 300 } = {}) {
  let n = 1
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) await fn(i)
    if (performance.now() - t > ms / 4) break
    n *= 2
  }
  n *= 4
  const results = []
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) await fn(i)
    results.push(Number(process.hrtime.bigint() - t) / n)
  }
  results.sort((a, b) => a - b)
  return results[rounds >> 1]
}
