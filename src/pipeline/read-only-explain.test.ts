import { describe, expect, it } from 'vitest';
import { InvalidSqlError, isSqlError, writingNodes } from './read-only-explain.js';

describe('isSqlError', () => {
  it('counts syntax, data, feature and cardinality errors as the SQL being wrong', () => {
    for (const code of ['42601', '42703', '42P01', '42702', '22P02', '22012', '0A000', '21000', '3F000']) expect(isSqlError({ code }), code).toBe(true);
    expect(isSqlError(new InvalidSqlError('x'))).toBe(true);
  });

  it('never judges the SQL by an outage, a timeout, a privilege or an error without SQLSTATE', () => {
    for (const code of ['08006', '08001', '3D000', '28P01', '53300', '57014', '57P01', '58030', 'XX000', '25006', '42501', 'ECONNREFUSED']) {
      expect(isSqlError({ code }), code).toBe(false);
    }
    expect(isSqlError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isSqlError(null)).toBe(false);
  });
});

describe('writingNodes', () => {
  it('finds ModifyTable under an InitPlan and LockRows at the top', () => {
    const cte = {
      'Node Type': 'CTE Scan',
      Plans: [{ 'Node Type': 'ModifyTable', Operation: 'Delete', 'Relation Name': 'bss_company', Plans: [{ 'Node Type': 'Seq Scan' }] }],
    };
    expect(writingNodes(cte)).toEqual(['Delete bss_company']);
    expect(writingNodes({ 'Node Type': 'LockRows', Plans: [{ 'Node Type': 'Seq Scan' }] })).toEqual(['LockRows']);
    expect(writingNodes({ 'Node Type': 'Aggregate', Plans: [{ 'Node Type': 'Seq Scan' }] })).toEqual([]);
  });
});
