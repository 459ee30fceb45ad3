import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The README's bash blocks marked `<!-- walk-through -->`, in order: what a reader pastes into one shell. */
function walkThrough(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- walk-through -->\n```bash\n([\s\S]*?)\n```/g)].map((m) => m[1]).join('\n');
}

const haveJq = await run('jq', ['--version']).then(() => true, () => false);

/**
 * The README's curl walk-throughs, run exactly as written (only the host:port replaced) against a
 * freshly started server with the demo tables: every step must succeed, and the server must see no
 * error it did not expect.
 */
describe.skipIf(!haveJq)('README walk-through (needs jq)', () => {
  let db: TestDatabase | undefined;
  let demo: Pool;
  let cwd: string;
  let server: ServerProcess;

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-readme-'));
    const common = { LOG_FORMAT: 'json', EMBEDDING_DIMENSIONS: '64', JOB_POLL_INTERVAL_MS: '200' };
    if (embeddedTestMode()) {
      // As a newcomer runs it: no DATABASE_URL, the server's own PGlite with the demo tables seeded at start-up.
      server = await startServer(
        cwd,
        { ...common, DATABASE_URL: '', VECTOR_DATABASE_URL: '', BUSINESS_DATABASE_URL: '', EMBEDDED_DATA_DIR: path.join(cwd, 'data/pglite'), EMBEDDED_SEED_DEMO: 'true' },
        { startupTimeoutMs: 120_000 },
      );
      return;
    }
    db = await createTestDatabase();
    demo = await seededDemoPool(db.url);
    await demo.end();
    server = await startServer(cwd, { ...common, DATABASE_URL: db.url });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    await db?.drop();
  }, 180_000);

  it('runs in order, as written, in one shell', async () => {
    const script = walkThrough().replaceAll('http://localhost:8084', server.baseUrl);
    expect(script).toContain('TASK_ID=$(');
    const { stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd, timeout: 540_000, maxBuffer: 16 * 1024 * 1024 }).catch(
      (err: { stdout: string; stderr: string }) => {
        // What the reader would have seen, and what the server said about the failing call.
        const errors = fs.readFileSync(path.join(cwd, 'logs/app.log'), 'utf8').split('\n').filter((l) => /"statusCode":[45]\d\d|"level":50/.test(l));
        throw new Error(`walk-through failed:\n${err.stdout.slice(-3000)}\n${err.stderr.slice(-2000)}\n${errors.slice(-5).join('\n')}`);
      },
    );
    const lines = stdout.split('\n');
    // Every captured id and value was there: jq printed no null.
    expect(lines.filter((line) => line.trim() === 'null')).toEqual([]);
    expect(stderr).toContain('任务状态: completed');
    expect(stdout).toMatch(/^task: task_\d{8}_\d{6}/m);
    expect(stdout).toMatch(/^set \d{8}_\d{6} in \.\/data_pipeline\/training_data\/vector_bak: [1-9]\d* embeddings$/m);
    expect(stdout).toContain('"successfully_deleted":1');
    // The server answered every call without an error, except the cancel of a job that may have ended first.
    const log = fs.readFileSync(path.join(cwd, 'logs/app.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const failed = log.filter((l) => l.res?.statusCode >= 400 && !(l.res.statusCode === 409 && /\/jobs\/[^/]+\/cancel$/.test(l.req.url)));
    expect(failed.map((l) => `${l.req.method} ${l.req.url} ${l.res.statusCode}`)).toEqual([]);
  }, 600_000);
});
