import { withClient, type Pool } from '../../db/pool.js';
import { declareCheckCursor, fetchCheckCursor } from '../../db/sql/qa-quality.sql.js';
import { InvalidSqlError, isSqlError } from '../read-only-explain.js';
import { splitStatements } from '../sql-statements.js';

export interface ExecutionOutcome {
  /** Rows returned, counted up to the cap; null when the statement timed out. */
  rowCount: number | null;
  timedOut: boolean;
}

/** 57014: statement_timeout (or a cancel) — slow SQL is labelled, not judged invalid or fatal. */
const QUERY_CANCELED = '57014';
/** 25006: the SQL tried to write inside the READ ONLY transaction (nextval(), a volatile function). */
const READ_ONLY_VIOLATION = '25006';

/**
 * The execution check (SPEC §8 item 7) of SQL that passed EXPLAIN: run READ ONLY with a statement
 * timeout through a cursor, fetching at most `cap` rows (see declareCheckCursor for why a cursor
 * rather than a count(*) wrapper). SQL errors at run
 * time (division by zero, a bad cast, several rows from a scalar subquery) throw InvalidSqlError;
 * a timeout is reported; anything else (the database gone) is rethrown for the step to fail on.
 */
export async function executionCheck(pool: Pool, sql: string, timeoutMs: number, cap: number): Promise<ExecutionOutcome> {
  const statement = splitStatements(sql)[0] ?? sql;
  return withClient(pool, async (client) => {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      await client.query(declareCheckCursor(statement) as never);
      const { rowCount } = await client.query(fetchCheckCursor(cap));
      await client.query('ROLLBACK');
      return { rowCount: rowCount ?? 0, timedOut: false };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (err as { code?: unknown }).code;
      if (code === QUERY_CANCELED) return { rowCount: null, timedOut: true };
      if (code === READ_ONLY_VIOLATION) throw new InvalidSqlError(`只允许查询语句: 执行时试图写入 (${(err as Error).message})`, { cause: err });
      if (isSqlError(err)) throw new InvalidSqlError(`执行失败: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  });
}
