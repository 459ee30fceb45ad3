import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ERROR_TYPES, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { copyFileAtomic, writeFileAtomic } from '../lib/atomic-file.js';
import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import { tableListTooLargeMessage } from './table-list.js';
import type { BackupCatalog, BackupSetEntry } from '../backups/sets/backup-catalog.js';
import { BACKUP_DIR_NAME } from '../backups/sets/set-naming.js';
import type { DataRoot } from '../lib/data-root.js';
import type { TaskLookup } from './task-lookup.js';
import { backupCopy, realDirInside, realTaskDir, regularFilesIn, resolveInside, subdirectoriesIn } from './task-dir-reader.js';
import { contentTypeOf, downloadUrl, fileDescriber, type DescribeFile } from './file-kinds.js';
import { storedFiles, toItems, totals, type DirectoryTotals, type TaskFileItem } from './file-listing.js';
import {
  assertSafeUploadName,
  assertUploadExtension,
  PAIR_FILE_PATTERN,
  parseDownloadName,
  PREVIOUS_RUN_DIR_PATTERN,
  TABLE_LIST_NAME,
} from './task-dir.js';
import { checkTableListText, readTextUpload } from './text-decoding.js';

export type { DirectoryTotals, TaskFileItem } from './file-listing.js';

export interface FileLimits {
  /** Largest table-list upload, bytes (original: 2 MiB). */
  tableListBytes: number;
  /** Largest generic upload into a task dir, bytes (original: 10 MiB). */
  uploadBytes: number;
}

export const OVERWRITE_MODES = ['backup', 'replace', 'skip'] as const;
export type OverwriteMode = (typeof OVERWRITE_MODES)[number];

/** The original numbered `_bak<N>` copies from 1 and gave up after 1000. */
const MAX_BACKUP_VERSION = 1000;

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

/** A file to send: `open()` once, after the headers are set (local: opens the file; S3: the object's stream). */
export type DownloadTarget = { size: number; contentType: string; fileName: string; open: () => Readable };

/**
 * Files of one task directory: listing, downloads and uploads (the table list has its own
 * TableListService). Every path comes from DataRoot plus a validated plain name, and every read
 * follows symlinks only inside the task directory. Temp uploads handed in by the HTTP layer are
 * always deleted here.
 */
export class FileService {
  private readonly describeFile: DescribeFile;

  constructor(
    private readonly dataRoot: DataRoot,
    private readonly tasks: TaskLookup,
    private readonly catalog: BackupCatalog,
    private readonly limits: FileLimits,
    /** The pipeline's step names, for describing `<step>_result.json` (task-files imports no tasks/). */
    stepNames: readonly string[],
  ) {
    this.describeFile = fileDescriber(stepNames);
  }

  /** Early rejection for the multipart parser, so a wrong file is never spooled to disk. */
  assertUploadFileName(name: string): void {
    if (!name) throw new ValidationError('请选择有效的文件', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    assertSafeUploadName(name);
    assertUploadExtension(name);
  }

  async listFiles(taskId: string): Promise<TaskFileListing> {
    const taskDir = this.dataRoot.taskDir(taskId);
    const realDir = await realTaskDir(this.dataRoot, taskId);
    // A directory without a row (e.g. a CLI `manual_…` run) is still listed; neither → 404.
    if (!realDir) await this.tasks.requireTask(taskId);

    const topLevel = realDir ? toItems(taskId, await regularFilesIn(realDir, realDir), null, this.describeFile) : [];
    const primary = topLevel.find((f) => PAIR_FILE_PATTERN.test(f.file_name));
    if (primary) primary.is_primary = true;

    const backupDir = path.join(taskDir, BACKUP_DIR_NAME);
    const { exists: backupDirExists, items: backupFiles, sets } = await this.taskBackups(taskId, realDir);
    // The guide (§8.2) finds backup files with `.data.files[] | select(.file_name | contains("langchain_"))`:
    // they are listed here too, named by their path inside the task directory.
    const files = [...topLevel, ...backupFiles.map((f) => ({ ...f, file_name: `${BACKUP_DIR_NAME}/${f.file_name}` }))].sort(
      (a, b) => Date.parse(b.modified_at) - Date.parse(a.modified_at),
    );
    const directoryInfo = totals(Boolean(realDir), this.dataRoot.relativeToCwd(taskDir), files);
    const url = (name: string) => downloadUrl(taskId, name, BACKUP_DIR_NAME);

    return {
      task_id: taskId,
      files,
      directory_info: directoryInfo,
      total_files: directoryInfo.total_files,
      total_size: directoryInfo.total_size,
      total_size_human: directoryInfo.total_size_human,
      vector_bak: {
        ...totals(backupDirExists, this.dataRoot.relativeToCwd(backupDir), backupFiles),
        backup_sets: sets.map((set) => ({
          ...set,
          collection_download_url: url(set.collection_file),
          embedding_download_url: url(set.embedding_file),
          log_download_url: set.log_file ? url(set.log_file) : null,
        })),
        files: backupFiles,
      },
      backup_directories: realDir ? await subdirectoriesIn(realDir, PREVIOUS_RUN_DIR_PATTERN) : [],
    };
  }

  /**
   * The task's `vector_bak/`: its directory on the local store, the store's objects of the task on
   * S3 (where backups of the task are, whatever this server's data root holds).
   */
  private async taskBackups(taskId: string, realDir: string | null): Promise<{ exists: boolean; items: TaskFileItem[]; sets: BackupSetEntry[] }> {
    const stored = await this.catalog.storedTaskBackups(taskId);
    if (stored !== null) {
      return { exists: stored.files.length > 0, items: toItems(taskId, storedFiles(stored.files), BACKUP_DIR_NAME, this.describeFile), sets: stored.sets };
    }
    // The fence stays the task dir: a vector_bak/ symlinked elsewhere is not listed at all.
    const realBackupDir = realDir ? await realDirInside(realDir, path.join(realDir, BACKUP_DIR_NAME)) : null;
    if (realDir === null || realBackupDir === null) return { exists: false, items: [], sets: [] };
    const items = toItems(taskId, await regularFilesIn(realBackupDir, realDir), BACKUP_DIR_NAME, this.describeFile);
    return { exists: true, items, sets: await this.catalog.setsIn(realBackupDir) };
  }

  /** A file to stream: directly in the task dir or in its `vector_bak/`, never behind a symlink out. */
  async openDownload(taskId: string, fileName: string): Promise<DownloadTarget> {
    // The id is checked (400) before the file name, as the original did.
    this.dataRoot.assertTaskId(taskId);
    const { subdir, name } = parseDownloadName(fileName);
    const realDir = await realTaskDir(this.dataRoot, taskId);
    if (!realDir) await this.tasks.requireTask(taskId);
    if (subdir === BACKUP_DIR_NAME && this.catalog.store.kind !== 'local') {
      const stored = await this.catalog.openStoredTaskFile(taskId, name);
      if (stored === null) throw new NotFoundError(`文件不存在: ${fileName}`, ERROR_TYPES.FILE_NOT_FOUND);
      return { size: stored.size, contentType: contentTypeOf(name), fileName: name, open: () => stored.stream };
    }
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
    return { size: resolved.stat.size, contentType: contentTypeOf(name), fileName: name, open: () => createReadStream(resolved.path) };
  }

  /**
   * §3.14 with the name fixed to a plain safe name. `table_list.txt` may be replaced here too, but
   * only after the same checks as the table-list upload (and it is stored as UTF-8).
   */
  async uploadFile(taskId: string, tempFile: string, originalName: string, overwriteMode: OverwriteMode) {
    try {
      await this.tasks.requireTask(taskId);
      this.assertUploadFileName(originalName);
      const isTableList = originalName === TABLE_LIST_NAME;
      const size = (await fs.stat(tempFile)).size;
      if (size > this.limits.uploadBytes) {
        throw new PayloadTooLargeError(`文件大小超出限制: ${formatSize(size)}，最大允许: ${formatSize(this.limits.uploadBytes)}`);
      }
      if (size === 0) throw new ValidationError('文件为空', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
      const tableListText = isTableList
        ? (await readTextUpload(tempFile, {
            limit: this.limits.tableListBytes,
            tooLarge: tableListTooLargeMessage(this.limits.tableListBytes),
            empty: '文件为空',
          })).text
        : null;
      if (tableListText !== null) checkTableListText(tableListText);

      const realDir = await this.dataRoot.ensureTaskDir(taskId);
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
}
