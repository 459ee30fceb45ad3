import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { INTERRUPTED_MESSAGE } from '../../src/jobs/job-runner.js';
import { FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { waitUntil as waitFor } from '../helpers/wait.js';

const TASKS = '/api/v0/data_pipeline/tasks';
const FAST = { JOB_POLL_INTERVAL_MS: '100', JOB_HEARTBEAT_MS: '100', EMBEDDING_DIMENSIONS: '128' };


const detail = (t: TestApp, id: string) => request(t.app).get(`${TASKS}/${id}`).then((r) => r.body.data);

describe('task executions: upload flow, conflicts, cancel, restart, delete', () => {
  let db: TestDatabase;
  let pool: Pool;
  let llm: FakeOpenAiServer;
  let slow: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    llm = await FakeOpenAiServer.start();
    llm.otherwise({ hang: true });
    // An LLM that never answers keeps ddl_generation running for as long as a test needs.
    slow = await createTestApp(db.url, { ...FAST, WORKER_ID: 'slow-worker', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'slow', LLM_TIMEOUT_MS: '600000', LLM_MAX_RETRIES: '0' });
    await slow.services.jobRunner.start();
  });
  afterAll(async () => {
    await slow.services.jobRunner.stop(1000);
    await slow.close();
    await llm.close();
    await pool.end();
    await db.drop();
  });

  it('a second execute while one is running → 409 TASK_ALREADY_RUNNING; cancel stops it', async () => {
    const taskId = await newTaskWithList(slow);
    await request(slow.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(202);
    await waitFor(() => detail(slow, taskId), (d) => d.step_status.ddl_generation === 'running', 'ddl_generation running');
    const second = await request(slow.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'qa_generation' }).expect(409);
    expect(second.body).toMatchObject({ message: '任务已在执行', data: { error_type: 'TASK_ALREADY_RUNNING' } });
    expect(second.body.data.execution_id).toMatch(new RegExp(`^${taskId}_exec_`));
    // Deleting a running task is refused too.
    await request(slow.app).delete(`${TASKS}/${taskId}`).expect(409);

    // The execution runs in this process: the cancel aborts it at once (not at the next heartbeat)
    // and the reply comes when it has ended, so the task is cancelled by the time it arrives.
    const cancel = await request(slow.app).post(`${TASKS}/${taskId}/cancel`).expect(200);
    expect(cancel.body.data.state).toBe('cancelled');
    const cancelled = await detail(slow, taskId);
    // Tasks keep their wording (vector jobs say 作业已取消), on the task row and on its execution.
    expect(cancelled).toMatchObject({ status: 'cancelled', error_message: '任务已取消', execution: { state: 'cancelled', error_message: '任务已取消' } });
    expect(cancelled.step_status.ddl_generation).toBe('cancelled');
    const again = await request(slow.app).post(`${TASKS}/${taskId}/cancel`).expect(409);
    expect(again.body.data).toMatchObject({ error_type: 'JOB_NOT_RUNNING', execution_state: 'cancelled' });
  });

  it('a cancel that arrives after the execution finished is a 409 JOB_NOT_RUNNING that says so', async () => {
    // Its own database: the slow worker must not be the one to claim this execution.
    const own = await createTestDatabase();
    const ownPool = await seededDemoPool(own.url);
    const quick = await createTestApp(own.url, { ...FAST, WORKER_ID: 'quick-worker' });
    try {
      await quick.services.jobRunner.start();
      const taskId = await newTaskWithList(quick);
      const run = await request(quick.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
      await waitFor(() => detail(quick, taskId), (d) => d.execution?.state === 'succeeded', 'execution succeeded');
      const late = await request(quick.app).post(`${TASKS}/${taskId}/cancel`).expect(409);
      expect(late.body.data).toMatchObject({ error_type: 'JOB_NOT_RUNNING', execution_id: run.body.data.execution_id, execution_state: 'succeeded' });
      expect(late.body.data.response).toContain('已结束');
      expect((await detail(quick, taskId)).status).toBe('partial_completed');
    } finally {
      await quick.services.jobRunner.stop(1000);
      await quick.close();
      await ownPool.end();
      await own.drop();
    }
  });

  // NOTIFY between two servers' sessions; the embedded database has one session and polls.
  it.skipIf(embeddedTestMode())('a cancel sent to another server reaches the running worker through NOTIFY, not at its next heartbeat', async () => {
    const own = await createTestDatabase();
    const ownPool = await seededDemoPool(own.url);
    // Heartbeats 30 s apart: only the notification can stop the execution within this test.
    const worker = await createTestApp(own.url, { ...FAST, JOB_HEARTBEAT_MS: '30000', JOB_STALE_SECONDS: '120', WORKER_ID: 'notified-worker', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'slow', LLM_TIMEOUT_MS: '600000', LLM_MAX_RETRIES: '0' });
    const front = await createTestApp(own.url, { ...FAST, WORKER_ID: 'front-server' }, { cwd: worker.cwd });
    try {
      await worker.services.jobRunner.start();
      const taskId = await newTaskWithList(front);
      await request(front.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(202);
      await waitFor(() => detail(front, taskId), (d) => d.step_status.ddl_generation === 'running', 'ddl_generation running');
      const cancel = await request(front.app).post(`${TASKS}/${taskId}/cancel`).expect(200);
      expect(cancel.body.data.state).toBe('cancelling');
      const done = await waitFor(() => detail(front, taskId), (d) => d.execution.state !== 'running' && d.execution.state !== 'cancelling', 'the cancel to take effect', 15_000);
      expect(done).toMatchObject({ status: 'cancelled', execution: { state: 'cancelled' } });
    } finally {
      await worker.services.jobRunner.stop(1000);
      await worker.close();
      await front.close();
      await ownPool.end();
      await own.drop();
    }
  });

  it('a queued execution is cancelled at once', async () => {
    // Its own database: no running worker may claim the job before the cancel.
    const quiet = await createTestDatabase();
    const idle = await createTestApp(quiet.url, { ...FAST, WORKER_ID: 'idle-worker' });
    try {
      const taskId = await newTaskWithList(idle);
      await request(idle.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(202);
      const res = await request(idle.app).post(`${TASKS}/${taskId}/cancel`).expect(200);
      expect(res.body.data.state).toBe('cancelled');
      expect(await detail(idle, taskId)).toMatchObject({ status: 'cancelled', execution: { state: 'cancelled' } });
    } finally {
      await idle.close();
      await quiet.drop();
    }
  });

  it('a restart during a running execution marks it failed; a new execute then works', async () => {
    // Its own database, so only the two "incarnations" below share the queue.
    const own = await createTestDatabase();
    const ownPool = await seededDemoPool(own.url);
    const first = await createTestApp(own.url, { ...FAST, WORKER_ID: 'restart-worker', LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'slow', LLM_TIMEOUT_MS: '600000', LLM_MAX_RETRIES: '0' });
    await first.services.jobRunner.start();
    const taskId = await newTaskWithList(first);
    await request(first.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(202);
    await waitFor(() => detail(first, taskId), (d) => d.status === 'in_progress' && d.execution?.state === 'running', 'running execution');

    // The "restarted" server: same worker id, as the same host:port would have.
    const second = await createTestApp(own.url, { ...FAST, WORKER_ID: 'restart-worker' }, { cwd: first.cwd });
    try {
      await second.services.jobRunner.start();
      const after = await detail(second, taskId);
      expect(after).toMatchObject({ status: 'failed', error_message: INTERRUPTED_MESSAGE, execution: { state: 'failed' } });
      expect(after.step_status.ddl_generation).toBe('failed');
      // The old process goes away; nothing it does afterwards changes the record.
      await first.services.jobRunner.stop(0);
      await request(second.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
      const done = await waitFor(() => detail(second, taskId), (d) => d.status !== 'in_progress' && d.execution?.state !== 'queued' && d.execution?.state !== 'running', 'rerun');
      expect(done.status).toBe('partial_completed');
      expect(done.error_message).toBeNull();
    } finally {
      await second.services.jobRunner.stop(1000);
      await second.close();
      await first.close();
      await ownPool.end();
      await own.drop();
    }
  });

  it("another server's execution whose heartbeat stopped is failed by any worker", async () => {
    const taskId = await newTaskWithList(slow);
    await db.query(
      `INSERT INTO data_pipeline_jobs (job_id, task_id, execution_mode, state, worker_id, started_at, heartbeat_at)
       VALUES ($1, $2, 'complete', 'running', 'crashed-host:8084', now() - interval '10 minutes', now() - interval '10 minutes')`,
      [`${taskId}_exec_ghost`, taskId],
    );
    await db.query(`UPDATE data_pipeline_tasks SET status = 'in_progress' WHERE task_id = $1`, [taskId]);
    const other = await createTestApp(db.url, { ...FAST, WORKER_ID: 'recovering-worker' }, { cwd: slow.cwd });
    try {
      await other.services.jobRunner.start();
      expect(await detail(other, taskId)).toMatchObject({ status: 'failed', error_message: INTERRUPTED_MESSAGE, execution: { state: 'failed' } });
    } finally {
      await other.services.jobRunner.stop(1000);
      await other.close();
    }
  });

  it('delete one task and the batch form with confirm', async () => {
    const a = await newTaskWithList(slow);
    const b = await newTaskWithList(slow);
    const one = await request(slow.app).delete(`${TASKS}/${a}`).expect(200);
    expect(one.body.data).toMatchObject({ task_id: a, directory_deleted: true, database_records_deleted: true });
    expect(fs.existsSync(path.join(slow.dataRoot, a))).toBe(false);
    await request(slow.app).get(`${TASKS}/${a}`).expect(404);

    expect((await request(slow.app).delete(TASKS).send({ task_ids: [b] }).expect(400)).body.data.response).toBe('缺少必需参数: confirm');
    expect((await request(slow.app).delete(TASKS).send({ task_ids: [b], confirm: 'true' }).expect(400)).body.data.response).toBe('confirm参数必须为true以确认删除操作');
    expect((await request(slow.app).delete(TASKS).send({ confirm: true }).expect(400)).body.data.missing_params).toEqual(['task_ids']);
    const batch = await request(slow.app).delete(TASKS).send({ task_ids: [b, '../etc', 'task_19990101_000000'], confirm: true }).expect(200);
    expect(batch.body.data.summary).toEqual({ total_requested: 3, successfully_deleted: 1, failed: 2 });
    expect(batch.body.data.response).toBe('批量删除部分完成：成功1个，失败2个');
    expect(fs.existsSync(path.join(slow.dataRoot, b))).toBe(false);
    // Without delete_database_records the row stays, marked as having no directory.
    expect((await detail(slow, b)).task_id).toBe(b);
    const listed = (await request(slow.app).get(TASKS).query({ limit: 100 }).expect(200)).body.data.tasks.find((x: any) => x.task_id === b);
    expect(listed.directory_exists).toBe(false);
    // Query-string form of the original.
    const viaQuery = await request(slow.app).delete(`${TASKS}?task_ids[]=${b}&confirm=true&delete_database_records=true`).expect(200);
    expect(viaQuery.body.data.deleted_tasks[0]).toMatchObject({ task_id: b, database_records_deleted: true });
  });
});

async function newTaskWithList(t: TestApp): Promise<string> {
  const taskId = (await request(t.app).post(TASKS).send({}).expect(201)).body.data.task_id as string;
  await request(t.app).post(`${TASKS}/${taskId}/table-list`).send({ tables: ['bss_company', 'bss_car_day_count'] }).expect(200);
  return taskId;
}
