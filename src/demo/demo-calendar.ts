/**
 * Dates as `YYYY-MM-DD` strings and timestamps as `YYYY-MM-DD HH:MM:SS` strings, computed in UTC.
 * The demo columns are `date` and `timestamp` (no time zone): sending text keeps the values exactly
 * as generated, where a JS Date would be shifted by the session's TimeZone on the way in.
 */

const DAY_MS = 86_400_000;

function parse(date: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`expected a YYYY-MM-DD date, got "${date}"`);
  return new Date(`${date}T00:00:00Z`);
}

export function addDays(date: string, days: number): string {
  return new Date(parse(date).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every date from `first` to `last`, both included. */
export function dateRange(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) dates.push(d);
  return dates;
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  return parse(date).getUTCDay();
}

/** `date` plus `seconds` (may exceed one day) as a timestamp literal. */
export function timestampAt(date: string, seconds: number): string {
  return new Date(parse(date).getTime() + seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Like timestampAt, with milliseconds (the fixture's older tables carry them: `2021-05-20 09:51:58.718`). */
export function timestampMsAt(date: string, milliseconds: number): string {
  return new Date(parse(date).getTime() + milliseconds).toISOString().slice(0, 23).replace('T', ' ');
}
