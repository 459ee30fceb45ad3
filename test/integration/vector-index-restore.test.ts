import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferProgress, type ProgressSnapshot } from '../../src/backups/job-progress.js';
import { restoreRequestOf } from '../../src/backups/vector-requests.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { seedVectorTables, vectorSnapshot } from '../helpers/vector-db.js';

const ROWS = 2000;
const DIMS = 8;
const BAK = './data_pipeline/training_data/vector_bak';
const HNSW = 'ix_embedding_hnsw';

interface IndexRow {
  name: string;
  definition: string;
  oid: number;
  valid: boolean;
}

/** Every index of the embeddings table: name, definition, OID and validity. */
async function indexesOf(db: TestDatabase): Promise<IndexRow[]> {
  return db.query<IndexRow>(`
    SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indexrelid::int AS oid, i.indisvalid AS valid
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
     WHERE i.indrelid = 'langchain_pg_embedding'::regclass ORDER BY ic.relname`);
}

/** The plan of a nearest-neighbour query, as text (no planner switches turned off). */
async function nearestPlan(db: TestDatabase): Promise<string> {
  const probe = `[${Array.from({ length: DIMS }, (_, i) => (i + 1) / 10).join(',')}]`;
  const rows = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM langchain_pg_embedding ORDER BY embedding <=> '${probe}' LIMIT 5`,
  );
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('index-aware restore: secondary indexes dropped, loaded bare, rebuilt in the same transaction', () => {
  let db: TestDatabase;
  let t: TestApp;
  let stamp: string;
  const restore = (body: object) => request(t.app).post('/api/v0/data_pipeline/vector/restore').send(body);

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db, { rows: ROWS, dims: DIMS });
    await db.query(`
      ALTER TABLE langchain_pg_embedding ALTER COLUMN embedding TYPE vector(${DIMS});
      CREATE INDEX ${HNSW} ON langchain_pg_embedding USING hnsw (embedding vector_cosine_ops);
      CREATE INDEX ix_cmetadata_gin ON langchain_pg_embedding USING gin (cmetadata jsonb_path_ops);
      ANALYZE langchain_pg_embedding`);
    t = await createTestApp(db.url);
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    stamp = backup.body.data.backup_timestamp;
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('a truncating restore rebuilds the HNSW index: same definition, valid, new OID, used by the planner', async () => {
    const before = await indexesOf(db);
    const data = await vectorSnapshot(db);
    const res = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(200);
    const result = res.body.data;
    expect(result.restore_results.langchain_pg_embedding.rows_restored).toBe(ROWS);
    const rebuilt = result.index_rebuilt as Array<{ table: string; index: string; seconds: number; source: string }>;
    expect(rebuilt.map((r) => r.index).sort()).toEqual(['ix_cmetadata_gin', HNSW]);
    expect(rebuilt.every((r) => r.table === 'langchain_pg_embedding' && r.source === 'target' && r.seconds >= 0)).toBe(true);
    expect(result.timings.index_ready_seconds).toBeGreaterThanOrEqual(result.timings.data_online_seconds);

    const after = await indexesOf(db);
    // Same names and definitions (the primary key untouched, same OID); the secondary ones are new builds.
    expect(after.map(({ name, definition, valid }) => ({ name, definition, valid }))).toEqual(before.map(({ name, definition }) => ({ name, definition, valid: true })));
    const oid = (rows: IndexRow[], name: string) => rows.find((r) => r.name === name)!.oid;
    expect(oid(after, 'langchain_pg_embedding_pkey')).toBe(oid(before, 'langchain_pg_embedding_pkey'));
    expect(oid(after, HNSW)).not.toBe(oid(before, HNSW));
    expect(await vectorSnapshot(db)).toEqual(data);
    await db.query('ANALYZE langchain_pg_embedding');
    expect(await nearestPlan(db)).toContain(`Index Scan using ${HNSW}`);
  });

  it.skipIf(embeddedTestMode())('a truncating restore loads the embeddings with COPY FREEZE: every page all-frozen at once', async (ctx) => {
    const [available] = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pg_visibility'`);
    if (!available) return ctx.skip('pg_visibility (contrib) is not installed on this server');
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_visibility');
    await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(200);
    const frozen = async (table: string) =>
      (await db.query<{ all_frozen: string }>(`SELECT all_frozen FROM pg_visibility_map_summary('${table}')`))[0]!.all_frozen;
    const [pages] = await db.query<{ n: number }>(`SELECT pg_relation_size('langchain_pg_embedding') / current_setting('block_size')::int AS n`);
    expect(Number(await frozen('langchain_pg_embedding'))).toBe(Number(pages!.n));
    // The collections are referenced by a foreign key: no FREEZE there (it could not be re-truncated alone).
    expect(Number(await frozen('langchain_pg_collection'))).toBe(0);
  });

  it('a failure while rebuilding rolls everything back: rows and indexes exactly as before', async () => {
    // The set holds row-1 and row-2 with the same document; the live table does not, so a unique
    // index on document can exist now and fails only when it is rebuilt over the restored rows.
    const dup = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(200);
    expect(dup.body.data.restore_results.langchain_pg_embedding.rows_restored).toBe(ROWS);
    await db.query(`UPDATE langchain_pg_embedding SET document = 'doc 1' WHERE id = 'row-2'`);
    const withDuplicate = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    await db.query(`UPDATE langchain_pg_embedding SET document = 'doc 2' WHERE id = 'row-2'`);
    await db.query('CREATE UNIQUE INDEX ux_document ON langchain_pg_embedding (document)');
    try {
      const indexes = await indexesOf(db);
      const data = await vectorSnapshot(db);
      const res = await restore({ backup_path: BAK, timestamp: withDuplicate.body.data.backup_timestamp, truncate_before_restore: true });
      expect(res.status).toBe(409);
      expect(res.body.data.response).toContain('ux_document');
      expect(res.body.data).toMatchObject({ rolled_back: true, failed_index: { table: 'langchain_pg_embedding', index: 'ux_document' } });
      expect(await indexesOf(db)).toEqual(indexes);
      expect(await vectorSnapshot(db)).toEqual(data);
    } finally {
      await db.query('DROP INDEX ux_document');
    }
  });

  it('index_mode keep loads through the indexes in place (same OIDs, nothing rebuilt)', async () => {
    const before = await indexesOf(db);
    const data = await vectorSnapshot(db);
    const res = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true, index_mode: 'keep' }).expect(200);
    expect(res.body.data.index_rebuilt).toEqual([]);
    expect(await indexesOf(db)).toEqual(before);
    expect(await vectorSnapshot(db)).toEqual(data);
  });

  it('reports the index phase in the progress, per index, ending at 100', async () => {
    const seen: ProgressSnapshot[] = [];
    const progress: TransferProgress = new TransferProgress('copy', () => seen.push(progress.snapshot()));
    const body = { backup_path: BAK, timestamp: stamp, truncate_before_restore: true };
    await t.services.vectorRestore.restore({ ...restoreRequestOf(body), progress });
    const indexPhase = seen.filter((s) => s.phase === 'index' && s.index);
    expect(indexPhase.map((s) => s.index!.index)).toContain(HNSW);
    const last = indexPhase.at(-1)!.index!;
    expect(last).toMatchObject({ percent: 100, build_phase: 'done', indexes_done: 2, indexes_total: 2 });
    expect(seen.at(-1)!.phase).toBe('commit');
  });

  it.skipIf(embeddedTestMode())('the index phase carries the server\'s own build progress, read from another connection', async () => {
    // An index whose build takes about 2 s (an IMMUTABLE function that sleeps 1 ms per row): long
    // enough for several reads of pg_stat_progress_create_index at the 250 ms poll.
    await db.query(`
      CREATE FUNCTION slow_id(v text) RETURNS text IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN v; END $$;
      CREATE INDEX ix_slow ON langchain_pg_embedding (slow_id(id))`);
    try {
      const seen: ProgressSnapshot[] = [];
      const progress: TransferProgress = new TransferProgress('copy', () => seen.push(progress.snapshot()));
      await t.services.vectorRestore.restore({ ...restoreRequestOf({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }), progress });
      const building = seen.map((s) => s.index).filter((i) => i?.index === 'ix_slow' && i.build_phase !== null && i.build_phase !== 'done');
      expect(building.length).toBeGreaterThan(0);
      expect(building.every((i) => i!.build_phase!.startsWith('building index') && i!.percent >= 0 && i!.percent < 100)).toBe(true);
      expect(building.some((i) => i!.percent > 0)).toBe(true);
    } finally {
      await db.query('DROP INDEX ix_slow; DROP FUNCTION slow_id(text)');
    }
  });

  it('a restore into tables it creates recreates the indexes recorded in the manifest', async () => {
    const fresh = await createTestDatabase();
    const other = await createTestApp(fresh.url, {}, { cwd: t.cwd });
    try {
      const res = await request(other.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: BAK, timestamp: stamp })
        .expect(200);
      // The GIN index comes with the tables the restore creates (rebuilt after the load like any); the HNSW one from the manifest.
      expect(res.body.data.index_rebuilt).toEqual(
        expect.arrayContaining([expect.objectContaining({ table: 'langchain_pg_embedding', index: HNSW, source: 'manifest' })]),
      );
      const created = await indexesOf(fresh);
      const source = await indexesOf(db);
      expect(created.find((i) => i.name === HNSW)).toMatchObject({ definition: source.find((i) => i.name === HNSW)!.definition, valid: true });
      expect(await vectorSnapshot(fresh)).toEqual(await vectorSnapshot(db));
    } finally {
      await other.close();
      await fresh.drop();
    }
  });
});
