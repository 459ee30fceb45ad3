import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const GLOBAL_BAK = './data_pipeline/training_data/vector_bak';
const MISSING_STAMP = '20990101_000000';
const routes = { backup: '/api/v0/data_pipeline/vector/backup', restore: '/api/v0/data_pipeline/vector/restore', verify: '/api/v0/data_pipeline/vector/verify' };

/**
 * An async backup, restore or verify that the synchronous call would refuse before doing any work
 * is refused at POST time with the same status and error, and no job row is written. No job
 * runner runs here: a job that had been queued would stay in the table and be counted.
 */
describe('async vector jobs: bad input is refused at enqueue time, as the synchronous call refuses it', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url, { ALLOWED_DB_HOSTS: '127.0.0.1,localhost' });
    // The global vector_bak/ exists (with no set), so "names nothing" is about the timestamp.
    fs.mkdirSync(path.join(t.dataRoot, 'vector_bak'), { recursive: true });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const jobRows = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM data_pipeline_jobs'))[0]!.n;

  const cases: Array<{ name: string; route: keyof typeof routes; body: Record<string, unknown>; status: number; names: string }> = [
    { name: 'restore: backup_path outside the data root', route: 'restore', body: { backup_path: '../../etc', timestamp: MISSING_STAMP }, status: 400, names: 'backup_path' },
    { name: 'restore: backup_path that does not exist', route: 'restore', body: { backup_path: `${GLOBAL_BAK}/nope`, timestamp: MISSING_STAMP }, status: 404, names: `${GLOBAL_BAK}/nope` },
    { name: 'restore: timestamp naming no set', route: 'restore', body: { backup_path: GLOBAL_BAK, timestamp: MISSING_STAMP }, status: 404, names: MISSING_STAMP },
    { name: 'restore: unknown table', route: 'restore', body: { backup_path: GLOBAL_BAK, timestamp: MISSING_STAMP, tables: ['users'] }, status: 400, names: 'tables' },
    { name: 'restore: malformed pg_conn', route: 'restore', body: { backup_path: GLOBAL_BAK, timestamp: MISSING_STAMP, pg_conn: 'host=db user=x' }, status: 400, names: 'pg_conn' },
    {
      name: 'restore: pg_conn host outside ALLOWED_DB_HOSTS', route: 'restore', status: 400, names: 'pg_conn',
      body: { backup_path: GLOBAL_BAK, timestamp: MISSING_STAMP, pg_conn: 'postgresql://u:pw@db.elsewhere.example:5432/x' },
    },
    { name: 'verify: backup_path outside the data root', route: 'verify', body: { backup_path: '/etc', timestamp: MISSING_STAMP }, status: 400, names: 'backup_path' },
    { name: 'verify: timestamp naming no set', route: 'verify', body: { backup_path: GLOBAL_BAK, timestamp: MISSING_STAMP }, status: 404, names: MISSING_STAMP },
    { name: 'backup: task_id without a task directory', route: 'backup', body: { task_id: 'task_20990101_000000' }, status: 404, names: 'task_20990101_000000' },
    { name: 'backup: malformed db_connection', route: 'backup', body: { db_connection: 'not a url' }, status: 400, names: 'db_connection' },
    { name: 'backup: db_connection host outside ALLOWED_DB_HOSTS', route: 'backup', body: { db_connection: 'postgresql://u@10.9.8.7/x' }, status: 400, names: 'db_connection' },
  ];

  it.each(cases)('$name → $status at POST time, same error as the sync call, no job row', async ({ route, body, status, names }) => {
    const sync = await request(t.app).post(routes[route]).send(body);
    expect(sync.status).toBe(status);
    const before = await jobRows();
    const queued = await request(t.app).post(routes[route]).send({ ...body, async: true });
    expect(queued.status).toBe(status);
    expect(queued.body.error).toEqual(sync.body.error);
    expect(JSON.stringify(queued.body)).toContain(names);
    expect(queued.body.data.job_id).toBeUndefined();
    expect(await jobRows()).toBe(before);
    // The password of a refused connection string never comes back.
    expect(JSON.stringify(queued.body)).not.toMatch(/:pw@/);
  });

  it('a database that is down is still a job (its failure is the job\'s), not a refusal at POST time', async () => {
    const before = await jobRows();
    const down = 'postgresql://postgres@127.0.0.1:1/nowhere';
    const queued = await request(t.app).post(routes.backup).send({ db_connection: down, async: true }).expect(202);
    expect(queued.body.data.job_id).toMatch(/^backup_/);
    expect(await jobRows()).toBe(before + 1);
  });
});
