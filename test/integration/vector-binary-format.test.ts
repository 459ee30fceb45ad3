import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage, type SetFiles } from '../helpers/backup-storage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { seedVectorTables, vectorSnapshot } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline/vector';
const BAK = './data_pipeline/training_data/vector_bak';
const ROWS = 500;

/** Collects a binary reply (supertest would otherwise try to parse it as text). */
const collect = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

// Binary COPY needs a PostgreSQL server (the embedded database refuses it with a 400, tested below).
// Both stores hold the same .bin files: the round trip, the flipped byte and the transfer run on each.
describe.runIf(!embeddedTestMode()).each(STORE_KINDS)('format: "binary" — PostgreSQL binary COPY sets on the %s store', (kind) => {
  let storage: BackupStorage;
  let files: SetFiles;
  let db: TestDatabase;
  let t: TestApp;
  const backup = (body: object) => request(t.app).post(`${API}/backup`).send(body);
  const restore = (body: object) => request(t.app).post(`${API}/restore`).send(body);

  beforeAll(async () => {
    [storage, db] = await Promise.all([startBackupStorage(kind), createTestDatabase()]);
    // 8-dimension random vectors, documents and JSON metadata: every type the tables carry.
    await seedVectorTables(db, { rows: ROWS, dims: 8 });
    t = await createTestApp(db.url, storage.env);
    files = storage.files(t);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([db?.drop(), storage?.close()]);
  });

  for (const compression of ['none', 'gzip'] as const) {
    it(`round trip (compression ${compression}): .bin files in the manifest, verified, restored to identical rows`, async () => {
      const before = await vectorSnapshot(db);
      const res = await backup({ format: 'binary', compression }).expect(200);
      const stamp = res.body.data.backup_timestamp as string;
      const ext = compression === 'gzip' ? '.bin.gz' : '.bin';
      expect(res.body.data).toMatchObject({ format: 'binary', compression });
      expect(res.body.data.tables_backed_up.langchain_pg_embedding).toMatchObject({ row_count: ROWS, backup_file: `langchain_pg_embedding_${stamp}${ext}` });

      const manifest = JSON.parse(files.read('vector_bak', `backup_manifest_${stamp}.json`).toString('utf8'));
      expect(manifest.format).toBe('binary');
      const embeddings = manifest.tables.find((e: { table: string }) => e.table === 'langchain_pg_embedding');
      // Rows are the tuples counted in the stream; the hash is of the file as stored.
      expect(embeddings).toMatchObject({ file: `langchain_pg_embedding_${stamp}${ext}`, rows: ROWS });
      const bytes = files.read('vector_bak', embeddings.file);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(embeddings.sha256);

      const listed = (await request(t.app).get(`${API}/restore/list`).expect(200)).body.data.backup_locations[0].backups;
      expect(listed.find((s: { timestamp: string }) => s.timestamp === stamp)).toMatchObject({ format: 'binary', compression, has_manifest: true });
      const verified = (await request(t.app).post(`${API}/verify`).send({ backup_path: BAK, timestamp: stamp }).expect(200)).body.data;
      expect(verified.valid).toBe(true);
      expect(verified.files.find((f: { table: string }) => f.table === 'langchain_pg_embedding')).toMatchObject({ rows_found: ROWS, ok: true });

      await db.query('TRUNCATE langchain_pg_collection, langchain_pg_embedding');
      const restored = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(200);
      expect(restored.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: ROWS, load_path: 'raw' });
      expect(await vectorSnapshot(db)).toEqual(before);
    });
  }

  it('a binary set whose byte was flipped fails verify and its restore rolls back (422 checksum)', async () => {
    const stamp = (await backup({ format: 'binary' }).expect(200)).body.data.backup_timestamp as string;
    const file = `langchain_pg_embedding_${stamp}.bin`;
    const bytes = files.read('vector_bak', file);
    bytes[bytes.length - 100]! ^= 0x01;
    files.write('vector_bak', file, bytes);
    const verified = (await request(t.app).post(`${API}/verify`).send({ backup_path: BAK, timestamp: stamp }).expect(200)).body.data;
    expect(verified.valid).toBe(false);
    expect(verified.files.find((f: { file: string }) => f.file === file)).toMatchObject({ ok: false, actual_sha256: createHash('sha256').update(bytes).digest('hex') });
    const before = await vectorSnapshot(db);
    const res = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(422);
    expect(res.body.data.error_type).toBe('BACKUP_CHECKSUM_MISMATCH');
    expect(res.body.data.response).toContain(file);
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('a target column whose type differs from the manifest → 422 naming the column, nothing changed', async () => {
    const stamp = (await backup({ format: 'binary' }).expect(200)).body.data.backup_timestamp as string;
    await db.query('ALTER TABLE langchain_pg_embedding ALTER COLUMN document TYPE text');
    try {
      const before = await vectorSnapshot(db);
      const res = await restore({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(422);
      expect(res.body.data.error_type).toBe('COLUMN_TYPE_MISMATCH');
      expect(res.body.data.response).toContain('document');
      expect(res.body.error.details).toMatchObject({ column: 'document', expected_type: 'character varying', actual_type: 'text' });
      expect(await vectorSnapshot(db)).toEqual(before);
    } finally {
      await db.query('ALTER TABLE langchain_pg_embedding ALTER COLUMN document TYPE varchar');
    }
    // A vector column with another dimension is refused the same way.
    await db.query('ALTER TABLE langchain_pg_embedding ALTER COLUMN embedding TYPE vector(8)');
    const typed = (await backup({ format: 'binary' }).expect(200)).body.data.backup_timestamp as string;
    await db.query('TRUNCATE langchain_pg_embedding; ALTER TABLE langchain_pg_embedding ALTER COLUMN embedding TYPE vector(9)');
    try {
      const res = await restore({ backup_path: BAK, timestamp: typed, truncate_before_restore: true }).expect(422);
      expect(res.body.error.details).toMatchObject({ column: 'embedding', expected_type: 'vector(8)', actual_type: 'vector(9)' });
    } finally {
      await db.query('ALTER TABLE langchain_pg_embedding ALTER COLUMN embedding TYPE vector');
      await restore({ backup_path: BAK, timestamp: typed, truncate_before_restore: true }).expect(200);
    }
  });

  it('a binary set downloads as a tar and uploads back (verified against its manifest)', async () => {
    const stamp = (await backup({ format: 'binary', label: 'bin-transfer' }).expect(200)).body.data.backup_timestamp as string;
    const tarball = (await request(t.app).get(`${API}/backups/download`).query({ backup_path: BAK, timestamp: stamp }).buffer(true).parse(collect).expect(200))
      .body as Buffer;
    expect(tarball.includes(Buffer.from(`langchain_pg_embedding_${stamp}.bin`))).toBe(true);
    await request(t.app).delete(`${API}/backups`).send({ backup_path: BAK, timestamp: stamp }).expect(200);
    const uploaded = await request(t.app).post(`${API}/backups/upload`).attach('file', tarball, 'set.tar').expect(201);
    expect(uploaded.body.data.backup_timestamp).toBe(stamp);
    expect((await request(t.app).post(`${API}/verify`).send({ backup_path: BAK, timestamp: stamp }).expect(200)).body.data.valid).toBe(true);
  });
});

describe.runIf(embeddedTestMode())('format: "binary" on the embedded database is refused with a 400 naming format', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db, { rows: 5 });
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('backup with format binary → 400, no file written; restore of a binary set → 400', async () => {
    const res = await request(t.app).post(`${API}/backup`).send({ format: 'binary' }).expect(400);
    expect(res.body.data.invalid_params).toEqual(['format']);
    const dir = path.join(t.dataRoot, 'vector_bak');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')) : []).toEqual([]);

    // A binary set made elsewhere (a server on PostgreSQL), placed here: only its manifest is read before the refusal.
    const stamp = '20250101_000000';
    fs.mkdirSync(dir, { recursive: true });
    const tables = [];
    for (const table of ['langchain_pg_collection', 'langchain_pg_embedding']) {
      const body = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\xff\xff', 'latin1');
      const file = `${table}_${stamp}.bin`;
      fs.writeFileSync(path.join(dir, file), body);
      tables.push({ table, file, columns: [], rows: 0, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), vector_dimension: null, indexes: [] });
    }
    const manifest = { format_version: 1, created_at: '2025-01-01T00:00:00', label: null, source: { database: null, host: null, server_version: null, pgvector_version: null }, format: 'binary', compression: 'none', tables, collections: [] };
    fs.writeFileSync(path.join(dir, `backup_manifest_${stamp}.json`), JSON.stringify(manifest));
    const before = await vectorSnapshot(db);
    const restored = await request(t.app).post(`${API}/restore`).send({ backup_path: BAK, timestamp: stamp, truncate_before_restore: true }).expect(400);
    expect(restored.body.data.invalid_params).toEqual(['format']);
    expect(await vectorSnapshot(db)).toEqual(before);
  });
});
