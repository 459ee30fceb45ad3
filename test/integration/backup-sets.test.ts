import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ROWS_PER_SEC } from '../../src/backups/duration-estimate.js';
import { copyFixtureBackups, createTestApp, type TestApp } from '../helpers/app.js';
import { startBackupStorage, STORE_KINDS, type BackupStorage, type SetFiles } from '../helpers/backup-storage.js';
import { parseCsvObjects } from '../helpers/csv.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { vectorSnapshot } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline/vector';
const ROOT = './data_pipeline/training_data';
const GLOBAL_PATH = `${ROOT}/vector_bak`;
const GLOBAL_KEY = 'vector_bak';
const FIXTURE_TASK = { backup_path: `${ROOT}/task_20250721_213627/vector_bak`, timestamp: '20250721_215758' };
const FIXTURE_GLOBAL = { backup_path: GLOBAL_PATH, timestamp: '20250722_010318' };
const TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'] as const;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Manifest {
  format_version: number;
  created_at: string;
  label: string | null;
  source: Record<string, string | null>;
  format: string;
  compression: string;
  tables: { table: string; file: string; columns: { name: string; type: string }[]; rows: number; bytes: number; sha256: string; vector_dimension: number | null; indexes: string[] }[];
  collections: { uuid: string; name: string; rows: number }[];
}

/**
 * The same backup-set tests on both stores (SPEC §7 "Storage": the same routes, manifest and
 * verify). Files are inspected and altered where the store keeps them (test/helpers/backup-storage.ts:
 * the data root, or s3rver's directory), never through the store under test. What differs by design
 * is asserted as such: on S3 only sets with a manifest exist (the original's legacy sets are files
 * on a local data root; on object storage the manifest, written last, is the only commit marker)
 * and no `vector_backup_log.txt` is written (objects cannot be appended to). Which tasks exist does
 * not differ: a task directory or row, on both.
 */
describe.each(STORE_KINDS)('backup sets on the %s store: manifest, checksums, verify, delete, retention', (kind) => {
  const legacy = kind === 'local';
  let storage: BackupStorage;
  let db: TestDatabase;
  let t: TestApp;
  /** A server on the local data root holding the original's sets, which seeds the tables (t itself on the local store). */
  let seeder: TestApp;
  let files: SetFiles;
  const post = (route: string, body: object) => request(t.app).post(`${API}${route}`).send(body);
  const backup = async (body: object = {}) => (await post('/backup', body).expect(200)).body.data as Record<string, any>;
  const manifestOf = (key: string, stamp: string) => JSON.parse(files.read(key, `backup_manifest_${stamp}.json`).toString('utf8')) as Manifest;
  /** A task is known to every store by its directory on the data root (or its row): the fixture's tasks exist locally only. */
  const makeTask = (taskId: string) => fs.mkdirSync(path.join(t.dataRoot, taskId), { recursive: true });

  /** A set with an older stamp, copied from `stamp` (manifest file names follow), as an aged set would look. */
  function cloneSet(fromKey: string, stamp: string, toKey: string, newStamp: string, withManifest = true): void {
    for (const name of files.names(fromKey).filter((n) => n.includes(`_${stamp}.`))) {
      const target = name.replace(stamp, newStamp);
      if (name.startsWith('backup_manifest_')) {
        if (withManifest) files.write(toKey, target, files.read(fromKey, name).toString('utf8').replaceAll(stamp, newStamp));
      } else {
        files.write(toKey, target, files.read(fromKey, name));
      }
    }
  }
  const stampsIn = (key: string) =>
    [...new Set(files.names(key).flatMap((n) => /_(\d{8}_\d{6})\.(csv|csv\.gz|json)$/.exec(n)?.[1] ?? []))].sort();
  const listedStamps = async (query: string) =>
    ((await request(t.app).get(`${API}/restore/list${query}`).expect(200)).body.data.backup_locations[0].backups as { timestamp: string }[]).map((s) => s.timestamp).sort();

  beforeAll(async () => {
    [storage, db] = await Promise.all([startBackupStorage(kind), createTestDatabase()]);
    t = await createTestApp(db.url, storage.env);
    seeder = kind === 'local' ? t : await createTestApp(db.url);
    copyFixtureBackups(seeder.dataRoot);
    files = storage.files(t);
  });
  afterAll(async () => {
    if (seeder !== t) await seeder?.close();
    await t?.close();
    await Promise.all([db?.drop(), storage?.close()]);
  });
  beforeEach(async () => {
    // 4 collections, 58 embeddings of 1024 dimensions.
    await request(seeder.app).post(`${API}/restore`).send({ ...FIXTURE_TASK, truncate_before_restore: true }).expect(200);
  });

  it('writes a manifest whose checksums, sizes and rows are those of the files, and lists it', async () => {
    const data = await backup({ label: 'nightly 夜间' });
    const stamp = data.backup_timestamp as string;
    expect(data).toMatchObject({ manifest_file: `backup_manifest_${stamp}.json`, compression: 'none', label: 'nightly 夜间' });
    const manifest = manifestOf(GLOBAL_KEY, stamp);
    expect(manifest).toMatchObject({ format_version: 1, label: 'nightly 夜间', format: 'csv', compression: 'none' });
    expect(Object.keys(manifest.source).sort()).toEqual(['database', 'host', 'pgvector_version', 'server_version']);
    expect(manifest.source.database).toBe(db.name);
    expect(manifest.source.pgvector_version).toMatch(/^\d+\.\d+/);
    expect(JSON.stringify(manifest)).not.toMatch(/postgres(ql)?:\/\//);
    expect(manifest.tables.map((e) => e.table)).toEqual([...TABLES]);
    for (const entry of manifest.tables) {
      const bytes = files.read(GLOBAL_KEY, entry.file);
      expect(entry.sha256).toBe(sha256(bytes));
      expect(entry.bytes).toBe(bytes.length);
      expect(entry.rows).toBe(parseCsvObjects(bytes).length);
      expect(entry.columns.map((c) => c.name)).toEqual(Object.keys(parseCsvObjects(bytes)[0]!));
      expect(entry.indexes.some((d) => /CREATE UNIQUE INDEX .*_pkey/.test(d))).toBe(true);
    }
    const embedding = manifest.tables[1]!;
    expect(embedding).toMatchObject({ rows: 58, vector_dimension: 1024 });
    expect(embedding.columns.find((c) => c.name === 'embedding')?.type).toMatch(/^vector/);
    expect(manifest.collections).toHaveLength(4);
    const [perCollection] = await db.query<{ rows: string }>('SELECT json_object_agg(c.name, (SELECT count(*) FROM langchain_pg_embedding e WHERE e.collection_id = c.uuid)) AS rows FROM langchain_pg_collection c');
    expect(Object.fromEntries(manifest.collections.map((c) => [c.name, c.rows]))).toEqual(perCollection!.rows);

    const list = (await request(t.app).get(`${API}/restore/list?global_only=true`).expect(200)).body.data;
    const sets = list.backup_locations[0].backups as Record<string, unknown>[];
    expect(sets.find((s) => s.timestamp === stamp)).toMatchObject({
      timestamp: stamp,
      collection_file: `langchain_pg_collection_${stamp}.csv`,
      embedding_file: `langchain_pg_embedding_${stamp}.csv`,
      // Objects cannot be appended to: no vector_backup_log.txt on S3 (src/backups/sets/backup-log.ts).
      has_log: kind === 'local',
      has_manifest: true,
      format: 'csv',
      compression: 'none',
      label: 'nightly 夜间',
      rows: { langchain_pg_collection: 4, langchain_pg_embedding: 58 },
      collections: manifest.collections,
      source_database: db.name,
    });
    // The original's set: no manifest, listed with every field it had before (a local data root's only).
    if (!legacy) return;
    expect(sets.find((s) => s.timestamp === FIXTURE_GLOBAL.timestamp)).toMatchObject({
      collection_size: expect.any(String),
      backup_date: '2025-07-22 01:03:18',
      has_manifest: false,
      legacy: true,
      compression: 'none',
      label: null,
      rows: null,
      source_database: null,
    });
  });

  it('a flipped byte: verify names the file, restore answers 422 BACKUP_CHECKSUM_MISMATCH and changes nothing', async () => {
    const stamp = (await backup()).backup_timestamp as string;
    const set = { backup_path: GLOBAL_PATH, timestamp: stamp };
    const intact = (await post('/verify', set).expect(200)).body.data;
    expect(intact).toMatchObject({ valid: true, has_manifest: true, backup_timestamp: stamp });
    expect(intact.files.map((f: { ok: boolean }) => f.ok)).toEqual([true, true]);
    expect(intact.files[1]).toMatchObject({ rows_expected: 58, rows_found: 58 });

    // One digit of a vector changes: still valid CSV and a valid vector, so only the checksum can tell.
    const file = `langchain_pg_embedding_${stamp}.csv`;
    const bytes = files.read(GLOBAL_KEY, file);
    const at = bytes.indexOf('[0.') + 3;
    bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
    files.write(GLOBAL_KEY, file, bytes);

    const verified = (await post('/verify', set).expect(200)).body.data;
    expect(verified.valid).toBe(false);
    const bad = verified.files.find((f: { file: string }) => f.file === file);
    expect(bad).toMatchObject({ ok: false, rows_found: 58, actual_sha256: sha256(bytes) });
    expect(bad.actual_sha256).not.toBe(bad.expected_sha256);
    expect(verified.files.find((f: { file: string }) => f.file.startsWith('langchain_pg_collection')).ok).toBe(true);

    await db.query(`UPDATE langchain_pg_embedding SET document = 'changed since the backup' WHERE id IN (SELECT id FROM langchain_pg_embedding ORDER BY id LIMIT 3)`);
    const before = await vectorSnapshot(db);
    const res = await post('/restore', { ...set, truncate_before_restore: true });
    expect(res.status).toBe(422);
    expect(res.body.data).toMatchObject({ error_type: 'BACKUP_CHECKSUM_MISMATCH', rolled_back: true, restore_performed: false });
    expect(res.body.message).toBe('备份文件校验失败');
    expect(res.body.data.response).toContain(file);
    expect(await vectorSnapshot(db)).toEqual(before);

    // A flip that breaks the CSV itself (an opening quote gone) is reported as the corrupt file it is.
    const broken = files.read(GLOBAL_KEY, file);
    broken[broken.indexOf('"[')] = 0x20;
    files.write(GLOBAL_KEY, file, broken);
    const again = await post('/restore', { ...set, truncate_before_restore: true });
    expect(again.status).toBe(422);
    expect(again.body.data.error_type).toBe('BACKUP_CHECKSUM_MISMATCH');
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('gzip: .csv.gz files recorded in the manifest, listed, verified and restored', async () => {
    const before = await vectorSnapshot(db);
    makeTask('task_20250721_202929');
    const data = await backup({ compression: 'gzip', task_id: 'task_20250721_202929' });
    const stamp = data.backup_timestamp as string;
    const dir = 'task_20250721_202929/vector_bak';
    expect(data.tables_backed_up.langchain_pg_embedding.backup_file).toBe(`langchain_pg_embedding_${stamp}.csv.gz`);
    const manifest = manifestOf(dir, stamp);
    expect(manifest.compression).toBe('gzip');
    for (const entry of manifest.tables) {
      expect(entry.file).toBe(`${entry.table}_${stamp}.csv.gz`);
      expect(entry.sha256).toBe(sha256(files.read(dir, entry.file)));
    }
    expect(gunzipSync(files.read(dir, manifest.tables[1]!.file)).toString().split('\n')[0]).toContain('embedding');
    const list = (await request(t.app).get(`${API}/restore/list?task_id=task_20250721_202929`).expect(200)).body.data;
    expect(list.backup_locations[0].backups.find((s: { timestamp: string }) => s.timestamp === stamp)).toMatchObject({ compression: 'gzip', has_manifest: true });
    const set = { backup_path: `${ROOT}/task_20250721_202929/vector_bak`, timestamp: stamp };
    expect((await post('/verify', set).expect(200)).body.data.valid).toBe(true);

    await db.query('TRUNCATE langchain_pg_collection, langchain_pg_embedding');
    const restored = await post('/restore', { ...set, truncate_before_restore: true }).expect(200);
    expect(restored.body.data.restore_results.langchain_pg_embedding.rows_restored).toBe(58);
    expect(await vectorSnapshot(db)).toEqual(before);
  });

  it('dry_run writes nothing and estimates rows and bytes per table and collection', async () => {
    makeTask('task_dry_run');
    // The store's files and the server's own data root (a local temp file would count too).
    const listing = () => [...files.all(), ...fs.readdirSync(t.dataRoot, { recursive: true }).map(String)].sort();
    const filesBefore = listing();
    const data = (await post('/backup', { dry_run: true, task_id: 'task_dry_run', compression: 'gzip', keep_last: 1 }).expect(200)).body.data;
    expect(listing()).toEqual(filesBefore);
    expect(data).toMatchObject({ dry_run: true, backup_performed: false, compression: 'gzip', backup_directory: `${ROOT}/task_dry_run/vector_bak`, would_prune: [] });
    expect(data.tables.langchain_pg_embedding.file).toMatch(/\.csv\.gz$/);
    expect(data.tables.langchain_pg_embedding.rows).toBeGreaterThan(0);
    expect(data.tables.langchain_pg_embedding.bytes).toBeGreaterThan(0);
    expect(data.collections).toHaveLength(4);
    expect(data.collections.reduce((n: number, c: { rows: number }) => n + c.rows, 0)).toBe(58);
  });

  it('dry_run estimated_seconds: rows over the measured default rate, then over the median rate of recent backup jobs', async () => {
    const dryRun = async () => (await post('/backup', { dry_run: true }).expect(200)).body.data;
    const first = await dryRun();
    expect(first.throughput).toEqual({ rows_per_sec: DEFAULT_ROWS_PER_SEC.backup, source: 'default', jobs_sampled: 0 });
    const embeddings = first.tables.langchain_pg_embedding;
    expect(embeddings.estimated_seconds).toBe(Math.round((embeddings.rows / DEFAULT_ROWS_PER_SEC.backup) * 10) / 10);
    expect(first.estimated_seconds).toBe(Math.round((first.total_rows / DEFAULT_ROWS_PER_SEC.backup) * 10) / 10);

    // Three finished backup jobs of this server (as their final progress records them); a tiny
    // one (fixed cost dominates) and a restore do not count.
    const job = (id: string, kind: string, rowsDone: number, rate: number) =>
      db.query(
        `INSERT INTO data_pipeline_jobs (job_id, kind, state, progress, completed_at) VALUES ($1, $2, 'succeeded', $3, now())`,
        [id, kind, { phase: 'done', percent: 100, rows_done: rowsDone, rows_per_sec: rate }],
      );
    await job('backup_rate_1', 'vector_backup', 20_000, 100);
    await job('backup_rate_2', 'vector_backup', 20_000, 300);
    await job('backup_rate_3', 'vector_backup', 50_000, 200);
    await job('backup_rate_tiny', 'vector_backup', 10, 1);
    await job('restore_rate_1', 'vector_restore', 50_000, 5);
    const second = await dryRun();
    expect(second.throughput).toEqual({ rows_per_sec: 200, source: 'recent_jobs', jobs_sampled: 3 });
    expect(second.tables.langchain_pg_embedding.estimated_seconds).toBe(Math.round((second.tables.langchain_pg_embedding.rows / 200) * 10) / 10);
    expect(second.estimated_seconds).toBe(Math.round((second.total_rows / 200) * 10) / 10);
    await db.query(`DELETE FROM data_pipeline_jobs WHERE job_id LIKE '%_rate_%'`);
  });

  it('deletes a set (data files and manifest, not the log); 404 when it does not exist', async () => {
    const stamp = (await backup()).backup_timestamp as string;
    const set = { backup_path: GLOBAL_PATH, timestamp: stamp };
    const res = await request(t.app).delete(`${API}/backups`).send(set).expect(200);
    expect(res.body.data.deleted_files.sort()).toEqual(
      [`backup_manifest_${stamp}.json`, `langchain_pg_collection_${stamp}.csv`, `langchain_pg_embedding_${stamp}.csv`].sort(),
    );
    expect(files.names(GLOBAL_KEY).filter((n) => n.includes(stamp))).toEqual([]);
    expect(files.names(GLOBAL_KEY).includes('vector_backup_log.txt')).toBe(kind === 'local');
    await request(t.app).delete(`${API}/backups`).send(set).expect(404);
    await post('/verify', set).expect(404);
  });

  it('keep_last on a backup keeps the newest sets of its location, legacy sets counted (local; on S3 files without a manifest are no set)', async () => {
    makeTask('task_keep');
    const first = (await backup({ task_id: 'task_keep' })).backup_timestamp as string;
    const key = 'task_keep/vector_bak';
    cloneSet(key, first, key, '20240101_000000');
    cloneSet(key, first, key, '20230101_000000', false);
    const data = await backup({ task_id: 'task_keep', keep_last: 2 });
    const kept = [first, data.backup_timestamp as string].sort();
    if (legacy) {
      expect(data.pruned_sets.map((s: { timestamp: string }) => s.timestamp)).toEqual(['20240101_000000', '20230101_000000']);
      expect(stampsIn(key)).toEqual(kept);
    } else {
      // Data objects without a manifest look exactly like an interrupted upload's leftovers: never
      // listed, never counted, never deleted by retention.
      expect(data.pruned_sets.map((s: { timestamp: string }) => s.timestamp)).toEqual(['20240101_000000']);
      expect(await listedStamps('?task_id=task_keep')).toEqual(kept);
      expect(stampsIn(key)).toEqual(['20230101_000000', ...kept]);
    }
  });

  it('prune by keep_last, by older_than_days, both, per task, per backup_path and global', async () => {
    const key = 'task_prune/vector_bak';
    makeTask('task_20250721_213627');
    const fresh = (await backup({ task_id: 'task_20250721_213627' })).backup_timestamp as string;
    const source = 'task_20250721_213627/vector_bak';
    makeTask('task_prune');
    cloneSet(source, fresh, key, fresh);
    cloneSet(source, fresh, key, '20240301_000000');
    cloneSet(source, fresh, key, '20240201_000000');
    // The original's legacy set exists on a local data root only.
    if (legacy) cloneSet(source, FIXTURE_TASK.timestamp, key, '20200101_000000', false);

    // Old (by the stamp in the name) but within the newest 3: kept; the legacy set is outside.
    let res = (await post('/backups/prune', { task_id: 'task_prune', keep_last: 3, older_than_days: 30 }).expect(200)).body.data;
    expect(res.deleted.map((s: { timestamp: string }) => s.timestamp)).toEqual(legacy ? ['20200101_000000'] : []);
    expect(res.kept).toEqual([fresh, '20240301_000000', '20240201_000000']);
    res = (await post('/backups/prune', { backup_path: `${ROOT}/task_prune/vector_bak`, older_than_days: 30 }).expect(200)).body.data;
    expect(res.deleted.map((s: { timestamp: string }) => s.timestamp)).toEqual(['20240301_000000', '20240201_000000']);
    expect(stampsIn(key)).toEqual([fresh]);

    cloneSet(source, fresh, key, '20240401_000000');
    res = (await post('/backups/prune', { task_id: 'task_prune', keep_last: 1 }).expect(200)).body.data;
    expect(res.deleted.map((s: { timestamp: string }) => s.timestamp)).toEqual(['20240401_000000']);
    expect(stampsIn(key)).toEqual([fresh]);

    // Neither backup_path nor task_id: the global vector_bak/ only.
    const globalSet = legacy ? FIXTURE_GLOBAL.timestamp : ((await backup()).backup_timestamp as string);
    cloneSet(GLOBAL_KEY, globalSet, GLOBAL_KEY, '20190101_000000');
    res = (await post('/backups/prune', { older_than_days: 365 * 3 }).expect(200)).body.data;
    expect(res.backup_path).toBe(GLOBAL_PATH);
    expect(res.deleted.map((s: { timestamp: string }) => s.timestamp)).toContain('20190101_000000');
    expect(stampsIn(GLOBAL_KEY)).not.toContain('20190101_000000');
    expect(stampsIn(key)).toEqual([fresh]);
  });

  // Local only: the original's sets (no manifest) are files on a data root; on S3 only sets with a
  // manifest exist (SPEC §7 "Storage", README), so there is no legacy set to verify.
  it.skipIf(!legacy)('verify of a legacy set: has_manifest false, valid null, per file whether it parses and its rows', async () => {
    const data = (await post('/verify', FIXTURE_GLOBAL).expect(200)).body.data;
    expect(data).toMatchObject({ has_manifest: false, valid: null });
    expect(data.files).toEqual([
      expect.objectContaining({ file: 'langchain_pg_collection_20250722_010318.csv', parses: true, ok: true, rows_found: 4, expected_sha256: null }),
      expect.objectContaining({ file: 'langchain_pg_embedding_20250722_010318.csv', parses: true, ok: true, rows_found: 62, expected_sha256: null }),
    ]);
  });

  it('bad input is a 400 naming the parameter', async () => {
    const missing = await post('/verify', {}).expect(400);
    expect(missing.body.data.missing_params).toEqual(['backup_path', 'timestamp']);
    expect((await post('/verify', { ...FIXTURE_GLOBAL, timestamp: '2025' }).expect(400)).body.data.invalid_params).toEqual(['timestamp']);
    expect((await post('/verify', { ...FIXTURE_GLOBAL, backup_path: '../../etc' }).expect(400)).body.data.invalid_params).toEqual(['backup_path']);
    await post('/verify', { ...FIXTURE_GLOBAL, timestamp: '20000101_000000' }).expect(404);
    await post('/verify', { backup_path: `${ROOT}/no_such_dir`, timestamp: '20000101_000000' }).expect(404);
    expect((await request(t.app).delete(`${API}/backups`).send({ backup_path: GLOBAL_PATH }).expect(400)).body.data.missing_params).toEqual(['timestamp']);

    expect((await post('/backup', { keep_last: 0 }).expect(400)).body.data.invalid_params).toEqual(['keep_last']);
    expect((await post('/backup', { keep_last: 1.5 }).expect(400)).body.data.invalid_params).toEqual(['keep_last']);
    expect((await post('/backup', { label: 'x'.repeat(201) }).expect(400)).body.data.invalid_params).toEqual(['label']);
    expect((await post('/backup', { compression: 'zip' }).expect(400)).body.data.invalid_params).toEqual(['compression']);
    expect((await post('/backup', { dry_run: 'yes' }).expect(400)).body.data.invalid_params).toEqual(['dry_run']);

    const neither = await post('/backups/prune', { task_id: 'task_20250721_213627' }).expect(400);
    expect(neither.body.data.missing_params).toEqual(['keep_last', 'older_than_days']);
    expect((await post('/backups/prune', { keep_last: 0 }).expect(400)).body.data.invalid_params).toEqual(['keep_last']);
    expect((await post('/backups/prune', { older_than_days: -1 }).expect(400)).body.data.invalid_params).toEqual(['older_than_days']);
    const both = await post('/backups/prune', { keep_last: 1, task_id: 'task_20250721_213627', backup_path: GLOBAL_PATH }).expect(400);
    expect(both.body.data.invalid_params).toEqual(['backup_path']);
    if (legacy) expect(files.names(GLOBAL_KEY).some((n) => n.includes(FIXTURE_GLOBAL.timestamp))).toBe(true);
  });

  it('a task with neither a directory nor a row is a 404 on every store (prune, backup, dry run, upload), and nothing is written', async () => {
    const before = files.all();
    const notFound = { error_type: 'RESOURCE_NOT_FOUND', response: '指定的任务目录不存在: task_no_such_task' };
    expect((await post('/backups/prune', { keep_last: 1, task_id: 'task_no_such_task' }).expect(404)).body.data).toMatchObject(notFound);
    expect((await post('/backup', { task_id: 'task_no_such_task' }).expect(404)).body.data).toMatchObject(notFound);
    expect((await post('/backup', { task_id: 'task_no_such_task', dry_run: true }).expect(404)).body.data).toMatchObject(notFound);
    expect((await post('/backup', { task_id: 'task_no_such_task', async: true }).expect(404)).body.data).toMatchObject(notFound);
    const archive = Buffer.from('not read: the task is looked up first');
    const uploaded = await request(t.app).post(`${API}/backups/upload`).field('task_id', 'task_no_such_task').attach('file', archive, 'set.tar').expect(404);
    expect(uploaded.body.data).toMatchObject(notFound);
    expect(files.all()).toEqual(before);
    expect(fs.existsSync(path.join(t.dataRoot, 'task_no_such_task'))).toBe(false);

    // A row alone makes a task known (a server with another data root created it): an empty location.
    await db.query(`INSERT INTO data_pipeline_tasks (task_id, task_type, status, parameters) VALUES ('task_row_only', 'data_workflow', 'pending', '{}')`);
    const rowOnly = (await post('/backups/prune', { keep_last: 1, task_id: 'task_row_only' }).expect(200)).body.data;
    expect(rowOnly).toMatchObject({ backup_path: `${ROOT}/task_row_only/vector_bak`, kept: [], deleted: [] });
  });

  it('the new routes are in the OpenAPI document', async () => {
    const doc = (await request(t.app).get('/api/v0/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths[`${API}/verify`] ?? {})).toContain('post');
    expect(Object.keys(doc.paths[`${API}/backups`] ?? {})).toContain('delete');
    expect(Object.keys(doc.paths[`${API}/backups/prune`] ?? {})).toContain('post');
  });
});
