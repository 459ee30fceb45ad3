import { describe, expect, it } from 'vitest';
import { fillParameters } from './query-log-miner.js';
import { describeSql } from './sql-describer.js';
import { tokenize } from './sql-tokens.js';

const VALUES = new Map([
  ['count_date', '2026-11-29'],
  ['car_type', '危化品'],
  ['company_name', "O'Brien"],
]);
const fill = (sql: string) => fillParameters(sql, tokenize(sql), VALUES);

describe('fillParameters (normalised pg_stat_statements text)', () => {
  it('fills comparisons, IN lists, BETWEEN, typed literals, LIMIT and OFFSET by position', () => {
    expect(fill('SELECT * FROM t WHERE count_date >= $1 AND car_type = $2 LIMIT $3 OFFSET $4')).toEqual({
      sql: `SELECT * FROM t WHERE count_date >= '2026-11-29' AND car_type = '危化品' LIMIT 10 OFFSET 0`,
    });
    expect(fill('SELECT 1 FROM t WHERE c.car_type IN ($1, $2) AND count_date BETWEEN $3 AND $4')).toEqual({
      sql: `SELECT 1 FROM t WHERE c.car_type IN ('危化品', '危化品') AND count_date BETWEEN '2026-11-29' AND '2026-11-29'`,
    });
    expect(fill('SELECT 1 FROM t WHERE count_date = DATE $1')).toEqual({ sql: `SELECT 1 FROM t WHERE count_date = DATE '2026-11-29'` });
    // Quotes in a sampled value are doubled; $1 inside a string is text, not a parameter.
    expect(fill(`SELECT '$1' FROM t WHERE company_name = $1`)).toEqual({ sql: `SELECT '$1' FROM t WHERE company_name = 'O''Brien'` });
    expect(fill('SELECT 1 FROM t WHERE car_type = $10')).toEqual({ sql: `SELECT 1 FROM t WHERE car_type = '危化品'` });
  });

  it('refuses parameters it cannot give a meaning to, saying which', () => {
    expect(fill('SELECT $1 || company_name FROM t')).toEqual({ reason: expect.stringContaining('$1') });
    expect(fill('SELECT 1 FROM t WHERE unknown_col = $1')).toEqual({ reason: expect.stringContaining('unknown_col') });
    expect(fill('SELECT round(x, $1) FROM t')).toEqual({ reason: expect.stringContaining('$1') });
  });
});

describe('describeSql (the built-in describer)', () => {
  const tables = new Map([['bss_car_day_count', '车流统计'], ['bss_service_area', '服务区']]);
  const columns = new Map([['car_type', '车辆类别'], ['customer_count', '车辆数量'], ['count_date', '统计日期'], ['service_area_name', '服务区名称']]);

  it('says what the SQL asks: grouping, aggregates, filters with values, order and limit', () => {
    expect(describeSql(`SELECT car_type, SUM(customer_count) FROM bss_car_day_count WHERE count_date >= '2026-11-01' AND delete_ts IS NULL GROUP BY car_type ORDER BY 2 DESC LIMIT 3`, tables, columns))
      .toBe('在统计日期不低于2026-11-01的条件下，按车辆类别统计车流统计的车辆数量合计，取前3条？');
    expect(describeSql('SELECT a.service_area_name, c.customer_count FROM bss_service_area a JOIN bss_car_day_count c ON c.service_area_id = a.id ORDER BY c.customer_count DESC', tables, columns))
      .toBe('查询服务区与车流统计的服务区名称、车辆数量，按车辆数量从高到低排列？');
    expect(describeSql('SELECT COUNT(*) FROM bss_car_day_count', tables, columns)).toBe('统计车流统计的记录数？');
  });
});
