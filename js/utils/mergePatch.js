// RFC 7396 JSON merge patch, applied to plain JSON values: what D1's json_patch does, in JS.

/**
 * Apply the merge patch `patch` to `target` and return the result (RFC 7396 section 2).
 * `target` is not modified when the patch replaces it; objects inside it may be.
 * @param {unknown} target
 * @param {unknown} patch
 * @returns {unknown}
 */
export function applyMergePatch(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {}
  for (const key of Object.keys(patch)) {
    const value = patch[key]
    if (value === null) delete out[key]
    // defineProperty, not assignment: a key such as "__proto__" stays an ordinary member.
    else define(out, key, applyMergePatch(Object.hasOwn(out, key) ? out[key] : undefined, value))
  }
  return out
}

const define = (obj, key, value) =>
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
