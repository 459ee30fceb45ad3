import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { VectorBackupService } from '../../src/backups/backup-service.js';
import { VectorBackupJob } from '../../src/jobs/handlers/backup-job.js';
import type { JobHandler, JobRunContext } from '../../src/jobs/job-handler.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import { insertJob } from '../../src/db/sql/jobs.sql.js';
import { VectorJobService } from '../../src/jobs/vector-job-service.js';
import type { OpenFile } from '../../src/lib/durable-dir.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { deferred, vectorSnapshot, waitFor } from '../helpers/vector-db.js';
import { holdRestore, JOBS, monotone, parseEvents, pollToEnd, readText, ROWS, seedVectors, type Job } from '../helpers/vector-jobs.js';

const silent = pino({ level: 'silent' });
const GLOBAL_BAK = './data_pipeline/training_data/vector_bak';

describe('vector jobs: async backup and restore, progress, events, cancel', () => {
  let db: TestDatabase;
  let t: TestApp;
  let stamp: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectors(db);
    // A short lease (stale after 5 s, given up after 3.75 s without a confirmed heartbeat).
    t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '50', JOB_STALE_SECONDS: '5', JOB_HEARTBEAT_MS: '100', WORKER_CONCURRENCY: '1' });
    await t.services.jobRunner.start();
  });
  afterAll(async () => {
    await t.services.jobRunner.stop(5000);
    await t.close();
    await db.drop();
  });

  it('async backup: 202 with a status_url; percent never goes backwards and ends at 100 with every row counted', async () => {
    const accepted = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
    expect(accepted.body.code).toBe(202);
    const jobId = accepted.body.data.job_id as string;
    expect(accepted.body.data.status_url).toBe(`${JOBS}/${jobId}`);
    const { job, percents } = await pollToEnd(t.app, jobId);
    expect(job).toMatchObject({ kind: 'backup', status: 'succeeded', error: null });
    expect(monotone(percents)).toBe(true);
    expect(job.progress).toMatchObject({ phase: 'done', percent: 100, rows_done: ROWS + 2, rows_total: ROWS + 2 });
    expect(job.result.tables_backed_up.langchain_pg_embedding.row_count).toBe(ROWS);
    stamp = job.result.backup_timestamp;
    const file = path.join(t.dataRoot, 'vector_bak', `langchain_pg_embedding_${stamp}.csv`);
    // Bytes exactly as written; rows by the quote-aware count (every document holds a newline).
    expect(job.progress.tables.langchain_pg_embedding).toMatchObject({ rows_done: ROWS, bytes_done: fs.statSync(file).size, percent: 100 });
  });

  it('async restore: rows match, the tables are as before, and the request never shows the password', async () => {
    const before = await vectorSnapshot(db);
    const withPassword = new URL(db.url);
    withPassword.password = 's3cret-pw';
    const accepted = await request(t.app)
      .post('/api/v0/data_pipeline/vector/restore')
      .send({ backup_path: GLOBAL_BAK, timestamp: stamp, truncate_before_restore: true, db_connection: withPassword.toString(), async: true })
      .expect(202);
    const { job, percents } = await pollToEnd(t.app, accepted.body.data.job_id);
    expect(job).toMatchObject({ kind: 'restore', status: 'succeeded' });
    expect(monotone(percents)).toBe(true);
    const file = path.join(t.dataRoot, 'vector_bak', `langchain_pg_embedding_${stamp}.csv`);
    expect(job.progress).toMatchObject({ phase: 'done', percent: 100 });
    expect(job.progress.tables.langchain_pg_embedding).toMatchObject({ rows_done: ROWS, bytes_done: fs.statSync(file).size, bytes_total: fs.statSync(file).size });
    expect(job.result.restore_results.langchain_pg_embedding.rows_restored).toBe(ROWS);
    expect(await vectorSnapshot(db)).toEqual(before);

    expect(job.request.db_connection).toContain('***');
    const listed = await request(t.app).get(JOBS).query({ kind: 'restore' }).expect(200);
    for (const body of [JSON.stringify(job), JSON.stringify(listed.body)]) expect(body).not.toContain('s3cret-pw');
    expect(listed.body.data.jobs.map((j: Job) => j.job_id)).toContain(job.job_id);
  });

  it('async restore of a gzip set: bytes done and total are both the compressed file\'s, so percent is right', async () => {
    const backup = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({ compression: 'gzip' }).expect(200);
    const gzStamp = backup.body.data.backup_timestamp as string;
    const size = fs.statSync(path.join(t.dataRoot, 'vector_bak', `langchain_pg_embedding_${gzStamp}.csv.gz`)).size;
    const accepted = await request(t.app)
      .post('/api/v0/data_pipeline/vector/restore')
      .send({ backup_path: GLOBAL_BAK, timestamp: gzStamp, truncate_before_restore: true, async: true })
      .expect(202);
    const { job, percents } = await pollToEnd(t.app, accepted.body.data.job_id);
    expect(job.status).toBe('succeeded');
    expect(monotone(percents)).toBe(true);
    expect(job.progress.tables.langchain_pg_embedding).toMatchObject({ rows_done: ROWS, bytes_done: size, bytes_total: size, percent: 100 });
    await request(t.app).delete('/api/v0/data_pipeline/vector/backups').send({ backup_path: GLOBAL_BAK, timestamp: gzStamp }).expect(200);
  });

  it('events: progress as Server-Sent Events until the job ends, then an end event', async () => {
    const accepted = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
    const res = await request(t.app).get(`${JOBS}/${accepted.body.data.job_id}/events`).buffer(true).parse(readText).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseEvents(res.body as string);
    expect(events.filter((e) => e.event === 'progress').length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.event === 'end')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'succeeded', progress: { percent: 100 } } });
    expect(monotone(events.map((e) => e.data.progress?.percent ?? 0))).toBe(true);
  });

  it('cancel mid-restore: the COPY stops, everything rolls back, the job ends cancelled', async () => {
    const before = await vectorSnapshot(db);
    const hold = await holdRestore(db);
    try {
      const accepted = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: GLOBAL_BAK, timestamp: stamp, truncate_before_restore: true, async: true })
        .expect(202);
      const jobId = accepted.body.data.job_id as string;
      await hold.reached;
      const cancelling = request(t.app).post(`${JOBS}/${jobId}/cancel`).then((r) => r);
      // The abort must be taken up before the hold lets go, or the restore could simply finish. Taken
      // up, the job may also have stopped already (it is running, held, until then): no longer local.
      await waitFor('the cancel to be taken up', async () => {
        const local = t.services.jobRunner.localJob(jobId);
        return local === null || local.cancelling;
      });
      await hold.release();
      const cancelled = await cancelling;
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.data.status).toBe('cancelled');
      const { job } = await pollToEnd(t.app, jobId);
      // A vector job's wording, not a task's (任务已取消).
      expect(job).toMatchObject({ status: 'cancelled', error: '作业已取消' });
    } finally {
      await hold.release();
    }
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('a restore held in its transaction past the lease timeout still ends succeeded (embedded: no heartbeat gets through meanwhile)', async () => {
    const before = await vectorSnapshot(db);
    const hold = await holdRestore(db);
    try {
      const accepted = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: GLOBAL_BAK, timestamp: stamp, truncate_before_restore: true, async: true })
        .expect(202);
      await hold.reached;
      // Longer than the 3.75 s after which a worker whose heartbeats do not get through gives up.
      await new Promise((r) => setTimeout(r, 4500));
      await hold.release();
      const { job } = await pollToEnd(t.app, accepted.body.data.job_id);
      expect(job.status).toBe('succeeded');
    } finally {
      await hold.release();
    }
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('unknown job id → 404 JOB_NOT_FOUND; cancel of a finished job → 409 JOB_NOT_RUNNING; a queued job is cancelled at once', async () => {
    for (const res of [
      await request(t.app).get(`${JOBS}/no_such_job_1`),
      await request(t.app).post(`${JOBS}/no_such_job_1/cancel`),
      await request(t.app).get(`${JOBS}/no_such_job_1/events`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.data.error_type).toBe('JOB_NOT_FOUND');
    }
    const [finished] = (await request(t.app).get(JOBS).query({ kind: 'backup', status: 'succeeded', limit: 1 }).expect(200)).body.data.jobs;
    const again = await request(t.app).post(`${JOBS}/${finished.job_id}/cancel`).expect(409);
    expect(again.body.error.type).toBe('JOB_NOT_RUNNING');

    if (embeddedTestMode()) {
      // One session: a held restore would hold it and the enqueue would wait behind it. Here the
      // exclusive runner has not claimed the job yet when the cancel comes.
      const queued = await t.services.vectorJobs.enqueue('verify', { backup_path: GLOBAL_BAK, timestamp: stamp });
      expect(queued.status).toBe('queued');
      const cancelled = await request(t.app).post(`${JOBS}/${queued.job_id}/cancel`).expect(200);
      expect(cancelled.body.data).toMatchObject({ kind: 'verify', status: 'cancelled', error: '作业已取消' });
      return;
    }
    // The one worker slot (WORKER_CONCURRENCY 1) is taken by a held restore: a verify job stays queued until cancelled.
    const hold = await holdRestore(db);
    let restoreId = '';
    try {
      const restore = await request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: GLOBAL_BAK, timestamp: stamp, truncate_before_restore: true, async: true })
        .expect(202);
      restoreId = restore.body.data.job_id;
      await hold.reached;
      const queued = await t.services.vectorJobs.enqueue('verify', { backup_path: GLOBAL_BAK, timestamp: stamp });
      expect(queued.status).toBe('queued');
      const cancelled = await request(t.app).post(`${JOBS}/${queued.job_id}/cancel`).expect(200);
      expect(cancelled.body.data).toMatchObject({ kind: 'verify', status: 'cancelled', error: '作业已取消' });
    } finally {
      await hold.release();
    }
    expect((await pollToEnd(t.app, restoreId)).job.status).toBe('succeeded');
  });

  it('bad input is a 400 naming the parameter', async () => {
    const cases: Array<[request.Test, string]> = [
      [request(t.app).post('/api/v0/data_pipeline/vector/backup').send({ async: 'yes' }), 'async'],
      [request(t.app).post('/api/v0/data_pipeline/vector/restore').send({ backup_path: GLOBAL_BAK, timestamp: stamp, async: 1 }), 'async'],
      [request(t.app).get(JOBS).query({ status: 'done' }), 'status'],
      [request(t.app).get(JOBS).query({ kind: 'copy' }), 'kind'],
      [request(t.app).get(JOBS).query({ limit: 0 }), 'limit'],
      [request(t.app).get(JOBS).query({ limit: 'many' }), 'limit'],
    ];
    for (const [req, param] of cases) {
      const res = await req;
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(param);
    }
  });
});

describe('vector jobs: a running backup is read from memory and cancelled without leaving files', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectors(db);
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('status and progress come from memory while the backup holds its transaction; cancel removes the .tmp files', async () => {
    // The backup pauses inside the embeddings' file write: snapshot taken, transaction open (in
    // embedded mode on the only connection, so a status read that went to the database would hang).
    const reached = deferred();
    const resume = deferred();
    const open: OpenFile = async (file, flags) => {
      const handle = await fsp.open(file, flags);
      if (path.basename(file).startsWith('.langchain_pg_embedding_')) {
        const writev = handle.writev.bind(handle);
        handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
          reached.resolve();
          await resume.promise;
          return writev(buffers, position);
        }) as typeof handle.writev;
      }
      return handle;
    };
    const backups = new VectorBackupService(t.services.dataRoot, t.databases, silent, { lockTimeoutMs: 10_000 }, open);
    const runner = new JobRunner(t.databases.app, [new VectorBackupJob(backups)], silent, {
      workerId: 'vector-jobs-test', concurrency: 1, pollIntervalMs: 50, heartbeatMs: 1000, staleSeconds: 60, progressMs: 250, listenUrl: null,
    });
    const vectorJobs = new VectorJobService(t.databases.app, runner);
    const app = createApp({ config: t.config, services: { ...t.services, jobRunner: runner, vectorJobs }, logger: silent });
    await runner.start();
    try {
      const accepted = await request(app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
      const jobId = accepted.body.data.job_id as string;
      await reached.promise;
      const running = await request(app).get(`${JOBS}/${jobId}`).expect(200);
      expect(running.body.data).toMatchObject({ status: 'running', progress: { phase: 'copy' } });
      expect(running.body.data.progress.tables.langchain_pg_collection).toMatchObject({ rows_done: 2, percent: 100 });
      expect(running.body.data.progress.percent).toBeLessThan(100);

      const cancelling = request(app).post(`${JOBS}/${jobId}/cancel`).then((r) => r);
      // Taken up: the job is stopping, or (the abort destroys the paused write at once) already gone.
      await waitFor('the cancel to be taken up', async () => runner.localJob(jobId)?.cancelling || !runner.localJob(jobId));
      resume.resolve();
      const cancelled = await cancelling;
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.data.status).toBe('cancelled');
      expect((await request(app).get(`${JOBS}/${jobId}`).expect(200)).body.data).toMatchObject({ status: 'cancelled', error: '作业已取消' });

      const listing = await request(app).get('/api/v0/data_pipeline/vector/restore/list').expect(200);
      expect(listing.body.data.summary.total_backup_sets).toBe(0);
      const left = fs.readdirSync(path.join(t.dataRoot, 'vector_bak'));
      expect(left.filter((f) => f.endsWith('.tmp') || f.endsWith('.csv') || f.endsWith('.lock'))).toEqual([]);
    } finally {
      resume.resolve();
      await runner.stop(5000);
    }
  });

  it('progress reaches the job row between heartbeats (the runner writes it within progressMs)', async () => {
    const go = deferred();
    const handler: JobHandler = {
      kind: 'test_progress_writes',
      async run({ report }: JobRunContext) {
        report({ phase: 'copy', percent: 10 });
        await go.promise;
        report({ phase: 'copy', percent: 20 });
        await new Promise((r) => setTimeout(r, 1));
        return {};
      },
    };
    // A heartbeat that never comes during the test: only the progress writes can reach the row.
    const runner = new JobRunner(t.databases.app, [handler], silent, {
      workerId: 'progress-test', concurrency: 1, pollIntervalMs: 50, heartbeatMs: 600_000, staleSeconds: 3600, progressMs: 250, listenUrl: null,
    });
    await runner.start();
    try {
      const insert = insertJob({ jobId: 'progress_writes_1', kind: handler.kind });
      await db.query(insert.text, insert.values);
      const percentInRow = async () => {
        const [row] = await db.query<{ progress: { percent: number } | null; state: string }>('SELECT progress, state FROM data_pipeline_jobs WHERE job_id = $1', ['progress_writes_1']);
        return row;
      };
      await waitFor('the first progress in the row', async () => (await percentInRow())?.progress?.percent === 10);
      go.resolve();
      const ended = await waitFor('the job to end', async () => ((await percentInRow())?.state === 'succeeded' ? percentInRow() : null));
      // The last report is stored with the end, even when no write carried it before.
      expect(ended!.progress!.percent).toBe(20);
    } finally {
      go.resolve();
      await runner.stop(5000);
    }
  });
});
