import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createPool, query, type Pool } from '../../src/db/pool.js';
import { insertJob, type JobRow } from '../../src/db/sql/jobs.sql.js';
import { abortReason } from '../../src/jobs/job-errors.js';
import type { JobFailure, JobHandler, JobRunContext } from '../../src/jobs/job-handler.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const SETTINGS = { workerId: 'engine-test', concurrency: 2, pollIntervalMs: 50, heartbeatMs: 50, staleSeconds: 30, listenUrl: null };

async function waitForJob(db: TestDatabase, jobId: string, ok: (row: JobRow) => boolean): Promise<JobRow> {
  for (let i = 0; i < 400; i++) {
    const [row] = await db.query<JobRow>('SELECT * FROM data_pipeline_jobs WHERE job_id = $1', [jobId]);
    if (row && ok(row)) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} never reached the expected state`);
}

/** A kind the runner has never heard of: it doubles `payload.n`, fails on `payload.fail`, waits on `payload.wait`. */
class DoublingHandler implements JobHandler {
  readonly kind = 'test_doubling';
  readonly settled: Array<{ jobId: string; failure: JobFailure; leased: boolean }> = [];
  readonly progressSeen: object[] = [];

  async run({ job, signal, report }: JobRunContext): Promise<object> {
    const payload = job.payload as { n: number; fail?: boolean; wait?: boolean };
    report({ phase: 'copy', percent: 50 });
    if (payload.fail) throw new Error('doubling refused');
    if (payload.wait) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      throw abortReason(signal)!;
    }
    await new Promise((r) => setTimeout(r, 200)); // long enough for a heartbeat to carry the progress
    return { doubled: payload.n * 2 };
  }

  async settle(_client: unknown, job: JobRow, failure: JobFailure, lease: unknown): Promise<void> {
    this.settled.push({ jobId: job.job_id, failure, leased: lease !== null });
  }
}

describe('one job engine: the runner knows no kind, each kind brings its handler', () => {
  let db: TestDatabase;
  let pool: Pool;
  let runner: JobRunner;
  const handler = new DoublingHandler();

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, { max: 4 }, pino({ level: 'silent' }));
    runner = new JobRunner(pool, [handler], pino({ level: 'silent' }), SETTINGS);
    await runner.start();
  });
  afterAll(async () => {
    await runner.stop(1000);
    await pool.end();
    await db.drop();
  });

  it('runs a registered kind with its payload and stores what the handler returns as the result', async () => {
    await query(pool, insertJob({ jobId: 'double-21', kind: handler.kind, payload: { n: 21 } }));
    runner.nudge();
    const row = await waitForJob(db, 'double-21', (r) => r.state === 'succeeded');
    expect(row.result).toEqual({ doubled: 42 });
    expect(row.task_id).toBeNull();
    expect(row.progress).toEqual({ phase: 'copy', percent: 50 });
  });

  it('a failure is recorded on the job and handed to the handler to settle its own rows, under the lease', async () => {
    await query(pool, insertJob({ jobId: 'double-fail', kind: handler.kind, payload: { n: 1, fail: true } }));
    runner.nudge();
    const row = await waitForJob(db, 'double-fail', (r) => r.state === 'failed');
    expect(row.error_message).toBe('doubling refused');
    expect(handler.settled).toContainEqual({ jobId: 'double-fail', failure: { state: 'failed', message: 'doubling refused' }, leased: true });
  });

  it('a cancel of a running job of any kind ends it cancelled', async () => {
    await query(pool, insertJob({ jobId: 'double-wait', kind: handler.kind, payload: { n: 1, wait: true } }));
    runner.nudge();
    await waitForJob(db, 'double-wait', (r) => r.state === 'running');
    await db.query(`UPDATE data_pipeline_jobs SET cancel_requested = TRUE WHERE job_id = 'double-wait'`);
    const row = await waitForJob(db, 'double-wait', (r) => r.state === 'cancelled');
    expect(handler.settled.map((s) => s.jobId)).toContain('double-wait');
    expect(row.result).toBeNull();
  });

  it('never claims a kind it has no handler for (a newer server sharing the database may enqueue one)', async () => {
    await query(pool, insertJob({ jobId: 'from-the-future', kind: 'kind_of_a_newer_server', payload: {} }));
    await query(pool, insertJob({ jobId: 'double-after', kind: handler.kind, payload: { n: 5 } }));
    runner.nudge();
    await waitForJob(db, 'double-after', (r) => r.state === 'succeeded');
    const [unknown] = await db.query<JobRow>(`SELECT * FROM data_pipeline_jobs WHERE job_id = 'from-the-future'`);
    expect(unknown!.state).toBe('queued');
    expect(unknown!.worker_id).toBeNull();
  });

  it('keeps "a task execution names its task" a database fact', async () => {
    await expect(db.query(`INSERT INTO data_pipeline_jobs (job_id, kind) VALUES ('no-task', 'task_execution')`)).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('refuses two handlers for one kind at start-up', () => {
    expect(() => new JobRunner(pool, [handler, new DoublingHandler()], pino({ level: 'silent' }), SETTINGS)).toThrow(/two handlers/);
  });
});
