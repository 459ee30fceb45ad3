import fs from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { copyFileAtomic, writeFileAtomic } from '../lib/atomic-file.js';
import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import { TABLE_LIST_NAME } from './task-dir.js';
import { parseTableList } from './table-list.js';
import type { BackupCatalog, BackupSetEntry } from '../backups/backup-catalog.js';
import { BACKUP_DIR_NAME } from '../backups/set-naming.js';
import type { DataRoot } from '../lib/data-root.js';
import type { TaskLookup } from './task-lookup.js';
import { backupCopy, realDirInside, regularFilesIn, resolveInside, subdirectoriesIn } from './task-dir-reader.js';
import { contentTypeOf, downloadUrl, PAIR_FILE_SUFFIX } from './file-kinds.js';
import { createdAt, toItems, totals, type DirectoryTotals, type TaskFileItem } from './file-listing.js';
import { assertSafeUploadName, assertTableListExtension, assertUploadExtension, parseDownloadName } from './file-names.js';
import {
  checkTableListText,
  decodeText,
  isTableListComment,
  renderTableList,
  splitTableNames,
  type TextEncodingName,
} from './text-decoding.js';

export type { DirectoryTotals, TaskFileItem } from './file-listing.js';

export interface FileLimits {
  /** Largest table-list upload, bytes (original: 2 MiB). */
  tableListBytes: number;
  /** Largest generic upload into a task dir, bytes (original: 10 MiB). */
  uploadBytes: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_FILE_LIMITS: FileLimits = Object.freeze({ tableListBytes: 2 * MiB, uploadBytes: 10 * MiB });

/** The original's 413 text for a table list, `文件大小超过限制: 2MB`. */
export function tableListTooLargeMessage(limitBytes: number): string {
  return `文件大小超过限制: ${+(limitBytes / MiB).toFixed(1)}MB`;
}

export const OVERWRITE_MODES = ['backup', 'replace', 'skip'] as const;
export type OverwriteMode = (typeof OVERWRITE_MODES)[number];

/** The original numbered `_bak<N>` copies from 1 and gave up after 1000. */
const MAX_BACKUP_VERSION = 1000;
const MAX_TABLES = 1000;
const FILE_BAK_DIR = /^file_bak_/;

export type BackupSetListing = BackupSetEntry & {
  collection_download_url: string;
  embedding_download_url: string;
  log_download_url: string | null;
};

export type TaskFileListing = {
  task_id: string;
  files: TaskFileItem[];
  directory_info: DirectoryTotals;
  total_files: number;
  total_size: number;
  total_size_human: string;
  /** The task's vector backups: complete sets plus every file, as a nested listing. */
  vector_bak: DirectoryTotals & { backup_sets: BackupSetListing[]; files: TaskFileItem[] };
  /** `file_bak_<ts>` directories that complete runs moved earlier artifacts into. */
  backup_directories: string[];
};

export type DownloadTarget = { path: string; size: number; contentType: string; fileName: string };

/**
 * Files of one task directory: listing, downloads, the table list and uploads. Every path comes
 * from DataRoot plus a validated plain name, and every read follows symlinks only inside the
 * task directory. Temp uploads handed in by the HTTP layer are always deleted here.
 */
export class FileService {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly tasks: TaskLookup,
    private readonly catalog: BackupCatalog,
    private readonly limits: FileLimits,
  ) {}

  /** 400 for a malformed id, 404 `任务不存在` when no task row has it. */
  async assertTaskExists(taskId: string): Promise<void> {
    this.dataRoot.assertTaskId(taskId);
    if (!(await this.tasks.exists(taskId))) {
      throw new NotFoundError(`任务不存在: ${taskId}`, ERROR_TYPES.TASK_NOT_FOUND);
    }
  }

  /** Early rejection for the multipart parser, so a wrong file is never spooled to disk. */
  assertTableListFileName(name: string): void {
    if (!name) throw new ValidationError('请选择有效的文件', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    assertTableListExtension(name);
  }

  assertUploadFileName(name: string): void {
    if (!name) throw new ValidationError('请选择有效的文件', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    assertSafeUploadName(name);
    assertUploadExtension(name);
  }

  async listFiles(taskId: string): Promise<TaskFileListing> {
    const taskDir = this.dataRoot.taskDir(taskId);
    const realDir = await this.realTaskDir(taskDir);
    // A directory without a row (e.g. a CLI `manual_…` run) is still listed; neither → 404.
    if (!realDir) await this.assertTaskExists(taskId);

    const topLevel = realDir ? toItems(taskId, await regularFilesIn(realDir, realDir), null) : [];
    const primary = topLevel.find((f) => f.file_name.endsWith(PAIR_FILE_SUFFIX));
    if (primary) primary.is_primary = true;

    const backupDir = path.join(taskDir, BACKUP_DIR_NAME);
    // The fence stays the task dir: a vector_bak/ symlinked elsewhere is not listed at all.
    const realBackupDir = realDir ? await realDirInside(realDir, path.join(realDir, BACKUP_DIR_NAME)) : null;
    const backupFiles =
      realDir && realBackupDir ? toItems(taskId, await regularFilesIn(realBackupDir, realDir), BACKUP_DIR_NAME) : [];
    // The guide (§8.2) finds backup files with `.data.files[] | select(.file_name | contains("langchain_"))`:
    // they are listed here too, named by their path inside the task directory.
    const files = [...topLevel, ...backupFiles.map((f) => ({ ...f, file_name: `${BACKUP_DIR_NAME}/${f.file_name}` }))].sort(
      (a, b) => Date.parse(b.modified_at) - Date.parse(a.modified_at),
    );
    const directoryInfo = totals(Boolean(realDir), this.dataRoot.relativeToCwd(taskDir), files);
    const sets = realBackupDir ? await this.catalog.setsIn(realBackupDir) : [];
    const url = (name: string) => downloadUrl(taskId, name, BACKUP_DIR_NAME);

    return {
      task_id: taskId,
      files,
      directory_info: directoryInfo,
      total_files: directoryInfo.total_files,
      total_size: directoryInfo.total_size,
      total_size_human: directoryInfo.total_size_human,
      vector_bak: {
        ...totals(Boolean(realBackupDir), this.dataRoot.relativeToCwd(backupDir), backupFiles),
        backup_sets: sets.map((set) => ({
          ...set,
          collection_download_url: url(set.collection_file),
          embedding_download_url: url(set.embedding_file),
          log_download_url: set.log_file ? url(set.log_file) : null,
        })),
        files: backupFiles,
      },
      backup_directories: realDir ? await subdirectoriesIn(realDir, FILE_BAK_DIR) : [],
    };
  }

  /** A file to stream: directly in the task dir or in its `vector_bak/`, never behind a symlink out. */
  async openDownload(taskId: string, fileName: string): Promise<DownloadTarget> {
    const taskDir = this.dataRoot.taskDir(taskId);
    const { subdir, name } = parseDownloadName(fileName);
    const realDir = await this.realTaskDir(taskDir);
    if (!realDir) await this.assertTaskExists(taskId);
    const resolved = realDir
      ? await resolveInside(realDir, path.join(realDir, ...(subdir ? [subdir] : []), name))
      : ({ kind: 'missing' } as const);
    switch (resolved.kind) {
      case 'missing':
        throw new NotFoundError(`文件不存在: ${fileName}`, ERROR_TYPES.FILE_NOT_FOUND);
      case 'outside':
        throw new ValidationError('非法的文件路径', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file_name'] });
      case 'not-file':
        throw new ValidationError(`路径不是有效文件: ${fileName}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file_name'] });
    }
    const readable = await fs.access(resolved.path, fs.constants.R_OK).then(() => true, () => false);
    if (!readable) throw new ValidationError('文件不可读', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file_name'] });
    return { path: resolved.path, size: resolved.stat.size, contentType: contentTypeOf(name), fileName: name };
  }

  /**
   * Checks in the original's order (§3.11), then stores the list as UTF-8 whatever it arrived in,
   * so the pipeline (UTF-8 only) can read a GBK upload. `tempFile` is deleted in every case.
   */
  async uploadTableList(taskId: string, tempFile: string, originalName: string) {
    try {
      await this.assertTaskExists(taskId);
      this.assertTableListFileName(originalName);
      const { text, encoding } = await this.readTextUpload(tempFile, {
        limit: this.limits.tableListBytes,
        tooLarge: tableListTooLargeMessage(this.limits.tableListBytes),
        empty: '文件为空，请选择有效的表清单文件',
      });
      const tables = checkTableListText(text);
      const realDir = await this.ensureTaskDir(taskId);
      const file = path.join(realDir, TABLE_LIST_NAME);
      await writeFileAtomic(file, text);
      const stat = await fs.stat(file);
      return {
        task_id: taskId,
        filename: TABLE_LIST_NAME,
        file_name: TABLE_LIST_NAME,
        file_path: this.dataRoot.relativeToCwd(path.join(this.dataRoot.taskDir(taskId), TABLE_LIST_NAME)),
        file_size: stat.size,
        file_size_formatted: formatSize(stat.size),
        upload_time: localIsoTimestamp(stat.mtime),
        original_filename: originalName,
        source_encoding: encoding,
        table_count: tables.length,
        tables,
      };
    } finally {
      await fs.rm(tempFile, { force: true });
    }
  }

  /** What `table_list.txt` holds, read with the one parser the pipeline uses. */
  async tableListInfo(taskId: string) {
    const taskDir = this.dataRoot.taskDir(taskId);
    const realDir = await this.realTaskDir(taskDir);
    if (!realDir) await this.assertTaskExists(taskId);
    const relativePath = this.dataRoot.relativeToCwd(path.join(taskDir, TABLE_LIST_NAME));
    const resolved = realDir ? await resolveInside(realDir, path.join(realDir, TABLE_LIST_NAME)) : ({ kind: 'missing' } as const);
    const names = { file_name: TABLE_LIST_NAME, filename: TABLE_LIST_NAME };
    if (resolved.kind !== 'file') {
      return {
        task_id: taskId,
        has_file: false,
        has_table_list: false,
        exists: false,
        ...names,
        expected_path: relativePath,
        table_count: 0,
        table_names: [] as string[],
        tables: [] as string[],
        ...(resolved.kind === 'missing' ? {} : { error: '表清单路径不是任务目录内的普通文件' }),
      };
    }
    const decoded = decodeText(await fs.readFile(resolved.path));
    const parsed = decoded ? parseTableList(decoded.text) : { tables: [], invalid: [] };
    const readable = await fs.access(resolved.path, fs.constants.R_OK).then(() => true, () => false);
    return {
      task_id: taskId,
      has_file: true,
      has_table_list: true,
      exists: true,
      ...names,
      file_path: relativePath,
      file_size: resolved.stat.size,
      file_size_formatted: formatSize(resolved.stat.size),
      uploaded_at: localIsoTimestamp(resolved.stat.mtime),
      created_at: localIsoTimestamp(createdAt(resolved.stat)),
      table_count: parsed.tables.length,
      table_names: parsed.tables,
      tables: parsed.tables,
      invalid_tables: parsed.invalid,
      is_readable: readable,
      ...(decoded ? {} : { error: '文件编码错误，请确保文件为UTF-8或GBK格式' }),
    };
  }

  /** §3.13: 1..1000 names, each validated, duplicates dropped in order, written with the header. */
  async createTableList(taskId: string, input: string | readonly string[]) {
    await this.assertTaskExists(taskId);
    const items = splitTableNames(input);
    if (items.length === 0) throw invalidTables('表名列表不能为空');
    const names = items.filter((item) => !isTableListComment(item));
    const parsed = parseTableList(names.join('\n'));
    if (parsed.invalid.length > 0) {
      const shown = parsed.invalid.slice(0, 5).map((i) => i.name);
      throw invalidTables(`包含无效的表名格式: ${shown.join(', ')}`, parsed.invalid);
    }
    if (parsed.tables.length < 1) throw invalidTables('表名数量不能少于 1 个');
    if (parsed.tables.length > MAX_TABLES) throw invalidTables(`表名数量不能超过 ${MAX_TABLES} 个`);

    const realDir = await this.ensureTaskDir(taskId);
    const file = path.join(realDir, TABLE_LIST_NAME);
    await writeFileAtomic(file, renderTableList(parsed.tables));
    const stat = await fs.stat(file);
    return {
      task_id: taskId,
      filename: TABLE_LIST_NAME,
      file_name: TABLE_LIST_NAME,
      file_path: this.dataRoot.relativeToCwd(path.join(this.dataRoot.taskDir(taskId), TABLE_LIST_NAME)),
      table_count: parsed.tables.length,
      unique_table_count: parsed.tables.length,
      original_count: names.length,
      tables: parsed.tables,
      file_size: stat.size,
      file_size_formatted: formatSize(stat.size),
      created_time: localIsoTimestamp(stat.mtime),
    };
  }

  /**
   * §3.14 with the name fixed to a plain safe name. `table_list.txt` may be replaced here too, but
   * only after the same checks as the table-list upload (and it is stored as UTF-8).
   */
  async uploadFile(taskId: string, tempFile: string, originalName: string, overwriteMode: OverwriteMode) {
    try {
      await this.assertTaskExists(taskId);
      this.assertUploadFileName(originalName);
      const isTableList = originalName === TABLE_LIST_NAME;
      const size = (await fs.stat(tempFile)).size;
      if (size > this.limits.uploadBytes) {
        throw new PayloadTooLargeError(`文件大小超出限制: ${formatSize(size)}，最大允许: ${formatSize(this.limits.uploadBytes)}`);
      }
      if (size === 0) throw new ValidationError('文件为空', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
      const tableListText = isTableList
        ? (await this.readTextUpload(tempFile, {
            limit: this.limits.tableListBytes,
            tooLarge: tableListTooLargeMessage(this.limits.tableListBytes),
            empty: '文件为空',
          })).text
        : null;
      if (tableListText !== null) checkTableListText(tableListText);

      const realDir = await this.ensureTaskDir(taskId);
      const target = path.join(realDir, originalName);
      const existing = await fs.lstat(target).catch(() => null);
      if (existing && !existing.isFile()) {
        throw new ValidationError(`目标路径不是普通文件: ${originalName}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
      }
      if (existing && overwriteMode === 'skip') {
        const message = `文件已存在，跳过上传: ${originalName}`;
        return {
          success: true,
          skipped: true as const,
          message,
          task_id: taskId,
          uploaded_file: { filename: originalName, existed: true, action: 'skipped' as const },
        };
      }
      const backup = existing && overwriteMode === 'backup' ? await backupCopy(target, MAX_BACKUP_VERSION) : null;
      if (existing && overwriteMode === 'backup' && !backup) {
        throw new ValidationError(
          `文件 ${originalName} 的备份数量已达上限 (${MAX_BACKUP_VERSION})，请使用 overwrite_mode=replace`,
          ERROR_TYPES.INVALID_PARAMS,
          { invalidParams: ['overwrite_mode'] },
        );
      }
      if (tableListText !== null) await writeFileAtomic(target, tableListText);
      else await copyFileAtomic(tempFile, target);
      const stat = await fs.stat(target);
      return {
        success: true,
        skipped: false as const,
        task_id: taskId,
        uploaded_file: {
          filename: originalName,
          size: stat.size,
          size_formatted: formatSize(stat.size),
          uploaded_at: localIsoTimestamp(stat.mtime),
          overwrite_mode: overwriteMode,
          download_url: downloadUrl(taskId, originalName),
        },
        ...(backup
          ? {
              backup_info: {
                had_existing_file: true,
                backup_filename: backup.name,
                backup_version: backup.version,
                backup_created_at: localIsoTimestamp(),
              },
            }
          : {}),
      };
    } finally {
      await fs.rm(tempFile, { force: true });
    }
  }

  /** The task dir's real path when it exists inside the data root; null otherwise. */
  private realTaskDir(taskDir: string): Promise<string | null> {
    return realDirInside(this.dataRoot.dir, taskDir);
  }

  /** Creates the task dir if a task row exists without one; its real path, fenced to the root. */
  private async ensureTaskDir(taskId: string): Promise<string> {
    return this.dataRoot.ensureTaskDir(taskId);
  }

  private async readTextUpload(
    tempFile: string,
    rules: { limit: number; tooLarge: string; empty: string },
  ): Promise<{ text: string; encoding: TextEncodingName }> {
    const size = (await fs.stat(tempFile)).size;
    if (size > rules.limit) throw new PayloadTooLargeError(rules.tooLarge);
    if (size === 0) throw new ValidationError(rules.empty, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    const decoded = decodeText(await fs.readFile(tempFile));
    if (!decoded) {
      throw new ValidationError('文件编码错误，请确保文件为UTF-8或GBK格式', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    }
    return decoded;
  }
}

function invalidTables(message: string, details?: unknown): ValidationError {
  return new ValidationError(message, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['tables'], details });
}

