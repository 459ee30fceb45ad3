import { isStepName, STEP_NAMES, type StepName } from './task-states.js';

/** Python logging levels in order of severity; CRITICAL only appears in files of the original. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_SORT_FIELDS = ['timestamp', 'level', 'logger', 'step', 'line_number'] as const;
export type LogSortField = (typeof LOG_SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

export interface LogEntry {
  /** `YYYY-MM-DD HH:MM:SS` (server-local, as written). */
  timestamp: string;
  level: LogLevel;
  logger: string;
  step: StepName | null;
  /** Continuation lines (tracebacks, multi-line messages) are joined with `\n`. */
  message: string;
  /** 1-based physical line where the entry starts. */
  line_number: number;
}

const SEVERITY: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

// Python's asctime may carry `,mmm`; the entry keeps whole seconds either way.
const HEAD = String.raw`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:[,.]\d+)? \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] `;
/** The original's module-logger format: `[data_pipeline.<Name>] <file>.py:<line> - <message>`. */
const DETAILED_LINE = new RegExp(`${HEAD}\\[([^\\]]+)\\] \\S+:\\d+ - (.*)$`);
/** The task log format (TaskLog and the original's TaskDir logger): `<logger>: <message>`. */
const SIMPLE_LINE = new RegExp(`${HEAD}(\\S(?:.*?\\S)?):(?: (.*))?$`);

/** Class names of the original's module loggers and the step each one belongs to. */
const STEP_OF_LOGGER_CLASS: Record<string, StepName> = {
  SchemaTrainingDataAgent: 'ddl_generation',
  DDLGenerator: 'ddl_generation',
  DDLMDGenerator: 'ddl_generation',
  DocGenerator: 'ddl_generation',
  QuestionSQLGenerationAgent: 'qa_generation',
  SQLValidationAgent: 'sql_validation',
  SQLValidator: 'sql_validation',
  TrainingDataLoader: 'training_load',
};

const LEADING_STEP = /^\[([a-z_]+)\]/;

/**
 * The step an entry belongs to: a leading `[<step>]` in the message (the runner's convention), else
 * a step name inside the logger name, else the step of a known class of the original
 * (`data_pipeline.SQLValidationAgent` → sql_validation). Entries of the workflow itself have none.
 */
export function deriveStep(logger: string, message: string): StepName | null {
  const tagged = LEADING_STEP.exec(message)?.[1];
  if (tagged && isStepName(tagged)) return tagged;
  const inLogger = STEP_NAMES.find((step) => logger.includes(step));
  if (inLogger) return inLogger;
  const className = logger.slice(logger.lastIndexOf('.') + 1);
  return STEP_OF_LOGGER_CLASS[className] ?? null;
}

/** Parses the first line of an entry; null for a continuation line. */
export function parseLogLine(line: string, lineNumber: number): LogEntry | null {
  const detailed = DETAILED_LINE.exec(line);
  const match = detailed ?? SIMPLE_LINE.exec(line);
  if (!match) return null;
  const logger = match[3]!;
  const message = match[4] ?? '';
  return {
    timestamp: match[1]!,
    level: match[2] as LogLevel,
    logger,
    step: deriveStep(logger, message),
    message,
    line_number: lineNumber,
  };
}

/**
 * Turns physical lines into entries, in file order. A line that does not start an entry continues
 * the entry before it (the original attached it to the last entry *kept after filtering*, so
 * tracebacks ended up under unrelated entries); lines before the first entry have no owner and are
 * dropped. Blank lines are kept only inside a message, never at its end.
 */
export class LogLineParser {
  private current: LogEntry | null = null;
  private lineNumber = 0;
  private pendingBlankLines = 0;

  /** Feeds one line; returns the previous entry once it is complete. */
  push(rawLine: string): LogEntry | null {
    this.lineNumber += 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const entry = parseLogLine(line, this.lineNumber);
    if (entry) {
      const done = this.current;
      this.current = entry;
      this.pendingBlankLines = 0;
      return done;
    }
    if (line.trim() === '') {
      this.pendingBlankLines += 1;
    } else if (this.current) {
      this.current.message += '\n'.repeat(this.pendingBlankLines + 1) + line;
      this.pendingBlankLines = 0;
    }
    return null;
  }

  /** Returns the last entry at end of input. */
  end(): LogEntry | null {
    const done = this.current;
    this.current = null;
    return done;
  }
}

/** Entries of a sequence of lines, each yielded once its continuation lines are known. */
export async function* parseLogLines(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<LogEntry> {
  const parser = new LogLineParser();
  for await (const line of lines) {
    const done = parser.push(line);
    if (done) yield done;
  }
  const last = parser.end();
  if (last) yield last;
}

// ---- time bounds -------------------------------------------------------------------------------

const TIME_INPUT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

export interface ParsedTime {
  /** Milliseconds of the naive date-time read as UTC: only used to compare with entries. */
  ms: number;
  dateOnly: boolean;
}

/**
 * Reads a filter time: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS[.ffffff]` (the
 * formats the original accepted). Null when malformed or not a calendar date.
 */
export function parseLogTime(input: string): ParsedTime | null {
  const m = TIME_INPUT.exec(input.trim());
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part)));
  const ms = Date.UTC(y!, mo! - 1, d!, h, mi, s) + Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const check = new Date(ms);
  const valid =
    check.getUTCFullYear() === y &&
    check.getUTCMonth() === mo! - 1 &&
    check.getUTCDate() === d &&
    check.getUTCHours() === h &&
    check.getUTCMinutes() === mi &&
    check.getUTCSeconds() === s;
  return valid ? { ms, dateOnly: m[4] === undefined } : null;
}

/** An entry's `YYYY-MM-DD HH:MM:SS` on the same scale as {@link parseLogTime}. */
export function entryTimeMs(timestamp: string): number {
  return Date.UTC(
    Number(timestamp.slice(0, 4)),
    Number(timestamp.slice(5, 7)) - 1,
    Number(timestamp.slice(8, 10)),
    Number(timestamp.slice(11, 13)),
    Number(timestamp.slice(14, 16)),
    Number(timestamp.slice(17, 19)),
  );
}

const DAY_MS = 86_400_000;

// ---- filters -----------------------------------------------------------------------------------

export interface LogFilter {
  level?: LogLevel;
  /** Inclusive; a date alone means that day's 00:00:00. */
  startTime?: ParsedTime;
  /** Inclusive; a date alone includes the whole day. */
  endTime?: ParsedTime;
  /** Case-insensitive substring of the message. */
  keyword?: string;
  loggerName?: string;
  stepName?: string;
}

/** Compiles a filter into a predicate (all conditions AND-ed). */
export function logEntryMatcher(filter: LogFilter): (entry: LogEntry) => boolean {
  const fromMs = filter.startTime?.ms;
  const beforeMs = filter.endTime ? filter.endTime.ms + (filter.endTime.dateOnly ? DAY_MS : 1) : undefined;
  const keyword = filter.keyword?.toLowerCase();
  return (entry) => {
    if (filter.level !== undefined && entry.level !== filter.level) return false;
    if (filter.loggerName !== undefined && entry.logger !== filter.loggerName) return false;
    if (filter.stepName !== undefined && entry.step !== filter.stepName) return false;
    if (fromMs !== undefined || beforeMs !== undefined) {
      const ms = entryTimeMs(entry.timestamp);
      if (fromMs !== undefined && ms < fromMs) return false;
      if (beforeMs !== undefined && ms >= beforeMs) return false;
    }
    return keyword === undefined || entry.message.toLowerCase().includes(keyword);
  };
}

// ---- sorting -----------------------------------------------------------------------------------

/** What sorting needs of an entry: its sort key and its line (the tie-break). */
export interface LogSortKey {
  key: number | string;
  line: number;
}

export function logSortKey(entry: LogEntry, sortBy: LogSortField): LogSortKey {
  switch (sortBy) {
    case 'timestamp':
      // Fixed-width `YYYY-MM-DD HH:MM:SS`: string order is time order.
      return { key: entry.timestamp, line: entry.line_number };
    case 'level':
      return { key: SEVERITY[entry.level], line: entry.line_number };
    case 'logger':
      return { key: entry.logger, line: entry.line_number };
    case 'step':
      // Step names sort alphabetically in pipeline order; entries without a step come first.
      return { key: entry.step ?? '', line: entry.line_number };
    case 'line_number':
      return { key: entry.line_number, line: entry.line_number };
  }
}

/**
 * Ascending is stable (equal keys stay in file order); descending is its exact reverse, so
 * `timestamp desc` lists a second's entries newest first, like the file read backwards.
 */
export function compareLogSortKeys(order: SortOrder): (a: LogSortKey, b: LogSortKey) => number {
  const sign = order === 'asc' ? 1 : -1;
  return (a, b) => {
    const byKey = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    return sign * (byKey || a.line - b.line);
  };
}

export function sortLogEntries(entries: readonly LogEntry[], sortBy: LogSortField, order: SortOrder): LogEntry[] {
  const compare = compareLogSortKeys(order);
  return entries
    .map((entry) => ({ entry, sortKey: logSortKey(entry, sortBy) }))
    .sort((a, b) => compare(a.sortKey, b.sortKey))
    .map(({ entry }) => entry);
}

// ---- pagination --------------------------------------------------------------------------------

export interface Pagination {
  page: number;
  page_size: number;
  total: number;
  total_pages: number;
  has_next: boolean;
  has_prev: boolean;
}

export function paginate(total: number, page: number, pageSize: number): Pagination {
  const totalPages = Math.ceil(total / pageSize);
  return { page, page_size: pageSize, total, total_pages: totalPages, has_next: page < totalPages, has_prev: page > 1 };
}

/**
 * Picks the items at ranks `[offset, offset + size)` of a stream in sort order without holding the
 * stream: it keeps at most 2 × (offset + size) items, sorting and cutting back to offset + size
 * whenever the buffer fills (O(n log k) overall).
 */
export class PageSelector<T> {
  private buffer: T[] = [];
  private readonly keep: number;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly offset: number,
    private readonly size: number,
  ) {
    this.keep = offset + size;
  }

  push(item: T): void {
    this.buffer.push(item);
    if (this.buffer.length >= 2 * this.keep) this.trim();
  }

  /** The selected page, in sort order. */
  page(): T[] {
    this.trim();
    return this.buffer.slice(this.offset, this.offset + this.size);
  }

  private trim(): void {
    this.buffer.sort(this.compare);
    this.buffer.length = Math.min(this.buffer.length, this.keep);
  }
}

/** Keeps the last `capacity` items pushed, in push order. */
export class TailBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}
