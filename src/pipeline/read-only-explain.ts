import { withClient, type Pool, type PoolClient } from '../db/pool.js';
import { explainAsCursor, explainPlan } from '../db/sql/explain.sql.js';
import { splitStatements } from './sql-statements.js';

/** The SQL itself is wrong (or writes): the pair is invalid. Anything else thrown by a check is not about the pair. */
export class InvalidSqlError extends Error {
  override readonly name = 'InvalidSqlError';
}

/**
 * SQLSTATE classes that mean "this SQL is wrong", whatever the state of the server:
 * - 42 syntax error or access rule violation (unknown table or column, ambiguous name, type mismatch);
 * - 22 data exception (a bad literal: `'abc'::int`, a date out of range, division by zero folded at plan time);
 * - 0A feature not supported (cross-database reference, a construct PostgreSQL refuses);
 * - 21 cardinality violation (a scalar subquery returning several rows, once the SQL is executed).
 * Everything else — connection (08), the database gone (3D), authentication (28), resources (53),
 * operator intervention and timeouts (57), system (58), internal (XX), no SQLSTATE at all — says
 * nothing about the SQL: judging pairs by it would drop every pair during an outage.
 * 42501 (insufficient privilege) is left out although it is class 42: a revoked GRANT is a fact about
 * the validating role, and would empty the pair file just as an outage does.
 * 3F000 (invalid schema name: `nosuch.f()`, `'x'::nosuch.t`) is the SQL naming a schema that is not
 * there, like 42P01 for a table; sql_validation's wrong-database guard looks at both.
 */
const SQL_ERROR_CLASSES = new Set(['42', '22', '0A', '21']);
const SQL_ERROR_CODES = new Set(['3F000']);
const NOT_ABOUT_THE_SQL = new Set(['42501']);

export function isSqlError(err: unknown): boolean {
  if (err instanceof InvalidSqlError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return (SQL_ERROR_CLASSES.has(code.slice(0, 2)) || SQL_ERROR_CODES.has(code)) && !NOT_ABOUT_THE_SQL.has(code);
}

/** The SQLSTATE behind an InvalidSqlError (null when the verdict came from the plan or the statement count). */
export function sqlStateOf(err: InvalidSqlError): string | null {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : null;
}

/** Plan nodes that write or lock rows: a data-modifying CTE hides them under an InitPlan. */
const WRITING_NODES = new Set(['ModifyTable', 'LockRows']);

interface PlanNode {
  'Node Type'?: string;
  Operation?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Every writing node of an `EXPLAIN (FORMAT JSON)` plan, as "Delete bss_company" / "LockRows". */
export function writingNodes(plan: PlanNode | undefined): string[] {
  if (!plan) return [];
  const own = WRITING_NODES.has(plan['Node Type'] ?? '')
    ? [[plan.Operation ?? plan['Node Type'], plan['Relation Name']].filter(Boolean).join(' ')]
    : [];
  return [...own, ...(plan.Plans ?? []).flatMap(writingNodes)];
}

function planOf(rows: Record<string, unknown>[]): PlanNode | undefined {
  const json = rows[0]?.['QUERY PLAN'];
  const parsed = (typeof json === 'string' ? JSON.parse(json) : json) as { Plan?: PlanNode }[] | undefined;
  return parsed?.[0]?.Plan;
}

/**
 * Judges one SQL statement from its plan without executing it: a READ ONLY transaction with a
 * statement timeout, the extended protocol (one statement only), and EXPLAIN without ANALYZE.
 * Resolves when the SQL is a read-only query; throws InvalidSqlError when the SQL is wrong or writes;
 * rethrows anything else (connection lost, database gone, timeout) untouched, so the caller can
 * tell an outage from a bad pair.
 */
export async function explainReadOnly(pool: Pool, sql: string, timeoutMs: number): Promise<void> {
  const statements = splitStatements(sql);
  if (statements.length !== 1) throw new InvalidSqlError('只允许单条SQL语句（检测到多条语句，未执行）');
  const statement = statements[0]!;
  await withClient(pool, async (client) => {
    // The common case (a valid query) costs one EXPLAIN; a refused one gets a second, to say why.
    const cursor = await attempt(client, timeoutMs, explainAsCursor(statement));
    if (cursor.ok) {
      const writes = writingNodes(planOf(cursor.rows));
      if (writes.length > 0) throw new InvalidSqlError(`只允许查询语句: 该SQL会写入或锁定数据 (执行计划: ${writes.join(', ')})`);
      return;
    }
    const plain = await attempt(client, timeoutMs, explainPlan(statement));
    if (!plain.ok) throw new InvalidSqlError(plain.error.message, { cause: plain.error });
    const writes = writingNodes(planOf(plain.rows));
    if (writes.length > 0) throw new InvalidSqlError(`只允许查询语句: 该SQL会写入或锁定数据 (执行计划: ${writes.join(', ')})`);
    // Plans like a query but is not one: SELECT … INTO / CREATE TABLE AS would create a table.
    throw new InvalidSqlError(`只允许查询语句: 该SQL不是只读查询 (SELECT … INTO / CREATE TABLE AS 会建表): ${cursor.error.message}`, {
      cause: cursor.error,
    });
  });
}

type Attempt = { ok: true; rows: Record<string, unknown>[] } | { ok: false; error: Error };

/** One EXPLAIN in its own READ ONLY transaction; SQL errors are returned, every other error thrown. */
async function attempt(client: PoolClient, timeoutMs: number, explain: ReturnType<typeof explainPlan>): Promise<Attempt> {
  await client.query('BEGIN READ ONLY');
  let rows: Record<string, unknown>[];
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    rows = (await client.query<Record<string, unknown>>(explain as never)).rows;
  } catch (err) {
    // The EXPLAIN's own error is what counts; a ROLLBACK failing after it adds nothing.
    await client.query('ROLLBACK').catch(() => undefined);
    if (isSqlError(err)) return { ok: false, error: err as Error };
    throw err;
  }
  await client.query('ROLLBACK');
  return { ok: true, rows };
}
