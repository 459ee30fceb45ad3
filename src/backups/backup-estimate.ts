import { query, withTransaction } from '../db/pool.js';
import type { DatabaseRegistry } from '../db/database-registry.js';
import { countRowsPerCollection, selectTableEstimates } from '../db/sql/backup-manifest.sql.js';
import { countRows } from '../db/sql/vector-tables.sql.js';
import { connectionFailureError } from '../error-map.js';
import { AppError, NotFoundError } from '../errors.js';
import type { BackupStore } from './stores/backup-store.js';
import type { Compression } from './sets/backup-manifest.js';
import type { BackupRequest } from './backup-service.js';
import { readVectorTableColumns } from './langchain-tables.js';
import type { DurationEstimator, Throughput } from './duration-estimate.js';
import { assertFormatAvailable } from './formats/binary-format.js';
import { applyKeepLastPreview } from './sets/retention.js';
import { collectionFilterOf } from './selection/collection-filter.js';
import { assertCompatible, BACKUP_EXCLUSIVE_FIELDS } from './selection/selection-fields.js';
import { backupLocation } from './sets/set-lookup.js';
import { backupFileName, TRUNCATED_BY_BACKUP, VECTOR_TABLES, type VectorTable } from './sets/set-naming.js';

export interface TableEstimate {
  file: string;
  rows: number;
  /** True when `rows` is the planner's estimate (pg_class.reltuples); false when it was counted. */
  rows_estimated: boolean;
  /** On-disk size of the table with TOAST and indexes (pg_total_relation_size): the order of the file size. */
  bytes: number;
  /** rows / the backup rate (see duration-estimate.ts). */
  estimated_seconds: number;
}

export interface BackupDryRunResult {
  dry_run: true;
  backup_performed: false;
  truncate_performed: false;
  backup_directory: string;
  compression: Compression;
  label: string | null;
  tables: Partial<Record<VectorTable, TableEstimate>>;
  collections: { uuid: string; name: string; rows: number; bytes: number }[];
  total_rows: number;
  total_bytes: number;
  would_truncate: VectorTable[];
  /** Sets that `keep_last` would delete once the new set exists. */
  would_prune: string[];
  /** The whole backup's expected duration, and the rate it was computed with (recent jobs, else a measured default). */
  estimated_seconds: number;
  throughput: Throughput;
}

/**
 * `dry_run` of a backup: what it would write, from planner estimates, without writing anything
 * (no directory, no file, no lock marker). Rows per collection are counted (one grouped scan of
 * the embeddings) in one read-only snapshot; a table never analysed (reltuples -1) is counted too.
 * The duration is rows over the rate of recent backup jobs (duration-estimate.ts).
 */
export class BackupEstimator {
  constructor(
    /** The store the backup would write to: its location and `keep_last` preview (nothing is written). */
    private readonly store: BackupStore,
    private readonly databases: DatabaseRegistry,
    private readonly durations: DurationEstimator,
  ) {}

  async estimate(request: BackupRequest): Promise<BackupDryRunResult> {
    assertCompatible({ include: request.include, exclude: request.exclude, truncate_vector_tables: request.truncateVectorTables || undefined }, BACKUP_EXCLUSIVE_FIELDS);
    const matches = collectionFilterOf(request);
    using database = this.databases.vectorDatabase(request.dbConnection);
    assertFormatAvailable(request.format, this.databases.isEmbedded(database.pool), 'backup');
    const location = await backupLocation(this.store, request.taskId);
    const gzip = request.compression === 'gzip';
    const facts = await withTransaction(
      database.pool,
      async (client) => {
        const columns = await readVectorTableColumns(client);
        const missing = VECTOR_TABLES.filter((t) => !columns.has(t));
        if (missing.length > 0) throw new NotFoundError(`向量表不存在: ${missing.join(', ')}`);
        const estimates = await query<{ table_name: VectorTable; reltuples: number; bytes: number }>(client, selectTableEstimates(VECTOR_TABLES));
        const tables: Partial<Record<VectorTable, TableEstimate>> = {};
        for (const table of VECTOR_TABLES) {
          const row = estimates.find((e) => e.table_name === table)!;
          const estimated = row.reltuples >= 0;
          const rows = estimated ? Math.round(row.reltuples) : (await query<{ n: number }>(client, countRows(table)))[0]!.n;
          tables[table] = { file: backupFileName(table, '<YYYYMMDD_HHMMSS>', gzip, request.format), rows, rows_estimated: estimated, bytes: Number(row.bytes), estimated_seconds: 0 };
        }
        const has = (table: VectorTable, name: string) => columns.get(table)!.some((c) => c.name === name);
        const counted = has('langchain_pg_collection', 'uuid') && has('langchain_pg_embedding', 'collection_id')
          ? await query<{ uuid: string; name: string; rows: number }>(client, countRowsPerCollection())
          : [];
        const embeddings = tables.langchain_pg_embedding!;
        const bytesPerRow = embeddings.rows > 0 ? embeddings.bytes / embeddings.rows : 0;
        const selected = counted.filter((c) => matches?.(c.name) ?? true);
        const collections = selected.map((c) => ({ uuid: c.uuid, name: c.name, rows: Number(c.rows), bytes: Math.round(Number(c.rows) * bytesPerRow) }));
        if (matches) {
          // A selective backup copies the selected collections' rows only: counted, not estimated.
          const rows = collections.reduce((n, c) => n + c.rows, 0);
          tables.langchain_pg_embedding = { ...embeddings, rows, rows_estimated: false, bytes: Math.round(rows * bytesPerRow) };
          tables.langchain_pg_collection = { ...tables.langchain_pg_collection!, rows: collections.length, rows_estimated: false };
        }
        return { tables, collections };
      },
      { isolation: 'REPEATABLE READ', readOnly: true },
    ).catch((err: unknown) => {
      if (err instanceof AppError) throw err;
      throw connectionFailureError(err, database.callerParam) ?? err;
    });
    const all = Object.values(facts.tables);
    const duration = await this.durations.estimate('backup', Object.fromEntries(Object.entries(facts.tables).map(([table, t]) => [table, t.rows])));
    for (const [table, seconds] of Object.entries(duration.tables)) facts.tables[table as VectorTable]!.estimated_seconds = seconds;
    return {
      dry_run: true,
      backup_performed: false,
      truncate_performed: false,
      backup_directory: location.relativePath,
      compression: request.compression ?? 'none',
      label: request.label ?? null,
      ...facts,
      total_rows: all.reduce((n, t) => n + t.rows, 0),
      total_bytes: all.reduce((n, t) => n + t.bytes, 0),
      would_truncate: request.truncateVectorTables === true ? [...TRUNCATED_BY_BACKUP] : [],
      would_prune: request.keepLast === undefined ? [] : await applyKeepLastPreview(this.store, location, request.keepLast),
      estimated_seconds: duration.estimated_seconds,
      throughput: duration.throughput,
    };
  }
}
