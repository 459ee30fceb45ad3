import { describe, expect, it } from 'vitest';
import { selectExpired } from './retention.js';

describe('selectExpired', () => {
  const now = new Date(2025, 6, 22, 12, 0, 0);
  // Newest first, as setStamps returns them.
  const stamps = ['20250722_110000', '20250721_120000', '20250701_000000', '20240101_000000'];

  it('keep_last alone: everything outside the newest N', () => {
    expect(selectExpired(stamps, { keepLast: 2 }, now)).toEqual(['20250701_000000', '20240101_000000']);
    expect(selectExpired(stamps, { keepLast: 10 }, now)).toEqual([]);
  });

  it('older_than_days alone: by the stamp in the name, local time', () => {
    expect(selectExpired(stamps, { olderThanDays: 1 }, now)).toEqual(['20250701_000000', '20240101_000000']);
    // 20250721_120000 is exactly one day old: not older than one day.
    expect(selectExpired(stamps, { olderThanDays: 0.5 }, now)).toEqual(['20250721_120000', '20250701_000000', '20240101_000000']);
  });

  it('both: outside the newest N AND old enough', () => {
    expect(selectExpired(stamps, { keepLast: 3, olderThanDays: 1 }, now)).toEqual(['20240101_000000']);
    expect(selectExpired(stamps, { keepLast: 1, olderThanDays: 30 }, now)).toEqual(['20240101_000000']);
  });
});
