import { query, withTransaction, type Pool, type PoolClient, type SqlQuery } from '../db/pool.js';
import type { Logger } from '../logger.js';
import type { DemoRow } from './demo-catalog.js';
import { demoRows } from './demo-data.js';
import {
  addColumnStatement,
  backfillStatement,
  createTableStatement,
  DEMO_TABLES,
  type DemoColumn,
  type DemoTable,
} from './demo-schema.js';
import {
  countRows,
  currentDate,
  insertBatchSize,
  insertRows,
  lockDemoSeed,
  renderColumnComments,
  renderTableComments,
  tableColumns,
  tableHasRows,
} from './demo-seed.sql.js';

export interface DemoSeedResult {
  /** Rows per table once the seed has run. */
  tables: Record<string, number>;
  /** Rows this run inserted per table: all zero when every table already held data. */
  inserted: Record<string, number>;
  /**
   * Rows filled per column, as `table.column`, for the columns beyond the fixture DDL this run
   * added to tables an earlier version of the seed created: empty when there were none to add.
   */
  backfilled: Record<string, number>;
}

interface EnsuredTable {
  created: boolean;
  /** The additions (demo-schema.ts) the table did not have yet and now has, still NULL in its old rows. */
  added: DemoColumn[];
}

/**
 * Creates the table and its comments when it is missing. A table an earlier version of the seed
 * created gets the columns added since, with their comments; one that lacks a fixture column is
 * not the demo's, and the seed stops rather than guess.
 */
async function ensureTable(client: PoolClient, table: DemoTable): Promise<EnsuredTable> {
  const [found] = await query<{ columns: string[] }>(client, tableColumns(table));
  if (!found) {
    await client.query(createTableStatement(table));
    await runRendered(client, table, renderTableComments(table));
    return { created: true, added: [] };
  }
  const present = new Set(found.columns);
  const missing = table.columns.filter((c) => !present.has(c.name));
  const notAddable = missing.filter((c) => !c.addition);
  if (notAddable.length > 0) {
    throw new Error(
      `${table.name} exists but has no ${notAddable.map((c) => c.name).join(', ')}: it is not a demo table; drop it to let the seed recreate it`,
    );
  }
  if (missing.length === 0) return { created: false, added: [] };
  for (const column of missing) await client.query(addColumnStatement(table, column));
  await runRendered(client, table, renderColumnComments(table, missing));
  return { created: false, added: missing };
}

/** Runs a COMMENT script the server rendered. */
async function runRendered(client: PoolClient, table: DemoTable, render: SqlQuery): Promise<void> {
  const [rendered] = await query<{ script: string | null }>(client, render);
  if (!rendered?.script) throw new Error(`could not render the comments of ${table.name}`);
  await client.query(rendered.script);
}

/** Multi-row INSERTs of at most insertBatchSize rows: a few round trips per table, never one per row. */
async function insertAll(client: PoolClient, table: DemoTable, rows: Iterable<DemoRow>): Promise<number> {
  const size = insertBatchSize(table);
  let batch: DemoRow[] = [];
  let total = 0;
  for (const row of rows) {
    batch.push(row);
    if (batch.length === size) {
      await query(client, insertRows(table, batch));
      total += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await query(client, insertRows(table, batch));
    total += batch.length;
  }
  return total;
}

/**
 * Creates the seven bss_* tables of the highway service-area demo in `public` and fills each one
 * that is empty. All of it is one transaction under an advisory lock: two seeders started together
 * queue, the second finds the tables full and changes nothing, and a failure leaves no half-seeded
 * table behind. A table that already holds rows keeps them, so re-running is a no-op; a table
 * emptied by hand is refilled with the same rows (for the same CURRENT_DATE). The one change made
 * to existing data: a table created by an earlier version of the seed gets the columns the demo has
 * beyond the fixture DDL, and its rows get their values, once every table has its rows (one of the
 * fills reads the mapper).
 */
export async function seedDemoDatabase(pool: Pool, logger: Logger): Promise<DemoSeedResult> {
  const log = logger.child({ component: 'demo-seed' });
  const started = performance.now();
  const { tables, inserted, created, backfilled } = await withTransaction(pool, async (client) => {
    await query(client, lockDemoSeed());
    const [date] = await query<{ today: string }>(client, currentDate());
    if (!date) throw new Error('the database returned no CURRENT_DATE');
    const created: string[] = [];
    const added: [DemoTable, DemoColumn][] = [];
    for (const table of DEMO_TABLES) {
      const ensured = await ensureTable(client, table);
      if (ensured.created) created.push(table.name);
      for (const column of ensured.added) added.push([table, column]);
    }
    const inserted: Record<string, number> = {};
    for (const table of DEMO_TABLES) {
      const [state] = await query<{ has_rows: boolean }>(client, tableHasRows(table));
      inserted[table.name] = state?.has_rows ? 0 : await insertAll(client, table, demoRows(table.name, date.today));
    }
    const backfilled: Record<string, number> = {};
    for (const [table, column] of added) {
      const result = await client.query(backfillStatement(table, column));
      backfilled[`${table.name}.${column.name}`] = result.rowCount ?? 0;
    }
    const tables: Record<string, number> = {};
    for (const table of DEMO_TABLES) {
      const [count] = await query<{ rows: number }>(client, countRows(table));
      tables[table.name] = count?.rows ?? 0;
    }
    return { tables, inserted, created, backfilled };
  });
  log.info({ created, inserted, backfilled, tables, ms: Math.round(performance.now() - started) }, 'demo database seeded');
  return { tables, inserted, backfilled };
}
