import { describe, expect, it } from 'vitest';
import { collectionFilterOf } from './collection-filter.js';

describe('collectionFilterOf', () => {
  const names = ['sql', 'ddl', 'documentation', 'error_sql', 'a.b', 'sql_restored'];
  const pick = (selection: Parameters<typeof collectionFilterOf>[0]) => names.filter(collectionFilterOf(selection) ?? (() => true));

  it('selects everything without include or exclude', () => {
    expect(collectionFilterOf({})).toBeNull();
  });

  it('matches whole names, with * as the only wildcard', () => {
    expect(pick({ include: ['sql'] })).toEqual(['sql']);
    expect(pick({ include: ['*sql'] })).toEqual(['sql', 'error_sql']);
    expect(pick({ include: ['sql*'] })).toEqual(['sql', 'sql_restored']);
    expect(pick({ include: ['a.b', 'd*'] })).toEqual(['ddl', 'documentation', 'a.b']);
    expect(pick({ include: ['a?b', '.*'] })).toEqual([]);
    expect(pick({ include: ['*'] })).toEqual(names);
    expect(pick({ include: [] })).toEqual([]);
  });

  it('excludes the reverse', () => {
    expect(pick({ exclude: ['*sql*'] })).toEqual(['ddl', 'documentation', 'a.b']);
    expect(pick({ exclude: [] })).toEqual(names);
  });
});
