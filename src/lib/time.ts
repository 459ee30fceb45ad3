const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** ISO-8601 in server local time with its UTC offset, e.g. `2025-07-22T10:35:20.123+08:00`. */
export function localIsoTimestamp(date: Date = new Date()): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `YYYYMMDD_HHMMSS` in local time: the stamp of backup files and task ids. */
export function fileTimestamp(date: Date = new Date()): string {
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}_` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
  );
}

/** `YYYY-MM-DD HH:MM:SS` in local time (log lines, backup logs). */
export function localDateTime(date: Date = new Date()): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** `20250722_010318` → `2025-07-22 01:03:18`. */
export function fileTimestampToDateTime(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return stamp;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`;
}

/** Seconds since `startMs`, rounded to milliseconds, as the original's `duration` fields. */
export function secondsSince(startMs: number): number {
  return Math.round(performance.now() - startMs) / 1000;
}
