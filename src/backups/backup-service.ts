import type { DatabaseRegistry } from '../db/database-registry.js';
import { backupLocation } from './sets/set-lookup.js';
import { withTransaction, type PoolClient } from '../db/pool.js';
import { lockVectorTablesForRead, lockVectorTablesShared, setLocalLockTimeout } from '../db/sql/vector-tables.sql.js';
import { fromPgError } from '../error-map.js';
import { AppError, ERROR_TYPES, InternalError, NotFoundError } from '../errors.js';
import { openFile, type OpenFile } from '../lib/durable-dir.js';
import { formatSize } from '../lib/format-size.js';
import { secondsSince } from '../lib/time.js';
import type { Logger } from '../logger.js';
import { createChunkBatcher } from '../streams/chunk-batcher.js';
import { appendStoredBackupLog } from './sets/backup-log.js';
import type { BackupResult } from './sets/backup-result.js';
import { TRUNCATED_BY_BACKUP, VECTOR_TABLES, type BackupFormat } from './sets/set-naming.js';
import { assertFormatAvailable } from './formats/binary-format.js';
import type { DataRoot } from '../lib/data-root.js';
import { copyableColumns, readVectorTableColumns } from './langchain-tables.js';
import type { Compression } from './sets/backup-manifest.js';
import { BackupSetRecorder } from './sets/backup-set-recorder.js';
import { applyKeepLast } from './sets/retention.js';
import { estimateBackupTotals, type TransferProgress } from './job-progress.js';
import { takeWriterLock, truncateInTransaction } from './writer-lock.js';
import { resolveBackupCollections } from './selection/backup-selection.js';
import { BackupLocations, type BackupStore, type PendingStoreWrite } from './stores/backup-store.js';
import { LocalBackupStore } from './stores/local-backup-store.js';
import { reserveSetStamp } from './sets/stamp-reservation.js';
import { assertCompatible, BACKUP_EXCLUSIVE_FIELDS } from './selection/selection-fields.js';

export interface BackupRequest {
  taskId?: string;
  dbConnection?: string;
  backupVectorTables?: boolean;
  truncateVectorTables?: boolean;
  signal?: AbortSignal;
  /** Manifest and retention (SPEC §7): `.csv.gz` files, a label, keep the newest N sets of the location. */
  compression?: Compression;
  /** `binary`: PostgreSQL binary COPY files (`.bin`), restored without text parsing (network databases). */
  format?: BackupFormat;
  label?: string;
  keepLast?: number;
  /** Async jobs: totals, a counting stage per table and phase changes (SPEC §7 progress). */
  progress?: TransferProgress;
  /** Only these collections (by name, `*` wildcard), or all but these (SPEC §7 selection). */
  include?: string[];
  exclude?: string[];
}

export interface VectorBackupSettings {
  /** lock_timeout of the backup's LOCK TABLE, ms (LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
  /** Background fdatasync interval of the backup files, bytes (default: the sink's, 32 MiB). */
  syncEveryBytes?: number;
}

/**
 * Backs up both LangChain tables with COPY TO in one REPEATABLE READ snapshot, through the backup
 * store: each table streams into a pending write (a temp file, or a multipart upload) committed
 * only when every table is complete, and aborted on any failure or cancel. Both tables are locked
 * before the snapshot is taken, so a restore's TRUNCATE can never commit between the snapshot and the COPY (which
 * would make the backup silently empty). With truncate, the embeddings are cleared in the same
 * transaction, after the files and their directory entries are on disk: rows written by others
 * meanwhile are blocked by a SHARE lock, so nothing is truncated that is not in the backup.
 */
export class VectorBackupService {
  constructor(
    dataRoot: DataRoot,
    private readonly databases: DatabaseRegistry,
    private readonly logger: Logger,
    private readonly settings: VectorBackupSettings,
    /** Opens the backup files and directories (tests pass real handles with injected faults). */
    open: OpenFile = openFile,
    /** Where sets are written (BACKUP_STORAGE); by default the data root through `open`. */
    private readonly store: BackupStore = new LocalBackupStore(new BackupLocations(dataRoot), open, settings.syncEveryBytes),
  ) {}

  async backup(request: BackupRequest): Promise<BackupResult> {
    const started = performance.now();
    const truncate = request.truncateVectorTables === true;
    // Truncate implies backup (SPEC §5): never clear what was not saved first.
    const backup = request.backupVectorTables !== false || truncate;
    if (!backup) {
      return { backup_performed: false, truncate_performed: false, tables_backed_up: {}, truncate_results: {}, errors: [], duration: 0 };
    }
    assertCompatible({ include: request.include, exclude: request.exclude, truncate_vector_tables: truncate || undefined }, BACKUP_EXCLUSIVE_FIELDS);
    using database = this.databases.vectorDatabase(request.dbConnection);
    // Network COPY, or the embedded database's bounded batches: the channel picks.
    const { pool, copy, callerParam } = database;
    assertFormatAvailable(request.format, this.databases.isEmbedded(pool), 'backup');
    // Real paths checked at use (local store): a task directory or vector_bak/ linked outside the
    // root is refused here, before a file is created (mkdir -p would follow the link and write out).
    const location = await backupLocation(this.store, request.taskId);
    if (this.store instanceof LocalBackupStore) await this.store.ensureDir(location, request.taskId !== undefined ? 'task_id' : 'backup_path');
    const { stamp, release } = await reserveSetStamp(this.store, location, this.databases);
    const { compression, label, format } = request;
    const set = new BackupSetRecorder({ store: this.store, location, timestamp: stamp, compression, format, label, databaseLabel: database.label });

    const tables: BackupResult['tables_backed_up'] = {};
    const truncateResults: BackupResult['truncate_results'] = {};
    const writes: PendingStoreWrite[] = [];
    // A cancel while the last bytes are still uploading (the COPY done, commit() waiting on the
    // store) fails those writes at once instead of letting them complete into a set.
    const abortWrites = () => void Promise.all(writes.map((w) => w.abort().catch(() => undefined)));
    request.signal?.addEventListener('abort', abortWrites, { once: true });
    try {
      await withTransaction(
        pool,
        async (client) => copy.withCancelOnAbort(client, request.signal, async () => {
          await this.lockTables(client, truncate);
          const columns = await readVectorTableColumns(client);
          const missing = VECTOR_TABLES.filter((t) => !columns.has(t));
          if (missing.length > 0) throw new NotFoundError(`向量表不存在: ${missing.join(', ')}`);
          if (request.progress) await estimateBackupTotals(client, request.progress, VECTOR_TABLES);
          const selected = await resolveBackupCollections(client, request);
          for (const table of VECTOR_TABLES) {
            const tableStarted = performance.now();
            const name = set.fileName(table);
            const write = await this.store.createWrite(location, name);
            writes.push(write);
            const copyColumns = copyableColumns(columns.get(table)!);
            const counter = request.progress ? [request.progress.counter(table, { format: set.format })] : [];
            const stages = [
              createChunkBatcher(),
              ...counter,
              ...set.stages(table),
              write.stream,
            ];
            const rows = await copy.copyTableOut(client, table, copyColumns, stages, { signal: request.signal, rowFilter: selected?.rowFilter(table), format: set.format });
            const recorded = set.recordTable(table, rows, columns.get(table)!);
            tables[table] = { success: true, row_count: rows, file_size: formatSize(recorded.bytes), backup_file: name, duration: secondsSince(tableStarted), ...recorded };
          }
          await set.readSnapshotFacts(client, columns, selected?.uuids);
          request.progress?.phase('commit');
          // Durable before the TRUNCATE can commit: a crash must never leave the rows gone and the set unnamed.
          for (const write of writes) await write.commit();
          request.signal?.throwIfAborted();
          // The manifest last, as the set's commit marker; before the TRUNCATE, which it must cover.
          await set.commit();
          if (truncate) Object.assign(truncateResults, await truncateInTransaction(client, TRUNCATED_BY_BACKUP));
        }),
        truncate ? { isolation: 'REPEATABLE READ' } : { isolation: 'REPEATABLE READ', readOnly: true },
      );
    } catch (err) {
      // Pending writes leave nothing (no temp file, no multipart upload); committed ones are deleted.
      await Promise.all(writes.map((w) => w.abort().catch(() => undefined)));
      await set.discardUncommitted().catch(() => undefined);
      throw this.backupError(err, tables, callerParam);
    } finally {
      request.signal?.removeEventListener('abort', abortWrites);
      await release();
    }

    const result: BackupResult = {
      backup_performed: true,
      truncate_performed: truncate,
      tables_backed_up: tables,
      truncate_results: truncateResults,
      errors: [],
      backup_directory: location.relativePath,
      backup_timestamp: stamp,
      duration: secondsSince(started),
      ...set.summary(),
    };
    await appendStoredBackupLog(this.store, location, request.taskId ?? 'global', result);
    if (request.keepLast !== undefined) result.pruned_sets = await applyKeepLast(this.store, location, request.keepLast);
    this.logger.info({ component: 'vector-backup', dir: result.backup_directory, store: this.store.kind, stamp, truncate }, 'vector tables backed up');
    return result;
  }

  /**
   * LOCK TABLE must come first: in REPEATABLE READ the snapshot is taken by the first statement
   * that needs one (SET and LOCK do not). Locked before it, no TRUNCATE (restore) can commit after
   * the snapshot, and with truncate no writer either. ACCESS SHARE for a plain backup blocks only
   * TRUNCATE/DROP; SHARE for a truncating one blocks every writer. Both wait at most lock_timeout.
   */
  private async lockTables(client: PoolClient, truncate: boolean): Promise<void> {
    await client.query(setLocalLockTimeout(this.settings.lockTimeoutMs).text);
    try {
      await client.query((truncate ? lockVectorTablesShared() : lockVectorTablesForRead()).text);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') throw new NotFoundError(`向量表不存在: ${VECTOR_TABLES.join(', ')}`);
      throw err;
    }
    if (!truncate) return;
    await takeWriterLock(client);
  }

  private backupError(err: unknown, tables: BackupResult['tables_backed_up'], callerParam: string | undefined): AppError {
    if (err instanceof AppError) return err;
    const data = { tables_backed_up: tables, errors: ['部分表备份失败'], backup_performed: false };
    const message = `Vector表备份失败: ${(err as Error).message}`;
    // SPEC §3 by SQLSTATE/errno: unreachable → 503, a caller's connection string refused → 400, lock_timeout → 409.
    return (
      fromPgError(err, { message, errorType: ERROR_TYPES.VECTOR_BACKUP_FAILED, data, callerParam }) ??
      new InternalError(message, ERROR_TYPES.VECTOR_BACKUP_FAILED, { cause: err, data })
    );
  }
}
