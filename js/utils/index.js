// itty-session/utils: what custom providers build on.
export { BaseProvider } from './BaseProvider.js'
export { RecordProvider } from './RecordProvider.js'
export { log } from './log.js'
export { applyMergePatch } from './mergePatch.js'
export { checkUserKey, userOf, userText } from './user.js'
export { newSessionId } from '../session-cookie.js'
