import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';
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

/**
 * On S3 a killed backup leaves the objects it completed (the collections file) and its open
 * multipart upload: never listed (no manifest), never pruned. The next start-up deletes them, and
 * tries to abort the upload (s3rver has no ListMultipartUploads: asked, refused, tolerated). A
 * server starting while the backup is still alive leaves it alone: its stamp is claimed (an
 * advisory lock, which goes with the killed server's session). Real PostgreSQL only (a child server).
 */
describe.skipIf(embeddedTestMode())('kill -9 of the server during a backup to S3: the next start-up removes its objects', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let cwd: string;
  /** POSTs without waiting for (or caring about) the reply: the server is about to die. */
  const post = (server: ServerProcess, route: string, body: object) =>
    void fetch(`${server.baseUrl}${API}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => undefined);
  const start = () => startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs'), ...s3.env() });
  const swept = (server: ServerProcess) => waitFor('the start-up sweep', async () => server.output().includes('backup leftovers swept'));
  const stampsStored = () => [...new Set(s3.objectKeys(`${PREFIX}/vector_bak`).map((k) => /_(\d{8}_\d{6})\.(csv|json)$/.exec(k)?.[1]))].sort();

  beforeAll(async () => {
    [db, s3] = await Promise.all([createTestDatabase(), startS3()]);
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-crash-s3-'));
    // ~11 MB of embeddings: more than one 8 MiB part, so the file goes up as a multipart upload.
    await seedVectorTables(db, { rows: 1000, dims: 1024 });
  });
  afterAll(async () => {
    fs.rmSync(cwd, { recursive: true, force: true });
    await Promise.all([db?.drop(), s3?.close()]);
  });

  it('objects without a manifest are deleted once their writer is dead; a complete set is untouched', async () => {
    const first = await start();
    let complete: string;
    let orphan: string;
    let hold: ReturnType<TestS3['holdParts']> | undefined;
    try {
      const made = await fetch(`${first.baseUrl}${API}/backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      complete = ((await made.json()) as { data: { backup_timestamp: string } }).data.backup_timestamp;
      // The embeddings' first part is held at the proxy: the backup stays mid-copy, its collections object complete.
      hold = s3.holdParts();
      post(first, 'backup', {});
      await hold.reached;
      orphan = await waitFor('the collections object of the running backup', async () => stampsStored().find((s) => s !== complete));

      // A server starting meanwhile must not touch a live backup's objects.
      const meanwhile = await start();
      await swept(meanwhile).finally(() => meanwhile.stop());
      expect(s3.objectKeys(PREFIX)).toContain(`${PREFIX}/vector_bak/langchain_pg_collection_${orphan}.csv`);
    } finally {
      await first.kill9();
      hold?.release();
    }
    await waitFor("the killed server's sessions to end", async () =>
      (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'text2sql-pipeline%'`)).length === 0,
    );
    expect(s3.objectKeys(PREFIX)).toContain(`${PREFIX}/vector_bak/langchain_pg_collection_${orphan}.csv`);
    expect(s3.objectKeys(PREFIX)).not.toContain(`${PREFIX}/vector_bak/backup_manifest_${orphan}.json`);
    expect(s3.pendingUploads().length).toBeGreaterThan(0);

    const next = await start();
    try {
      await swept(next);
      expect(stampsStored()).toEqual([complete]);
      const setFiles = ['backup_manifest', 'langchain_pg_collection', 'langchain_pg_embedding'].map((f) => `${PREFIX}/vector_bak/${f}_${complete}.${f === 'backup_manifest' ? 'json' : 'csv'}`);
      expect(s3.objectKeys(PREFIX)).toEqual(setFiles);
      const list = (await (await fetch(`${next.baseUrl}${API}/restore/list`)).json()) as { data: { backup_locations: { backups: { timestamp: string }[] }[] } };
      expect(list.data.backup_locations[0]!.backups.map((b: { timestamp: string }) => b.timestamp)).toEqual([complete]);
      // The open upload was looked for (s3rver answers 501: the sweep goes on without it).
      expect(s3.requests.some((r) => r.startsWith('GET ') && r.includes('uploads'))).toBe(true);
      // And backups go on.
      expect((await fetch(`${next.baseUrl}${API}/backup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    } finally {
      await next.stop();
    }
  });
});
