import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { readCsvObjects } from '../helpers/csv.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { collectionDigest, COLLECTIONS, seedCollections } from '../helpers/vector-collections.js';
import { vectorSnapshot } from '../helpers/vector-db.js';
import { pollToEnd } from '../helpers/vector-jobs.js';

const API = '/api/v0/data_pipeline/vector';
const GLOBAL_PATH = './data_pipeline/training_data/vector_bak';
const ALL_UUIDS = Object.values(COLLECTIONS).map((c) => c.uuid);

describe('collection selection and renames (SPEC §7)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const post = (route: string, body: object) => request(t.app).post(`${API}${route}`).send(body);
  const backup = async (body: object) => (await post('/backup', body).expect(200)).body.data as Record<string, any>;
  const fileOf = (data: Record<string, any>, table: string) => path.join(t.dataRoot, 'vector_bak', data.tables_backed_up[table].backup_file);
  const manifestOf = (stamp: string) => JSON.parse(fs.readFileSync(path.join(t.dataRoot, 'vector_bak', `backup_manifest_${stamp}.json`), 'utf8'));
  let fullSet: { backup_path: string; timestamp: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedCollections(db);
    t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '50' });
    fullSet = { backup_path: GLOBAL_PATH, timestamp: (await backup({})).backup_timestamp };
  });
  afterAll(async () => {
    await t.services.jobRunner.stop(5000);
    await t.close();
    await db.drop();
  });
  beforeEach(async () => {
    await post('/restore', { ...fullSet, truncate_before_restore: true }).expect(200);
  });

  it('include ["sql"] backs up only that collection: files, row counts and manifest', async () => {
    const data = await backup({ include: ['sql'] });
    const embeddings = readCsvObjects(fileOf(data, 'langchain_pg_embedding'));
    expect(embeddings).toHaveLength(COLLECTIONS.sql.rows);
    expect(new Set(embeddings.map((r) => r.collection_id))).toEqual(new Set([COLLECTIONS.sql.uuid]));
    expect(readCsvObjects(fileOf(data, 'langchain_pg_collection')).map((r) => r.name)).toEqual(['sql']);
    expect(data.tables_backed_up.langchain_pg_embedding.row_count).toBe(COLLECTIONS.sql.rows);
    const manifest = manifestOf(data.backup_timestamp);
    expect(manifest.collections).toEqual([{ uuid: COLLECTIONS.sql.uuid, name: 'sql', rows: COLLECTIONS.sql.rows }]);
    expect(manifest.tables.map((e: { rows: number }) => e.rows)).toEqual([1, COLLECTIONS.sql.rows]);
  });

  it('a backup dry run counts only the selected collections', async () => {
    const res = await post('/backup', { include: ['d*'], dry_run: true }).expect(200);
    expect(res.body.data.collections.map((c: { name: string }) => c.name)).toEqual(['ddl', 'documentation']);
    expect(res.body.data.tables.langchain_pg_embedding).toMatchObject({ rows: COLLECTIONS.ddl.rows + COLLECTIONS.documentation.rows, rows_estimated: false });
    expect(res.body.data.tables.langchain_pg_collection).toMatchObject({ rows: 2 });
  });

  it('exclude ["sql"] backs up the others; a wildcard selects by pattern', async () => {
    const excluded = await backup({ exclude: ['sql'] });
    const rows = readCsvObjects(fileOf(excluded, 'langchain_pg_embedding'));
    expect(rows).toHaveLength(COLLECTIONS.ddl.rows + COLLECTIONS.documentation.rows);
    expect(rows.some((r) => r.collection_id === COLLECTIONS.sql.uuid)).toBe(false);
    expect(manifestOf(excluded.backup_timestamp).collections.map((c: { name: string }) => c.name)).toEqual(['ddl', 'documentation']);

    const wildcard = await backup({ include: ['d*'] });
    expect(manifestOf(wildcard.backup_timestamp).collections.map((c: { name: string }) => c.name)).toEqual(['ddl', 'documentation']);
    const none = await backup({ include: ['nothing*'] });
    expect(none.tables_backed_up.langchain_pg_embedding.row_count).toBe(0);
    expect(manifestOf(none.backup_timestamp).collections).toEqual([]);
  });

  it('async backup and restore jobs and a schedule take the same fields', async () => {
    await t.services.jobRunner.start();
    try {
      const accepted = await post('/backup', { include: ['ddl'], async: true }).expect(202);
      const { job } = await pollToEnd(t.app, accepted.body.data.job_id);
      expect(job.status).toBe('succeeded');
      expect(job.result.tables_backed_up.langchain_pg_embedding.row_count).toBe(COLLECTIONS.ddl.rows);
      const restoring = await post('/restore', { ...fullSet, include: ['documentation'], collection_suffix: '_job', async: true }).expect(202);
      const restored = (await pollToEnd(t.app, restoring.body.data.job_id)).job;
      expect(restored.status).toBe('succeeded');
      expect(restored.result.collections).toMatchObject([{ name: 'documentation', target_name: 'documentation_job', action: 'created' }]);
      expect(restored.result.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: COLLECTIONS.documentation.rows });
    } finally {
      await t.services.jobRunner.stop(5000);
    }
    const created = await post('/schedules', { cron: '0 3 * * *', include: ['sql', 'd*'], format: 'csv', compression: 'gzip', label: 'nightly', keep_last: 2 }).expect(201);
    expect(created.body.data.request).toMatchObject({ include: ['sql', 'd*'], format: 'csv', compression: 'gzip', label: 'nightly', keep_last: 2 });
    await request(t.app).delete(`${API}/schedules/${created.body.data.schedule_id}`).expect(200);
  });

  it('refuses fields that cannot go together with a 400 naming both', async () => {
    const cases: [string, object, string[]][] = [
      ['/backup', { include: ['sql'], exclude: ['ddl'] }, ['include', 'exclude']],
      ['/backup', { include: ['sql'], truncate_vector_tables: true }, ['truncate_vector_tables', 'include']],
      ['/schedules', { cron: '0 3 * * *', include: ['sql'], exclude: ['ddl'] }, ['include', 'exclude']],
      ['/schedules', { cron: '0 3 * * *', format: 'parquet' }, ['format']],
      ['/restore', { ...fullSet, include: ['sql'], exclude: ['ddl'] }, ['include', 'exclude']],
      ['/restore', { ...fullSet, collection_suffix: '_x', collection_renames: { sql: 'y' } }, ['collection_suffix', 'collection_renames']],
      ['/restore', { ...fullSet, on_conflict: 'merge' }, ['on_conflict']],
    ];
    for (const [route, body, params] of cases) {
      const res = await post(route, body).expect(400);
      expect(res.body.data.invalid_params, `${route} ${JSON.stringify(body)}`).toEqual(params);
    }
    const unknown = await post('/restore', { ...fullSet, collection_renames: { nope: 'x' } }).expect(400);
    expect(unknown.body.data.invalid_params).toEqual(['collection_renames']);
  });

  it('restores only the included collections', async () => {
    const res = await post('/restore', { ...fullSet, include: ['ddl'], truncate_before_restore: true }).expect(200);
    expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: COLLECTIONS.ddl.rows, rows_excluded: 6 });
    const names = await db.query<{ name: string }>('SELECT name FROM langchain_pg_collection ORDER BY name');
    expect(names.map((r) => r.name)).toEqual(['ddl']);
    expect((await vectorSnapshot(db)).embeddings).toBe(COLLECTIONS.ddl.rows);
  });

  it('collection_suffix restores beside the live data: originals untouched, new UUIDs, fresh ids, own nearest neighbours', async () => {
    const before = await collectionDigest(db, ALL_UUIDS);
    const res = await post('/restore', { ...fullSet, collection_suffix: '_restored' }).expect(200);
    expect(await collectionDigest(db, ALL_UUIDS)).toEqual(before);
    const created = await db.query<{ uuid: string; name: string }>(`SELECT uuid::text, name FROM langchain_pg_collection WHERE name LIKE '%\\_restored' ORDER BY name`);
    expect(created.map((c) => c.name)).toEqual(['ddl_restored', 'documentation_restored', 'sql_restored']);
    expect(res.body.data.collections.every((c: { action: string }) => c.action === 'created')).toBe(true);
    for (const [name, c] of Object.entries(COLLECTIONS)) {
      const renamed = created.find((r) => r.name === `${name}_restored`)!;
      expect(ALL_UUIDS).not.toContain(renamed.uuid);
      // Same vectors, documents and metadata (but the id) as the original collection, each under a fresh id with its suffix.
      const [cmp] = await db.query<{ same: boolean; fresh: number; rows: number }>(
        `SELECT (SELECT array_agg(embedding::text || document || (cmetadata - 'id')::text ORDER BY document) FROM langchain_pg_embedding WHERE collection_id = $1::uuid)
              = (SELECT array_agg(embedding::text || document || (cmetadata - 'id')::text ORDER BY document) FROM langchain_pg_embedding WHERE collection_id = $2::uuid) AS same,
                (SELECT count(*)::int FROM langchain_pg_embedding WHERE collection_id = $1::uuid
                   AND id ~ ('^[0-9a-f-]{36}-' || $3 || '$') AND cmetadata ->> 'id' = id
                   AND id NOT IN (SELECT id FROM langchain_pg_embedding WHERE collection_id = $2::uuid)) AS fresh,
                (SELECT count(*)::int FROM langchain_pg_embedding WHERE collection_id = $1::uuid) AS rows`,
        [renamed.uuid, c.uuid, c.suffix],
      );
      expect(cmp).toEqual({ same: true, fresh: c.rows, rows: c.rows });
    }
    const [nn] = await db.query<{ own: number; total: number }>(
      `SELECT count(*) FILTER (WHERE nn.id = r.id)::int AS own, count(*)::int AS total
         FROM langchain_pg_embedding r
         CROSS JOIN LATERAL (SELECT n.id FROM langchain_pg_embedding n WHERE n.collection_id = r.collection_id
                              ORDER BY n.embedding <=> r.embedding LIMIT 1) nn
        WHERE r.collection_id = ANY($1::uuid[])`,
      [created.map((c) => c.uuid)],
    );
    expect(nn).toEqual({ own: 9, total: 9 });

    // The same suffix again: the renamed collections exist → 409, nothing written; skip → every row already there.
    const snapshot = await vectorSnapshot(db);
    const again = await post('/restore', { ...fullSet, collection_suffix: '_restored' }).expect(409);
    expect(again.body.data.error_type).toBe('VECTOR_RESTORE_CONFLICT');
    expect(await vectorSnapshot(db)).toEqual(snapshot);
    const skipped = await post('/restore', { ...fullSet, collection_suffix: '_restored', on_conflict: 'skip' }).expect(200);
    expect(skipped.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 0, rows_inserted: 0, rows_skipped: 9 });
    expect(await vectorSnapshot(db)).toEqual(snapshot);
  });

  it('collection_renames renames only the named collections, and with include restores only them', async () => {
    await post('/restore', { ...fullSet, include: ['sql'], collection_renames: { sql: 'sql_v1' } }).expect(200);
    const rows = await db.query<{ name: string; n: number }>(
      `SELECT c.name, count(e.id)::int AS n FROM langchain_pg_collection c LEFT JOIN langchain_pg_embedding e ON e.collection_id = c.uuid GROUP BY c.name ORDER BY c.name`,
    );
    expect(rows).toEqual([
      { name: 'ddl', n: 3 },
      { name: 'documentation', n: 2 },
      { name: 'sql', n: 4 },
      { name: 'sql_v1', n: 4 },
    ]);
  });

  it('without renames, a collection is matched by name: a set from another database goes into the live collection', async () => {
    // The live "sql" collection has another UUID (as in another database); its rows are gone.
    await db.query(`DELETE FROM langchain_pg_embedding; DELETE FROM langchain_pg_collection WHERE name = 'sql';
                    INSERT INTO langchain_pg_collection VALUES ('11111111-2222-4333-8444-555555555555', 'sql', NULL)`);
    const res = await post('/restore', { ...fullSet, include: ['sql'] }).expect(200);
    expect(res.body.data.collections).toEqual([
      { name: 'sql', uuid: COLLECTIONS.sql.uuid, target_name: 'sql', target_uuid: '11111111-2222-4333-8444-555555555555', action: 'existing' },
    ]);
    const [row] = await db.query<{ n: number; collections: number }>(
      `SELECT count(*)::int AS n, (SELECT count(*)::int FROM langchain_pg_collection WHERE name = 'sql') AS collections
         FROM langchain_pg_embedding WHERE collection_id = '11111111-2222-4333-8444-555555555555'`,
    );
    expect(row).toEqual({ n: COLLECTIONS.sql.rows, collections: 1 });
  });
});
