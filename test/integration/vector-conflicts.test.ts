import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tryVectorWriterLock } from '../../src/db/sql/vector-tables.sql.js';
import { copyFixtureBackups, createTestApp, FIXTURE_SETS, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { COLLECTIONS, seedCollections } from '../helpers/vector-collections.js';
import { openSession, vectorSnapshot } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline/vector';
const TOTAL = 9;

describe('on_conflict and restore dry run (SPEC §7)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const post = (route: string, body: object) => request(t.app).post(`${API}${route}`).send(body);
  let set: { backup_path: string; timestamp: string };
  let backedUp: Awaited<ReturnType<typeof vectorSnapshot>>;
  let deleted: string[];
  let modified: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedCollections(db);
    t = await createTestApp(db.url);
    copyFixtureBackups(t.dataRoot);
    const res = await post('/backup', {}).expect(200);
    set = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: res.body.data.backup_timestamp };
    backedUp = await vectorSnapshot(db);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });
  beforeEach(async () => {
    // Back to the backup, then: two rows deleted, two modified (document and vector) since it was taken.
    await post('/restore', { ...set, truncate_before_restore: true }).expect(200);
    const ids = (await db.query<{ id: string }>('SELECT id FROM langchain_pg_embedding ORDER BY id')).map((r) => r.id);
    deleted = ids.slice(0, 2);
    modified = ids.slice(2, 4);
    await db.query('DELETE FROM langchain_pg_embedding WHERE id = ANY($1)', [deleted]);
    await db.query(`UPDATE langchain_pg_embedding SET document = 'changed', embedding = '[9,9,9,9,9,9,9,9]' WHERE id = ANY($1)`, [modified]);
  });

  it('error (the default): 409 naming a conflicting id, the table unchanged', async () => {
    const before = await vectorSnapshot(db);
    for (const body of [{}, { on_conflict: 'error' }]) {
      const res = await post('/restore', { ...set, ...body }).expect(409);
      expect(res.body.data).toMatchObject({ error_type: 'VECTOR_RESTORE_CONFLICT', rolled_back: true, restore_performed: false });
      const id = res.body.error.details.conflicting_id as string;
      expect((await db.query('SELECT 1 FROM langchain_pg_embedding WHERE id = $1', [id])).length).toBe(1);
      expect(res.body.data.response).toContain(id);
      expect(await vectorSnapshot(db)).toEqual(before);
    }
  });

  it('skip: deleted rows come back, modified rows keep the live values', async () => {
    const res = await post('/restore', { ...set, on_conflict: 'skip' }).expect(200);
    expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 2, rows_inserted: 2, rows_updated: 0, rows_skipped: TOTAL - 2 });
    expect(res.body.data.collections.map((c: { action: string }) => c.action)).toEqual(['existing', 'existing', 'existing']);
    const rows = await db.query<{ id: string; document: string }>('SELECT id, document FROM langchain_pg_embedding WHERE id = ANY($1) ORDER BY id', [[...deleted, ...modified]]);
    expect(rows.map((r) => r.id)).toEqual([...deleted, ...modified].sort());
    expect(rows.filter((r) => modified.includes(r.id)).map((r) => r.document)).toEqual(['changed', 'changed']);
    expect(rows.filter((r) => deleted.includes(r.id)).every((r) => r.document.startsWith('document '))).toBe(true);
  });

  it('upsert: the table equals the backup again', async () => {
    const res = await post('/restore', { ...set, on_conflict: 'upsert' }).expect(200);
    expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: TOTAL, rows_inserted: 2, rows_updated: TOTAL - 2, rows_skipped: 0 });
    expect(await vectorSnapshot(db)).toEqual(backedUp);
  });

  it('a row refused in the staged merge rolls everything back, new collections included', async () => {
    // A real fault inside the INSERT … SELECT: a CHECK the staging table does not copy (LIKE
    // leaves constraints out) rejects one restored row only when it reaches the target table.
    await db.query(`ALTER TABLE langchain_pg_embedding ADD CONSTRAINT no_document_2 CHECK (document <> 'document 2') NOT VALID`);
    try {
      const before = await vectorSnapshot(db);
      const res = await post('/restore', { ...set, collection_suffix: '_v2', on_conflict: 'upsert' });
      expect(res.status).toBe(422);
      expect(res.body.data).toMatchObject({ rolled_back: true, restore_performed: false });
      expect(await vectorSnapshot(db)).toEqual(before);
    } finally {
      await db.query('ALTER TABLE langchain_pg_embedding DROP CONSTRAINT no_document_2');
    }
  });

  it('dry run: writes nothing, holds nothing after, and reports rows, conflicts and an estimate', async () => {
    const before = await vectorSnapshot(db);
    const res = await post('/restore', { ...set, dry_run: true }).expect(200);
    const data = res.body.data;
    expect(data).toMatchObject({ dry_run: true, restore_performed: false, has_manifest: true, would_truncate: [], would_create_tables: [] });
    expect(data.tables.langchain_pg_embedding).toMatchObject({ rows: TOTAL, load_path: 'raw', conflicts: { count: TOTAL - 2 } });
    expect(data.tables.langchain_pg_collection).toMatchObject({ rows: 3, rows_source: 'manifest' });
    expect(data.tables.langchain_pg_embedding.conflicts.first_ids.length).toBeGreaterThan(0);
    for (const id of data.tables.langchain_pg_embedding.conflicts.first_ids) expect(deleted).not.toContain(id);
    expect(data.conflicts).toMatchObject({ count: TOTAL - 2, on_conflict: 'error', outcome: 'would_fail_409' });
    expect(data.collections.map((c: { name: string; rows: number }) => [c.name, c.rows])).toEqual([
      ['ddl', COLLECTIONS.ddl.rows],
      ['documentation', COLLECTIONS.documentation.rows],
      ['sql', COLLECTIONS.sql.rows],
    ]);
    expect(data.total_rows).toBe(TOTAL + 3);
    expect(data.estimated_duration_seconds).toBeGreaterThanOrEqual(0);
    expect(await vectorSnapshot(db)).toEqual(before);
    if (!embeddedTestMode()) {
      // No lock left behind: another session can take the writer lock at once.
      const other = await openSession(db);
      try {
        const lock = tryVectorWriterLock();
        await other.query('BEGIN');
        expect((await other.query(lock.text, lock.values)).rows[0].locked).toBe(true);
        await other.query('ROLLBACK');
      } finally {
        await other.end();
      }
      const held = await db.query(`SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND l.locktype IN ('relation', 'advisory')`);
      expect(held).toEqual([]);
    }

    // With a suffix nothing conflicts, and the collections would be created.
    const renamed = (await post('/restore', { ...set, dry_run: true, collection_suffix: '_copy', include: ['sql'] }).expect(200)).body.data;
    expect(renamed.conflicts).toMatchObject({ count: 0, outcome: 'no_conflicts' });
    expect(renamed.collections).toMatchObject([{ name: 'sql', target_name: 'sql_copy', action: 'created', rows: COLLECTIONS.sql.rows }]);
    expect(renamed.tables.langchain_pg_embedding.rows).toBe(COLLECTIONS.sql.rows);
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('dry run of a legacy set counts its rows by scanning', async () => {
    const fixture = FIXTURE_SETS[0];
    const res = await post('/restore', { backup_path: `./data_pipeline/training_data/${fixture.dir}`, timestamp: fixture.timestamp, dry_run: true, truncate_before_restore: true }).expect(200);
    expect(res.body.data).toMatchObject({ has_manifest: false, would_truncate: ['langchain_pg_collection', 'langchain_pg_embedding'] });
    expect(res.body.data.tables.langchain_pg_embedding).toMatchObject({ rows: fixture.embeddings, rows_source: 'scan', conflicts: null });
    expect(res.body.data.collections.reduce((n: number, c: { rows: number }) => n + c.rows, 0)).toBe(fixture.embeddings);
  });
});
