import { query, type Pool, type PoolClient } from '../../db/pool.js';
import { listTableColumns, type ColumnRow } from '../../db/sql/vector-tables.sql.js';
import {
  dropIndex,
  listTablesCreatedHere,
  listRelationNamesBeside,
  listSecondaryIndexes,
  selectBackendPid,
  selectCreateIndexProgress,
  selectIsReferenced,
  setLocalMaintenance,
  setVectorDimension,
  type CreateIndexProgressRow,
  type SecondaryIndexRow,
} from '../../db/sql/index-rebuild.sql.js';
import { fromPgError } from '../../error-map.js';
import { ERROR_TYPES, InternalError, type AppError } from '../../errors.js';
import { secondsSince } from '../../lib/time.js';
import type { Logger } from '../../logger.js';
import type { TransferProgress } from '../job-progress.js';
import { createIndexStatement, parseIndexDefinition } from './index-definition.js';
import { describeError } from './restore-failure.js';
import type { ManifestTableEntry } from '../sets/backup-manifest.js';

export const INDEX_MODES = ['rebuild', 'keep'] as const;
export type IndexMode = (typeof INDEX_MODES)[number];

export interface IndexRebuildSettings {
  /** SET LOCAL maintenance_work_mem for the rebuild, MiB (RESTORE_MAINTENANCE_WORK_MEM_MB). */
  maintenanceWorkMemMb: number;
  /** SET LOCAL max_parallel_maintenance_workers (RESTORE_PARALLEL_WORKERS). */
  parallelWorkers: number;
}

/** One index built after the load (SPEC §7 `index_rebuilt`). */
export interface RebuiltIndex {
  table: string;
  index: string;
  seconds: number;
  /** `target`: it was on the table and dropped for the load; `manifest`: recorded in the set, for a table this restore created. */
  source: 'target' | 'manifest';
}

interface PendingIndex {
  table: string;
  index: string;
  statement: string;
  source: RebuiltIndex['source'];
}

export interface RestoreIndexOptions {
  mode: IndexMode;
  tables: readonly string[];
  /** The set's manifest entries (index definitions as pg_get_indexdef text, column types); none for a legacy set. */
  manifestTables: readonly Pick<ManifestTableEntry, 'table' | 'indexes' | 'columns'>[];
  settings: IndexRebuildSettings;
  /** Another connection's pool to watch pg_stat_progress_create_index from; null for the embedded database (one session). */
  monitor: Pool | null;
  progress?: TransferProgress;
  logger: Logger;
}

/** How often the index build's progress is read while CREATE INDEX runs, ms. */
const POLL_MS = 250;

/**
 * The index side of one restore, inside its one transaction (SPEC §7 "Index-aware restore"). A
 * load into a table that carries an HNSW index pays the graph insert per row; dropping the
 * secondary indexes, loading bare and building them once afterwards is two orders of magnitude
 * faster, and since DROP and CREATE run in the restore's transaction, a failure anywhere (the
 * rebuild included) rolls the table and its indexes back to what they were.
 * Call order: begin() (right after the tables are ensured, before the truncate) → prepare() (after
 * the truncate) → the loads (freeze() per table) → rebuild().
 */
export class RestoreIndexes {
  private readonly pending: PendingIndex[] = [];
  private readonly freezable = new Set<string>();

  private constructor(
    private readonly options: RestoreIndexOptions,
    private readonly createdHere: ReadonlySet<string>,
  ) {}

  /** Notes which tables this restore's transaction has just created (empty, so safe to re-truncate and retype). */
  static async begin(client: PoolClient, options: RestoreIndexOptions): Promise<RestoreIndexes> {
    const rows = await query<{ name: string }>(client, listTablesCreatedHere(options.tables));
    return new RestoreIndexes(options, new Set(rows.map((r) => r.name)));
  }

  /**
   * After the tables exist (and were truncated when asked): with `rebuild`, records and drops the
   * secondary indexes; for a table this restore created, queues the manifest's indexes it lacks.
   */
  async prepare(client: PoolClient, truncated: boolean): Promise<void> {
    const { mode, tables } = this.options;
    if (mode === 'rebuild') {
      for (const row of await query<SecondaryIndexRow>(client, listSecondaryIndexes(tables))) {
        // The catalog's own text for this very index, read in this transaction: safe to run as it is.
        this.pending.push({ table: row.table_name, index: row.index_name, statement: row.definition, source: 'target' });
        await client.query(dropIndex(row.schema_name, row.index_name).text);
      }
    }
    for (const table of tables) {
      const created = this.createdHere.has(table);
      if (created) {
        await this.adoptVectorDimensions(client, table);
        await this.queueManifestIndexes(client, table);
      }
      // COPY FREEZE needs the table created or truncated in the COPY's own subtransaction; the load
      // re-truncates it there (empty by then), which a table referenced by a foreign key refuses.
      if ((created || truncated) && !(await isReferenced(client, table))) this.freezable.add(table);
    }
  }

  /** Whether `table`'s load may use COPY … FREEZE (see prepare()). */
  freeze(table: string): boolean {
    return this.freezable.has(table);
  }

  /**
   * Builds every queued index with the configured maintenance memory and parallel workers,
   * reporting the `index` phase from pg_stat_progress_create_index (read from another connection
   * while the statement runs). A failure is reported naming the index; the caller's transaction
   * then rolls back the load and the DROPs with it.
   */
  async rebuild(client: PoolClient): Promise<RebuiltIndex[]> {
    if (this.pending.length === 0) return [];
    const { settings, progress } = this.options;
    await client.query(setLocalMaintenance(settings.maintenanceWorkMemMb, settings.parallelWorkers).text);
    const pid = this.options.monitor ? Number((await query<{ pid: number }>(client, selectBackendPid()))[0]!.pid) : null;
    const built: RebuiltIndex[] = [];
    for (const [i, item] of this.pending.entries()) {
      const started = performance.now();
      const report = (buildPhase: string | null, percent: number, done = i) =>
        progress?.index({ table: item.table, index: item.index, build_phase: buildPhase, percent, indexes_done: done, indexes_total: this.pending.length });
      report(null, 0);
      const stopWatching = pid === null ? () => undefined : this.watch(pid, report);
      try {
        await client.query(item.statement);
      } catch (err) {
        throw rebuildError(err, item);
      } finally {
        stopWatching();
      }
      report('done', 100, i + 1);
      built.push({ table: item.table, index: item.index, seconds: secondsSince(started), source: item.source });
    }
    this.options.logger.info({ component: 'vector-restore', indexes: built }, 'indexes rebuilt after the load');
    return built;
  }

  /**
   * A table this restore created has an unconstrained `vector` column; the set's HNSW index needs
   * the dimension its source column had (`vector(1024)`), so the new, empty column takes it.
   */
  private async adoptVectorDimensions(client: PoolClient, table: string): Promise<void> {
    const recorded = this.manifestEntry(table)?.columns ?? [];
    for (const column of await query<ColumnRow>(client, listTableColumns([table]))) {
      const dimension = /^vector\((\d+)\)$/.exec(recorded.find((c) => c.name === column.column_name)?.type ?? '')?.[1];
      if (column.data_type === 'vector' && dimension !== undefined) {
        await client.query(setVectorDimension(table, column.column_name, Number(dimension)).text);
      }
    }
  }

  private manifestEntry(table: string) {
    return this.options.manifestTables.find((t) => t.table === table);
  }

  private async queueManifestIndexes(client: PoolClient, table: string): Promise<void> {
    const parsed = [];
    for (const text of this.manifestEntry(table)?.indexes ?? []) {
      const def = parseIndexDefinition(text, table);
      if (def === null) {
        this.options.logger.warn({ component: 'vector-restore', table }, 'an index definition in the manifest is not a CREATE INDEX on its table; skipped');
        continue;
      }
      parsed.push(def);
    }
    // The primary key, unique constraints and the indexes the new table was created with exist already.
    const taken = new Set((await query<{ name: string }>(client, listRelationNamesBeside(table, parsed.map((d) => d.name)))).map((r) => r.name));
    for (const def of parsed) {
      if (taken.has(def.name) || this.pending.some((p) => p.index === def.name)) continue;
      this.pending.push({ table, index: def.name, statement: createIndexStatement(def, table), source: 'manifest' });
    }
  }

  /** Polls the build's progress from another connection until stopped; a failed read is skipped. */
  private watch(pid: number, report: (phase: string | null, percent: number) => void): () => void {
    const monitor = this.options.monitor!;
    let reading = false;
    const timer = setInterval(() => {
      if (reading) return;
      reading = true;
      query<CreateIndexProgressRow>(monitor, selectCreateIndexProgress(pid))
        .then(([row]) => {
          if (row) report(row.phase, percentOf(row));
        })
        .catch(() => undefined)
        .finally(() => (reading = false));
    }, POLL_MS);
    return () => clearInterval(timer);
  }
}

/** Blocks when the server counts blocks (the heap scan), else tuples (loading, sorting); capped below 100 until done. */
function percentOf(row: CreateIndexProgressRow): number {
  const [done, total] = Number(row.blocks_total) > 0 ? [row.blocks_done, row.blocks_total] : [row.tuples_done, row.tuples_total];
  const t = Number(total);
  return t > 0 ? Math.min(99, Math.floor((Number(done) / t) * 100)) : 0;
}

async function isReferenced(client: PoolClient, table: string): Promise<boolean> {
  const [row] = await query<{ referenced: boolean }>(client, selectIsReferenced(table));
  return row?.referenced === true;
}

function rebuildError(err: unknown, item: PendingIndex): AppError {
  const message = `索引 ${item.index} (${item.table}) 重建失败，所有更改已回滚: ${describeError(err)}`;
  const data = { failed_index: { table: item.table, index: item.index } };
  // By SQLSTATE: rows that break a unique index → 409, out of memory or disk → 500/503, a cancel → 503.
  return (
    fromPgError(err, { message, errorType: ERROR_TYPES.VECTOR_RESTORE_FAILED, data }) ??
    new InternalError(message, ERROR_TYPES.VECTOR_RESTORE_FAILED, { cause: err, data })
  );
}
