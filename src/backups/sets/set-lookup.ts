import { ERROR_TYPES, NotFoundError, ValidationError } from '../../errors.js';
import type { BackupStore, StoreLocation, StoredFile } from '../stores/backup-store.js';
import type { BackupCatalog } from './backup-catalog.js';
import { isVectorTable, manifestFileName, TIMESTAMP_PATTERN, VECTOR_TABLES, type VectorTable } from './set-naming.js';

/**
 * Finding a backup set from a request's `backup_path`, `timestamp` and `tables`, in the backup
 * store (local or S3): the checks the restore and verify run before their work, shared with the
 * async routes, which run them before a job is queued so a request that names nothing gets the
 * same 4xx as the synchronous call.
 */

/** The tables a restore loads, collections first (embeddings reference them); a bad name is a 400. */
export function requestedTables(tables: string[] | undefined): VectorTable[] {
  if (tables === undefined) return [...VECTOR_TABLES];
  const unknown = tables.filter((t) => !isVectorTable(t));
  if (unknown.length > 0) {
    throw new ValidationError(`不支持的表名: [${unknown.map((t) => `'${t}'`).join(', ')}]`, ERROR_TYPES.INVALID_PARAMS, {
      invalidParams: ['tables'],
      details: { supported_tables: VECTOR_TABLES },
    });
  }
  if (tables.length === 0) {
    throw new ValidationError('tables参数不能为空数组，可省略以恢复全部表', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['tables'] });
  }
  return VECTOR_TABLES.filter((t) => tables.includes(t));
}

export function checkTimestamp(timestamp: string): void {
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    throw new ValidationError('无效的timestamp格式，应为YYYYMMDD_HHMMSS', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['timestamp'] });
  }
}

/** A set's location: inside the data root or S3 prefix (else 400) and existing (else 404). */
export async function setLocation(store: BackupStore, backupPath: string): Promise<StoreLocation> {
  const location = store.locations.fromBackupPath(backupPath, 'backup_path');
  if (!(await store.exists(location))) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
  return location;
}

/** The file of each table in the set (`.csv` or `.csv.gz`); any missing → 404 naming them. */
export async function findSetFiles(
  catalog: BackupCatalog,
  location: StoreLocation,
  tables: VectorTable[],
  timestamp: string,
): Promise<Array<{ table: VectorTable; stored: StoredFile }>> {
  const found = await Promise.all(tables.map(async (table) => ({ table, stored: await catalog.findFile(location, table, timestamp) })));
  const missing = found.filter(({ stored }) => stored === null).map(({ table }) => `${table}_${timestamp}.csv`);
  if (missing.length > 0) throw new NotFoundError(`备份文件不存在: ${missing.join(', ')}`);
  return found as Array<{ table: VectorTable; stored: StoredFile }>;
}

export function setNotFound(backupPath: string, timestamp: string): NotFoundError {
  return new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`, ERROR_TYPES.FILE_NOT_FOUND);
}

/** A set exists when its manifest or any of its data files does (a legacy set has no manifest). */
export async function assertSetExists(catalog: BackupCatalog, location: StoreLocation, backupPath: string, timestamp: string): Promise<void> {
  if ((await catalog.store.stat(location, manifestFileName(timestamp))) !== null) return;
  const files = await Promise.all(VECTOR_TABLES.map((table) => catalog.findFile(location, table, timestamp)));
  if (files.every((f) => f === null)) throw setNotFound(backupPath, timestamp);
}

/**
 * The location of `taskId`'s sets (or the global one) for a backup, upload or prune; an unknown task
 * → 404 on every store (BackupLocations.taskLocation).
 */
export async function backupLocation(store: BackupStore, taskId: string | undefined): Promise<StoreLocation> {
  if (taskId === undefined) return store.locations.global();
  const location = await store.locations.taskLocation(taskId);
  if (location === null) throw new NotFoundError(`指定的任务目录不存在: ${taskId}`);
  return location;
}
