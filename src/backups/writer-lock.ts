import type { PoolClient } from '../db/pool.js';
import { query } from '../db/pool.js';
import { countRows, truncateTables, tryVectorWriterLock } from '../db/sql/vector-tables.sql.js';
import { ConflictError, ERROR_TYPES } from '../errors.js';
import { secondsSince } from '../lib/time.js';
import type { TruncateResult } from './sets/backup-result.js';
import type { VectorTable } from './sets/set-naming.js';

/**
 * The writer lock of a vector database: one restore or truncate at a time (a transaction-level
 * advisory lock, so it ends with the transaction that writes). Backups without truncate only read
 * and never take it.
 */
export async function takeWriterLock(client: PoolClient): Promise<void> {
  const [lock] = await query<{ locked: boolean }>(client, tryVectorWriterLock());
  if (!lock?.locked) throw writerBusy();
}

export function writerBusy(): ConflictError {
  return new ConflictError(
    '该向量数据库正在执行另一个恢复或清空操作，请稍后重试',
    ERROR_TYPES.VECTOR_WRITE_IN_PROGRESS,
  );
}

/** Counts, truncates and re-counts inside the caller's transaction (which holds the writer lock). */
export async function truncateInTransaction(
  client: PoolClient,
  tables: readonly VectorTable[],
): Promise<Partial<Record<VectorTable, TruncateResult>>> {
  const started = performance.now();
  const before: Partial<Record<VectorTable, number>> = {};
  for (const table of tables) before[table] = (await query<{ n: number }>(client, countRows(table)))[0]!.n;
  await client.query(truncateTables(tables).text);
  const duration = secondsSince(started);
  const out: Partial<Record<VectorTable, TruncateResult>> = {};
  for (const table of tables) out[table] = { success: true, rows_before: before[table]!, rows_after: 0, duration };
  return out;
}
