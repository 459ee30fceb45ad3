import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileTimestamp, fileTimestampToDateTime, localDateTime, localIsoTimestamp } from './time.js';

const ISO_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;

/** Node re-reads process.env.TZ on change, so each test can pick the server's zone. */
let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
});
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('fileTimestamp', () => {
  it('formats YYYYMMDD_HHMMSS in local time with zero padding', () => {
    process.env.TZ = 'UTC';
    expect(fileTimestamp(new Date('2025-07-02T01:03:08.999Z'))).toBe('20250702_010308');
  });

  it('uses the local zone, not UTC', () => {
    process.env.TZ = 'Asia/Shanghai';
    expect(fileTimestamp(new Date('2025-07-21T17:35:20Z'))).toBe('20250722_013520');
  });

  it('defaults to now', () => {
    expect(fileTimestamp()).toMatch(/^\d{8}_\d{6}$/);
  });
});

describe('fileTimestampToDateTime', () => {
  it('reformats a file stamp', () => {
    expect(fileTimestampToDateTime('20250722_010318')).toBe('2025-07-22 01:03:18');
  });

  it('returns anything that is not a stamp unchanged', () => {
    for (const text of ['20250722010318', '2025072_010318', '20250722_010318x', 'latest', '']) {
      expect(fileTimestampToDateTime(text)).toBe(text);
    }
  });

  it('round-trips with fileTimestamp and localDateTime', () => {
    const date = new Date(2024, 1, 29, 23, 59, 58);
    expect(fileTimestampToDateTime(fileTimestamp(date))).toBe(localDateTime(date));
  });
});

describe('localDateTime', () => {
  it('formats YYYY-MM-DD HH:MM:SS in local time', () => {
    process.env.TZ = 'Asia/Shanghai';
    expect(localDateTime(new Date('2025-01-05T20:04:09.500Z'))).toBe('2025-01-06 04:04:09');
  });
});

describe('localIsoTimestamp', () => {
  const instant = new Date('2025-07-22T02:35:20.123Z');

  it.each([
    ['UTC', '2025-07-22T02:35:20.123+00:00'],
    ['Asia/Shanghai', '2025-07-22T10:35:20.123+08:00'],
    ['Asia/Kolkata', '2025-07-22T08:05:20.123+05:30'],
    ['Asia/Kathmandu', '2025-07-22T08:20:20.123+05:45'],
    ['America/New_York', '2025-07-21T22:35:20.123-04:00'],
    ['America/St_Johns', '2025-07-22T00:05:20.123-02:30'],
  ])('in %s gives %s and round-trips to the same instant', (tz, expected) => {
    process.env.TZ = tz;
    const text = localIsoTimestamp(instant);
    expect(text).toBe(expected);
    expect(text).toMatch(ISO_LOCAL);
    expect(new Date(text).getTime()).toBe(instant.getTime());
  });

  it('pads milliseconds to three digits', () => {
    process.env.TZ = 'UTC';
    expect(localIsoTimestamp(new Date('2025-01-01T00:00:00.007Z'))).toBe('2025-01-01T00:00:00.007+00:00');
  });

  it('defaults to now', () => {
    const before = Date.now();
    const text = localIsoTimestamp();
    expect(text).toMatch(ISO_LOCAL);
    const parsed = new Date(text).getTime();
    expect(parsed).toBeGreaterThanOrEqual(before);
    expect(parsed).toBeLessThanOrEqual(Date.now());
  });
});
