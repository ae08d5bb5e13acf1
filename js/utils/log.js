// Logging in itty-session 0.4's shape: log(enabled, level, ...message).

/**
 * Print `message` through `console[level]` with a timestamp, when `enabled`.
 * `level` may be omitted by passing the message array in its place, as 0.4 allowed.
 * @param {boolean} enabled
 * @param {'log'|'info'|'warn'|'error'|string[]} level
 * @param {...unknown} message
 */
export const log = (enabled, level, ...message) => {
  if (Array.isArray(level)) {
    message = level
    level = 'log'
  }
  if (enabled) console[level](`[${new Date().toISOString()}: ${level}] itty-session:`, ...message)
}
