import fsp from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES, NotFoundError, ValidationError } from '../../errors.js';
import { isDirectory, type DataRoot } from '../../lib/data-root.js';
import type { BackupCatalog } from './backup-catalog.js';
import { isVectorTable, manifestFileName, TIMESTAMP_PATTERN, VECTOR_TABLES, type VectorTable } from './set-naming.js';

/**
 * Finding a backup set from a request's `backup_path`, `timestamp` and `tables`: the checks the
 * restore and verify run before their work, shared with the async routes, which run them before a
 * job is queued so a request that names nothing gets the same 4xx as the synchronous call.
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

/** A restore's backup directory: inside the data root (else 400) and existing (else 404). */
export function restoreSourceDir(dataRoot: DataRoot, backupPath: string): string {
  const dir = dataRoot.resolveUserPath(backupPath, 'backup_path');
  if (!isDirectory(dir)) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
  return dir;
}

/** The file of each table in the set (`.csv` or `.csv.gz`); any missing → 404 naming them. */
export async function findSetFiles(catalog: BackupCatalog, dir: string, tables: VectorTable[], timestamp: string): Promise<Array<{ table: VectorTable; file: string }>> {
  const found = await Promise.all(tables.map(async (table) => ({ table, file: await catalog.findFile(dir, table, timestamp) })));
  const missing = found.filter(({ file }) => file === null).map(({ table }) => `${table}_${timestamp}.csv`);
  if (missing.length > 0) throw new NotFoundError(`备份文件不存在: ${missing.join(', ')}`);
  return found as Array<{ table: VectorTable; file: string }>;
}

/** A verify's set directory: its real path inside the data root (a link out → 400), existing (else 404). */
export async function verifySetDir(dataRoot: DataRoot, backupPath: string): Promise<string> {
  const resolved = dataRoot.resolveUserPath(backupPath, 'backup_path');
  const dir = await dataRoot.realInside(resolved, 'backup_path');
  if (dir === null || !isDirectory(dir)) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
  return dir;
}

export function setNotFound(backupPath: string, timestamp: string): NotFoundError {
  return new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`, ERROR_TYPES.FILE_NOT_FOUND);
}

/** A set exists when its manifest or any of its data files does (a legacy set has no manifest). */
export async function assertSetExists(catalog: BackupCatalog, dir: string, backupPath: string, timestamp: string): Promise<void> {
  if (await fsp.stat(path.join(dir, manifestFileName(timestamp))).then((s) => s.isFile(), () => false)) return;
  const files = await Promise.all(VECTOR_TABLES.map((table) => catalog.findFile(dir, table, timestamp)));
  if (files.every((f) => f === null)) throw setNotFound(backupPath, timestamp);
}

/** Where a backup of `taskId` (or the global one) goes: the task's real directory; a missing task → 404. */
export async function backupParentDir(dataRoot: DataRoot, taskId: string | undefined): Promise<string> {
  if (taskId === undefined) return dataRoot.dir;
  const dir = await dataRoot.realTaskDir(taskId);
  if (dir === null) throw new NotFoundError(`指定的任务目录不存在: ${taskId}`);
  return dir;
}
