import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseRegistry } from '../db/database-registry.js';
import { withTransaction, type PoolClient } from '../db/pool.js';
import { lockVectorTablesForRead, lockVectorTablesShared, setLocalLockTimeout } from '../db/sql/vector-tables.sql.js';
import { fromPgError } from '../error-map.js';
import { AppError, ERROR_TYPES, InternalError, NotFoundError } from '../errors.js';
import { openFile, syncDirectory, type OpenFile } from '../lib/durable-dir.js';
import { formatSize } from '../lib/format-size.js';
import { fileTimestamp, secondsSince } from '../lib/time.js';
import type { Logger } from '../logger.js';
import { createChunkBatcher } from '../streams/chunk-batcher.js';
import { createDurableFileSink } from '../streams/durable-file-sink.js';
import { appendBackupLog } from './sets/backup-log.js';
import type { BackupResult } from './sets/backup-result.js';
import { backupDirOf, isFileOfSet, TRUNCATED_BY_BACKUP, VECTOR_TABLES, type BackupFormat } from './sets/set-naming.js';
import { assertFormatAvailable } from './formats/binary-format.js';
import type { DataRoot } from '../lib/data-root.js';
import { copyableColumns, readVectorTableColumns } from './langchain-tables.js';
import type { Compression } from './sets/backup-manifest.js';
import { BackupSetRecorder } from './sets/backup-set-recorder.js';
import { applyKeepLast } from './sets/retention.js';
import { estimateBackupTotals, type TransferProgress } from './job-progress.js';
import { takeWriterLock, truncateInTransaction } from './writer-lock.js';

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
}

export interface VectorBackupSettings {
  /** lock_timeout of the backup's LOCK TABLE, ms (LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
  /** Background fdatasync interval of the backup files, bytes (default: the sink's, 32 MiB). */
  syncEveryBytes?: number;
}

/**
 * Backs up both LangChain tables with COPY TO in one REPEATABLE READ snapshot, into `.tmp` files
 * that are renamed only when every table is complete. Both tables are locked before the snapshot
 * is taken, so a restore's TRUNCATE can never commit between the snapshot and the COPY (which
 * would make the backup silently empty). With truncate, the embeddings are cleared in the same
 * transaction, after the files and their directory entries are on disk: rows written by others
 * meanwhile are blocked by a SHARE lock, so nothing is truncated that is not in the backup.
 */
export class VectorBackupService {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly databases: DatabaseRegistry,
    private readonly logger: Logger,
    private readonly settings: VectorBackupSettings,
    /** Opens the backup files and directories (tests pass real handles with injected faults). */
    private readonly open: OpenFile = openFile,
  ) {}

  async backup(request: BackupRequest): Promise<BackupResult> {
    const started = performance.now();
    const truncate = request.truncateVectorTables === true;
    // Truncate implies backup (SPEC §5): never clear what was not saved first.
    const backup = request.backupVectorTables !== false || truncate;
    if (!backup) {
      return { backup_performed: false, truncate_performed: false, tables_backed_up: {}, truncate_results: {}, errors: [], duration: 0 };
    }
    using database = this.databases.vectorDatabase(request.dbConnection);
    // Network COPY, or the embedded database's bounded batches: the channel picks.
    const { pool, copy, callerParam } = database;
    assertFormatAvailable(request.format, this.databases.isEmbedded(pool), 'backup');
    // Real paths checked at use: a task directory or vector_bak/ linked outside the root is refused
    // here, before a file is created (mkdir -p would follow the link and write three files out).
    const parentDir = request.taskId !== undefined ? await this.dataRoot.realTaskDir(request.taskId) : this.dataRoot.dir;
    if (parentDir === null) throw new NotFoundError(`指定的任务目录不存在: ${request.taskId}`);
    const dir = await this.dataRoot.ensureDir(backupDirOf(parentDir), request.taskId !== undefined ? 'task_id' : undefined, this.open);
    const { stamp, release } = await reserveTimestamp(dir);
    const { compression, label, format } = request;
    const set = new BackupSetRecorder({ dir, timestamp: stamp, compression, format, label, databaseLabel: database.label, open: this.open });

    const tables: BackupResult['tables_backed_up'] = {};
    const truncateResults: BackupResult['truncate_results'] = {};
    const tmpFiles: string[] = [];
    try {
      await withTransaction(
        pool,
        async (client) => copy.withCancelOnAbort(client, request.signal, async () => {
          await this.lockTables(client, truncate);
          const columns = await readVectorTableColumns(client);
          const missing = VECTOR_TABLES.filter((t) => !columns.has(t));
          if (missing.length > 0) throw new NotFoundError(`向量表不存在: ${missing.join(', ')}`);
          if (request.progress) await estimateBackupTotals(client, request.progress, VECTOR_TABLES);
          for (const table of VECTOR_TABLES) {
            const tableStarted = performance.now();
            const name = set.fileName(table);
            const tmp = path.join(dir, `${name}.tmp`);
            tmpFiles.push(tmp);
            const copyColumns = copyableColumns(columns.get(table)!);
            const counter = request.progress ? [request.progress.counter(table, set.format)] : [];
            const stages = [
              createChunkBatcher(),
              ...counter,
              ...set.stages(table),
              createDurableFileSink(tmp, { open: this.open, syncEveryBytes: this.settings.syncEveryBytes }),
            ];
            const rows = await copy.copyTableOut(client, table, copyColumns, stages, { signal: request.signal, format: set.format });
            const size = (await fsp.stat(tmp)).size;
            const recorded = set.recordTable(table, rows, columns.get(table)!);
            tables[table] = { success: true, row_count: rows, file_size: formatSize(size), backup_file: name, duration: secondsSince(tableStarted), ...recorded };
          }
          await set.readSnapshotFacts(client, columns);
          request.progress?.phase('commit');
          // Durable before the TRUNCATE can commit: a crash must never leave the rows gone and the set unnamed.
          await publishFiles(dir, tmpFiles, this.open);
          // The manifest last, as the set's commit marker; before the TRUNCATE, which it must cover.
          await set.commit();
          if (truncate) Object.assign(truncateResults, await truncateInTransaction(client, TRUNCATED_BY_BACKUP));
        }),
        truncate ? { isolation: 'REPEATABLE READ' } : { isolation: 'REPEATABLE READ', readOnly: true },
      );
    } catch (err) {
      await Promise.all(tmpFiles.map((f) => fsp.rm(f, { force: true })));
      await set.discardUncommitted();
      throw this.backupError(err, tables, callerParam);
    } finally {
      await release();
    }

    const result: BackupResult = {
      backup_performed: true,
      truncate_performed: truncate,
      tables_backed_up: tables,
      truncate_results: truncateResults,
      errors: [],
      backup_directory: this.dataRoot.relativeToCwd(dir),
      backup_timestamp: stamp,
      duration: secondsSince(started),
      ...set.summary(),
    };
    await appendBackupLog(dir, request.taskId ?? 'global', result);
    if (request.keepLast !== undefined) result.pruned_sets = await applyKeepLast(dir, request.keepLast, this.open);
    this.logger.info({ component: 'vector-backup', dir: result.backup_directory, stamp, truncate }, 'vector tables backed up');
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

/**
 * The sinks synced the data before finishing: renaming publishes complete files only. The
 * directory fsync then makes the new names durable (fdatasync of a file does not cover its name).
 */
async function publishFiles(dir: string, tmpFiles: readonly string[], open: OpenFile): Promise<void> {
  for (const tmp of tmpFiles) await fsp.rename(tmp, tmp.replace(/\.tmp$/, ''));
  await syncDirectory(dir, open);
}

/**
 * Reserves a stamp no set in `dir` uses yet, with an exclusively created marker file: two backups
 * in the same second (other server processes included) never write the same files.
 */
async function reserveTimestamp(dir: string): Promise<{ stamp: string; release: () => Promise<void> }> {
  for (;;) {
    const stamp = fileTimestamp();
    const names = await fsp.readdir(dir);
    if (!names.some((n) => isFileOfSet(n, stamp))) {
      const marker = path.join(dir, `.backup_${stamp}.lock`);
      const handle = await fsp.open(marker, 'wx').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return null;
        throw err;
      });
      if (handle) {
        await handle.close();
        return { stamp, release: () => fsp.rm(marker, { force: true }) };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
  }
}
