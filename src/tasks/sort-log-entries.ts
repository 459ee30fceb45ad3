import type { LogEntry, LogLevel } from './task-log-parser.js';

export const LOG_SORT_FIELDS = ['timestamp', 'level', 'logger', 'step', 'line_number'] as const;
export type LogSortField = (typeof LOG_SORT_FIELDS)[number];
export type SortOrder = 'asc' | 'desc';

const SEVERITY: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

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
