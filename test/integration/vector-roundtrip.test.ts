import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tryVectorWriterLock } from '../../src/db/sql/vector-tables.sql.js';
import { closeFixtureApp, copyFixtureBackups, createTestApp, openFixtureApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage, type SetFiles } from '../helpers/backup-storage.js';
import { parseCsvObjects, readCsvObjects } from '../helpers/csv.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

const GLOBAL = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318' };
const TASK = { backup_path: './data_pipeline/training_data/task_20250721_213627/vector_bak', timestamp: '20250721_215758' };

/** A fingerprint of everything in both tables: equal fingerprints mean identical contents. */
async function snapshot(db: TestDatabase): Promise<{ collections: number; embeddings: number; digest: string }> {
  const [row] = await db.query(`
    SELECT (SELECT count(*) FROM langchain_pg_collection)::int AS collections,
           (SELECT count(*) FROM langchain_pg_embedding)::int AS embeddings,
           md5(coalesce((SELECT string_agg(uuid::text || name || coalesce(cmetadata::text, '∅'), '|' ORDER BY uuid) FROM langchain_pg_collection), '') ||
               coalesce((SELECT string_agg(id || collection_id::text || embedding::text || document || cmetadata::text, '|' ORDER BY id) FROM langchain_pg_embedding), '')) AS digest`);
  return row as { collections: number; embeddings: number; digest: string };
}

/**
 * Round trips through each backup store (SPEC §7 "Storage": the same routes and files). Files are
 * read where the store keeps them (test/helpers/backup-storage.ts), never through the store under
 * test; on S3 the original's sets seed the tables from a second server on a local data root.
 */
describe.each(STORE_KINDS)('vector backup and restore round trips on the %s store', (kind) => {
  let storage: BackupStorage;
  let db: TestDatabase;
  let t: TestApp;
  /** The server holding the original's sets: t itself on the local store. */
  let seeder: TestApp;
  let files: SetFiles;
  const backup = (body: object) => request(t.app).post('/api/v0/data_pipeline/vector/backup').send(body);
  const rowsOf = (key: string, name: string) => parseCsvObjects(files.read(key, name)).map((r) => JSON.stringify(r)).sort();

  beforeAll(async () => {
    [storage, db] = await Promise.all([startBackupStorage(kind), createTestDatabase()]);
    t = await createTestApp(db.url, storage.env);
    seeder = kind === 'local' ? t : await createTestApp(db.url);
    copyFixtureBackups(seeder.dataRoot);
    // The fixture's tasks exist on t's data root too (a task is known by its directory on every store).
    for (const task of ['task_20250721_213627', 'task_20250721_202929']) fs.mkdirSync(path.join(t.dataRoot, task), { recursive: true });
    files = storage.files(t);
  });
  afterAll(async () => {
    if (seeder !== t) await seeder?.close();
    await t?.close();
    await Promise.all([db?.drop(), storage?.close()]);
  });
  beforeEach(async () => {
    await request(seeder.app).post('/api/v0/data_pipeline/vector/restore').send({ ...TASK, truncate_before_restore: true }).expect(200);
  });

  it('backup → truncate → restore → backup again gives the same rows', async () => {
    const first = await backup({}).expect(200);
    expect(first.body.data.tables_backed_up.langchain_pg_embedding.row_count).toBe(58);
    const stamp1 = first.body.data.backup_timestamp as string;
    expect(files.names('vector_bak').some((f) => f.endsWith('.tmp'))).toBe(false);

    const before = await snapshot(db);
    await db.query('TRUNCATE langchain_pg_collection, langchain_pg_embedding');
    const restored = await request(t.app).post('/api/v0/data_pipeline/vector/restore').send({ backup_path: GLOBAL.backup_path, timestamp: stamp1, truncate_before_restore: true }).expect(200);
    // Our own backups are plain COPY CSV: they take the raw path, no parsing in Node.
    expect(restored.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 58, load_path: embeddedTestMode() ? 'embedded_chunks' : 'raw' });
    expect(await snapshot(db)).toEqual(before);

    const second = await backup({}).expect(200);
    const stamp2 = second.body.data.backup_timestamp as string;
    expect(stamp2).not.toBe(stamp1);
    for (const table of ['langchain_pg_collection', 'langchain_pg_embedding']) {
      expect(rowsOf('vector_bak', `${table}_${stamp2}.csv`)).toEqual(rowsOf('vector_bak', `${table}_${stamp1}.csv`));
    }
    if (kind === 's3') {
      // The run log is an appended file: a local data root only (objects cannot be appended to).
      expect(files.names('vector_bak')).not.toContain('vector_backup_log.txt');
      return;
    }
    const log = files.read('vector_bak', 'vector_backup_log.txt').toString('utf8');
    expect(log).toContain(`langchain_pg_embedding: 58 rows -> langchain_pg_embedding_${stamp2}.csv`);
    // Each run is appended (the original overwrote the log) with its own stamp and real duration.
    const lastRun = log.split('=== Vector Table Backup Log ===').at(-1)!;
    expect(lastRun).toContain(`Backup Timestamp: ${stamp2}`);
    expect(lastRun).toMatch(/Duration: \d+\.\d{2}s/);
    expect(log).toContain(`Backup Timestamp: ${stamp1}`);
  });

  it('a backup with truncate_vector_tables clears the embeddings only after writing the files', async () => {
    const res = await backup({ task_id: 'task_20250721_213627', truncate_vector_tables: true }).expect(200);
    expect(res.body.data).toMatchObject({
      backup_performed: true,
      truncate_performed: true,
      truncate_results: { langchain_pg_embedding: { success: true, rows_before: 58, rows_after: 0 } },
      backup_directory: TASK.backup_path,
    });
    expect((await snapshot(db)).embeddings).toBe(0);
    expect(rowsOf('task_20250721_213627/vector_bak', `langchain_pg_embedding_${res.body.data.backup_timestamp}.csv`)).toHaveLength(58);
  });

  it('two backups started in the same second write two complete sets', async () => {
    const [a, b] = await Promise.all([0, 1].map(() => backup({ task_id: 'task_20250721_202929' })));
    expect([a!.status, b!.status]).toEqual([200, 200]);
    const stamps = [a!.body.data.backup_timestamp, b!.body.data.backup_timestamp];
    expect(new Set(stamps).size).toBe(2);
    const key = 'task_20250721_202929/vector_bak';
    for (const stamp of stamps) expect(rowsOf(key, `langchain_pg_embedding_${stamp}.csv`)).toHaveLength(58);
    expect(files.names(key).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });
});

/** Restore failures and concurrency (the store only serves the files: the original's sets, local). */
describe('vector restore atomicity and concurrency', () => {
  let db: TestDatabase;
  let t: TestApp;
  const restore = (body: object) => request(t.app).post('/api/v0/data_pipeline/vector/restore').send(body);

  beforeAll(async () => ({ db, t } = await openFixtureApp()));
  afterAll(() => closeFixtureApp({ db, t }));
  beforeEach(async () => {
    await restore({ ...TASK, truncate_before_restore: true }).expect(200);
  });

  describe('atomicity: a corrupt embedding file changes nothing', () => {
    function corruptSet(name: string, corrupt: (text: string) => string): { backup_path: string; timestamp: string } {
      const dir = path.join(t.dataRoot, name);
      fs.mkdirSync(dir, { recursive: true });
      const src = path.join(t.dataRoot, 'vector_bak');
      fs.copyFileSync(path.join(src, 'langchain_pg_collection_20250722_010318.csv'), path.join(dir, 'langchain_pg_collection_20250722_010318.csv'));
      const text = fs.readFileSync(path.join(src, 'langchain_pg_embedding_20250722_010318.csv'), 'utf8');
      fs.writeFileSync(path.join(dir, 'langchain_pg_embedding_20250722_010318.csv'), corrupt(text));
      return { backup_path: `./data_pipeline/training_data/${name}`, timestamp: '20250722_010318' };
    }
    const badVectorInLastRow = (text: string) => {
      const at = text.lastIndexOf('"[');
      return `${text.slice(0, at + 2)}not-a-number,${text.slice(at + 2)}`;
    };
    const cutInLastRow = (text: string) => text.slice(0, text.length - 200);

    for (const [label, corrupt] of [['bad vector in the last row', badVectorInLastRow], ['file cut inside the last row', cutInLastRow]] as const) {
      for (const truncate of [true, false]) {
        it(`${label}, truncate_before_restore=${truncate}`, async () => {
          const set = corruptSet(`corrupt_${label.length}_${truncate}`, corrupt);
          if (!truncate) {
            // Without truncation, rows sharing an id with the file would fail as conflicts (409)
            // before the corrupt row is reached: keep only rows the file does not hold.
            const ids = readCsvObjects(path.join(t.dataRoot, 'vector_bak/langchain_pg_embedding_20250722_010318.csv')).map((r) => r.id);
            await db.query('DELETE FROM langchain_pg_embedding WHERE id = ANY($1)', [ids]);
            expect((await snapshot(db)).embeddings).toBeGreaterThan(0);
          }
          const before = await snapshot(db);
          // Without truncation the collections already exist: restore the embeddings alone (the seed's partial restore).
          const tables = truncate ? undefined : ['langchain_pg_embedding'];
          const res = await restore({ ...set, tables, truncate_before_restore: truncate });
          expect(res.status).toBe(422);
          expect(res.body).toMatchObject({ success: false, code: 422 });
          expect(res.body.data).toMatchObject({ error_type: 'VECTOR_RESTORE_FAILED', rolled_back: true, restore_performed: false });
          expect(res.body.data.restore_results.langchain_pg_embedding.success).toBe(false);
          expect(res.body.data.errors).toContain('langchain_pg_embedding表恢复失败');
          expect(await snapshot(db)).toEqual(before);
        });
      }
    }
  });

  // PGlite is one session: no second transaction can hold a lock against this one.
  it.skipIf(embeddedTestMode())('a restore while another one holds the writer lock is refused with 409, and nothing changes', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      const lock = tryVectorWriterLock();
      expect((await other.query(lock.text, lock.values)).rows[0].locked).toBe(true);
      const before = await snapshot(db);
      const res = await restore({ ...GLOBAL, truncate_before_restore: true }).expect(409);
      expect(res.body.data.error_type).toBe('VECTOR_WRITE_IN_PROGRESS');
      expect(await snapshot(db)).toEqual(before);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
    await restore({ ...GLOBAL, truncate_before_restore: true }).expect(200);
  });

  it.skipIf(embeddedTestMode())('two restores started together: one runs, the other gets 409, the result is the full set', async () => {
    // A set large enough that the first restore is still running when the second arrives.
    await db.query(`
      INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
      SELECT 'bulk-' || g, (SELECT uuid FROM langchain_pg_collection WHERE name = 'sql'),
             v.vec::vector, repeat('文档 ', 50), jsonb_build_object('id', 'bulk-' || g)
        FROM generate_series(1, 4000) AS g,
             LATERAL (SELECT array_agg(random())::real[] AS vec FROM generate_series(1, 1024) WHERE g > 0) AS v`);
    const expected = await snapshot(db);
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    const set = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: backup.body.data.backup_timestamp, truncate_before_restore: true };
    const results = await Promise.all([restore(set), restore(set)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await snapshot(db)).toEqual(expected);
  });
});
