import fs from 'node:fs/promises';
import path from 'node:path';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import type { DataRoot } from '../lib/data-root.js';
import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import { parseTableList, tableListTooLargeMessage } from './table-list.js';
import { assertTableListExtension, TABLE_LIST_NAME } from './task-dir.js';
import { realTaskDir, resolveInside } from './task-dir-reader.js';
import { createdAt } from './file-listing.js';
import type { TaskLookup } from './task-lookup.js';
import { checkTableListText, decodeText, isTableListComment, readTextUpload, renderTableList, splitTableNames } from './text-decoding.js';

const MAX_TABLES = 1000;

/**
 * A task's `table_list.txt`: upload (UTF-8 or GBK, stored as UTF-8), creation from names, and what
 * it holds, all read back with the one parser the pipeline uses. Temp uploads handed in by the
 * HTTP layer are always deleted here.
 */
export class TableListService {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly tasks: TaskLookup,
    private readonly limits: { tableListBytes: number },
  ) {}

  /** Early rejection for the multipart parser, so a wrong file is never spooled to disk. */
  assertTableListFileName(name: string): void {
    if (!name) throw new ValidationError('请选择有效的文件', ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'] });
    assertTableListExtension(name);
  }

  /**
   * Checks in the original's order (§3.11), then stores the list as UTF-8 whatever it arrived in,
   * so the pipeline (UTF-8 only) can read a GBK upload. `tempFile` is deleted in every case.
   */
  async uploadTableList(taskId: string, tempFile: string, originalName: string) {
    try {
      await this.tasks.requireTask(taskId);
      this.assertTableListFileName(originalName);
      const { text, encoding } = await readTextUpload(tempFile, {
        limit: this.limits.tableListBytes,
        tooLarge: tableListTooLargeMessage(this.limits.tableListBytes),
        empty: '文件为空，请选择有效的表清单文件',
      });
      const tables = checkTableListText(text);
      const { stat, ...stored } = await this.store(taskId, text);
      return {
        ...stored,
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
    const realDir = await realTaskDir(this.dataRoot, taskId);
    if (!realDir) await this.tasks.requireTask(taskId);
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
    await this.tasks.requireTask(taskId);
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

    const { stat, ...stored } = await this.store(taskId, renderTableList(parsed.tables));
    return {
      ...stored,
      table_count: parsed.tables.length,
      unique_table_count: parsed.tables.length,
      original_count: names.length,
      tables: parsed.tables,
      created_time: localIsoTimestamp(stat.mtime),
    };
  }

  /** Writes `table_list.txt` (atomically, in the real task directory) and the reply fields both routes share. */
  private async store(taskId: string, text: string) {
    const file = path.join(await this.dataRoot.ensureTaskDir(taskId), TABLE_LIST_NAME);
    await writeFileAtomic(file, text);
    const stat = await fs.stat(file);
    return {
      stat,
      task_id: taskId,
      filename: TABLE_LIST_NAME,
      file_name: TABLE_LIST_NAME,
      file_path: this.dataRoot.relativeToCwd(path.join(this.dataRoot.taskDir(taskId), TABLE_LIST_NAME)),
      file_size: stat.size,
      file_size_formatted: formatSize(stat.size),
    };
  }
}

function invalidTables(message: string, details?: unknown): ValidationError {
  return new ValidationError(message, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['tables'], details });
}
