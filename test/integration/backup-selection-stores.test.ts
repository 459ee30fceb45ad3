import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage, type SetFiles } from '../helpers/backup-storage.js';
import { parseCsvObjects } from '../helpers/csv.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { collectionDigest, COLLECTIONS, seedCollections } from '../helpers/vector-collections.js';
import { vectorSnapshot } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline/vector';
const GLOBAL_PATH = './data_pipeline/training_data/vector_bak';
const GLOBAL_KEY = 'vector_bak';
/** The embedded database refuses binary COPY with a 400 (vector-binary-format.test.ts): those tests need PostgreSQL. */
const binaryAvailable = !embeddedTestMode();

/**
 * Selective backups (`include`) on both stores, and what a binary set can and cannot do with
 * selection (SPEC §7 "Selection, renames, conflicts, dry run", "Formats and files"): a binary
 * backup is selected on the server (`COPY (SELECT …) TO STDOUT (FORMAT binary)`), but its rows
 * cannot be filtered or remapped while they load, so a restore that would need that is a 422.
 */
describe.each(STORE_KINDS)('selection and binary sets on the %s store', (kind) => {
  let storage: BackupStorage;
  let files: SetFiles;
  let db: TestDatabase;
  let t: TestApp;
  let fullSet: { backup_path: string; timestamp: string };
  const post = (route: string, body: object) => request(t.app).post(`${API}${route}`).send(body);
  const backup = async (body: object) => (await post('/backup', body).expect(200)).body.data as Record<string, any>;
  const manifestOf = (stamp: string) => JSON.parse(files.read(GLOBAL_KEY, `backup_manifest_${stamp}.json`).toString('utf8'));

  beforeAll(async () => {
    [storage, db] = await Promise.all([startBackupStorage(kind), createTestDatabase()]);
    // Three collections: sql (4 rows), ddl (3), documentation (2).
    await seedCollections(db);
    t = await createTestApp(db.url, storage.env);
    files = storage.files(t);
    fullSet = { backup_path: GLOBAL_PATH, timestamp: (await backup({})).backup_timestamp };
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([db?.drop(), storage?.close()]);
  });
  beforeEach(async () => {
    await post('/restore', { ...fullSet, truncate_before_restore: true }).expect(200);
  });

  it('include ["sql"] (CSV) stores only that collection: files, manifest, and a restore brings back exactly those rows', async () => {
    const sqlRows = await collectionDigest(db, [COLLECTIONS.sql.uuid]);
    const data = await backup({ include: ['sql'] });
    const embeddings = parseCsvObjects(files.read(GLOBAL_KEY, data.tables_backed_up.langchain_pg_embedding.backup_file));
    expect(embeddings).toHaveLength(COLLECTIONS.sql.rows);
    expect(new Set(embeddings.map((r) => r.collection_id))).toEqual(new Set([COLLECTIONS.sql.uuid]));
    expect(parseCsvObjects(files.read(GLOBAL_KEY, data.tables_backed_up.langchain_pg_collection.backup_file)).map((r) => r.name)).toEqual(['sql']);
    expect(manifestOf(data.backup_timestamp).collections).toEqual([{ uuid: COLLECTIONS.sql.uuid, name: 'sql', rows: COLLECTIONS.sql.rows }]);

    await post('/restore', { backup_path: GLOBAL_PATH, timestamp: data.backup_timestamp, truncate_before_restore: true }).expect(200);
    expect((await db.query<{ name: string }>('SELECT name FROM langchain_pg_collection')).map((r) => r.name)).toEqual(['sql']);
    expect(await collectionDigest(db, [COLLECTIONS.sql.uuid])).toEqual(sqlRows);
    expect((await vectorSnapshot(db)).embeddings).toBe(COLLECTIONS.sql.rows);
  });

  it.runIf(binaryAvailable)('format binary with include ["sql"]: only that collection in the .bin files and manifest, restored identically', async () => {
    const sqlRows = await collectionDigest(db, [COLLECTIONS.sql.uuid]);
    const data = await backup({ format: 'binary', include: ['sql'] });
    const stamp = data.backup_timestamp as string;
    expect(data.tables_backed_up.langchain_pg_embedding).toMatchObject({ row_count: COLLECTIONS.sql.rows, backup_file: `langchain_pg_embedding_${stamp}.bin` });
    const manifest = manifestOf(stamp);
    expect(manifest).toMatchObject({ format: 'binary', collections: [{ uuid: COLLECTIONS.sql.uuid, name: 'sql', rows: COLLECTIONS.sql.rows }] });
    expect(manifest.tables.map((e: { rows: number }) => e.rows)).toEqual([1, COLLECTIONS.sql.rows]);
    // The other collections' names and ids are nowhere in the stored bytes.
    const stored = Buffer.concat(manifest.tables.map((e: { file: string }) => files.read(GLOBAL_KEY, e.file)));
    for (const other of ['ddl', 'documentation'] as const) {
      expect(stored.includes(Buffer.from(COLLECTIONS[other].uuid.replaceAll('-', ''), 'hex'))).toBe(false);
      expect(stored.includes(Buffer.from(`-${COLLECTIONS[other].suffix}`))).toBe(false);
    }

    const restored = await post('/restore', { backup_path: GLOBAL_PATH, timestamp: stamp, truncate_before_restore: true }).expect(200);
    expect(restored.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: COLLECTIONS.sql.rows, load_path: 'raw' });
    expect((await db.query<{ name: string }>('SELECT name FROM langchain_pg_collection')).map((r) => r.name)).toEqual(['sql']);
    expect(await collectionDigest(db, [COLLECTIONS.sql.uuid])).toEqual(sqlRows);
    expect((await vectorSnapshot(db)).embeddings).toBe(COLLECTIONS.sql.rows);
  });

  it.runIf(binaryAvailable)('a binary set with collection_suffix → 422 saying binary sets cannot be remapped, nothing written (the dry run says so too)', async () => {
    const stamp = (await backup({ format: 'binary' })).backup_timestamp as string;
    const set = { backup_path: GLOBAL_PATH, timestamp: stamp };
    const before = await vectorSnapshot(db);
    const res = await post('/restore', { ...set, collection_suffix: '_restored' }).expect(422);
    expect(res.body.data).toMatchObject({ error_type: 'VECTOR_RESTORE_FAILED', rolled_back: true, restore_performed: false });
    expect(res.body.message + res.body.data.response).toMatch(/binary/);
    expect(res.body.data.response).toContain(`_${stamp}.bin`);
    expect(res.body.data.response).toContain('collection_suffix');
    expect(await vectorSnapshot(db)).toEqual(before);
    // A dry run promises nothing the restore would refuse.
    const dry = await post('/restore', { ...set, collection_suffix: '_restored', dry_run: true }).expect(422);
    expect(dry.body.data.response).toContain('collection_suffix');
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it.runIf(binaryAvailable)('a binary set restores without truncate into its own live collections: on_conflict error → 409, skip and upsert', async () => {
    const before = await vectorSnapshot(db);
    const set = { backup_path: GLOBAL_PATH, timestamp: (await backup({ format: 'binary' })).backup_timestamp as string };
    // Rows deleted in two collections (sql, ddl), one modified (sql): the collections themselves are all live.
    await db.query(`DELETE FROM langchain_pg_embedding WHERE document IN ('document 1', 'document 11')`);
    await db.query(`UPDATE langchain_pg_embedding SET document = 'document 2 changed' WHERE document = 'document 2'`);
    const changed = await vectorSnapshot(db);
    const total = Object.values(COLLECTIONS).reduce((n, c) => n + c.rows, 0);

    const refused = await post('/restore', set).expect(409);
    expect(refused.body.data.error_type).toBe('VECTOR_RESTORE_CONFLICT');
    expect(await vectorSnapshot(db)).toEqual(changed);
    const dry = (await post('/restore', { ...set, on_conflict: 'skip', dry_run: true }).expect(200)).body.data;
    expect(dry.tables.langchain_pg_embedding).toMatchObject({ rows: total, load_path: 'binary' });
    expect(await vectorSnapshot(db)).toEqual(changed);

    const skipped = (await post('/restore', { ...set, on_conflict: 'skip' }).expect(200)).body.data;
    expect(skipped.restore_results.langchain_pg_collection).toMatchObject({ rows_inserted: 0, rows_skipped: 3 });
    expect(skipped.restore_results.langchain_pg_embedding).toMatchObject({ rows_inserted: 2, rows_skipped: total - 2 });
    expect(await db.query(`SELECT id FROM langchain_pg_embedding WHERE document = 'document 2 changed'`)).toHaveLength(1);
    expect((await vectorSnapshot(db)).embeddings).toBe(total);

    const upserted = (await post('/restore', { ...set, on_conflict: 'upsert' }).expect(200)).body.data;
    expect(upserted.restore_results.langchain_pg_embedding).toMatchObject({ rows_inserted: 0, rows_updated: total });
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it.runIf(binaryAvailable)('a dry run of a binary set: rows from the manifest, load_path binary, nothing written', async () => {
    const stamp = (await backup({ format: 'binary' })).backup_timestamp as string;
    const before = await vectorSnapshot(db);
    const stored = files.all();
    const total = Object.values(COLLECTIONS).reduce((n, c) => n + c.rows, 0);
    const dry = (await post('/restore', { backup_path: GLOBAL_PATH, timestamp: stamp, truncate_before_restore: true, dry_run: true }).expect(200)).body.data;
    expect(dry).toMatchObject({ dry_run: true, restore_performed: false, has_manifest: true, total_rows: 3 + total });
    expect(dry.tables.langchain_pg_embedding).toMatchObject({ file: `langchain_pg_embedding_${stamp}.bin`, rows: total, rows_source: 'manifest', load_path: 'binary', conflicts: null });
    expect(dry.tables.langchain_pg_collection).toMatchObject({ rows: 3, rows_source: 'manifest', load_path: 'binary' });
    expect(dry.collections.map((c: { name: string; rows: number }) => [c.name, c.rows]).sort()).toEqual(
      Object.entries(COLLECTIONS).map(([name, c]) => [name, c.rows]).sort(),
    );
    expect(await vectorSnapshot(db)).toEqual(before);
    expect(files.all()).toEqual(stored);
  });
});
