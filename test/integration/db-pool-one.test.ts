import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage } from '../helpers/backup-storage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { seedVectorTables, vectorSnapshot } from '../helpers/vector-db.js';
import { pollToEnd } from '../helpers/vector-jobs.js';

const API = '/api/v0/data_pipeline/vector';

/**
 * DB_POOL_MAX=1 (the smallest pool the configuration accepts) on an external PostgreSQL: a backup
 * claims its set's stamp with a session advisory lock held for its whole run. Held in the one
 * pooled connection, the backup then waited on itself for its COPY until the pool timed out (503).
 * (Embedded mode claims stamps in process memory and always runs with one connection.) The job engine's heartbeats and
 * progress need a connection too while the job's COPY holds one: they have their own pool.
 */
describe.skipIf(embeddedTestMode()).each(STORE_KINDS)('a server with DB_POOL_MAX=1 on the %s store', (kind) => {
  let storage: BackupStorage;
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    storage = await startBackupStorage(kind);
    db = await createTestDatabase();
    await seedVectorTables(db, { rows: 50, dims: 8 });
    t = await createTestApp(db.url, { ...storage.env, DB_POOL_MAX: '1' });
    await t.services.jobRunner.start();
  });
  afterAll(async () => {
    await t?.services.jobRunner.stop(5000);
    await t?.close();
    await db?.drop();
    await storage?.close();
  });

  it('backs up (sync and async), verifies and restores', async () => {
    const before = await vectorSnapshot(db);
    const sync = (await request(t.app).post(`${API}/backup`).send({}).expect(200)).body.data;
    expect(sync.tables_backed_up.langchain_pg_embedding.row_count).toBe(50);

    const accepted = (await request(t.app).post(`${API}/backup`).send({ async: true }).expect(202)).body.data;
    const { job } = await pollToEnd(t.app, accepted.job_id);
    expect(job.status).toBe('succeeded');

    const set = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: sync.backup_timestamp };
    expect((await request(t.app).post(`${API}/verify`).send(set).expect(200)).body.data.valid).toBe(true);
    await request(t.app).post(`${API}/restore`).send({ ...set, truncate_before_restore: true }).expect(200);
    expect(await vectorSnapshot(db)).toEqual(before);
  });
});
