import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE_MODULES = fs.realpathSync(path.join(ROOT, 'node_modules'));
const DASHBOARD_FILES = fs.readdirSync(path.join(ROOT, 'src/dashboard')).sort();
const MIGRATIONS = fs.readdirSync(path.join(ROOT, 'src/db/migrations')).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();

/**
 * `npm run build` must produce everything `node dist/main.js` reads: the build runs on a copy of the
 * project (the worktree's own dist/ is left alone), and the server then starts from a directory
 * holding only dist/, package.json and node_modules, as a deployment would.
 */
describe('the build runs on its own: node dist/main.js with no src/', () => {
  let work: string;
  let app: string;
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  let startOutput: string[] = [];

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-dist-'));
    const project = path.join(work, 'project');
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'scripts']) {
      fs.cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
    }
    fs.symlinkSync(NODE_MODULES, path.join(project, 'node_modules'), 'dir');
    // As `npm start` builds: the first run builds, a second one with nothing changed does not.
    const first = await run(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: project, timeout: 240_000 });
    const second = await run(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: project, timeout: 240_000 });
    startOutput = [first.stderr, second.stderr];

    app = path.join(work, 'app');
    fs.cpSync(path.join(project, 'dist'), path.join(app, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(project, 'package.json'), path.join(app, 'package.json'));
    fs.symlinkSync(NODE_MODULES, path.join(app, 'node_modules'), 'dir');
    fs.rmSync(project, { recursive: true, force: true });

    // A database nothing has migrated (real PostgreSQL), or the server's own fresh PGlite directory.
    db = embeddedTestMode() ? undefined : await createTestDatabase({ fromTemplate: false });
    const env: Record<string, string> = db
      ? { DATABASE_URL: db.url, VECTOR_DATABASE_URL: db.url, BUSINESS_DATABASE_URL: db.url }
      : { DATABASE_URL: '', VECTOR_DATABASE_URL: '', BUSINESS_DATABASE_URL: '', EMBEDDED_DATA_DIR: path.join(app, 'data/pglite'), EMBEDDED_SEED_DEMO: 'false' };
    server = await startServer(
      app,
      { ...env, LOG_DIR: path.join(app, 'logs') },
      { command: { command: process.execPath, args: [path.join(app, 'dist/main.js')] }, startupTimeoutMs: 120_000 },
    );
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('npm start builds once, then starts without rebuilding while nothing changed', () => {
    expect(startOutput[0]).toContain('building dist/ (no previous build)');
    expect(startOutput[1]).toContain('dist/ is up to date, not rebuilding');
  });

  it('ships the migrations beside the compiled migrate.js', () => {
    expect(fs.existsSync(path.join(app, 'src'))).toBe(false);
    const shipped = fs.readdirSync(path.join(app, 'dist/db/migrations')).map((f) => f.replace(/\.sql$/, '')).sort();
    expect(shipped).toEqual(MIGRATIONS);
  });

  it('answers /health 200 and has applied every migration', async () => {
    const health = await fetch(`${server!.baseUrl}/api/v0/health`);
    expect(health.status).toBe(200);
    expect(server!.output()).toContain('database migrations applied');
    if (db) {
      const rows = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS);
    }
    // The migrated tables answer through the API.
    const tasks = await fetch(`${server!.baseUrl}/api/v0/data_pipeline/tasks`);
    expect(tasks.status).toBe(200);
  });

  it('ships the dashboard: dist/dashboard holds every file of src/dashboard, and / serves the page and its modules', async () => {
    expect(fs.readdirSync(path.join(app, 'dist/dashboard')).sort()).toEqual(DASHBOARD_FILES);
    const page = await fetch(`${server!.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/dashboard/app.js');
    for (const file of ['/dashboard/app.js', '/dashboard/style.css', '/favicon.ico']) {
      expect((await fetch(`${server!.baseUrl}${file}`)).status, file).toBe(200);
    }
  });
});
