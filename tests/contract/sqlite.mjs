// The contract harness for the Node example's SqliteProvider (examples/node): an in-memory better-sqlite3 database.
import Database from 'better-sqlite3'
import SqliteProvider from '../../examples/node/sqlite-provider.js'
import { directHarness } from './harness.mjs'
import { USER_KEY } from './suite.mjs'

export default function sqliteHarness() {
  const db = new Database(':memory:')
  const provider = new SqliteProvider({ db, userKey: USER_KEY })
  provider.precheck()
  return directHarness(provider, {
    seedRaw: (key, { data, expiry, created }) => void db.prepare('INSERT INTO sessions (sid, data, expiry, created) VALUES (?, ?, ?, ?)').run(key, data, expiry, created ?? null),
    close: () => db.close(),
  })
}
