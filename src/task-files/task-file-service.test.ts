import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_TYPES, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors.js';
import { BackupCatalog } from '../backups/sets/backup-catalog.js';
import { DataRoot } from '../lib/data-root.js';
import type { TaskRow } from '../db/sql/tasks.sql.js';
import { STEP_NAMES } from '../tasks/task-states.js';
import { TableListService } from './table-list-service.js';
import { FileService } from './task-file-service.js';
import { TaskLookup } from './task-lookup.js';

let cwd: string;
let root: DataRoot;
let known: Set<string>;
let service: FileService;
let tableLists: TableListService;

beforeEach(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'file-service-test-'));
  root = new DataRoot('./data', cwd);
  known = new Set(['task_1']);
  const tasks = new TaskLookup(root, async (id) => (known.has(id) ? ({ task_id: id } as TaskRow) : undefined));
  const limits = { tableListBytes: 64, uploadBytes: 128 };
  service = new FileService(root, tasks, new BackupCatalog(root), limits, STEP_NAMES);
  tableLists = new TableListService(root, tasks, limits);
});
afterEach(() => {
  fs.rmSync(cwd, { recursive: true, force: true });
});

/** A temp upload as multer would leave it. */
function tempUpload(content: string | Buffer): string {
  const file = path.join(cwd, `upload-${Math.random().toString(16).slice(2)}`);
  fs.writeFileSync(file, content);
  return file;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('FileService', () => {
  it('deletes the temp upload on every outcome, including an unknown task', async () => {
    const missingTask = tempUpload('a\n');
    const err = await rejection(tableLists.uploadTableList('task_404', missingTask, 't.txt'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).errorType).toBe(ERROR_TYPES.TASK_NOT_FOUND);
    expect(fs.existsSync(missingTask)).toBe(false);

    const tooLarge = tempUpload('a'.repeat(65));
    expect(await rejection(tableLists.uploadTableList('task_1', tooLarge, 't.txt'))).toBeInstanceOf(PayloadTooLargeError);
    expect(fs.existsSync(tooLarge)).toBe(false);

    const ok = tempUpload('a\n');
    await service.uploadFile('task_1', ok, 'a.txt', 'backup');
    expect(fs.existsSync(ok)).toBe(false);
  });

  it('checks limits it was given, not the defaults', async () => {
    const err = await rejection(service.uploadFile('task_1', tempUpload('x'.repeat(129)), 'a.csv', 'replace'));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.message).toBe('文件大小超出限制: 129 B，最大允许: 128 B');
  });

  it('lists a directory that has no task row (CLI runs); 404 only when neither exists', async () => {
    fs.mkdirSync(path.join(root.dir, 'manual_20250101_000000'));
    fs.writeFileSync(path.join(root.dir, 'manual_20250101_000000', 'a.ddl'), 'x');
    const listing = await service.listFiles('manual_20250101_000000');
    expect(listing.files.map((f) => f.file_name)).toEqual(['a.ddl']);
    expect(listing.directory_info.exists).toBe(true);
    await expect(service.listFiles('task_404')).rejects.toThrow('任务不存在: task_404');
    await expect(service.listFiles('../x')).rejects.toBeInstanceOf(ValidationError);
  });

  it('marks only the newest pair file as primary and skips in-flight *.tmp files', async () => {
    const dir = path.join(root.dir, 'task_1');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'qs_db_20250101_000000_pair.json'), '[]');
    fs.utimesSync(path.join(dir, 'qs_db_20250101_000000_pair.json'), new Date(2025, 0, 1), new Date(2025, 0, 1));
    fs.writeFileSync(path.join(dir, 'qs_db_20250102_000000_pair.json'), '[]');
    fs.writeFileSync(path.join(dir, '.table_list.txt.123.tmp'), 'partial');
    const listing = await service.listFiles('task_1');
    expect(listing.files.map((f) => [f.file_name, f.is_primary])).toEqual([
      ['qs_db_20250102_000000_pair.json', true],
      ['qs_db_20250101_000000_pair.json', false],
    ]);
  });

  it('createTableList: comments skipped, duplicates dropped, counts as the original reports them', async () => {
    const result = await tableLists.createTableList('task_1', ['a', '# note', 'b,a', 'public.c']);
    expect(result).toMatchObject({ table_count: 3, unique_table_count: 3, original_count: 4, tables: ['a', 'b', 'public.c'] });
    const text = fs.readFileSync(path.join(root.dir, 'task_1', 'table_list.txt'), 'utf8');
    expect(text.split('\n').slice(3)).toEqual(['', 'a', 'b', 'public.c', '']);
    const info = await tableLists.tableListInfo('task_1');
    expect(info).toMatchObject({ has_file: true, table_count: 3, tables: ['a', 'b', 'public.c'] });
  });

  it('backup numbering continues past existing copies', async () => {
    const dir = path.join(root.dir, 'task_1');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a.sql'), 'v0');
    fs.writeFileSync(path.join(dir, 'a.sql_bak1'), 'older');
    const result = await service.uploadFile('task_1', tempUpload('v1'), 'a.sql', 'backup');
    expect(result).toMatchObject({ backup_info: { backup_filename: 'a.sql_bak2', backup_version: 2 } });
    expect(fs.readFileSync(path.join(dir, 'a.sql_bak2'), 'utf8')).toBe('v0');
    expect(fs.readFileSync(path.join(dir, 'a.sql_bak1'), 'utf8')).toBe('older');
  });
});
