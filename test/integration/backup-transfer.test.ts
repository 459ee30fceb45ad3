import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import request from 'supertest';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixtureBackups, createTestApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage, type SetFiles } from '../helpers/backup-storage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { vectorSnapshot } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline/vector';
const ROOT = './data_pipeline/training_data';
const GLOBAL_PATH = `${ROOT}/vector_bak`;
const FIXTURE_TASK = { backup_path: `${ROOT}/task_20250721_213627/vector_bak`, timestamp: '20250721_215758' };

/** Collects a binary reply (supertest would otherwise try to parse it as text). */
const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

/** The entries of a tar: name, type and bytes, read with tar-stream's streaming extract. */
async function untar(bytes: Buffer): Promise<{ name: string; type: string; body: Buffer }[]> {
  const extract = tar.extract();
  const source = new PassThrough();
  source.end(bytes);
  const feeding = pipeline(source, extract);
  const out: { name: string; type: string; body: Buffer }[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    await pipeline(entry, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
    out.push({ name: entry.header.name, type: String(entry.header.type), body: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

/** A hand-made tar (for hostile entries a real download never contains). */
async function makeTar(entries: { name: string; body?: string; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  await pipeline(pack, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks);
}

/** Every path under `dir` (to prove nothing was left or written). */
const tree = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : []);

/**
 * Download and upload on both stores: `a` backs up and serves the set, `b` (another database and
 * store of the same kind) takes the upload. Files are read where each store keeps them
 * (test/helpers/backup-storage.ts); the original's legacy sets exist on a local data root only, and
 * a file shrinking under a download is a local file's fault.
 */
describe.each(STORE_KINDS)('backup sets as one tar on the %s store: download and upload', (kind) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let storageA: BackupStorage;
  let storageB: BackupStorage;
  let a: TestApp;
  let b: TestApp;
  /** Holds the original's sets and seeds the source tables: `a` itself on the local store. */
  let seeder: TestApp;
  let filesA: SetFiles;
  let filesB: SetFiles;
  let stamp: string;
  let archive: Buffer;
  /** A task `b` knows (its directory), with nothing in it yet. */
  const makeTaskB = (taskId: string) => fs.mkdirSync(path.join(b.dataRoot, taskId));

  const download = (app: TestApp, query: Record<string, string>) =>
    request(app.app).get(`${API}/backups/download`).query(query).buffer(true).parse(binary);
  const upload = (app: TestApp, bytes: Buffer, fields: Record<string, string> = {}) => {
    const req = request(app.app).post(`${API}/backups/upload`);
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', bytes, 'vector_backup.tar');
  };
  const listOf = async (app: TestApp, query = '') => (await request(app.app).get(`${API}/restore/list${query}`).expect(200)).body.data;

  beforeAll(async () => {
    [source, target, storageA, storageB] = await Promise.all([createTestDatabase(), createTestDatabase(), startBackupStorage(kind), startBackupStorage(kind)]);
    a = await createTestApp(source.url, storageA.env);
    b = await createTestApp(target.url, storageB.env);
    seeder = kind === 'local' ? a : await createTestApp(source.url);
    [filesA, filesB] = [storageA.files(a), storageB.files(b)];
    copyFixtureBackups(seeder.dataRoot);
    // 4 collections, 58 embeddings of 1024 dimensions.
    await request(seeder.app).post(`${API}/restore`).send({ ...FIXTURE_TASK, truncate_before_restore: true }).expect(200);
    stamp = (await request(a.app).post(`${API}/backup`).send({ label: 'transfer' }).expect(200)).body.data.backup_timestamp;
    const res = await download(a, { backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
    archive = res.body as Buffer;
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), seeder !== a && seeder?.close()]);
    await Promise.all([source?.drop(), target?.drop(), storageA?.close(), storageB?.close()]);
  });

  it('download streams the set\'s files (data + manifest) with identical bytes', async () => {
    const res = await download(a, { backup_path: GLOBAL_PATH, timestamp: stamp }).expect(200);
    expect(res.headers['content-type']).toBe('application/x-tar');
    expect(res.headers['content-disposition']).toContain(`vector_backup_${stamp}.tar`);
    const entries = await untar(res.body as Buffer);
    expect(entries.map((e) => e.name)).toEqual([
      `backup_manifest_${stamp}.json`,
      `langchain_pg_collection_${stamp}.csv`,
      `langchain_pg_embedding_${stamp}.csv`,
    ]);
    for (const e of entries) {
      expect(e.type).toBe('file');
      expect(e.body.equals(filesA.read('vector_bak', e.name))).toBe(true);
    }
  });

  it('a legacy set (no manifest, local) downloads too; unknown set → 404; bad parameters → 400 naming them', async () => {
    if (kind === 'local') {
      const legacy = await download(a, FIXTURE_TASK).expect(200);
      expect((await untar(legacy.body as Buffer)).map((e) => e.name)).toEqual([
        `langchain_pg_collection_${FIXTURE_TASK.timestamp}.csv`,
        `langchain_pg_embedding_${FIXTURE_TASK.timestamp}.csv`,
      ]);
    }
    const missing = await request(a.app).get(`${API}/backups/download`).query({ backup_path: GLOBAL_PATH, timestamp: '20990101_000000' }).expect(404);
    expect(missing.body.success).toBe(false);
    const bad = await request(a.app).get(`${API}/backups/download`).query({ backup_path: GLOBAL_PATH, timestamp: 'yesterday' }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('timestamp');
    const none = await request(a.app).get(`${API}/backups/download`).expect(400);
    expect(JSON.stringify(none.body)).toContain('backup_path');
    await request(a.app).get(`${API}/backups/download`).query({ backup_path: '../../etc', timestamp: stamp }).expect(400);
  });

  it.runIf(kind === 'local')('a file that shrinks after the headers went out aborts the connection: no JSON error inside the tar', async () => {
    const ts = '20240202_020202';
    const dir = path.join(a.dataRoot, 'task_shrink', 'vector_bak');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `langchain_pg_collection_${ts}.csv`), 'uuid,name,cmetadata\n');
    // 64 MiB, sparse: far more than socket buffers hold, so most of it is still unread when it shrinks.
    const big = path.join(dir, `langchain_pg_embedding_${ts}.csv`);
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 64 * 1024 * 1024);
    const server = a.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const query = new URLSearchParams({ backup_path: `${ROOT}/task_shrink/vector_bak`, timestamp: ts });
      const outcome = await new Promise<{ status: number; complete: boolean; tail: string }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: `${API}/backups/download?${query}` }, (res) => {
          fs.truncateSync(big, 1024);
          let tail = '';
          res.on('data', (c: Buffer) => (tail = (tail + c.toString('latin1')).slice(-4096)));
          res.on('error', () => undefined);
          res.on('close', () => resolve({ status: res.statusCode ?? 0, complete: res.complete, tail }));
        }).on('error', reject);
      });
      expect(outcome.status).toBe(200);
      expect(outcome.complete).toBe(false);
      expect(outcome.tail).not.toContain('"success"');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('upload into another server: listed with its manifest, restores to identical rows; the same upload again → 409', async () => {
    const res = await upload(b, archive).expect(201);
    expect(res.body.data).toMatchObject({ backup_path: GLOBAL_PATH, backup_timestamp: stamp, has_manifest: true });
    const listed = (await listOf(b, '?global_only=true')).backup_locations[0].backups;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ timestamp: stamp, has_manifest: true, label: 'transfer' });
    expect(filesB.names('vector_bak').filter((n) => n.startsWith('.'))).toEqual([]);

    await request(b.app).post(`${API}/restore`).send({ backup_path: GLOBAL_PATH, timestamp: stamp, truncate_before_restore: true }).expect(200);
    const [before, after] = await Promise.all([vectorSnapshot(source), vectorSnapshot(target)]);
    expect(after).toEqual(before);
    expect(after.embeddings).toBe(58);

    const again = await upload(b, archive).expect(409);
    expect(again.body.data.error_type).toBe('BACKUP_SET_EXISTS');
    expect(filesB.names('vector_bak').filter((n) => n.startsWith('.'))).toEqual([]);
    expect(tree(b.dataRoot).filter((n) => n.includes('staging'))).toEqual([]);
  });

  it('a truncated archive → 400, nothing listed, no staging directory left', async () => {
    makeTaskB('task_trunc');
    const cut = archive.subarray(0, Math.floor(archive.length / 2));
    const res = await upload(b, cut, { task_id: 'task_trunc' }).expect(400);
    expect(JSON.stringify(res.body)).toContain('file');
    expect((await listOf(b, '?task_id=task_trunc')).backup_locations).toEqual([]);
    // Uploads are staged outside the target: a refused one does not even create its vector_bak/.
    expect(tree(path.join(b.dataRoot, 'task_trunc'))).toEqual([]);
    expect(filesB.all().filter((n) => n.includes('task_trunc/'))).toEqual([]);
  });

  it('a set without a manifest, or one whose bytes differ from it → 400, nothing published', async () => {
    makeTaskB('task_bad');
    const entries = await untar(archive);
    const other = '20240101_000000';
    const renamed = (keep: (name: string) => boolean, edit: (name: string, body: string) => string = (_n, s) => s) =>
      makeTar(entries.filter((e) => keep(e.name)).map((e) => ({ name: e.name.replace(stamp, other), body: edit(e.name, e.body.toString('utf8').replaceAll(stamp, other)) })));
    await upload(b, await renamed((n) => !n.startsWith('backup_manifest_')), { task_id: 'task_bad' }).expect(400);
    const tampered = await renamed(() => true, (n, s) => (n.startsWith('langchain_pg_collection_') ? s.replace(/,/, ';') : s));
    const res = await upload(b, tampered, { task_id: 'task_bad' }).expect(400);
    expect(JSON.stringify(res.body)).toContain(`langchain_pg_collection_${other}.csv`);
    expect(tree(path.join(b.dataRoot, 'task_bad'))).toEqual([]);
    expect(filesB.names('task_bad/vector_bak')).toEqual([]);
  });

  it('entries with paths, links or foreign names → 400, nothing written outside (or inside)', async () => {
    makeTaskB('task_evil');
    const before = [tree(path.dirname(b.dataRoot)), filesB.all()];
    const hostile = [
      [{ name: '../evil', body: 'x' }],
      [{ name: '../../evil.csv', body: 'x' }],
      [{ name: `langchain_pg_collection_${stamp}.csv`, type: 'symlink' as const, linkname: '/etc/passwd' }],
      [{ name: 'sub', type: 'directory' as const }],
      [{ name: `vector_bak/langchain_pg_collection_${stamp}.csv`, body: 'x' }],
      [{ name: 'notes.txt', body: 'x' }],
    ];
    for (const entries of hostile) {
      const res = await upload(b, await makeTar(entries), { task_id: 'task_evil' }).expect(400);
      expect(JSON.stringify(res.body)).toContain('file');
    }
    expect([tree(path.dirname(b.dataRoot)), filesB.all()]).toEqual(before);
    expect(fs.existsSync(path.join(b.dataRoot, 'evil'))).toBe(false);
  });

  it('a set packed with `tar -C dir -cf x.tar .` (a `./` entry, `./`-prefixed names) uploads; `./` never lets an escape through', async () => {
    makeTaskB('task_dot');
    const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-dot-tar-'));
    try {
      for (const e of await untar(archive)) fs.writeFileSync(path.join(packDir, e.name), e.body);
      execFileSync('tar', ['-C', packDir, '-cf', path.join(packDir, '..', `${path.basename(packDir)}.tar`), '.']);
      const dotTar = fs.readFileSync(`${packDir}.tar`);
      const names = (await untar(dotTar)).map((e) => e.name);
      expect(names).toContain('./');
      expect(names.filter((n) => n !== './').every((n) => n.startsWith('./'))).toBe(true);
      const res = await upload(b, dotTar, { task_id: 'task_dot' }).expect(201);
      expect(res.body.data).toMatchObject({ backup_timestamp: stamp, has_manifest: true });
      expect(filesB.names('task_dot/vector_bak')).toEqual(names.filter((n) => n !== './').map((n) => n.slice(2)).sort());
    } finally {
      fs.rmSync(packDir, { recursive: true, force: true });
      fs.rmSync(`${packDir}.tar`, { force: true });
    }

    makeTaskB('task_dot_evil');
    const before = [tree(path.dirname(b.dataRoot)), filesB.all()];
    const file = `langchain_pg_collection_${stamp}.csv`;
    const hostile = [
      [{ name: './', type: 'directory' as const }, { name: './../evil', body: 'x' }],
      [{ name: '././../evil', body: 'x' }],
      [{ name: `.//${file}`, body: 'x' }],
      [{ name: './sub', type: 'directory' as const }],
      [{ name: `./sub/${file}`, body: 'x' }],
      [{ name: `./${file}`, type: 'symlink' as const, linkname: '/etc/passwd' }],
      [{ name: `./${file}`, type: 'link' as const, linkname: '/etc/passwd' }],
    ];
    for (const entries of hostile) {
      const res = await upload(b, await makeTar(entries), { task_id: 'task_dot_evil' }).expect(400);
      expect(JSON.stringify(res.body)).toContain('file');
    }
    // A refused upload creates nothing, not even the task's vector_bak/.
    expect([tree(path.dirname(b.dataRoot)), filesB.all()]).toEqual(before);
    expect(fs.existsSync(path.join(b.dataRoot, 'evil'))).toBe(false);
  });

  it('an unknown task → 404, a bad task_id → 400, no file part → 400', async () => {
    await upload(b, archive, { task_id: 'task_nope' }).expect(404);
    await upload(b, archive, { task_id: '../x' }).expect(400);
    await request(b.app).post(`${API}/backups/upload`).field('task_id', 'task_trunc').expect(400);
  });
});
