import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import request from 'supertest';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { seedVectorTables } from '../helpers/vector-db.js';
import { pollToEnd } from '../helpers/vector-jobs.js';

const API = '/api/v0/data_pipeline/vector';
const GLOBAL_PATH = './data_pipeline/training_data/vector_bak';
const PREFIX = 'backups-test';
/** Distinctive credentials: a reply or log line containing them is a leak. */
const WRONG_SECRET = 'wrong-secret-4f9Qz';

const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

async function untar(bytes: Buffer): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const source = new PassThrough();
  source.end(bytes);
  const feeding = pipeline(source, extract);
  const out = new Map<string, Buffer>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    await pipeline(entry, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
    out.set(entry.header.name, Buffer.concat(chunks));
  }
  await feeding;
  return out;
}

/** Every path under `dir`. */
const tree = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);

/**
 * Backup sets on S3-compatible storage (SPEC §7 "Storage"), through the API of servers started with
 * BACKUP_STORAGE=s3 against a real s3rver: sets uploaded there are listed, verified, downloaded,
 * pruned and deleted from the objects, a second server with another data root sees them, and a
 * store that cannot be used is a 503 naming it, never a 500 and never a credential.
 */
describe('backup sets on S3 (BACKUP_STORAGE=s3)', () => {
  let s3: TestS3;
  let db: TestDatabase;
  let local: TestApp;
  let a: TestApp;
  let b: TestApp;
  const stamps: string[] = [];
  const archives: Buffer[] = [];

  const download = (app: TestApp, timestamp: string) =>
    request(app.app).get(`${API}/backups/download`).query({ backup_path: GLOBAL_PATH, timestamp }).buffer(true).parse(binary);
  const upload = (app: TestApp, bytes: Buffer, fields: Record<string, string> = {}) => {
    const req = request(app.app).post(`${API}/backups/upload`);
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', bytes, 'vector_backup.tar');
  };
  const listOf = async (app: TestApp, query = '') => (await request(app.app).get(`${API}/restore/list${query}`).expect(200)).body.data;
  const setFiles = (stamp: string) => [`backup_manifest_${stamp}.json`, `langchain_pg_collection_${stamp}.csv`, `langchain_pg_embedding_${stamp}.csv`];

  beforeAll(async () => {
    [s3, db] = await Promise.all([startS3(), createTestDatabase()]);
    await seedVectorTables(db, { rows: 4, dims: 3 });
    // Two sets made by a server on its local data root, carried to S3 through the upload route.
    local = await createTestApp(db.url);
    for (let i = 0; i < 2; i += 1) {
      const stamp = (await request(local.app).post(`${API}/backup`).send({ label: `s3-${i}` }).expect(200)).body.data.backup_timestamp as string;
      stamps.push(stamp);
      archives.push((await download(local, stamp).expect(200)).body as Buffer);
    }
    a = await createTestApp(db.url, s3.env());
    b = await createTestApp(db.url, s3.env({ JOB_POLL_INTERVAL_MS: '50' }));
  });
  afterAll(async () => {
    await Promise.all([local?.close(), a?.close(), b?.close()]);
    await Promise.all([db?.drop(), s3?.close()]);
  });

  it('upload puts the set under S3_PREFIX (nothing on local disk); both servers list it; the same stamp again → 409', async () => {
    for (const archive of archives) {
      const res = await upload(a, archive).expect(201);
      expect(res.body.data.backup_path).toBe(GLOBAL_PATH);
    }
    expect(s3.objectKeys(PREFIX)).toEqual(stamps.flatMap((s) => setFiles(s).map((f) => `${PREFIX}/vector_bak/${f}`)).sort());
    expect(tree(a.dataRoot).filter((f) => /langchain_pg|backup_manifest|staging/.test(f))).toEqual([]);
    for (const app of [a, b]) {
      const listing = await listOf(app);
      expect(listing.backup_locations).toHaveLength(1);
      expect(listing.backup_locations[0]).toMatchObject({ type: 'global', relative_path: GLOBAL_PATH });
      expect(listing.backup_locations[0].backups.map((s: { timestamp: string }) => s.timestamp)).toEqual([...stamps].reverse());
      expect(listing.backup_locations[0].backups[0]).toMatchObject({ has_manifest: true, legacy: false, label: 's3-1', rows: { langchain_pg_embedding: 4 } });
    }
    const again = await upload(b, archives[0]!).expect(409);
    expect(again.body.data.error_type).toBe('BACKUP_SET_EXISTS');
  });

  it('a task location needs no local directory on S3: a task another server created (its row) takes an upload, listed by task_id and in its file listing', async () => {
    await upload(b, archives[0]!, { task_id: 'task_s3only' }).expect(404);
    await db.query(`INSERT INTO data_pipeline_tasks (task_id, task_type, status, parameters) VALUES ('task_s3only', 'data_workflow', 'pending', '{}')`);
    const res = await upload(b, archives[0]!, { task_id: 'task_s3only' }).expect(201);
    expect(res.body.data.backup_path).toBe('./data_pipeline/training_data/task_s3only/vector_bak');
    const listing = await listOf(a, '?task_id=task_s3only');
    expect(listing.backup_locations.map((l: { task_id: string }) => l.task_id)).toEqual(['task_s3only']);
    expect(fs.existsSync(path.join(a.dataRoot, 'task_s3only'))).toBe(false);

    // The task's file listing shows its sets in the store (not a local vector_bak/), downloadable.
    const taskFiles = `/api/v0/data_pipeline/tasks/task_s3only/files`;
    const listed = (await request(a.app).get(taskFiles).expect(200)).body.data;
    const names = setFiles(stamps[0]!);
    expect(listed.vector_bak).toMatchObject({ exists: true, directory_path: './data_pipeline/training_data/task_s3only/vector_bak', total_files: 3 });
    expect(listed.vector_bak.files.map((f: { file_name: string }) => f.file_name).sort()).toEqual(names);
    expect(listed.files.map((f: { file_name: string }) => f.file_name).sort()).toEqual(names.map((n) => `vector_bak/${n}`));
    expect(listed.vector_bak.backup_sets).toEqual([
      expect.objectContaining({ timestamp: stamps[0], has_manifest: true, has_log: false, collection_download_url: `${taskFiles}/vector_bak/${names[1]}` }),
    ]);
    const entries = await untar(archives[0]!);
    const got = await request(a.app).get(`${taskFiles}/vector_bak/${names[2]}`).buffer(true).parse(binary).expect(200);
    expect((got.body as Buffer).equals(entries.get(names[2]!)!)).toBe(true);
    await request(a.app).get(`${taskFiles}/vector_bak/langchain_pg_embedding_20000101_000000.csv`).expect(404);

    await request(a.app).delete(`${API}/backups`).send({ backup_path: res.body.data.backup_path, timestamp: stamps[0] }).expect(200);
    expect(s3.objectKeys(`${PREFIX}/task_s3only`)).toEqual([]);
    expect((await request(a.app).get(taskFiles).expect(200)).body.data.vector_bak).toMatchObject({ exists: false, files: [], backup_sets: [] });
  });

  it('verify streams the objects; an object changed on the server fails verification naming its file', async () => {
    const ok = await request(b.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[1] });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ has_manifest: true, valid: true });
    const object = path.join(s3.dir, s3.bucket, PREFIX, 'vector_bak', `langchain_pg_embedding_${stamps[1]}.csv._S3rver_object`);
    const original = fs.readFileSync(object);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 3]! ^= 1;
    fs.writeFileSync(object, flipped);
    try {
      const bad = await request(a.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[1] }).expect(200);
      expect(bad.body.data.valid).toBe(false);
      expect(bad.body.data.files.filter((f: { ok: boolean }) => !f.ok).map((f: { file: string }) => f.file)).toEqual([`langchain_pg_embedding_${stamps[1]}.csv`]);
    } finally {
      fs.writeFileSync(object, original);
    }
  });

  it('an async verify asked of one server is run by another (its own data root) from the objects', async () => {
    await b.services.jobRunner.start();
    try {
      const accepted = await request(a.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[1], async: true }).expect(202);
      const { job } = await pollToEnd(a.app, accepted.body.data.job_id as string);
      expect(job).toMatchObject({ kind: 'verify', status: 'succeeded', result: { has_manifest: true, valid: true } });
    } finally {
      await b.services.jobRunner.stop(5000);
    }
  });

  it('download from S3 is the same set, byte for byte', async () => {
    const fromS3 = await untar((await download(b, stamps[1]!).expect(200)).body as Buffer);
    const fromLocal = await untar(archives[1]!);
    expect([...fromS3.keys()].sort()).toEqual([...fromLocal.keys()].sort());
    for (const [name, body] of fromLocal) expect(fromS3.get(name)?.equals(body), name).toBe(true);
  });

  it('data files without their manifest (a backup still writing) are not a set: not listed, downloaded or pruned', async () => {
    const store = a.services.backupStore;
    const location = store.locations.global();
    const unfinished = '20200101_000000';
    for (const name of setFiles(unfinished).slice(1)) {
      const write = await store.createWrite(location, name);
      await pipeline(Readable.from([Buffer.from('id,name\n')]), write.stream);
      await write.commit();
    }
    expect((await listOf(b)).backup_locations[0].backups.map((s: { timestamp: string }) => s.timestamp)).not.toContain(unfinished);
    await download(b, unfinished).expect(404);
    const pruned = await request(b.app).post(`${API}/backups/prune`).send({ keep_last: 5 }).expect(200);
    expect(pruned.body.data.kept).not.toContain(unfinished);
    expect(await store.delete(location, setFiles(unfinished).slice(1))).toHaveLength(2);
  });

  it('prune keeps the newest set, delete removes the last one (manifest first); a second delete → 404', async () => {
    const pruned = await request(b.app).post(`${API}/backups/prune`).send({ backup_path: GLOBAL_PATH, keep_last: 1 }).expect(200);
    expect(pruned.body.data).toMatchObject({ kept: [stamps[1]], deleted: [{ timestamp: stamps[0] }] });
    expect(pruned.body.data.deleted[0].deleted_files[0]).toBe(`backup_manifest_${stamps[0]}.json`);
    expect(s3.objectKeys(PREFIX)).toEqual(setFiles(stamps[1]!).map((f) => `${PREFIX}/vector_bak/${f}`));
    const deleted = await request(a.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[1] }).expect(200);
    expect(deleted.body.data.deleted_files).toHaveLength(3);
    expect(s3.objectKeys(PREFIX)).toEqual([]);
    await request(a.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[1] }).expect(404);
    expect((await listOf(b)).backup_locations).toEqual([]);
  });

  it('health reports the store: the bucket is reachable and writable', async () => {
    const res = await request(a.app).get('/api/v0/health').expect(200);
    expect(res.body.data.checks.backup_store).toEqual({ ok: true, kind: 's3', bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint });
    // The probe object is gone again.
    expect(s3.objectKeys(PREFIX)).toEqual([]);
  });

  it.each([
    // s3rver checks the access key id but not SigV4 signatures, so a wrong secret alone is not testable here.
    ['wrong credentials', { S3_ACCESS_KEY_ID: 'AKIAWRONG4f9Qz', S3_SECRET_ACCESS_KEY: WRONG_SECRET }, /S3_ACCESS_KEY_ID/],
    ['a missing bucket', { S3_BUCKET: 'no-such-bucket' }, /S3_BUCKET/],
    ['an unreachable endpoint', { S3_ENDPOINT: 'http://127.0.0.1:1' }, /S3_ENDPOINT/],
  ] as [string, Record<string, string>, RegExp][])('%s → 503 BACKUP_STORE_UNAVAILABLE naming the store, on every route; health says so; no credential anywhere', async (_what, env, hint) => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
    const broken = await createTestApp(db.url, s3.env(env), { logger });
    try {
      const replies = [
        await request(broken.app).get(`${API}/restore/list`),
        await request(broken.app).post(`${API}/verify`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[0] }),
        await request(broken.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH, timestamp: stamps[0] }),
        await request(broken.app).post(`${API}/backups/prune`).send({ keep_last: 1 }),
        await request(broken.app).get(`${API}/backups/download`).query({ backup_path: GLOBAL_PATH, timestamp: stamps[0] }),
        await upload(broken, archives[0]!),
      ];
      for (const res of replies) {
        expect(res.status, JSON.stringify(res.body)).toBe(503);
        expect(res.body.data.error_type).toBe('BACKUP_STORE_UNAVAILABLE');
        expect(res.body.data.response).toContain(`s3://${env.S3_BUCKET ?? s3.bucket}/${PREFIX}`);
        expect(res.body.data.response).toMatch(hint);
      }
      const health = await request(broken.app).get('/api/v0/health').expect(503);
      expect(health.body.data.checks.backup_store).toMatchObject({ ok: false, kind: 's3' });
      const everything = [...replies.map((r) => JSON.stringify(r.body)), JSON.stringify(health.body), ...lines, ...tree(broken.cwd)].join('\n');
      for (const secret of [WRONG_SECRET, 'AKIAWRONG4f9Qz']) expect(everything).not.toContain(secret);
    } finally {
      await broken.close();
    }
  });
});
