// Wraps a real D1 binding to count statements by kind (and, on request, to make one kind fail).
// Every statement still runs against the real local D1.

const kindOf = (sql) => {
  const verb = sql.trimStart().slice(0, 6).toUpperCase()
  return verb === 'SELECT' ? 'read' : verb === 'CREATE' ? 'schema' : 'write'
}

/**
 * @param {D1Database} db
 * @param {{ read: number, write: number, schema: number, sql: string[] }} counts
 * @param {'read' | 'write' | null} fail the kind of statement to fail, if any
 */
export function countingD1(db, counts, fail) {
  const wrap = (stmt, sql) => {
    const kind = kindOf(sql)
    const exec = (method) => async (...args) => {
      counts[kind]++
      counts.sql.push(sql)
      if (fail === kind) throw new Error(`D1_ERROR: injected ${kind} failure`)
      return stmt[method](...args)
    }
    return {
      bind: (...args) => wrap(stmt.bind(...args), sql),
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
