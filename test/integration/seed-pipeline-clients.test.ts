import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { SEEDS_DIR, seedDocsMissing } from '../helpers/seed-docs.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { HIGHWAY_FIXTURES, seededDemoPool } from '../helpers/pipeline.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const missing = seedDocsMissing(import.meta.filename, ['data-pipeline-api-guide.md']);
const GUIDE = missing ? '' : fs.readFileSync(path.join(SEEDS_DIR, 'data-pipeline-api-guide.md'), 'utf8');

/** The text between two markers of the seed guide, as it stands. */
function section(from: string, to: string): string {
  const start = GUIDE.indexOf(from);
  const end = GUIDE.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`seed guide section not found: ${from}`);
  return GUIDE.slice(start, end);
}

describe.skipIf(missing !== null)(`the seed guide clients against a started server (demo database, built-in providers)${missing ? ` (${missing})` : ''}`, () => {
  let db: TestDatabase;
  let pool: Pool;
  let cwd: string;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-clients-'));
    // The guide's create request names a server-side "tables.txt".
    fs.copyFileSync(path.join(HIGHWAY_FIXTURES, 'table_list.txt'), path.join(cwd, 'tables.txt'));
    server = await startServer(cwd, {
      DATABASE_URL: db.url,
      LOG_DIR: path.join(cwd, 'logs'),
      JOB_POLL_INTERVAL_MS: '200',
      EMBEDDING_DIMENSIONS: '256',
    });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    await pool.end();
    await db.drop();
  });

  it('§8.1: create, execute, the bash polling loop (unchanged but for its task id and host), files', async () => {
    const create = section('步骤1: 创建任务\n\ncurl', '步骤2').replace(/^步骤1: 创建任务\n\n/, '').trim();
    const created = JSON.parse((await run('bash', ['-c', create.replaceAll('http://localhost:8084', server.baseUrl)])).stdout);
    expect(created).toMatchObject({ success: true, code: 201 });
    const taskId = created.data.task_id as string;

    const execute = section('步骤2: 执行完整工作流\n\ncurl', '步骤3').replace(/^步骤2: 执行完整工作流\n\n/, '').trim();
    const started = JSON.parse((await run('bash', ['-c', execute.replaceAll('task_20250627_143052', taskId).replaceAll('http://localhost:8084', server.baseUrl)])).stdout);
    expect(started).toMatchObject({ success: true, code: 202 });

    const loop = section('#!/bin/bash\nTASK_ID=', '步骤4').trim();
    const script = loop.replace('task_20250627_143052', taskId).replaceAll('http://localhost:8084', server.baseUrl);
    const { stdout } = await run('bash', ['-c', script], { timeout: 120_000 });
    expect(stdout.trim().split('\n').at(-1)).toBe('任务状态: completed');

    const files = JSON.parse((await run('curl', ['-s', `${server.baseUrl}/api/v0/data_pipeline/tasks/${taskId}/files`])).stdout);
    const pair = files.data.files.find((f: { file_name: string }) => /^qs_highway_db_\d{8}_\d{6}_pair\.json$/.test(f.file_name));
    expect(pair).toBeDefined();
    const download = await run('curl', ['-s', '-f', `${server.baseUrl}/api/v0/data_pipeline/tasks/${taskId}/files/${pair.file_name}`]);
    expect(JSON.parse(download.stdout).length).toBeGreaterThan(10);
  });

  it('§8.5: the JavaScript DataPipelineAPI class runs the whole workflow', async () => {
    const code = section('class DataPipelineAPI {', '8.6 Python客户端示例');
    const modulePath = path.join(cwd, 'data-pipeline-api.mjs');
    fs.writeFileSync(
      modulePath,
      `${code.replace("baseUrl = 'http://localhost:8084'", `baseUrl = '${server.baseUrl}'`)}\nexport { DataPipelineAPI, runDataPipelineWorkflow };\n`,
    );
    const { DataPipelineAPI, runDataPipelineWorkflow } = await import(pathToFileURL(modulePath).href);
    const logged: unknown[][] = [];
    const errors: unknown[][] = [];
    const original = { log: console.log, error: console.error };
    console.log = (...args: unknown[]) => void logged.push(args);
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await runDataPipelineWorkflow();
    } finally {
      Object.assign(console, original);
    }
    expect(errors).toEqual([]);
    const done = logged.find((args) => args[0] === '任务执行完成:');
    expect(done?.[1]).toMatchObject({ success: true, data: { status: 'completed' } });
    const files = logged.find((args) => args[0] === '生成的文件:')?.[1] as { file_name: string }[];
    expect(files.some((f) => f.file_name.endsWith('_pair.json'))).toBe(true);

    const api = new DataPipelineAPI();
    const taskId = (done![1] as { data: { task_id: string } }).data.task_id;
    const logs = await api.getTaskLogs(taskId, 500, 'INFO');
    expect(logs.success).toBe(true);
    const steps = new Set(logs.data.logs.map((l: { step: string | null }) => l.step));
    for (const step of ['ddl_generation', 'qa_generation', 'sql_validation', 'training_load']) expect(steps.has(step), step).toBe(true);
  });
});
