import fs from 'node:fs';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { INTERRUPTED_MESSAGE } from '../../src/jobs/job-runner.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { waitUntil } from '../helpers/wait.js';

const TASKS = '/api/v0/data_pipeline/tasks';
const FAST = { JOB_POLL_INTERVAL_MS: '100', JOB_HEARTBEAT_MS: '100', JOB_STALE_SECONDS: '5', EMBEDDING_DIMENSIONS: '128' };

const waitFor = <T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 45_000) => waitUntil(probe, ok, what, timeoutMs);

// Locks, a second session and stale heartbeats between two workers need a real server.
describe.skipIf(embeddedTestMode())('job leases: a worker that lost its job writes nothing more', () => {
  let db: TestDatabase;
  let business: Pool;
  let first: TestApp;
  let second: TestApp;
  let locker: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    business = await seededDemoPool(db.url);
    // One connection per pool and one execution at a time: a lock on a table that connection reads
    // blocks the work; the test then holds the job engine's one connection (its own pool, so work
    // never starves it by itself), which blocks the heartbeat as a lost network would.
    first = await createTestApp(db.url, { ...FAST, WORKER_ID: 'first-worker', DB_POOL_MAX: '1', WORKER_CONCURRENCY: '1' });
    second = await createTestApp(db.url, { ...FAST, WORKER_ID: 'second-worker' }, { cwd: first.cwd });
    locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
  });
  afterAll(async () => {
    await locker.end().catch(() => undefined);
    await first.services.jobRunner.stop(1000);
    await second.services.jobRunner.stop(1000);
    await first.close();
    await second.close();
    await business.end();
    await db.drop();
  });

  it('a blocked worker whose job was failed by stale recovery aborts, and the re-run is the only run', async () => {
    const taskId = (await request(first.app).post(TASKS).send({}).expect(201)).body.data.task_id as string;
    await request(first.app).post(`${TASKS}/${taskId}/table-list`).send({ tables: ['bss_company', 'bss_car_day_count'] }).expect(200);

    // A real lock held by another session: describing bss_car_day_count (it counts its rows) waits.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE bss_car_day_count IN ACCESS EXCLUSIVE MODE');
    await first.services.jobRunner.start();
    const run = await request(first.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'complete' }).expect(202);
    const firstJob = run.body.data.execution_id as string;
    await waitFor(
      () => db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`),
      (rows) => rows.length > 0,
      'the first worker blocked on the lock',
    );
    // Once the claim's and heartbeat's queries return it: the engine's pool has no connection left.
    const heldControl = await first.databases.appControl.connect();

    // The second worker's stale sweep fails the first worker's job; a re-run is accepted and claimed.
    await second.services.jobRunner.start();
    await waitFor(
      () => db.query(`SELECT state, error_message FROM data_pipeline_jobs WHERE job_id = $1`, [firstJob]),
      (rows) => rows[0]?.state === 'failed',
      'stale recovery of the first job',
    );
    const rerun = await request(second.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
    await waitFor(
      () => db.query(`SELECT worker_id FROM data_pipeline_jobs WHERE job_id = $1`, [rerun.body.data.execution_id]),
      (rows) => rows[0]?.worker_id === 'second-worker',
      'the re-run claimed by the second worker',
    );

    // The lock goes: both workers go on. The first one must stop and change nothing.
    await locker.query('COMMIT');
    heldControl.release();
    await waitFor(() => first.services.jobRunner.runningJobIds(), (ids) => ids.length === 0, 'the first worker to abort');
    const done = await waitFor(
      () => db.query(`SELECT state FROM data_pipeline_jobs WHERE job_id = $1`, [rerun.body.data.execution_id]),
      (rows) => rows[0]?.state !== 'running',
      'the re-run to end',
    );
    expect(done[0]!.state).toBe('succeeded');

    const [firstRow] = await db.query(`SELECT state, error_message FROM data_pipeline_jobs WHERE job_id = $1`, [firstJob]);
    expect(firstRow).toEqual({ state: 'failed', error_message: INTERRUPTED_MESSAGE });
    // Only the re-run's ddl_generation happened: the first worker's complete run did not go on to
    // the next steps, nor mark anything, nor settle the task over the re-run's result.
    const steps = await db.query(`SELECT step_name, step_status FROM data_pipeline_task_steps WHERE task_id = $1 ORDER BY step_name`, [taskId]);
    expect(Object.fromEntries(steps.map((s) => [s.step_name, s.step_status]))).toEqual({
      ddl_generation: 'completed',
      qa_generation: 'pending',
      sql_validation: 'pending',
      training_load: 'pending',
    });
    const [task] = await db.query(`SELECT status, error_message, result FROM data_pipeline_tasks WHERE task_id = $1`, [taskId]);
    expect(task).toMatchObject({ status: 'partial_completed', error_message: null });
    expect(task!.result.last_execution_id).toBe(rerun.body.data.execution_id);
    // No output of a later step from the first worker in the task directory.
    const files = fs.readdirSync(`${first.dataRoot}/${taskId}`);
    expect(files.filter((f) => f.endsWith('_pair.json') || f === 'task_result.json')).toEqual([]);
  });
});
