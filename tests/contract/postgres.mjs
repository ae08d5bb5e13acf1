// The contract harness for PostgresProvider: a throwaway PostgreSQL server (tests/helpers/postgres.mjs), through a pg Pool.
import pg from 'pg'
import PostgresProvider from 'itty-session/providers/postgres'
import { startPostgres } from '../helpers/postgres.mjs'
import { directHarness } from './harness.mjs'
import { USER_KEY } from './suite.mjs'

export default async function postgresHarness() {
  const server = await startPostgres()
  const pool = new pg.Pool({ connectionString: server.url })
  const provider = new PostgresProvider({ pool, tableName: 'contract_sessions', userKey: USER_KEY })
  await provider.migrate()
  return directHarness(provider, {
    seedRaw: async (key, { data, expiry, created }) => {
      await pool.query('INSERT INTO contract_sessions (sid, data, expiry, created) VALUES ($1, $2, $3, $4)', [key, data, expiry, created ?? null])
    },
    close: async () => {
      await pool.end()
      await server.remove()
    },
  })
}
