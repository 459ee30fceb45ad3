import fs, { type FileHandle } from 'node:fs/promises';
import { constants as fsConstants, type Stats } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import { TASK_LOG_NAME } from '../task-files/task-dir.js';
import type { DataRoot } from '../lib/data-root.js';
import type { TaskLookup } from '../task-files/task-lookup.js';
import { logEntryMatcher, type LogFilter } from './log-entry-matcher.js';
import { PageSelector, TailBuffer, paginate, type Pagination } from './page-selector.js';
import { compareLogSortKeys, logSortKey, type LogSortField, type LogSortKey, type SortOrder } from './sort-log-entries.js';
import { parseLogLines, type LogEntry, type LogLevel } from './task-log-parser.js';

export interface LogTailOptions {
  /** Last entries to return, 1..1000. */
  limit: number;
  level?: LogLevel;
}

export interface LogTail {
  task_id: string;
  logs: LogEntry[];
  /** Entries in the file that pass the level filter (not only the returned ones). */
  total: number;
  returned: number;
  source: 'file';
  /** Relative to the server's working directory; null when the task has no log yet. */
  log_file: string | null;
}

/** The filter of logEntryMatcher plus paging and sorting. */
export interface LogQuery extends LogFilter {
  page: number;
  pageSize: number;
  sortBy: LogSortField;
  sortOrder: SortOrder;
}

export type LogFileInfo =
  | {
      exists: true;
      file_path: string;
      file_size: number;
      file_size_formatted: string;
      last_modified: string;
      /** Entries (not physical lines) in the file, as the original counted them. */
      total_lines: number;
    }
  | { exists: false; file_path: string; error: string };

export interface LogQueryResult {
  task_id: string;
  logs: LogEntry[];
  pagination: Pagination;
  log_file_info: LogFileInfo;
  query_time: string;
}

interface OpenLog {
  handle: FileHandle;
  stat: Stats;
}

/**
 * Reads a task's `data_pipeline.log` for the two log routes. The file is streamed line by line and
 * never held whole: a tail keeps `limit` entries; a query keeps the compact sort keys of at most
 * 2 × (page × page_size) matching entries plus the page itself (see {@link LogService.query}).
 */
export class LogService {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly tasks: TaskLookup,
  ) {}

  async tail(taskId: string, options: LogTailOptions): Promise<LogTail> {
    const file = await this.logPath(taskId);
    const log = await this.open(file);
    const result: LogTail = { task_id: taskId, logs: [], total: 0, returned: 0, source: 'file', log_file: null };
    if (!log) return result;
    try {
      const tail = new TailBuffer<LogEntry>(options.limit);
      for await (const entry of parseLogLines(readLines(log))) {
        if (options.level !== undefined && entry.level !== options.level) continue;
        result.total += 1;
        tail.push(entry);
      }
      result.logs = tail.toArray();
      result.returned = result.logs.length;
      result.log_file = this.dataRoot.relativeToCwd(file);
      return result;
    } finally {
      await log.handle.close();
    }
  }

  /**
   * Two passes over one open file handle, both bounded to the byte size seen when it was opened (a
   * running task may append meanwhile; line numbers of existing lines never change). Pass one
   * filters and keeps `{sort key, line}` of the best page × page_size matches; pass two re-reads up
   * to the last line of the page to fetch those entries whole. Memory: O(page × page_size) keys
   * (bounded by the number of matches) plus one page of entries, whatever the file size.
   */
  async query(taskId: string, query: LogQuery): Promise<LogQueryResult> {
    const started = performance.now();
    const file = await this.logPath(taskId);
    const filePath = this.dataRoot.relativeToCwd(file);
    const log = await this.open(file);
    if (!log) {
      return {
        task_id: taskId,
        logs: [],
        pagination: paginate(0, query.page, query.pageSize),
        log_file_info: { exists: false, file_path: filePath, error: '日志文件不存在' },
        query_time: elapsed(started),
      };
    }
    try {
      const matches = logEntryMatcher(query);
      const offset = (query.page - 1) * query.pageSize;
      const selector = new PageSelector<LogSortKey>(compareLogSortKeys(query.sortOrder), offset, query.pageSize);
      let entries = 0;
      let total = 0;
      for await (const entry of parseLogLines(readLines(log))) {
        entries += 1;
        if (!matches(entry)) continue;
        total += 1;
        selector.push(logSortKey(entry, query.sortBy));
      }
      return {
        task_id: taskId,
        logs: await fetchEntries(log, selector.page().map((key) => key.line)),
        pagination: paginate(total, query.page, query.pageSize),
        log_file_info: {
          exists: true,
          file_path: filePath,
          file_size: log.stat.size,
          file_size_formatted: formatSize(log.stat.size),
          last_modified: localIsoTimestamp(log.stat.mtime),
          total_lines: entries,
        },
        query_time: elapsed(started),
      };
    } finally {
      await log.handle.close();
    }
  }

  /** 404 for an unknown task (after the id's format check), else the path of its log. */
  private async logPath(taskId: string): Promise<string> {
    await this.tasks.requireTask(taskId);
    return path.join(this.dataRoot.taskDir(taskId), TASK_LOG_NAME);
  }

  /**
   * Opens the log if it is a regular file inside the data root. A log that is missing, or that a
   * symlink leads out of the root, counts as missing: the task exists, it just has no readable log.
   */
  private async open(file: string): Promise<OpenLog | null> {
    let handle: FileHandle;
    try {
      const real = await fs.realpath(file);
      if (!this.dataRoot.contains(real)) return null;
      // O_NOFOLLOW: the checked path cannot be swapped for a symlink before it is opened.
      handle = await fs.open(real, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      const stat = await handle.stat();
      if (stat.isFile()) return { handle, stat };
    } catch (err) {
      await handle.close();
      throw err;
    }
    await handle.close();
    return null;
  }
}

/** The lines of the first `stat.size` bytes; readline copes with `\r\n` and UTF-8 split across chunks. */
async function* readLines(log: OpenLog): AsyncGenerator<string> {
  if (log.stat.size === 0) return;
  const stream = log.handle.createReadStream({ start: 0, end: log.stat.size - 1, autoClose: false, encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    yield* lines;
  } finally {
    lines.close();
    // Not destroy(): on a FileHandle stream it closes the handle even with autoClose: false, and
    // the second pass still reads through it. A paused stream holds nothing once the handle closes.
    stream.pause();
  }
}

/** The entries starting at `lineNumbers`, in that order; stops reading after the last of them. */
async function fetchEntries(log: OpenLog, lineNumbers: number[]): Promise<LogEntry[]> {
  if (lineNumbers.length === 0) return [];
  const wanted = new Map(lineNumbers.map((line, index) => [line, index]));
  const last = Math.max(...lineNumbers);
  const found: (LogEntry | undefined)[] = new Array(lineNumbers.length);
  for await (const entry of parseLogLines(readLines(log))) {
    const index = wanted.get(entry.line_number);
    if (index !== undefined) found[index] = entry;
    if (entry.line_number >= last) break;
  }
  return found.filter((entry): entry is LogEntry => entry !== undefined);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

function elapsed(startedMs: number): string {
  return `${((performance.now() - startedMs) / 1000).toFixed(3)}s`;
}
