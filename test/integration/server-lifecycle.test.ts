import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startServer } from '../helpers/server-process.js';
import { seedVectorTables } from '../helpers/vector-db.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('server process lifecycle', () => {
  let db: TestDatabase;
  let cwd: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-life-'));
  });
  afterAll(async () => {
    fs.rmSync(cwd, { recursive: true, force: true });
    await db.drop();
  });

  it('a bad environment value stops start-up with a message naming the variable', async () => {
    const run = promisify(execFile);
    const failure = await run(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/main.ts')], {
      cwd,
      env: { ...process.env, DATABASE_URL: db.url, PORT: 'eighty' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toMatch(/PORT/);
  });

  // A child server's restore (COPY FROM STDIN over the socket) and pg_stat_activity need a real server.
  it.skipIf(embeddedTestMode())('SIGTERM lets a running restore finish, then exits cleanly', async () => {
    await seedVectorTables(db, { rows: 6000, dims: 1024 });
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
    try {
      const backup = await fetch(`${server.baseUrl}/api/v0/data_pipeline/vector/backup`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      const stamp = ((await backup.json()) as { data: { backup_timestamp: string } }).data.backup_timestamp;
      const restore = fetch(`${server.baseUrl}/api/v0/data_pipeline/vector/restore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: stamp, truncate_before_restore: true }),
      });
      // SIGTERM only once the COPY is running on the server (a request still in the client's
      // socket buffer at shutdown would be a different case).
      for (let i = 0; i < 200; i += 1) {
        const active = await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%FROM STDIN%' AND state = 'active'`);
        if (active.length > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const exited = server.stop();
      const reply = await restore;
      expect(reply.status).toBe(200);
      const body = (await reply.json()) as { data: { restore_results: { langchain_pg_embedding: { rows_restored: number } } } };
      expect(body.data.restore_results.langchain_pg_embedding.rows_restored).toBe(6000);
      expect(await exited).toBe(0);
      expect(server.output()).toContain('shutting down');
    } finally {
      await server.stop();
    }
  });

  it.skipIf(embeddedTestMode())('migrations applied by several processes at once run exactly once', async () => {
    const fresh = await createTestDatabase({ fromTemplate: false });
    const logger = pino({ level: 'silent' });
    const pools = [0, 1, 2].map(() => createPool(fresh.url, { max: 1 }, logger));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool, logger)));
      const versions = fs.readdirSync(path.join(ROOT, 'src/db/migrations')).map((f) => f.replace(/\.sql$/, '')).sort();
      // Each version applied by exactly one of the three, and recorded once.
      expect(applied.flat().sort()).toEqual(versions);
      const rows = await fresh.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(versions);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await fresh.drop();
    }
  });
});
