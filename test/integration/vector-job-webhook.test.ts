import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seedVectorTables, waitFor } from '../helpers/vector-db.js';
import { JOBS, pollToEnd, type Job } from '../helpers/vector-jobs.js';

/** A receiver on 127.0.0.1 that records every POST and answers with the next status of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []): Promise<{ url: string; posts: any[]; close(): Promise<void> }> {
  const posts: any[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      posts.push({ method: req.method, contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook?token=abc`, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on: bound, then closed. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

/** Pino lines as objects, to see the warning a lost webhook leaves. */
function capturingLogger(): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const sink = new Writable({ write: (chunk, _encoding, callback) => (lines.push(JSON.parse(String(chunk))), callback()) });
  return { logger: pino({ level: 'warn' }, sink), lines };
}


describe('WEBHOOK_URL: a JSON POST when a vector job ends', () => {
  let db: TestDatabase;
  let t: TestApp | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db);
  });
  afterEach(async () => {
    await t?.services.jobRunner.stop(5000);
    await t?.services.webhook?.drain();
    await t?.close();
    t = null;
  });
  afterAll(async () => {
    await db.drop();
  });

  async function appWith(url: string, logger?: pino.Logger, start = true): Promise<TestApp> {
    t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '50', WEBHOOK_URL: url }, logger ? { logger } : {});
    if (start) await t.services.jobRunner.start();
    return t;
  }

  it('an async backup that succeeds → one POST {event: job.finished, kind: backup, status: succeeded, result}, no password', async () => {
    const receiver = await startReceiver();
    try {
      const app = await appWith(receiver.url);
      const withPassword = new URL(db.url);
      withPassword.password = 's3cret-pw';
      const accepted = await request(app.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true, db_connection: withPassword.toString() }).expect(202);
      const { job } = await pollToEnd(app.app, accepted.body.data.job_id);
      expect(job.status).toBe('succeeded');
      await waitFor('the webhook POST', async () => (receiver.posts.length > 0 ? true : null), 10_000);
      await app.services.webhook!.drain();
      expect(receiver.posts).toHaveLength(1);
      const post = receiver.posts[0];
      expect(post).toMatchObject({ method: 'POST', contentType: 'application/json' });
      expect(post.body).toMatchObject({ event: 'job.finished', job_id: job.job_id, kind: 'backup', status: 'succeeded', error: null });
      expect(post.body.finished_at).toBe((job as Job & { finished_at: string }).finished_at);
      expect(post.body.result.backup_timestamp).toBe(job.result.backup_timestamp);
      expect(JSON.stringify(post.body)).not.toContain('s3cret-pw');
    } finally {
      await receiver.close();
    }
  });

  it('a receiver that answers 500 twice, then 200 → three attempts, the last one delivered', async () => {
    const receiver = await startReceiver([500, 500]);
    try {
      const app = await appWith(receiver.url);
      const accepted = await request(app.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
      const { job } = await pollToEnd(app.app, accepted.body.data.job_id);
      expect(job.status).toBe('succeeded');
      await waitFor('three webhook attempts', async () => (receiver.posts.length >= 3 ? true : null), 20_000);
      await app.services.webhook!.drain();
      expect(receiver.posts).toHaveLength(3);
      expect(receiver.posts.every((p) => p.body.job_id === job.job_id && p.body.status === 'succeeded')).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('a verify that fails and a queued job cancelled before any worker took it are posted too (kind verify / backup)', async () => {
    const receiver = await startReceiver();
    try {
      const app = await appWith(receiver.url, undefined, false);
      const queued = await request(app.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
      await request(app.app).post(`${JOBS}/${queued.body.data.job_id}/cancel`).expect(200);
      await app.services.webhook!.drain();
      expect(receiver.posts.map((p) => p.body)).toEqual([
        expect.objectContaining({ event: 'job.finished', job_id: queued.body.data.job_id, kind: 'backup', status: 'cancelled', result: null }),
      ]);

      await app.services.jobRunner.start();
      // A set that is gone by the time the job runs (a missing one is refused at POST time): queued directly.
      const missing = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20000101_000000' };
      const client = await app.databases.app.connect();
      const row = await app.services.vectorJobs.enqueueIn(client, 'verify', missing).finally(() => client.release());
      app.services.vectorJobs.nudge();
      const { job } = await pollToEnd(app.app, row.job_id);
      expect(job.status).toBe('failed');
      await waitFor('the verify webhook POST', async () => (receiver.posts.length > 1 ? true : null), 10_000);
      expect(receiver.posts[1].body).toMatchObject({ job_id: job.job_id, kind: 'verify', status: 'failed', error: job.error, result: null });
    } finally {
      await receiver.close();
    }
  });

  it('an unreachable receiver: the job still succeeds, and the lost notice is a warning (without the URL)', async () => {
    const { logger, lines } = capturingLogger();
    const url = await closedPortUrl();
    const app = await appWith(url, logger);
    const accepted = await request(app.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
    const { job } = await pollToEnd(app.app, accepted.body.data.job_id);
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    await app.services.webhook!.drain();
    const warning = lines.find((l) => l.component === 'webhook');
    expect(warning).toMatchObject({ level: 40, jobId: job.job_id, status: 'succeeded', msg: 'job-end webhook not delivered' });
    expect(JSON.stringify(lines)).not.toContain(url);
  });
});
