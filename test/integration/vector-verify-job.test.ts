import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { JOBS, monotone, pollToEnd, type Job } from '../helpers/vector-jobs.js';
import { seedVectorTables } from '../helpers/vector-db.js';

const GLOBAL_BAK = './data_pipeline/training_data/vector_bak';
const VERIFY = '/api/v0/data_pipeline/vector/verify';


describe('vector jobs: async verify', () => {
  let db: TestDatabase;
  let t: TestApp;
  let stamp: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db);
    t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '50' });
    await t.services.jobRunner.start();
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
    stamp = backup.body.data.backup_timestamp;
  });
  afterAll(async () => {
    await t.services.jobRunner.stop(5000);
    await t.close();
    await db.drop();
  });

  it('async verify of an intact set: 202 with a status_url, the job succeeds with the verify reply as result and progress at 100', async () => {
    const accepted = await request(t.app).post(VERIFY).send({ backup_path: GLOBAL_BAK, timestamp: stamp, async: true }).expect(202);
    const jobId = accepted.body.data.job_id as string;
    expect(accepted.body.data).toMatchObject({ kind: 'verify', status_url: `${JOBS}/${jobId}` });
    const { job, percents } = await pollToEnd(t.app, jobId);
    expect(job).toMatchObject({ kind: 'verify', status: 'succeeded', error: null });
    expect(job.result).toMatchObject({ has_manifest: true, valid: true, backup_timestamp: stamp });
    expect(job.result.files.map((f: { ok: boolean }) => f.ok)).toEqual([true, true]);
    expect(job.progress).toMatchObject({ phase: 'done', percent: 100 });
    expect(monotone(percents)).toBe(true);
    expect(job.request).toEqual({ backup_path: GLOBAL_BAK, timestamp: stamp });
  });

  it('a flipped byte: the job still succeeds (the check ran) with valid false naming the file; listed under kind=verify', async () => {
    const name = `langchain_pg_embedding_${stamp}.csv`;
    const file = path.join(t.dataRoot, 'vector_bak', name);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf('doc 3');
    bytes[at] = 'D'.charCodeAt(0); // same length and row count: only the checksum can tell
    fs.writeFileSync(file, bytes);

    const accepted = await request(t.app).post(VERIFY).send({ backup_path: GLOBAL_BAK, timestamp: stamp, async: true }).expect(202);
    const { job } = await pollToEnd(t.app, accepted.body.data.job_id);
    expect(job).toMatchObject({ kind: 'verify', status: 'succeeded' });
    expect(job.result.valid).toBe(false);
    const bad = job.result.files.filter((f: { ok: boolean }) => !f.ok);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ file: name, rows_found: 5, rows_expected: 5 });
    expect(bad[0].actual_sha256).not.toBe(bad[0].expected_sha256);

    const listed = await request(t.app).get(JOBS).query({ kind: 'verify' }).expect(200);
    const jobs = listed.body.data.jobs as Job[];
    expect(jobs.map((j) => j.job_id)).toContain(job.job_id);
    expect(jobs.every((j) => j.kind === 'verify')).toBe(true);
  });

  it('async verify of a set that does not exist: 404 at POST time, as the sync call; a set gone after queueing fails the job', async () => {
    const missing = { backup_path: GLOBAL_BAK, timestamp: '20000101_000000' };
    const refused = await request(t.app).post(VERIFY).send({ ...missing, async: true }).expect(404);
    expect(refused.body.error).toEqual((await request(t.app).post(VERIFY).send(missing).expect(404)).body.error);
    expect(JSON.stringify(refused.body)).toContain('20000101_000000');

    // Queued without the POST-time check (as a set deleted between the POST and the run would be).
    const client = await t.databases.app.connect();
    const row = await t.services.vectorJobs.enqueueIn(client, 'verify', missing).finally(() => client.release());
    t.services.vectorJobs.nudge();
    const { job } = await pollToEnd(t.app, row.job_id);
    expect(job).toMatchObject({ kind: 'verify', status: 'failed' });
    expect(job.error).toContain('20000101_000000');
  });
});
