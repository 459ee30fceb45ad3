import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { SHUTDOWN_MESSAGE } from '../../src/jobs/job-runner.js';
import { FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';
import { serverCommand, startServer, type ServerProcess } from '../helpers/server-process.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { waitUntil as waitFor } from '../helpers/wait.js';

const TASKS = '/api/v0/data_pipeline/tasks';
const FAST = { JOB_POLL_INTERVAL_MS: '100', JOB_HEARTBEAT_MS: '100', EMBEDDING_DIMENSIONS: '128' };


/** Runs main.ts to its exit (start-up failures), with `env` replacing the variables it names. */
async function runToExit(cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged: Record<string, string | undefined> = { ...process.env, HOST: '127.0.0.1', LOG_DIR: path.join(cwd, 'logs'), ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const { command, args } = serverCommand();
  return promisify(execFile)(command, args, { cwd, env: merged, timeout: 120_000 })
    .then((r) => ({ code: 0, ...r }))
    .catch((err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

const post = (server: ServerProcess, route: string, body: object) =>
  fetch(`${server.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function runningTask(server: ServerProcess, db: TestDatabase): Promise<{ taskId: string; jobId: string }> {
  const created = (await (await post(server, TASKS, {})).json()) as { data: { task_id: string } };
  const taskId = created.data.task_id;
  expect((await post(server, `${TASKS}/${taskId}/table-list`, { tables: ['bss_company'] })).status).toBe(200);
  const run = (await (await post(server, `${TASKS}/${taskId}/execute`, {})).json()) as { data: { execution_id: string } };
  await waitFor(
    () => db.query(`SELECT step_status FROM data_pipeline_task_steps WHERE task_id = $1 AND step_name = 'ddl_generation'`, [taskId]),
    (rows) => rows[0]?.step_status === 'running',
    'ddl_generation running',
  );
  return { taskId, jobId: run.data.execution_id };
}

describe('server start-up failures', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-start-'));
  });
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('a refused DATABASE_URL: non-zero exit and one clear line naming it, no stack, no logger crash', async () => {
    const result = await runToExit(cwd, { DATABASE_URL: 'postgresql://postgres:secret@127.0.0.1:1/app', PORT: '0' });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^start-up failed: cannot use DATABASE_URL postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/app: .*ECONNREFUSED/);
    expect(result.stderr + result.stdout).not.toMatch(/sonic boom|\n\s+at /);
  });

  it('a busy port: non-zero exit naming the port, before the embedded database is started', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const dataDir = path.join(cwd, 'pglite');
      const result = await runToExit(cwd, { DATABASE_URL: undefined, PORT: String(port), EMBEDDED_DATA_DIR: dataDir });
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe(`start-up failed: port ${port} on 127.0.0.1 is already in use (PORT=${port}); stop the other process or choose another PORT`);
      // Found first: the embedded database never started (it would have created its data directory).
      expect(fs.existsSync(dataDir)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

// Child servers on one database, NOTIFY and a hanging HTTP request: a real PostgreSQL server.
describe.skipIf(embeddedTestMode())('server shutdown with running executions', () => {
  let db: TestDatabase;
  let business: Pool;
  let llm: FakeOpenAiServer;
  let cwd: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    business = await seededDemoPool(db.url);
    llm = await FakeOpenAiServer.start();
    llm.otherwise({ hang: true });
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-shutdown-'));
    // An LLM that never answers keeps ddl_generation (and a DDL request) running as long as needed.
    env = { ...FAST, DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs'), LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'slow', LLM_TIMEOUT_MS: '600000', LLM_MAX_RETRIES: '0' };
  });
  afterAll(async () => {
    await llm.close();
    await business.end();
    await db.drop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('SIGTERM: an execution still running after the grace period ends failed as interrupted, never cancelled', async () => {
    const server = await startServer(cwd, { ...env, WORKER_ID: 'grace-worker', SHUTDOWN_TIMEOUT_MS: '500' });
    try {
      const { taskId, jobId } = await runningTask(server, db);
      expect(await server.stop()).toBe(0);
      const [job] = await db.query(`SELECT state, error_message FROM data_pipeline_jobs WHERE job_id = $1`, [jobId]);
      expect(job).toEqual({ state: 'failed', error_message: SHUTDOWN_MESSAGE });
      const [task] = await db.query(`SELECT status, error_message FROM data_pipeline_tasks WHERE task_id = $1`, [taskId]);
      expect(task).toEqual({ status: 'failed', error_message: SHUTDOWN_MESSAGE });
      const [step] = await db.query(`SELECT step_status, error_message FROM data_pipeline_task_steps WHERE task_id = $1 AND step_name = 'ddl_generation'`, [taskId]);
      expect(step).toEqual({ step_status: 'failed', error_message: SHUTDOWN_MESSAGE });
    } finally {
      await server.stop();
    }
  });

  it('SIGTERM stops claiming at once while requests drain; a second SIGTERM exits at once', async () => {
    const server = await startServer(cwd, { ...env, WORKER_ID: 'drain-worker', SHUTDOWN_TIMEOUT_MS: '600000' });
    try {
      await runningTask(server, db);
      // A request in flight (its LLM call hangs) keeps the HTTP drain going.
      const before = llm.requests.length;
      const hanging = post(server, '/api/v0/database/table/ddl', { table: 'public.bss_company', business_context: '高速公路', type: 'ddl' }).catch(() => null);
      await waitFor(() => llm.requests.length, (n) => n > before, 'the DDL request calling the LLM');
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
      server.child.kill('SIGTERM');
      await waitFor(() => server.output(), (out) => out.includes('shutting down'), 'shutdown to begin');

      // Work queued during the drain stays queued for the next start (a worker has a free slot).
      const taskId = (await db.query(`SELECT task_id FROM data_pipeline_tasks ORDER BY created_at DESC LIMIT 1`))[0]!.task_id as string;
      const queued = `${taskId}_exec_during_shutdown`;
      const other = `${taskId}_x`;
      await db.query(`INSERT INTO data_pipeline_tasks (task_id, task_type, status, parameters) VALUES ($1, 'data_workflow', 'pending', '{}')`, [other]);
      await db.query(`INSERT INTO data_pipeline_jobs (job_id, task_id, execution_mode) VALUES ($1, $2, 'complete')`, [queued, other]);
      await db.query(`SELECT pg_notify('data_pipeline_jobs', 'queued')`);
      // Several poll intervals: a worker still claiming would have taken it by now.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await db.query(`SELECT state FROM data_pipeline_jobs WHERE job_id = $1`, [queued]))[0]!.state).toBe('queued');

      server.child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
      expect(code).toBe(143);
      await hanging;
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
