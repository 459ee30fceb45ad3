import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixtureBackups } from '../helpers/app.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The zero-setup path: no DATABASE_URL, so the server runs its own PGlite database under ./data/. */
describe('embedded mode (no DATABASE_URL): a started server, its data kept across restarts', () => {
  let cwd: string;
  let server: ServerProcess;
  const env = { DATABASE_URL: '', VECTOR_DATABASE_URL: '', BUSINESS_DATABASE_URL: '', JOB_POLL_INTERVAL_MS: '300', EMBEDDING_DIMENSIONS: '256' };
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${server.baseUrl}/api/v0${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-embedded-'));
    server = await startServer(cwd, { ...env, LOG_DIR: path.join(cwd, 'logs') }, { startupTimeoutMs: 120_000 });
  }, 150_000);
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('says it runs embedded and is healthy with pgvector', async () => {
    expect(server.output()).toContain('"mode":"embedded-pglite"');
    const health = (await (await fetch(`${server.baseUrl}/api/v0/health`)).json()) as any;
    expect(health.data.checks.pgvector).toMatchObject({ ok: true });
    expect(fs.existsSync(path.join(cwd, 'data/pglite'))).toBe(true);
  });

  it('scripts/demo.sh completes the whole workflow and a backup → truncate → restore round trip', async () => {
    const { stdout } = await run('bash', [path.join(ROOT, 'scripts/demo.sh')], { env: { ...process.env, API_URL: server.baseUrl }, timeout: 240_000 });
    expect(stdout).toMatch(/✓ task completed: \d+ question\/SQL pairs/);
    expect(stdout).toMatch(/✓ restored \d+ embeddings from \d{8}_\d{6}/);
    expect(stdout).toContain('demo complete');
  }, 300_000);

  it('restores the original backups, and a corrupt file rolls everything back', async () => {
    const dataRoot = path.join(cwd, 'data_pipeline/training_data');
    copyFixtureBackups(dataRoot);
    const ok = await post('/data_pipeline/vector/restore', { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318', truncate_before_restore: true });
    expect(ok.status).toBe(200);
    expect(ok.body.data.restore_results.langchain_pg_embedding).toMatchObject({ rows_restored: 62, load_path: 'embedded_chunks' });

    fs.mkdirSync(path.join(dataRoot, 'corrupt'));
    fs.copyFileSync(path.join(dataRoot, 'vector_bak/langchain_pg_collection_20250722_010318.csv'), path.join(dataRoot, 'corrupt/langchain_pg_collection_20250722_010318.csv'));
    const text = fs.readFileSync(path.join(dataRoot, 'vector_bak/langchain_pg_embedding_20250722_010318.csv'));
    fs.writeFileSync(path.join(dataRoot, 'corrupt/langchain_pg_embedding_20250722_010318.csv'), text.subarray(0, text.length - 300));
    const bad = await post('/data_pipeline/vector/restore', { backup_path: './data_pipeline/training_data/corrupt', timestamp: '20250722_010318', truncate_before_restore: true });
    expect(bad.status).toBe(422);
    expect(bad.body.data.rolled_back).toBe(true);
    const backup = await post('/data_pipeline/vector/backup', {});
    expect(backup.body.data.tables_backed_up.langchain_pg_embedding.row_count).toBe(62);
  });

  it('keeps its data across a restart', async () => {
    const before = (await (await fetch(`${server.baseUrl}/api/v0/data_pipeline/tasks`)).json()) as any;
    expect(before.data.total).toBeGreaterThan(0);
    expect(await server.stop()).toBe(0);
    server = await startServer(cwd, { ...env, LOG_DIR: path.join(cwd, 'logs') }, { startupTimeoutMs: 120_000 });
    const after = (await (await fetch(`${server.baseUrl}/api/v0/data_pipeline/tasks`)).json()) as any;
    expect(after.data.total).toBe(before.data.total);
    expect(after.data.tasks[0].status).toBe('completed');
  }, 150_000);
});
