import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seedVectorTables } from '../helpers/vector-db.js';
import { pollToEnd } from '../helpers/vector-jobs.js';
import { waitUntil } from '../helpers/wait.js';

const TASKS = '/api/v0/data_pipeline/tasks';
const WORKER = { JOB_POLL_INTERVAL_MS: '50', JOB_HEARTBEAT_MS: '100', EMBEDDING_DIMENSIONS: '64' };

/** `name{labels} value` lines of a Prometheus text reply: the value of the series whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let db: TestDatabase;
  let t: TestApp;
  let taskId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db, { rows: 20 });
    await db.query(`CREATE TABLE metrics_demo (id int PRIMARY KEY, name text); INSERT INTO metrics_demo VALUES (1, 'a'), (2, 'b')`);
    t = await createTestApp(db.url, WORKER);
    fs.writeFileSync(path.join(t.cwd, 'tables.txt'), 'public.metrics_demo\n');
    await t.services.jobRunner.start();
  });
  afterAll(async () => {
    await t.services.jobRunner.stop(5000);
    await t.close();
    await db.drop();
  });

  it('after a backup job and a task step: every named family is there with non-zero values, routes as patterns', async () => {
    const accepted = await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({ async: true }).expect(202);
    const { job } = await pollToEnd(t.app, accepted.body.data.job_id);
    expect(job.status).toBe('succeeded');

    const created = await request(t.app).post(TASKS).send({ table_list_file: 'tables.txt', task_name: 'metrics' }).expect(201);
    taskId = created.body.data.task_id;
    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
    await waitUntil(
      async () => (await request(t.app).get(`${TASKS}/${taskId}`).expect(200)).body.data,
      (task) => task.status !== 'pending' && task.status !== 'in_progress' && !['queued', 'running'].includes(task.execution?.state),
      'the step to end',
    );

    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    // The registry is the server's own: process metrics come with it.
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // HTTP by route pattern: the task's id appears in no label.
    expect(sample(text, 'text2sql_http_request_duration_seconds_count', { route: '/api/v0/data_pipeline/tasks/:task_id', method: 'GET', status: '200' })).toBeGreaterThan(0);
    expect(sample(text, 'text2sql_http_request_duration_seconds_count', { route: '/api/v0/data_pipeline/tasks', method: 'POST', status: '201' })).toBe(1);
    expect(text).not.toContain(taskId);
    // Jobs and steps: durations and outcomes.
    expect(sample(text, 'text2sql_jobs_finished_total', { kind: 'vector_backup', state: 'succeeded' })).toBe(1);
    expect(sample(text, 'text2sql_job_duration_seconds_count', { kind: 'vector_backup', state: 'succeeded' })).toBe(1);
    expect(sample(text, 'text2sql_job_duration_seconds_sum', { kind: 'vector_backup', state: 'succeeded' })).toBeGreaterThan(0);
    expect(sample(text, 'text2sql_jobs_finished_total', { kind: 'task_execution', state: 'succeeded' })).toBe(1);
    expect(sample(text, 'text2sql_step_duration_seconds_count', { step: 'ddl_generation', status: 'completed' })).toBe(1);
    // COPY: the backup's rows (20 embeddings + 1 collection) and the bytes of its files.
    expect(sample(text, 'text2sql_copy_rows_total', { direction: 'backup' })).toBe(21);
    const setFiles = fs.readdirSync(path.join(t.dataRoot, 'vector_bak')).filter((f) => f.startsWith('langchain_pg_') && !f.endsWith('.json'));
    const setBytes = setFiles.reduce((n, f) => n + fs.statSync(path.join(t.dataRoot, 'vector_bak', f)).size, 0);
    expect(sample(text, 'text2sql_copy_bytes_total', { direction: 'backup' })).toBeGreaterThan(0);
    // The catalog: one set in the global location, its bytes, and when it was taken.
    expect(sample(text, 'text2sql_backup_sets', { location: 'global', type: 'global' })).toBe(1);
    expect(sample(text, 'text2sql_backup_bytes', { location: 'global' })).toBe(setBytes);
    const stamp = job.result.backup_timestamp as string;
    const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp)!.slice(1).map(Number);
    expect(sample(text, 'text2sql_backup_last_success_timestamp_seconds', { location: 'global' })).toBe(
      new Date(m[0]!, m[1]! - 1, m[2]!, m[3]!, m[4]!, m[5]!).getTime() / 1000,
    );
    // Tasks by status, every status present.
    expect(sample(text, 'text2sql_tasks', { status: 'completed' })! + sample(text, 'text2sql_tasks', { status: 'partial_completed' })!).toBe(1);
    expect(sample(text, 'text2sql_tasks', { status: 'failed' })).toBe(0);
  });

  it('requests no route matched share one label, whatever their URL', async () => {
    await request(t.app).get('/no/such/path-123').expect(404);
    await request(t.app).get('/robots.txt').expect(404);
    const text = (await request(t.app).get('/metrics').expect(200)).text;
    expect(text).not.toContain('path-123');
    expect(text).not.toContain('robots');
    expect(sample(text, 'text2sql_http_request_duration_seconds_count', { route: '(unmatched)', status: '404' })).toBeGreaterThanOrEqual(2);
  });

  it('METRICS_PUBLIC=false puts /metrics behind API_TOKEN; the default leaves it open', async () => {
    const closed = await createTestApp(db.url, { API_TOKEN: 'metrics-token', METRICS_PUBLIC: 'false' });
    const open = await createTestApp(db.url, { API_TOKEN: 'metrics-token' });
    try {
      const denied = await request(closed.app).get('/metrics').expect(401);
      expect(denied.body).toMatchObject({ success: false, code: 401 });
      expect(denied.text).not.toContain('text2sql_');
      await request(closed.app).get('/metrics').set('Authorization', 'Bearer metrics-token').expect(200);
      const res = await request(open.app).get('/metrics').expect(200);
      expect(res.text).toContain('# TYPE text2sql_tasks gauge');
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
