import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { startServer } from '../helpers/server-process.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { seedVectorTables, vectorSnapshot, waitFor } from '../helpers/vector-db.js';
import { JOBS, pollToEnd } from '../helpers/vector-jobs.js';

const API = '/api/v0/data_pipeline/vector';
const GLOBAL_PATH = './data_pipeline/training_data/vector_bak';
const PREFIX = 'backups-test';

/** Every file under `dir` (directories left out). */
const filesUnder = (dir: string) =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];

/**
 * Backup and restore through the S3 store (SPEC §7 "Storage"): servers started with
 * BACKUP_STORAGE=s3 against a real s3rver back up straight into objects (nothing on their disk),
 * and any server with the same settings lists, verifies, restores and deletes those sets.
 */
describe('backup and restore on S3 (BACKUP_STORAGE=s3)', () => {
  let s3: TestS3;
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  const setsOf = async (app: TestApp) => {
    const res = await request(app.app).get(`${API}/restore/list`).expect(200);
    return (res.body.data.backup_locations as { relative_path: string; backups: { timestamp: string; label: string | null; compression: string }[] }[])
      .flatMap((l) => l.backups.map((s) => ({ ...s, path: l.relative_path })));
  };
  const keysOf = (stamp: string) => s3.objectKeys(PREFIX).filter((k) => k.includes(stamp));

  beforeAll(async () => {
    [s3, db] = await Promise.all([startS3(), createTestDatabase()]);
    await seedVectorTables(db, { rows: 6, dims: 3 });
    // Two servers on one database, each with its own data root, sharing the bucket.
    a = await createTestApp(db.url, s3.env({ JOB_POLL_INTERVAL_MS: '50' }));
    b = await createTestApp(db.url, s3.env());
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([db?.drop(), s3?.close()]);
  });

  it('backup writes objects under S3_PREFIX and nothing on local disk; the other server lists, verifies and restores it (same rows); delete removes it', async () => {
    const before = await vectorSnapshot(db);
    const res = await request(a.app).post(`${API}/backup`).send({ label: 's3-backup' }).expect(200);
    const stamp = res.body.data.backup_timestamp as string;
    expect(res.body.data).toMatchObject({ backup_performed: true, backup_directory: GLOBAL_PATH, manifest_file: `backup_manifest_${stamp}.json` });
    expect(keysOf(stamp)).toEqual([
      `${PREFIX}/vector_bak/backup_manifest_${stamp}.json`,
      `${PREFIX}/vector_bak/langchain_pg_collection_${stamp}.csv`,
      `${PREFIX}/vector_bak/langchain_pg_embedding_${stamp}.csv`,
    ]);
    // Nothing on either server's data root: no set, no temp file, no lock marker, no log.
    expect(filesUnder(a.dataRoot)).toEqual([]);
    expect(s3.pendingUploads()).toEqual([]);

    expect(await setsOf(b)).toEqual([expect.objectContaining({ timestamp: stamp, label: 's3-backup', path: GLOBAL_PATH })]);
    const verified = await request(b.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
    expect(verified.body.data).toMatchObject({ has_manifest: true, valid: true });

    await db.query('DELETE FROM langchain_pg_embedding');
    const restored = await request(b.app)
      .post(`${API}/restore`)
      .send({ backup_path: GLOBAL_PATH, timestamp: stamp, truncate_before_restore: true })
      .expect(200);
    expect(restored.body.data.restore_results.langchain_pg_embedding).toMatchObject({ success: true, rows_restored: 6 });
    expect(await vectorSnapshot(db)).toEqual(before);
    expect(filesUnder(b.dataRoot)).toEqual([]);

    // A dry run reads the set from the objects too.
    const dry = await request(a.app).post(`${API}/restore`).send({ backup_path: GLOBAL_PATH, timestamp: stamp, dry_run: true }).expect(200);
    expect(dry.body.data).toMatchObject({ dry_run: true, has_manifest: true, total_rows: before.collections + before.embeddings });

    await request(b.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
    expect(keysOf(stamp)).toEqual([]);
    expect(await setsOf(a)).toEqual([]);
  });

  it('gzip on S3: .csv.gz objects, verified, restored with the same rows', async () => {
    const before = await vectorSnapshot(db);
    const res = await request(a.app).post(`${API}/backup`).send({ compression: 'gzip' }).expect(200);
    const stamp = res.body.data.backup_timestamp as string;
    expect(keysOf(stamp).filter((k) => k.endsWith('.csv.gz'))).toHaveLength(2);
    const verified = await request(b.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
    expect(verified.body.data.valid).toBe(true);
    await db.query(`UPDATE langchain_pg_embedding SET document = 'changed'`);
    await request(b.app).post(`${API}/restore`).send({ backup_path: GLOBAL_PATH, timestamp: stamp, truncate_before_restore: true }).expect(200);
    expect(await vectorSnapshot(db)).toEqual(before);
    await request(a.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
  });

  it('keep_last on S3 keeps the newest sets of the location; the dry run previews it', async () => {
    const stamps: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await request(i % 2 === 0 ? a.app : b.app).post(`${API}/backup`).send({ keep_last: 2 }).expect(200);
      stamps.push(res.body.data.backup_timestamp as string);
      if (i === 2) expect(res.body.data.pruned_sets.map((p: { timestamp: string }) => p.timestamp)).toEqual([stamps[0]]);
    }
    // Two backups on two servers never share a stamp (reserved in the shared database).
    expect(new Set(stamps).size).toBe(3);
    expect((await setsOf(a)).map((s) => s.timestamp)).toEqual([stamps[2], stamps[1]]);
    expect(keysOf(stamps[0]!)).toEqual([]);
    const dry = await request(a.app).post(`${API}/backup`).send({ keep_last: 1, dry_run: true }).expect(200);
    expect(dry.body.data.would_prune).toEqual([stamps[2], stamps[1]]);
    for (const stamp of stamps.slice(1)) await request(a.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
  });

  it('cancel while the embeddings upload: the multipart upload is aborted, no object and no set is left', async () => {
    // Enough embedding bytes (≈ 11 MB) for a multipart upload of more than one 8 MiB part.
    await db.query(`ALTER TABLE langchain_pg_embedding ADD COLUMN padding text`);
    await db.query(`
      INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata, padding)
      SELECT 'pad-' || g, e.collection_id, e.embedding, e.document, e.cmetadata, repeat(md5(g::text), 400)
        FROM (SELECT * FROM langchain_pg_embedding ORDER BY id LIMIT 1) AS e, generate_series(1, 900) AS g`);
    await a.services.jobRunner.start();
    const hold = s3.holdParts();
    try {
      const accepted = await request(a.app).post(`${API}/backup`).send({ async: true }).expect(202);
      const jobId = accepted.body.data.job_id as string;
      await hold.reached;
      // The parts in flight are held, so the cancel may be answered before the job has ended.
      const cancelled = await request(a.app).post(`${JOBS}/${jobId}/cancel`).expect(200);
      expect(['cancelling', 'cancelled']).toContain(cancelled.body.data.status);
      hold.release();
      const { job } = await pollToEnd(a.app, jobId);
      expect(job.status).toBe('cancelled');
      // The upload was aborted on the wire (s3rver itself lacks AbortMultipartUpload, so its
      // directory cannot show it); the object was never completed.
      await waitFor('the multipart upload to be aborted', async () => s3.requests.some((r) => r.startsWith('DELETE ') && r.includes('uploadId=')));
      expect(s3.requests.some((r) => r.startsWith('POST ') && r.includes('uploadId='))).toBe(false);
    } finally {
      hold.release();
      await a.services.jobRunner.stop(5000);
      await db.query(`DELETE FROM langchain_pg_embedding WHERE id LIKE 'pad-%'`);
      await db.query(`ALTER TABLE langchain_pg_embedding DROP COLUMN padding`);
    }
    expect(s3.objectKeys(PREFIX)).toEqual([]);
    expect(await setsOf(b)).toEqual([]);
    expect(filesUnder(a.dataRoot)).toEqual([]);
  });

  // Schedules need a real PostgreSQL (see backup-schedules.test.ts).
  it.skipIf(embeddedTestMode())('a schedule fires a backup into S3', async () => {
    b.services.scheduleRunner.start();
    await b.services.jobRunner.start();
    let id: string | undefined;
    try {
      const res = await request(b.app).post(`${API}/schedules`).send({ cron: '*/2 * * * * *', timezone: 'UTC', label: 'scheduled-s3' }).expect(201);
      id = res.body.data.schedule_id as string;
      const set = await waitFor('a scheduled set on S3', async () => (await setsOf(a)).find((s) => s.label === 'scheduled-s3'), 30_000);
      await request(b.app).delete(`${API}/schedules/${id}`).expect(200);
      id = undefined;
      expect(keysOf(set.timestamp)).toContain(`${PREFIX}/vector_bak/backup_manifest_${set.timestamp}.json`);
      expect(filesUnder(b.dataRoot)).toEqual([]);
    } finally {
      if (id) await request(b.app).delete(`${API}/schedules/${id}`);
      await b.services.scheduleRunner.stop();
      await b.services.jobRunner.stop(10_000);
    }
  });
});

// A child server's COPY over a real socket, killed mid-flight (as vector-crash.test.ts): real PostgreSQL only.
describe.skipIf(embeddedTestMode())('kill -9 of a server backing up to S3', () => {
  let s3: TestS3;
  let db: TestDatabase;
  let cwd: string;

  beforeAll(async () => {
    [s3, db] = await Promise.all([startS3(), createTestDatabase()]);
    // Enough rows (~40 MB of CSV) that the COPY is still running when the kill arrives.
    await seedVectorTables(db, { rows: 4000, dims: 1024 });
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-s3-crash-'));
  });
  afterAll(async () => {
    fs.rmSync(cwd, { recursive: true, force: true });
    await Promise.all([db?.drop(), s3?.close()]);
  });

  it('leaves no listed set and no manifest; the stamp lock goes with the dead session, so the next backup succeeds', async () => {
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs'), ...s3.env() });
    try {
      fetch(`${server.baseUrl}${API}/backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined);
      await waitFor('the COPY of the embeddings to run', async () =>
        (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY "langchain_pg_embedding"%TO STDOUT%'`)).length > 0);
      await server.kill9();
      await waitFor("the killed server's sessions to end", async () =>
        (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'text2sql-pipeline'`)).length === 0);
    } finally {
      await server.stop();
    }
    // No manifest, so no set: what the dead server had uploaded is never listed. (Its multipart
    // upload cannot be aborted by a dead process: the bucket's AbortIncompleteMultipartUpload
    // lifecycle rule removes such parts, see the README.)
    expect(s3.objectKeys(PREFIX).filter((k) => k.includes('backup_manifest_'))).toEqual([]);
    const t = await createTestApp(db.url, s3.env());
    try {
      const list = await request(t.app).get(`${API}/restore/list`).expect(200);
      expect(list.body.data.summary.total_backup_sets).toBe(0);
      const res = await request(t.app).post(`${API}/backup`).send({}).expect(200);
      const after = await request(t.app).get(`${API}/restore/list`).expect(200);
      expect(after.body.data.backup_locations[0].backups.map((b: { timestamp: string }) => b.timestamp)).toEqual([res.body.data.backup_timestamp]);
    } finally {
      await t.close();
    }
  });
});
