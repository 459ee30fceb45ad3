import type { LogEntry, LogLevel } from './task-log-parser.js';

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
