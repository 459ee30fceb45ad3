import { describe, expect, it } from 'vitest';
import { isTimeBound } from './tasks.schemas.js';

describe('task query time bounds (strict: only what PostgreSQL ::timestamp accepts)', () => {
  it.each(['2025-07-01', '2025-07-01 10:00', '2025-07-01 10:00:00', '2025-07-01T10:00:00.5', '2025-07-01T10:00:00Z', '2025-07-01 10:00:00+08:00', '2024-02-29', '0001-01-01', '9999-12-31 23:59:59'])(
    'accepts %j',
    (value) => expect(isTimeBound(value)).toBe(true),
  );
  it.each(['0', '-1', '', '2025', '2025-7-1', '2025-02-29', '2025-04-31', '2025-00-10', '0000-01-01', '99999-01-01', '2025-07-01 24:00:00', '2025-07-01 10:60', 'Tue Jul 01 2025', '2025-07-01T10:00:00.1234567'])(
    'refuses %j',
    (value) => expect(isTimeBound(value)).toBe(false),
  );
});
