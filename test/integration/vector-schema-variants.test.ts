import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeFixtureApp, createTestApp, openFixtureApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

const RESTORE = '/api/v0/data_pipeline/vector/restore';
/** The embedded database always loads through the parser, in in-process chunks. */
const viaParser = (reason: string) => (embeddedTestMode() ? 'embedded_chunks' : reason);
const GLOBAL = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318' };

describe('restore into other table layouts and unusual files', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => ({ db, t } = await openFixtureApp()));
  afterAll(() => closeFixtureApp({ db, t }));
  beforeEach(async () => {
    await db.query('DROP TABLE IF EXISTS langchain_pg_embedding, langchain_pg_collection');
  });

  it('older langchain layout (uuid + custom_id): ids go to custom_id, fresh row uuids', async () => {
    await db.query(`
      CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL, cmetadata JSON);
      CREATE TABLE langchain_pg_embedding (
        uuid UUID PRIMARY KEY, collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
        embedding VECTOR(1024), document VARCHAR, cmetadata JSON, custom_id VARCHAR)`);
    const res = await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true });
    expect(res.status, JSON.stringify(res.body.data)).toBe(200);
    expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 62, load_path: viaParser('legacy_schema') });
    const rows = await db.query(`SELECT uuid::text, custom_id, cmetadata->>'id' AS meta_id FROM langchain_pg_embedding`);
    expect(rows).toHaveLength(62);
    for (const row of rows) {
      expect(row.custom_id).toBe(row.meta_id);
      expect(row.uuid).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(rows.map((r) => r.uuid)).size).toBe(62);
  });

  it('a generated document_vector column is left to the database', async () => {
    await db.query(`
      CREATE TABLE langchain_pg_collection (uuid UUID PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, cmetadata JSON);
      CREATE TABLE langchain_pg_embedding (
        id VARCHAR PRIMARY KEY, collection_id UUID REFERENCES langchain_pg_collection (uuid) ON DELETE CASCADE,
        embedding VECTOR, document VARCHAR, cmetadata JSONB,
        document_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(document, ''))) STORED)`);
    await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
    const [row] = await db.query(`SELECT count(*)::int AS n, count(document_vector)::int AS with_vector FROM langchain_pg_embedding`);
    expect(row).toEqual({ n: 62, with_vector: 62 });

    // And a backup of such a table leaves the generated column out, so it restores anywhere.
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    const file = path.join(t.dataRoot, 'vector_bak', `langchain_pg_embedding_${backup.body.data.backup_timestamp}.csv`);
    expect(fs.readFileSync(file, 'utf8').split('\n', 1)[0]).toBe('id,collection_id,embedding,document,cmetadata');
  });

  it('Python literals that start after the sniffed rows: the raw COPY is retried through the parser', async () => {
    await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
    // Build a file whose first 60 rows carry JSON metadata and whose rest carry Python literals.
    await db.query(`
      INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
      SELECT 'late-' || g, (SELECT uuid FROM langchain_pg_collection WHERE name = 'sql'), '[1,2,3]', 'doc ' || g,
             jsonb_build_object('id', 'late-' || g)
        FROM generate_series(1, 40) AS g`);
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    const stamp = backup.body.data.backup_timestamp as string;
    const file = path.join(t.dataRoot, 'vector_bak', `langchain_pg_embedding_${stamp}.csv`);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const rewritten = lines.map((line) =>
      line.startsWith('late-') ? line.replace(/"\{""id"": ""(late-\d+)""\}"$/, "\"{'id': '$1', 'createdat': None}\"") : line,
    );
    expect(rewritten.filter((l) => l.includes("'createdat': None"))).toHaveLength(40);
    fs.writeFileSync(file, rewritten.join('\n'));
    // Rewritten by hand, the file no longer matches its manifest (that restore would be a 422
    // BACKUP_CHECKSUM_MISMATCH): without the manifest it is a legacy set, as the original wrote them.
    fs.rmSync(path.join(t.dataRoot, 'vector_bak', `backup_manifest_${stamp}.json`));

    const res = await request(t.app)
      .post(RESTORE)
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: stamp, truncate_before_restore: true })
      .expect(200);
    expect(res.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 102, load_path: viaParser('python_literal_metadata') });
    const [late] = await db.query(`SELECT cmetadata FROM langchain_pg_embedding WHERE id = 'late-7'`);
    expect(late!.cmetadata).toEqual({ id: 'late-7', createdat: null });
  });

  it('truncating the collections alone while embeddings reference them → 409, nothing changed', async () => {
    await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
    const res = await request(t.app)
      .post(RESTORE)
      .send({ ...GLOBAL, tables: ['langchain_pg_collection'], truncate_before_restore: true })
      .expect(409);
    expect(res.body.data.error_type).toBe('VECTOR_TRUNCATE_FAILED');
    const [n] = await db.query('SELECT (SELECT count(*) FROM langchain_pg_embedding)::int AS e');
    expect(n!.e).toBe(62);
  });

  it('an aborted restore (client gone) rolls back and leaves the connection usable', async () => {
    await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
    const controller = new AbortController();
    controller.abort(new Error('client disconnected'));
    await expect(
      t.services.vectorRestore.restore({ backupPath: GLOBAL.backup_path, timestamp: GLOBAL.timestamp, truncateBeforeRestore: true, signal: controller.signal }),
    ).rejects.toMatchObject({ data: { rolled_back: true } });
    const [n] = await db.query('SELECT (SELECT count(*) FROM langchain_pg_embedding)::int AS e');
    expect(n!.e).toBe(62);
    await request(t.app).post(RESTORE).send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
  });
});

describe('API description', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('the OpenAPI document describes every mounted route, with the zod schemas of its input', async () => {
    const res = await request(t.app).get('/api/v0/openapi.json').expect(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    const mounted = [
      ['post', '/api/v0/data_pipeline/vector/backup'],
      ['get', '/api/v0/data_pipeline/vector/restore/list'],
      ['post', '/api/v0/data_pipeline/vector/restore'],
      ['get', '/api/v0/health'],
    ];
    for (const [method, p] of mounted) expect(doc.paths[p!]?.[method!], `${method} ${p}`).toBeDefined();
    const restoreBody = doc.paths['/api/v0/data_pipeline/vector/restore'].post.requestBody.content['application/json'].schema;
    expect(restoreBody.required).toEqual(['backup_path', 'timestamp']);
    expect(Object.keys(restoreBody.properties)).toEqual(
      expect.arrayContaining(['backup_path', 'timestamp', 'tables', 'pg_conn', 'db_connection', 'truncate_before_restore']),
    );
    const listParams = doc.paths['/api/v0/data_pipeline/vector/restore/list'].get.parameters.map((p: any) => p.name);
    expect(listParams).toEqual(['global_only', 'task_id']);
  });

  it('serves the docs page and its assets without a CDN', async () => {
    const page = await request(t.app).get('/api/v0/docs').expect(200);
    expect(page.text).toContain('swagger-ui-bundle.js');
    await request(t.app).get('/api/v0/docs/assets/swagger-ui-bundle.js').expect(200).expect('Content-Type', /javascript/);
  });
});
