import type { SqlQuery } from '../pool.js';

/**
 * Statements that plan a pair's SQL without running it. The SQL is one statement already (the
 * caller splits and rejects several), its trailing `;` removed. The options are in parentheses so
 * the SQL cannot add its own: `EXPLAIN (FORMAT JSON) ANALYZE DELETE …` is a syntax error, whereas
 * `EXPLAIN ` + `ANALYZE DELETE …` would execute the DELETE.
 * Both go through the extended protocol (`queryMode: 'extended'`), which refuses several statements.
 */

/** The plan as JSON: data-modifying nodes (ModifyTable, LockRows) show up anywhere in it. */
export function explainPlan(sql: string): SqlQuery & { queryMode: 'extended' } {
  return { text: /* SQL */ `EXPLAIN (FORMAT JSON) ${sql}`, queryMode: 'extended' };
}

/**
 * The same SQL planned as a cursor's query. PostgreSQL's grammar and analyser accept only a plain
 * query there: `SELECT … INTO t` ("SELECT ... INTO is not allowed here"; its plan looks like a plain
 * SELECT, yet it is CREATE TABLE AS), data-modifying CTEs, DML and utility statements are refused.
 * EXPLAIN of a DECLARE plans it and opens nothing.
 */
export function explainAsCursor(sql: string): SqlQuery & { queryMode: 'extended' } {
  return { text: /* SQL */ `EXPLAIN (FORMAT JSON) DECLARE t2s_validation NO SCROLL CURSOR FOR ${sql}`, queryMode: 'extended' };
}
