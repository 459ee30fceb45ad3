import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CopyChannel } from '../../db/copy.js';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import { withTransaction, type PoolClient } from '../../db/pool.js';
import { setLocalLockTimeout } from '../../db/sql/vector-tables.sql.js';
import { AppError, ConflictError, ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { formatSize } from '../../lib/format-size.js';
import { fileTimestampToDateTime, secondsSince } from '../../lib/time.js';
import type { Logger } from '../../logger.js';
import { readCsvHead } from '../../streams/csv-rows.js';
import type { VectorTable } from '../sets/set-naming.js';
import { checkTimestamp, findSetFiles, requestedTables, restoreSourceDir } from '../sets/set-lookup.js';
import type { BackupCatalog } from '../sets/backup-catalog.js';
import type { DataRoot } from '../../lib/data-root.js';
import { describeError, restoreFailure } from './restore-failure.js';
import { planTableLoad, type TableLoadPlan } from './restore-plan.js';
import type { TruncateResult } from '../sets/backup-result.js';
import { takeWriterLock, truncateInTransaction } from '../writer-lock.js';
import { ensureVectorTables, type TableColumn } from '../langchain-tables.js';
import { attachChecksums, checksumCause, openCountedBackupFile } from './restore-checksum.js';
import type { TransferProgress } from '../job-progress.js';

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
}

export interface TableRestoreResult {
  success: boolean;
  source_file: string;
  rows_restored?: number;
  file_size?: string;
  duration?: number;
  load_path?: LoadPath;
  error?: string;
}

export interface RestoreResult {
  restore_performed: boolean;
  truncate_performed: boolean;
  backup_info: { backup_path: string; timestamp: string; backup_date: string };
  truncate_results: Partial<Record<VectorTable, TruncateResult>>;
  restore_results: Partial<Record<VectorTable, TableRestoreResult>>;
  errors: string[];
  duration: number;
}

/** Rows read from each file before the load to decide between the raw and the parsing path. */
const SNIFF_ROWS = 50;

interface PreparedTable {
  table: VectorTable;
  file: string;
  header: string[];
  sample: (string | null)[][];
  size: number;
  /** From the set's manifest: checked while the file loads (legacy sets: none). */
  sha256?: string;
}

export interface VectorRestoreSettings {
  /** lock_timeout of the restore's statements, ms (LOCK_TIMEOUT_MS). */
  lockTimeoutMs: number;
}

/**
 * Restores backup sets all-or-nothing: the writer lock, table creation, truncation and the COPY of
 * every requested table run in one transaction, so any failure leaves the database exactly as it was.
 * Lock waits are bounded: a TRUNCATE queued behind a reader would otherwise wait forever while
 * every new reader queues behind it (409 LOCK_TIMEOUT instead); an abort cancels the wait on the server.
 */
export class VectorRestoreService {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly catalog: BackupCatalog,
    private readonly databases: DatabaseRegistry,
    private readonly logger: Logger,
    private readonly settings: VectorRestoreSettings,
  ) {}

  async restore(request: RestoreRequest): Promise<RestoreResult> {
    const started = performance.now();
    const tables = requestedTables(request.tables);
    checkTimestamp(request.timestamp);
    // Every parameter is checked before the file system is touched.
    using database = this.databases.vectorDatabase(request.dbConnection, request.dbConnectionParam);
    const { pool, copy, callerParam } = database;
    const dir = restoreSourceDir(this.dataRoot, request.backupPath);
    const prepared = await this.prepareFiles(dir, tables, request.timestamp);
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
        const plans = prepared.map((p) => ({ ...p, plan: planTableLoad(path.basename(p.file), p.header, p.sample, columns.get(p.table)!) }));
        if (truncate) {
          current = undefined;
          result.truncate_results = await this.truncate(client, tables);
        }
        for (const item of plans) {
          current = item;
          const tableStarted = performance.now();
          const rows = await this.loadTable(copy, client, item, item.plan, columns.get(item.table)!, request.signal, request.progress);
          result.restore_results[item.table] = {
            success: true,
            source_file: path.basename(item.file),
            rows_restored: rows.count,
            file_size: formatSize(item.size),
            duration: secondsSince(tableStarted),
            load_path: rows.path,
          };
        }
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

  private async prepareFiles(dir: string, tables: VectorTable[], timestamp: string): Promise<PreparedTable[]> {
    const checked = await attachChecksums(dir, timestamp, await findSetFiles(this.catalog, dir, tables, timestamp));
    return Promise.all(
      checked.map(async (item) => {
        const name = path.basename(item.file);
        // A file that cannot even be sniffed is reported as corrupt when its checksum says so.
        const head = await readCsvHead(item.file, SNIFF_ROWS).catch(async (err: Error) => {
          throw await checksumCause(new UnprocessableError(`备份文件 ${name} 无法解析: ${err.message}`, ERROR_TYPES.VECTOR_RESTORE_FAILED), item);
        });
        if (head.header.length === 0) throw new UnprocessableError(`备份文件 ${name} 为空或缺少表头`, ERROR_TYPES.VECTOR_RESTORE_FAILED);
        const size = (await fsp.stat(item.file)).size;
        return { ...item, header: head.header, sample: head.rows, size };
      }),
    );
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
    item: PreparedTable,
    plan: TableLoadPlan,
    target: readonly TableColumn[],
    signal: AbortSignal | undefined,
    progress: TransferProgress | undefined,
  ): Promise<{ count: number; path: LoadPath }> {
    const loaded = await copy.copyTableIn(
      client,
      {
        table: item.table,
        columns: plan.columns,
        // Counted as read (rows, stored bytes); a new counter per attempt (a retry starts over).
        open: () => openCountedBackupFile(item, progress),
        transform: plan.slowTransform,
        raw: plan.transform === null,
        retryParsed: target.some((c) => c.typeName === 'json' || c.typeName === 'jsonb'),
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
