import { query, type PoolClient } from '../../db/pool.js';
import { countStagedConflicts, createStagingTable, mergeStagedRows } from '../../db/sql/collections.sql.js';
import { listPrimaryKeyColumns } from '../../db/sql/embedded-copy.sql.js';
import { ConflictError, ERROR_TYPES } from '../../errors.js';
import type { VectorTable } from '../sets/set-naming.js';
import type { OnConflict } from './selection-fields.js';

/** What a load did with the file's rows (added to `restore_results` beside `rows_restored`). */
export interface LoadCounts {
  rows_inserted: number;
  rows_updated: number;
  rows_skipped: number;
}

/** Loads the rows into the named table (the target or its staging table). */
export type LoadInto = (table: string) => Promise<{ count: number }>;

/**
 * One table's load under `on_conflict` (SPEC §7), inside the restore's transaction:
 * - `error`: COPY straight into the table; a duplicate key (23505) becomes a 409 naming the key,
 *   and the transaction rolls back, so nothing is written.
 * - `skip` / `upsert`: COPY into a temporary staging table, then one INSERT … SELECT … ON CONFLICT
 *   (DO NOTHING / DO UPDATE) on the primary key. Conflicts are counted first, from the staging
 *   table, so the reply says what was inserted, updated and skipped.
 * A table without a primary key has nothing to conflict on and loads directly.
 */
export async function loadWithConflictPolicy(
  client: PoolClient,
  table: VectorTable,
  /** The target's non-generated columns: the staging table has them all (LIKE); generated ones are derived. */
  columns: readonly string[],
  mode: OnConflict,
  loadInto: LoadInto,
): Promise<{ count: number } & LoadCounts> {
  const key = mode === 'error' ? [] : (await query<{ column_name: string }>(client, listPrimaryKeyColumns(table))).map((r) => r.column_name);
  if (key.length === 0) {
    try {
      const { count } = await loadInto(table);
      return { count, rows_inserted: count, rows_updated: 0, rows_skipped: 0 };
    } catch (err) {
      throw duplicateKeyConflict(err, table) ?? err;
    }
  }
  const staging = `t2s_restore_${table}`;
  await client.query(createStagingTable(staging, table).text);
  const { count: staged } = await loadInto(staging);
  const [conflicts] = await query<{ n: number }>(client, countStagedConflicts(staging, table, key));
  try {
    await client.query(mergeStagedRows(staging, table, columns, key, mode === 'upsert' ? 'upsert' : 'skip').text);
  } catch (err) {
    throw duplicateKeyConflict(err, table) ?? err;
  }
  const existing = conflicts?.n ?? 0;
  const updated = mode === 'upsert' ? existing : 0;
  return { count: staged - existing + updated, rows_inserted: staged - existing, rows_updated: updated, rows_skipped: existing - updated };
}

/**
 * A duplicate key (23505) as the 409 SPEC asks for, naming the first conflicting key. The key is
 * read from the server's DETAIL (`Key (id)=(row-1) already exists.`); when the DETAIL has another
 * shape (a translated server), the reply still is a 409 with the DETAIL as it came.
 */
export function duplicateKeyConflict(err: unknown, table: string): ConflictError | null {
  const e = err as { code?: unknown; detail?: string };
  if (e.code !== '23505') return null;
  const match = /\((.+?)\)=\((.*)\)/.exec(e.detail ?? '');
  const id = match?.[2] ?? null;
  return new ConflictError(
    `${table} 中已存在相同主键的行${id !== null ? `: ${id}` : ''}（可用 on_conflict=skip 跳过或 upsert 覆盖，或 truncate_before_restore=true），所有更改已回滚`,
    ERROR_TYPES.VECTOR_RESTORE_CONFLICT,
    { cause: err, details: { table, key: match?.[1] ?? null, conflicting_id: id, detail: e.detail ?? null } },
  );
}
