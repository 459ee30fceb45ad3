import fsp from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenFile } from '../../src/lib/durable-dir.js';
import { VectorBackupService } from '../../src/backups/backup-service.js';
import { VectorRestoreService } from '../../src/backups/restore/restore-service.js';
import { ensureCollections, ensureVectorTables } from '../../src/backups/langchain-tables.js';
import { closeFixtureApp, createTestApp, openFixtureApp, type TestApp } from '../helpers/app.js';
import { readCsvObjects } from '../helpers/csv.js';
import type { TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { deferred, lockWaiters, openSession, vectorSnapshot, waitFor } from '../helpers/vector-db.js';

const GLOBAL = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318' };
const TASK = { backup_path: './data_pipeline/training_data/task_20250721_213627/vector_bak', timestamp: '20250721_215758' };
const silent = pino({ level: 'silent' });

// Every test here is about two sessions contending for locks: PGlite is one session.
describe.skipIf(embeddedTestMode())('vector backup and restore under concurrency', () => {
  let db: TestDatabase;
  let t: TestApp;
  const restore = (app: TestApp, body: object) => request(app.app).post('/api/v0/data_pipeline/vector/restore').send(body);
  const backupRows = (dir: string, stamp: string) =>
    Object.fromEntries(
      ['langchain_pg_collection', 'langchain_pg_embedding'].map((table) => [table, readCsvObjects(path.join(dir, `${table}_${stamp}.csv`)).length]),
    );

  beforeAll(async () => ({ db, t } = await openFixtureApp()));
  afterAll(() => closeFixtureApp({ db, t }));
  beforeEach(async () => {
    await restore(t, { ...GLOBAL, truncate_before_restore: true }).expect(200);
  });

  it('a backup started while a truncating restore is uncommitted waits for it and holds every restored row', async () => {
    // A gate inside the restore's transaction, after its TRUNCATE and COPYs: the restore holds
    // ACCESS EXCLUSIVE, uncommitted, until the gate opens.
    await db.query(`
      CREATE FUNCTION test_restore_gate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$;
      CREATE TRIGGER test_restore_gate AFTER INSERT ON langchain_pg_embedding FOR EACH STATEMENT EXECUTE FUNCTION test_restore_gate()`);
    const gate = await openSession(db);
    try {
      await gate.query('SELECT pg_advisory_lock(4242)');
      const restoring = restore(t, { ...TASK, truncate_before_restore: true }).then((r) => r);
      await waitFor('the restore to wait at the gate', async () => (await lockWaiters(db, 'advisory')).length > 0);
      const backingUp = request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).then((r) => r);
      await waitFor('the backup to wait for the table lock', async () => (await lockWaiters(db, 'relation')).length > 0);
      await gate.query('SELECT pg_advisory_unlock(4242)');
      const [restored, backup] = await Promise.all([restoring, backingUp]);
      expect(restored.status).toBe(200);
      expect(backup.status).toBe(200);
      expect(backupRows(path.join(t.dataRoot, 'vector_bak'), backup.body.data.backup_timestamp)).toEqual({
        langchain_pg_collection: 4,
        langchain_pg_embedding: 58,
      });
    } finally {
      await gate.end();
      await db.query('DROP TRIGGER test_restore_gate ON langchain_pg_embedding; DROP FUNCTION test_restore_gate()');
    }
  });

  it('a truncating restore started while a backup holds its snapshot waits for the backup, which holds every row', async () => {
    // The backup pauses inside its first COPY (the collection file's first write): snapshot taken.
    const paused = deferred();
    const resume = deferred();
    const open: OpenFile = async (file, flags) => {
      const handle = await fsp.open(file, flags);
      if (path.basename(file).startsWith('.langchain_pg_collection_')) {
        const writev = handle.writev.bind(handle);
        handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
          paused.resolve();
          await resume.promise;
          return writev(buffers, position);
        }) as typeof handle.writev;
      }
      return handle;
    };
    const service = new VectorBackupService(t.services.dataRoot, t.databases, silent, { lockTimeoutMs: 10_000 }, open);
    const backingUp = service.backup({});
    await paused.promise;
    // Only the embeddings: before the fix the backup had not touched that table yet, so nothing
    // stopped the TRUNCATE, and the backup's later COPY saw the table empty.
    const restoring = restore(t, { ...GLOBAL, tables: ['langchain_pg_embedding'], truncate_before_restore: true }).then((r) => r);
    await Promise.race([restoring, waitFor('the restore to wait for the backup', async () => (await lockWaiters(db, 'relation')).length > 0)]);
    resume.resolve();
    const [backup, restored] = await Promise.all([backingUp, restoring]);
    expect(restored.status).toBe(200);
    expect(backupRows(path.join(t.dataRoot, 'vector_bak'), backup.backup_timestamp!)).toEqual({
      langchain_pg_collection: 4,
      langchain_pg_embedding: 62,
    });
  });

  it('a restore blocked by a reader answers 409 LOCK_TIMEOUT after lock_timeout, and nothing changes', async () => {
    const short = await createTestApp(db.url, { LOCK_TIMEOUT_MS: '300' }, { cwd: t.cwd });
    const reader = await openSession(db);
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM langchain_pg_embedding');
      const before = await vectorSnapshot(db);
      const res = await restore(short, { ...TASK, truncate_before_restore: true }).timeout(20_000).expect(409);
      expect(res.body.data.error_type).toBe('LOCK_TIMEOUT');
      expect(res.body.error.type).toBe('LOCK_TIMEOUT');
      expect(res.body.data.rolled_back).toBe(true);
      expect(await vectorSnapshot(db)).toEqual(before);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
      await short.close();
    }
    await restore(t, { ...TASK, truncate_before_restore: true }).expect(200);
  });

  it('an aborted restore waiting for a lock is cancelled on the server', async () => {
    // lock_timeout far away: only the cancel can end the wait within this test.
    const service = new VectorRestoreService(t.services.backupCatalog, t.databases, silent, {
      lockTimeoutMs: 600_000,
      indexRebuild: t.config.indexRebuild,
    });
    const reader = await openSession(db);
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM langchain_pg_embedding');
      const before = await vectorSnapshot(db);
      const controller = new AbortController();
      const restoring = service.restore({ backupPath: TASK.backup_path, timestamp: TASK.timestamp, truncateBeforeRestore: true, signal: controller.signal });
      restoring.catch(() => undefined);
      await waitFor('the restore to queue behind the reader', async () => (await lockWaiters(db, 'relation')).length > 0);
      controller.abort(new Error('client disconnected'));
      // The reader still holds its lock: the wait can only have ended by the cancel.
      await waitFor('the queued TRUNCATE to be cancelled', async () => (await lockWaiters(db, 'relation')).length === 0);
      await expect(restoring).rejects.toMatchObject({ data: { rolled_back: true } });
      expect(await vectorSnapshot(db)).toEqual(before);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
  });

  it('two first loads into an empty database both create the schema (extension, tables, collections) without 23505', async () => {
    await db.query('DROP TABLE IF EXISTS langchain_pg_embedding, langchain_pg_collection; DROP EXTENSION IF EXISTS vector CASCADE');
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const [a, b] = [await pool.connect(), await pool.connect()];
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      // A creates everything and has not committed when B looks: B must wait, not collide.
      await ensureVectorTables(a);
      const collectionsA = await ensureCollections(a);
      const second = (async () => {
        await ensureVectorTables(b);
        return ensureCollections(b);
      })();
      second.catch(() => undefined);
      await waitFor('the second load to wait for the first', async () => (await lockWaiters(db)).length > 0);
      await a.query('COMMIT');
      const collectionsB = await second;
      await b.query('COMMIT');
      expect(collectionsA.size).toBe(4);
      expect([...collectionsB].sort()).toEqual([...collectionsA].sort());
      const [n] = await db.query('SELECT count(*)::int AS n FROM langchain_pg_collection');
      expect(n!.n).toBe(4);
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      await b.query('ROLLBACK').catch(() => undefined);
      a.release();
      b.release();
      await pool.end();
    }
  });
});
