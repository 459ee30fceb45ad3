import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { seedVectorTables, vectorSnapshot, waitFor } from '../helpers/vector-db.js';

const BACKUP_PATH = './data_pipeline/training_data/vector_bak';

/** POSTs without waiting for (or caring about) the reply: the server is about to die. */
function post(server: ServerProcess, route: string, body: object): void {
  fetch(`${server.baseUrl}/api/v0/data_pipeline/vector/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => undefined);
}

// A child server's COPY over a real socket, killed mid-flight, watched in pg_stat_activity.
describe.skipIf(embeddedTestMode())('kill -9 of the server during a backup or a restore', () => {
  let db: TestDatabase;
  let cwd: string;
  let stamp: string;

  /** Waits for the COPY of the embeddings to run on the server, kills the child, waits for its sessions to end. */
  async function killDuringCopy(server: ServerProcess, direction: 'FROM STDIN' | 'TO STDOUT'): Promise<void> {
    await waitFor(`COPY … ${direction} to run`, async () =>
      (
        await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE $1`,
          [`COPY "langchain_pg_embedding"%${direction}%`],
        )
      ).length > 0,
    );
    await server.kill9();
    // The server notices the dead socket and rolls the transaction back; wait for that.
    await waitFor('the killed server\'s sessions to end', async () =>
      (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'text2sql-pipeline%'`)).length === 0,
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-crash-'));
    // Enough rows (~40 MB of CSV) that the COPY is still running when the kill arrives.
    await seedVectorTables(db, { rows: 4000, dims: 1024 });
    const t = await createTestApp(db.url, {}, { cwd });
    try {
      stamp = (await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200)).body.data.backup_timestamp;
    } finally {
      await t.close();
    }
    // The live data now differs from the set: a restore that committed would show.
    await db.query(`DELETE FROM langchain_pg_embedding WHERE id LIKE 'row-1%'`);
  });
  afterAll(async () => {
    fs.rmSync(cwd, { recursive: true, force: true });
    await db.drop();
  });

  it('during a restore: the database is unchanged', async () => {
    const before = await vectorSnapshot(db);
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
    try {
      post(server, 'restore', { backup_path: BACKUP_PATH, timestamp: stamp, truncate_before_restore: true });
      await killDuringCopy(server, 'FROM STDIN');
    } finally {
      await server.stop();
    }
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('during a truncating backup: the database is unchanged and no partial set is listed', async () => {
    const before = await vectorSnapshot(db);
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
    try {
      post(server, 'backup', { truncate_vector_tables: true });
      await killDuringCopy(server, 'TO STDOUT');
    } finally {
      await server.stop();
    }
    expect(await vectorSnapshot(db)).toEqual(before);
    // The killed backup left its files as the store's hidden temp files (`.<name>.<uuid>.tmp`; the
    // collections file was complete when the embeddings COPY ran): they must never be listed as a set.
    const leftovers = () => fs.readdirSync(path.join(cwd, BACKUP_PATH)).filter((f) => f.startsWith('.'));
    expect(leftovers().some((f) => f.startsWith('.langchain_pg_collection_') && f.endsWith('.tmp'))).toBe(true);
    expect(leftovers().some((f) => /^\.backup_\d{8}_\d{6}\.lock$/.test(f))).toBe(true);
    // The next start-up removes them (the killed server's stamp claim went with its connection).
    const next = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
    try {
      await waitFor('the start-up sweep', async () => next.output().includes('backup leftovers swept'));
    } finally {
      await next.stop();
    }
    expect(leftovers()).toEqual([]);
    const t = await createTestApp(db.url, {}, { cwd });
    try {
      const list = await request(t.app).get('/api/v0/data_pipeline/vector/restore/list').expect(200);
      expect(list.body.data.summary.total_backup_sets).toBe(1);
      expect(list.body.data.backup_locations[0].backups.map((b: { timestamp: string }) => b.timestamp)).toEqual([stamp]);
      // The one complete set still restores.
      await request(t.app).post('/api/v0/data_pipeline/vector/restore').send({ backup_path: BACKUP_PATH, timestamp: stamp, truncate_before_restore: true }).expect(200);
      expect((await vectorSnapshot(db)).embeddings).toBe(4000);
    } finally {
      await t.close();
    }
  });
});
