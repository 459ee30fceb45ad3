import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { TASK_LOG_NAME } from '../task-files/task-dir.js';
import { DataRoot } from '../lib/data-root.js';
import type { TaskRow } from '../db/sql/tasks.sql.js';
import { TaskLookup } from '../task-files/task-lookup.js';
import { LogService, type LogQuery } from './task-log-service.js';
import { LOG_SORT_FIELDS, sortLogEntries } from './sort-log-entries.js';
import { LOG_LEVELS, parseLogLines, type LogEntry } from './task-log-parser.js';

const LOGGERS = ['TaskDir_task_1', 'data_pipeline.SchemaWorkflowOrchestrator', 'TaskDir_task_1.qa_generation'];
const STEPS = ['', '[ddl_generation] ', '[sql_validation] '];

/** A deterministic pseudo-random log: few distinct keys, so ties are common; some entries span lines. */
function randomLog(entries: number): string {
  let seed = 42;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const lines: string[] = [];
  for (let i = 0; i < entries; i += 1) {
    const ts = `2025-07-02 10:0${next(3)}:${String(next(3)).padStart(2, '0')}`;
    lines.push(`${ts} [${LOG_LEVELS[next(5)]}] ${LOGGERS[next(3)]}: ${STEPS[next(3)]}entry ${i}`);
    if (next(4) === 0) lines.push(`  detail of ${i}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('LogService', () => {
  let cwd: string;
  let dataRoot: DataRoot;
  let service: LogService;
  const tasks = new Set(['task_random', 'task_link', 'task_dir', 'task_empty', 'task_no_newline']);
  let allEntries: LogEntry[];

  const write = (taskId: string, text: string) => {
    fs.mkdirSync(dataRoot.taskDir(taskId), { recursive: true });
    fs.writeFileSync(path.join(dataRoot.taskDir(taskId), TASK_LOG_NAME), text);
  };

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-log-service-'));
    dataRoot = new DataRoot('./data_pipeline/training_data', cwd);
    service = new LogService(dataRoot, new TaskLookup(dataRoot, async (id) => (tasks.has(id) ? ({ task_id: id } as TaskRow) : undefined)));
    const text = randomLog(400);
    write('task_random', text);
    allEntries = [];
    for await (const entry of parseLogLines(text.split('\n'))) allEntries.push(entry);

    const outside = path.join(cwd, 'secret.log');
    fs.writeFileSync(outside, '2025-07-02 10:00:00 [INFO] secret: do not read\n');
    fs.mkdirSync(dataRoot.taskDir('task_link'), { recursive: true });
    fs.symlinkSync(outside, path.join(dataRoot.taskDir('task_link'), TASK_LOG_NAME));
    fs.mkdirSync(path.join(dataRoot.taskDir('task_dir'), TASK_LOG_NAME), { recursive: true });
    write('task_empty', '');
    write('task_no_newline', '2025-07-02 10:00:00 [INFO] a: one\n  two');
  });
  afterAll(() => {
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('every page of every sort equals slicing a full in-memory sort', async () => {
    const base: Omit<LogQuery, 'sortBy' | 'sortOrder' | 'page' | 'pageSize'> = {};
    for (const sortBy of LOG_SORT_FIELDS) {
      for (const sortOrder of ['asc', 'desc'] as const) {
        const expected = sortLogEntries(allEntries, sortBy, sortOrder);
        for (const [page, pageSize] of [[1, 50], [2, 50], [8, 50], [9, 50], [1, 500], [13, 7]] as const) {
          const result = await service.query('task_random', { ...base, sortBy, sortOrder, page, pageSize });
          expect(result.logs).toEqual(expected.slice((page - 1) * pageSize, page * pageSize));
          expect(result.pagination.total).toBe(allEntries.length);
        }
      }
    }
  });

  it('filters then pages, with the file-wide entry count', async () => {
    const result = await service.query('task_random', { level: 'ERROR', stepName: 'ddl_generation', page: 1, pageSize: 500, sortBy: 'line_number', sortOrder: 'asc' });
    const expected = allEntries.filter((e) => e.level === 'ERROR' && e.step === 'ddl_generation');
    expect(expected.length).toBeGreaterThan(5);
    expect(result.logs).toEqual(expected);
    expect(result.log_file_info).toMatchObject({ exists: true, total_lines: 400 });
  });

  it('a log symlinked out of the data root, or a directory in its place, counts as missing', async () => {
    for (const taskId of ['task_link', 'task_dir']) {
      expect(await service.tail(taskId, { limit: 10 })).toMatchObject({ logs: [], total: 0, log_file: null });
      const result = await service.query(taskId, { page: 1, pageSize: 50, sortBy: 'timestamp', sortOrder: 'desc' });
      expect(result.log_file_info).toEqual({
        exists: false,
        file_path: `./data_pipeline/training_data/${taskId}/${TASK_LOG_NAME}`,
        error: '日志文件不存在',
      });
    }
  });

  it('an empty log and a last line without newline', async () => {
    expect(await service.tail('task_empty', { limit: 10 })).toMatchObject({ logs: [], total: 0, log_file: `./data_pipeline/training_data/task_empty/${TASK_LOG_NAME}` });
    const empty = await service.query('task_empty', { page: 1, pageSize: 50, sortBy: 'timestamp', sortOrder: 'desc' });
    expect(empty.log_file_info).toMatchObject({ exists: true, file_size: 0, file_size_formatted: '0 B', total_lines: 0 });
    const tail = await service.tail('task_no_newline', { limit: 10 });
    expect(tail.logs.map((e) => e.message)).toEqual(['one\n  two']);
  });

  it('checks the id format before the task, and the task before the file', async () => {
    await expect(service.tail('../x', { limit: 1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(service.query('task_unknown', { page: 1, pageSize: 1, sortBy: 'timestamp', sortOrder: 'desc' })).rejects.toMatchObject({
      status: 404,
      errorType: 'TASK_NOT_FOUND',
      message: '任务不存在: task_unknown',
    });
  });
});
