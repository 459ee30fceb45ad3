import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { curlCommands, SEEDS_DIR, seedDocsMissing } from '../helpers/seed-docs.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { HIGHWAY_FIXTURES, seededDemoPool } from '../helpers/pipeline.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const EXAMPLE_TASK = 'task_20250627_143052';
const missing = seedDocsMissing(import.meta.filename, ['data-pipeline-api-guide.md']);

describe.skipIf(missing !== null)(`every curl example of the data pipeline guide, in order, against a started server${missing ? ` (${missing})` : ''}`, () => {
  let db: TestDatabase;
  let pool: Pool;
  let cwd: string;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-guide-'));
    fs.copyFileSync(path.join(HIGHWAY_FIXTURES, 'table_list.txt'), path.join(cwd, 'tables.txt'));
    server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs'), JOB_POLL_INTERVAL_MS: '200', EMBEDDING_DIMENSIONS: '256' });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    await pool.end();
    await db.drop();
  });

  const getJson = async (url: string) => (await fetch(`${server.baseUrl}${url}`)).json() as Promise<any>;

  /** Like a user following the guide: wait for the running execution before starting the next. */
  async function idle(taskId: string): Promise<void> {
    for (let i = 0; i < 600; i += 1) {
      const state = (await getJson(`/api/v0/data_pipeline/tasks/${taskId}`)).data?.execution?.state;
      if (state !== 'queued' && state !== 'running' && state !== 'cancelling') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`task ${taskId} did not finish`);
  }

  it('each command succeeds', async () => {
    const commands = curlCommands(fs.readFileSync(path.join(SEEDS_DIR, 'data-pipeline-api-guide.md'), 'utf8'));
    expect(commands.length).toBeGreaterThanOrEqual(30);
    let taskId: string | null = null;
    for (const original of commands) {
      // The guide runs these after the previous execution finished (polling in between).
      if (taskId && (original.includes('/execute') || original.includes('| \\'))) await idle(taskId);
      let command = original
        .replaceAll('http://localhost:8084', server.baseUrl)
        .replace(/postgresql:\/\/postgres:postgres@192\.168\.67\.1:5432\/highway_db/, db.url.replace('postgresql://postgres@', 'postgresql://postgres:postgres@'));
      if (taskId) command = command.replaceAll(EXAMPLE_TASK, taskId);
      if (taskId && /qs_highway_db_\d{8}_\d{6}_pair\.json/.test(command)) {
        await idle(taskId);
        const files = (await getJson(`/api/v0/data_pipeline/tasks/${taskId}/files`)).data.files as { file_name: string; is_primary: boolean }[];
        command = command.replace(/qs_highway_db_\d{8}_\d{6}_pair\.json/, files.find((f) => f.is_primary)!.file_name);
      }
      const download = /curl -O/.test(command);
      const piped = /\|\s*\\?\s*jq/.test(command);
      const shaped = download ? command.replace('curl -O', 'curl -sS -f -O') : piped ? command.replace(/^curl /, 'curl -sS -f ') : command.replace(/^curl /, "curl -sS -w '\\n%{http_code}' ");
      const { stdout } = await run('bash', ['-c', shaped], { cwd });
      const context = `${original.slice(0, 300)}\n→ ${stdout.slice(0, 400)}`;
      if (download) {
        const name = /files\/([^"\s]+)/.exec(command)![1]!;
        expect(JSON.parse(fs.readFileSync(path.join(cwd, name), 'utf8')).length, context).toBeGreaterThan(0);
        continue;
      }
      if (piped) {
        // The §8.2 jq pipeline prints the backups' download URLs.
        const urls = stdout.trim().split('\n').filter((l) => l.startsWith('/api/v0/'));
        expect(urls.length, context).toBeGreaterThanOrEqual(2);
        continue;
      }
      const lines = stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      const body = JSON.parse(lines.join('\n'));
      expect(status, context).toBeGreaterThanOrEqual(200);
      expect(status, context).toBeLessThan(300);
      expect(body.success, context).toBe(true);
      if (body.data?.task_id && original.includes('-X POST http://localhost:8084/api/v0/data_pipeline/tasks \\')) taskId = body.data.task_id;
    }
    expect(taskId).not.toBeNull();
  });
});
