import { describe, expect, it } from 'vitest';
import type { DemoRow } from './demo-catalog.js';
import { demoRows } from './demo-data.js';
import { DEMO_TABLES } from './demo-schema.js';
import { insertBatchSize, insertRows } from './demo-seed.sql.js';

const TODAY = '2026-11-21';
const built = new Map<string, DemoRow[]>();
/** Built once per table and day: deep-comparing a few thousand rows is the slow part of this file. */
function rowsOf(t: (typeof DEMO_TABLES)[number], today = TODAY): DemoRow[] {
  const key = `${t.name}@${today}`;
  if (!built.has(key)) built.set(key, [...demoRows(t.name, today)]);
  return built.get(key)!;
}
const table = (name: string) => DEMO_TABLES.find((t) => t.name === name)!;

describe('demo rows', () => {
  it('are the same on every run for the same day', () => {
    for (const t of DEMO_TABLES) expect([...demoRows(t.name, TODAY)]).toEqual(rowsOf(t));
  });

  it('depend on the seed day only through the recent window', () => {
    const before2024 = (rows: DemoRow[]) => rows.filter((r) => String(r.oper_date ?? r.count_date) < '2024');
    for (const name of ['bss_business_day_data', 'bss_car_day_count']) {
      expect(before2024(rowsOf(table(name)))).toEqual(before2024(rowsOf(table(name), '2026-01-10')));
    }
  });

  it('have exactly the columns of their table and unique keys', () => {
    for (const t of DEMO_TABLES) {
      const rows = rowsOf(t);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(t.columns.map((c) => c.name).sort());
      const keys = rows.map((r) => t.primaryKey.map((c) => r[c]).join('|'));
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('keep order_sum and pay_sum equal to the sums of the five payment channels', () => {
    const halves = (v: unknown) => Math.round(Number(v) * 2);
    for (const r of rowsOf(table('bss_business_day_data'))) {
      expect(r.order_sum).toBe(Number(r.wx_order) + Number(r.zf_order) + Number(r.rmb_order) + Number(r.xs_order) + Number(r.jd_order));
      expect(halves(r.pay_sum)).toBe(halves(r.wx) + halves(r.zfb) + halves(r.rmb) + halves(r.xs) + halves(r.jd));
      expect(Number(r.order_sum)).toBeGreaterThan(0);
    }
  });

  it('cover the dates the fixture SQL asks about', () => {
    const business = new Set(rowsOf(table('bss_business_day_data')).map((r) => r.oper_date));
    const cars = new Set(rowsOf(table('bss_car_day_count')).map((r) => r.count_date));
    for (const date of ['2023-03-15', '2023-04-01', '2023-04-30', '2026-11-20', '2026-10-22']) expect(business.has(date)).toBe(true);
    for (const date of ['2022-10-01', '2023-04-01', '2023-08-01', '2023-09-30', '2023-10-07', '2026-11-20']) expect(cars.has(date)).toBe(true);
    // Today's figures are only complete tomorrow.
    expect(business.has(TODAY) || cars.has(TODAY)).toBe(false);
  });
});

describe('insertRows', () => {
  it('numbers one parameter per value and stays under the protocol limit', () => {
    const t = table('bss_business_day_data');
    const rows = rowsOf(t).slice(0, insertBatchSize(t));
    const sql = insertRows(t, rows);
    expect(sql.values).toHaveLength(rows.length * t.columns.length);
    expect(sql.values!.length).toBeLessThanOrEqual(65_535);
    expect(sql.text).toContain(`$${sql.values!.length})`);
  });

  it('refuses a row with a column its table does not have', () => {
    const t = table('bss_company');
    const [row] = rowsOf(t);
    expect(() => insertRows(t, [{ ...row, company_nmae: 'x' }])).toThrow(/company_nmae/);
  });
});
