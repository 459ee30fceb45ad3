import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool.js';
import { TableInspector } from '../../src/introspection/table-inspector.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

const SMALL_THRESHOLD = { largeTableThreshold: 100, sampleRows: 5, enumScanRows: 50, enumMaxValues: 5 };

describe('row counts of tables without statistics', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, { max: embeddedTestMode() ? 1 : 2 }, pino({ level: 'silent' }));
    // Autovacuum off for these tables, so nothing analyses them behind the test's back.
    await db.query(`
      CREATE TABLE never_analysed (id int, label text) WITH (autovacuum_enabled = false);
      INSERT INTO never_analysed SELECT g, 'row ' || g FROM generate_series(1, 3000) g;
      CREATE TABLE tiny_never_analysed (id int) WITH (autovacuum_enabled = false);
      INSERT INTO tiny_never_analysed VALUES (1), (2), (3), (4), (5);`);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const reltuples = async (table: string) =>
    Number((await db.query(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [table]))[0]!.reltuples);

  it('reports a never-analysed table above the threshold as an estimate, not a COUNT(*)', async () => {
    expect(await reltuples('never_analysed')).toBe(-1);
    const table = await new TableInspector(SMALL_THRESHOLD).describeTable(pool, 'public', 'never_analysed');
    expect(table.rowCountExact).toBe(false);
    const [plan] = await db.query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM never_analysed`);
    const planned = Math.round((typeof plan!['QUERY PLAN'] === 'string' ? JSON.parse(plan!['QUERY PLAN']) : plan!['QUERY PLAN'])[0].Plan['Plan Rows']);
    expect(table.rowCount).toBe(Math.max(101, planned));
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'label']);
    // Introspection only reads: the statistics are still unknown.
    expect(await reltuples('never_analysed')).toBe(-1);
  });

  it('counts a never-analysed table below the threshold exactly', async () => {
    expect(await reltuples('tiny_never_analysed')).toBe(-1);
    const table = await new TableInspector(SMALL_THRESHOLD).describeTable(pool, 'public', 'tiny_never_analysed');
    expect(table).toMatchObject({ rowCount: 5, rowCountExact: true });
  });

  it('does not trust stale statistics that call a grown table small', async () => {
    await db.query(`CREATE TABLE grown (id int) WITH (autovacuum_enabled = false)`);
    await db.query(`INSERT INTO grown SELECT generate_series(1, 10)`);
    await db.query(`ANALYZE grown`);
    await db.query(`INSERT INTO grown SELECT generate_series(11, 3000)`);
    expect(await reltuples('grown')).toBe(10);
    const table = await new TableInspector(SMALL_THRESHOLD).describeTable(pool, 'public', 'grown');
    expect(table.rowCountExact).toBe(false);
    expect(table.rowCount).toBeGreaterThan(100);
  });
});
