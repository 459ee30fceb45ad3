import path from 'node:path';
import type { CopyChannel } from '../../db/copy.js';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import { withTransaction, type PoolClient } from '../../db/pool.js';
import { setLocalLockTimeout } from '../../db/sql/vector-tables.sql.js';
import { AppError, ConflictError, ERROR_TYPES } from '../../errors.js';
import { formatSize } from '../../lib/format-size.js';
import { fileTimestampToDateTime, secondsSince } from '../../lib/time.js';
import type { Logger } from '../../logger.js';
import type { VectorTable } from '../sets/set-naming.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import { describeError, restoreFailure } from './restore-failure.js';
import type { TableLoadPlan } from './restore-plan.js';
import { checkTimestamp, requestedTables, setLocation } from '../sets/set-lookup.js';
import type { TruncateResult } from '../sets/backup-result.js';
import { takeWriterLock, truncateInTransaction } from '../writer-lock.js';
import { copyableColumns, ensureVectorTables, type TableColumn } from '../langchain-tables.js';
import { RestoreSelection, setCollectionsOf } from '../selection/restore-selection.js';
import { assertCompatible, RESTORE_EXCLUSIVE_FIELDS, type OnConflict } from '../selection/selection-fields.js';
import type { LoadCounts } from '../selection/conflict-load.js';
import { dryRunRestore, type RestoreDryRunResult } from '../selection/restore-dry-run.js';
import { checksumCause, openCountedBackupFile } from './restore-checksum.js';
import type { TransferProgress } from '../job-progress.js';
import { assertFormatAvailable, binaryRemapRefused } from '../formats/binary-format.js';
import { planFileLoad, prepareRestoreFiles, type PreparedTable } from './restore-files.js';
import { RestoreIndexes, type IndexMode, type IndexRebuildSettings, type RebuiltIndex } from './index-rebuild.js';

/** How a table was loaded: raw bytes, a parsing path (and why), or the embedded database's chunks. */
export type LoadPath = TableLoadPlan['reason'] | 'embedded_chunks';

export interface RestoreRequest {
  backupPath: string;
  timestamp: string;
  tables?: string[];
  dbConnection?: string;
  /** Which request field held the connection string, for error messages. */
  dbConnectionParam?: string;
  truncateBeforeRestore?: boolean;
  signal?: AbortSignal;
  /** Async jobs: totals from the file sizes, a counting stage per table and phase changes (SPEC §7). */
  progress?: TransferProgress;
  /** Selection, renames, conflict policy and dry run (SPEC §7, src/backups/selection/). */
  include?: string[];
  exclude?: string[];
  collectionSuffix?: string;
  collectionRenames?: Record<string, string>;
  onConflict?: OnConflict;
  dryRun?: boolean;
  /** `rebuild` (default): drop the secondary indexes, load, build them again; `keep`: load through them. */
  indexMode?: IndexMode;
}

interface TableLoadResult {
  success: boolean;
  source_file: string;
  rows_restored?: number;
  file_size?: string;
  duration?: number;
  load_path?: LoadPath;
  error?: string;
}

export type TableRestoreResult = TableLoadResult & Partial<LoadCounts> & { rows_excluded?: number };

export interface RestoreResult {
  restore_performed: boolean;
  truncate_performed: boolean;
  backup_info: { backup_path: string; timestamp: string; backup_date: string };
  truncate_results: Partial<Record<VectorTable, TruncateResult>>;
  restore_results: Partial<Record<VectorTable, TableRestoreResult>>;
  /** Where each of the set's selected collections went (renamed, matched by name, created). */
  collections?: ReturnType<RestoreSelection['report']>;
  errors: string[];
  duration: number;
  /** The indexes built after the load (SPEC §7 "Index-aware restore"). */
  index_rebuilt?: RebuiltIndex[];
  /** Seconds from the start: every row loaded; every index built (both visible to others at commit). */
  timings?: { data_online_seconds: number; index_ready_seconds: number };
}

export interface VectorRestoreSettings {
  /** lock_timeout of the restore's statements, ms (LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
  indexRebuild: IndexRebuildSettings;
}

/**
 * Restores backup sets all-or-nothing: the writer lock, table creation, truncation and the COPY of
 * every requested table run in one transaction, so any failure leaves the database exactly as it was.
 * Lock waits are bounded: a TRUNCATE queued behind a reader would otherwise wait forever while
 * every new reader queues behind it (409 LOCK_TIMEOUT instead); an abort cancels the wait on the server.
 */
export class VectorRestoreService {
  constructor(
    /** The catalog of the backup store (BACKUP_STORAGE) the sets are read from. */
    private readonly catalog: BackupCatalog,
    private readonly databases: DatabaseRegistry,
    private readonly logger: Logger,
    private readonly settings: VectorRestoreSettings,
  ) {}

  async restore(request: RestoreRequest): Promise<RestoreResult | RestoreDryRunResult> {
    const started = performance.now();
    const tables = requestedTables(request.tables);
    checkTimestamp(request.timestamp);
    // Every parameter is checked before the file system is touched.
    using database = this.databases.vectorDatabase(request.dbConnection, request.dbConnectionParam);
    const { pool, copy, callerParam } = database;
    const store = this.catalog.store;
    const location = await setLocation(store, request.backupPath);
    const { include, exclude, collectionSuffix: collection_suffix, collectionRenames: collection_renames } = request;
    assertCompatible({ include, exclude, collection_suffix, collection_renames }, RESTORE_EXCLUSIVE_FIELDS);
    const { files: prepared, manifest } = await prepareRestoreFiles(this.catalog, location, tables, request.timestamp);
    const embedded = this.databases.isEmbedded(pool);
    assertFormatAvailable(prepared.some((p) => p.format === 'binary') ? 'binary' : undefined, embedded, 'restore');
    const setCollections = await setCollectionsOf(this.catalog, location, request.timestamp);
    if (request.dryRun === true) return dryRunRestore({ pool, callerParam, store, location, prepared, setCollections, request, started });
    request.progress?.expect(prepared.map((p) => ({ table: p.table, bytes: p.size })));

    const truncate = request.truncateBeforeRestore === true;
    const result: RestoreResult = {
      restore_performed: false,
      truncate_performed: false,
      backup_info: {
        backup_path: request.backupPath,
        timestamp: request.timestamp,
        backup_date: fileTimestampToDateTime(request.timestamp),
      },
      truncate_results: {},
      restore_results: {},
      errors: [],
      duration: 0,
    };
    let current: PreparedTable | undefined;
    try {
      await withTransaction(pool, async (client) => copy.withCancelOnAbort(client, request.signal, async () => {
        await client.query(setLocalLockTimeout(this.settings.lockTimeoutMs).text);
        await takeWriterLock(client);
        const columns = await ensureVectorTables(client);
        const indexes = await RestoreIndexes.begin(client, {
          mode: request.indexMode ?? 'rebuild',
          tables,
          manifestTables: manifest?.tables ?? [],
          settings: this.settings.indexRebuild,
          monitor: embedded ? null : pool,
          progress: request.progress,
          logger: this.logger,
        });
        const plans = prepared.map((p) => ({ ...p, plan: planFileLoad(p, columns.get(p.table)!) }));
        if (truncate) {
          current = undefined;
          result.truncate_results = await this.truncate(client, tables);
        }
        await indexes.prepare(client, truncate);
        const selection = await RestoreSelection.prepare(client, setCollections, request, truncate);
        result.collections = selection.report();
        for (const item of plans) {
          current = item;
          const tableStarted = performance.now();
          const target = columns.get(item.table)!;
          const plan = selection.adjustPlan(item.table, item.plan, item.format);
          // Binary rows cannot be filtered or remapped in the stream (no text to rewrite).
          if (item.format === 'binary' && plan !== item.plan) throw binaryRemapRefused(path.basename(item.file));
          // FREEZE only into the truncated table itself, never a conflict policy's staging table.
          const freeze = (into: string) => into === item.table && indexes.freeze(item.table);
          const load = (into: string) =>
            this.loadTable(copy, client, { ...item, into }, plan, target, { signal: request.signal, progress: request.progress, freeze: freeze(into) });
          const { count, path: loadPath, ...counts } = await selection.load(client, item.table, copyableColumns(target), load);
          result.restore_results[item.table] = {
            success: true,
            source_file: path.basename(item.file),
            rows_restored: count,
            ...counts,
            file_size: formatSize(item.size),
            duration: secondsSince(tableStarted),
            load_path: loadPath,
          };
        }
        const dataOnline = secondsSince(started);
        current = undefined;
        result.index_rebuilt = await indexes.rebuild(client);
        result.timings = { data_online_seconds: dataOnline, index_ready_seconds: secondsSince(started) };
        request.progress?.phase('commit');
      }));
    } catch (err) {
      throw this.restoreError(await checksumCause(err, current), result, current, started, callerParam);
    }
    result.restore_performed = true;
    result.truncate_performed = truncate;
    result.duration = secondsSince(started);
    this.logger.info(
      { component: 'vector-restore', backupPath: request.backupPath, timestamp: request.timestamp, tables, truncate },
      'vector tables restored',
    );
    return result;
  }

  private async truncate(client: PoolClient, tables: VectorTable[]): Promise<RestoreResult['truncate_results']> {
    try {
      return await truncateInTransaction(client, tables);
    } catch (err) {
      // 0A000: a foreign key from langchain_pg_embedding forbids truncating the collections alone.
      if ((err as { code?: string }).code === '0A000') {
        throw new ConflictError(
          'langchain_pg_embedding 通过外键引用 langchain_pg_collection，不能单独清空 collection 表；请同时恢复两张表',
          ERROR_TYPES.VECTOR_TRUNCATE_FAILED,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /**
   * Raw bytes into COPY when the plan allows it, retried through the parsing path from a savepoint
   * when COPY rejects a value of a JSON column (a Python literal past the sniffed rows). The
   * channel picks how the rows travel (the embedded database always parses); either way the work
   * stays inside the one transaction.
   */
  private async loadTable(
    copy: CopyChannel,
    client: PoolClient,
    item: PreparedTable & { into: string },
    plan: TableLoadPlan,
    target: readonly TableColumn[],
    { signal, progress, freeze }: { signal?: AbortSignal; progress?: TransferProgress; freeze: boolean },
  ): Promise<{ count: number; path: LoadPath }> {
    const loaded = await copy.copyTableIn(
      client,
      {
        table: item.into,
        columns: plan.columns,
        // Counted as read (rows, stored bytes); a new counter per attempt (a retry starts over).
        open: () => openCountedBackupFile(item, progress),
        transform: plan.slowTransform,
        raw: plan.transform === null,
        retryParsed: target.some((c) => c.typeName === 'json' || c.typeName === 'jsonb'),
        format: item.format,
        freeze,
        onRetry: () => this.logger.warn({ component: 'vector-restore', table: item.table }, 'raw COPY rejected a value; retrying with JSON fix-ups'),
      },
      { signal },
    );
    const loadPath = loaded.path === 'parsed' ? plan.reason : loaded.path === 'raw_rejected_parsed' ? 'python_literal_metadata' : loaded.path;
    return { count: loaded.rows, path: loadPath };
  }

  private restoreError(
    err: unknown,
    result: RestoreResult,
    current: PreparedTable | undefined,
    started: number,
    callerParam: string | undefined,
  ): AppError {
    const detail = describeError(err);
    if (current) {
      result.restore_results[current.table] = { success: false, source_file: path.basename(current.file), error: detail };
      result.errors.push(`${current.table}表恢复失败`);
    }
    const data = {
      ...result,
      truncate_results: {},
      restore_performed: false,
      truncate_performed: false,
      rolled_back: true,
      duration: secondsSince(started),
    };
    if (err instanceof AppError) {
      return Object.assign(err, { data: { ...data, ...err.data } });
    }
    return restoreFailure(err, data, current && { table: current.table, file: path.basename(current.file) }, callerParam);
  }
}
