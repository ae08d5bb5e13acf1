// Wraps a real D1 binding to count statements by kind (and, on request, to make one kind fail).
// Every statement still runs against the real local D1.

const kindOf = (sql) => {
  const verb = sql.trimStart().slice(0, 6).toUpperCase()
  return verb === 'SELECT' ? 'read' : verb === 'CREATE' || verb === 'ALTER ' ? 'schema' : 'write'
}

/**
 * @param {D1Database} db
 * @param {{ read: number, write: number, schema: number, sql: string[], rowsRead?: number, rowsWritten?: number, bytesSent?: number }} counts
 *   statements by kind, the rows D1 reports reading and writing (its `meta`), and the bytes of text
 *   bound to writes
 * @param {'read' | 'write' | null} fail the kind of statement to fail, if any
 */
export function countingD1(db, counts, fail) {
  const wrap = (stmt, sql, bound = []) => {
    const kind = kindOf(sql)
    const exec = (method) => async (...args) => {
      counts[kind]++
      counts.sql.push(sql)
      // Bytes sent with a write: its bound text values (a merge patch, or a whole document).
      if (kind === 'write') counts.bytesSent = (counts.bytesSent ?? 0) + bound.reduce((n, v) => n + (typeof v === 'string' ? new TextEncoder().encode(v).length : 0), 0)
      if (fail === kind) throw new Error(`D1_ERROR: injected ${kind} failure`)
      // first() reports no meta: run the same statement through all() to read it.
      const result = await stmt[method === 'first' ? 'all' : method](...args)
      counts.rowsRead = (counts.rowsRead ?? 0) + (result?.meta?.rows_read ?? 0)
      counts.rowsWritten = (counts.rowsWritten ?? 0) + (result?.meta?.rows_written ?? 0)
      return method === 'first' ? (result.results[0] ?? null) : result
    }
    return {
      bind: (...args) => wrap(stmt.bind(...args), sql, args),
      first: exec('first'),
      run: exec('run'),
      all: exec('all'),
      raw: exec('raw'),
      unwrap: () => stmt,
    }
  }
  return {
    prepare: (sql) => wrap(db.prepare(sql), sql),
    batch: async (stmts) => {
      for (const s of stmts) counts.schema++
      if (fail === 'schema') throw new Error('D1_ERROR: injected schema failure')
      return db.batch(stmts.map((s) => s.unwrap()))
    },
    exec: (sql) => db.exec(sql),
  }
}
