import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenFile } from '../../src/lib/durable-dir.js';
import { VectorBackupService } from '../../src/backups/backup-service.js';
import { closeFixtureApp, openFixtureApp, type TestApp } from '../helpers/app.js';
import { readCsvObjects } from '../helpers/csv.js';
import type { TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { lockWaiters, openSession, vectorSnapshot, waitFor } from '../helpers/vector-db.js';

const GLOBAL = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318' };
const silent = pino({ level: 'silent' });
const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });

describe('vector backup and restore under I/O faults', () => {
  let db: TestDatabase;
  let t: TestApp;
  const listSets = async () =>
    (await request(t.app).get('/api/v0/data_pipeline/vector/restore/list').expect(200)).body.data.summary.total_backup_sets as number;

  beforeAll(async () => ({ db, t } = await openFixtureApp()));
  afterAll(() => closeFixtureApp({ db, t }));
  beforeEach(async () => {
    await request(t.app).post('/api/v0/data_pipeline/vector/restore').send({ ...GLOBAL, truncate_before_restore: true }).expect(200);
  });

  it('fdatasync failing with EIO (in the background and at the end) fails the backup; the process lives on', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      // Real handles whose datasync fails, on the embeddings file (the large one: the collections
      // file is smaller than one sync interval); a small interval makes the background syncs run.
      const open: OpenFile = async (file, flags) => {
        const handle = await fsp.open(file, flags);
        // The store's temp file of the embeddings: `.langchain_pg_embedding_<stamp>.csv.<uuid>.tmp`.
        if (path.basename(file).startsWith('.langchain_pg_embedding_')) handle.datasync = () => Promise.reject(eio());
        return handle;
      };
      // Several MiB of embeddings: several writes, so background syncs run (and fail) mid-file.
      await db.query(`
        INSERT INTO langchain_pg_embedding (id, collection_id, embedding, document, cmetadata)
        SELECT 'bulk-' || g, (SELECT uuid FROM langchain_pg_collection WHERE name = 'sql'),
               v.vec::vector, 'doc', jsonb_build_object('id', 'bulk-' || g)
          FROM generate_series(1, 400) AS g,
               LATERAL (SELECT array_agg(random())::real[] AS vec FROM generate_series(1, 1024) WHERE g > 0) AS v`);
      const sets = await listSets();
      const service = new VectorBackupService(t.services.dataRoot, t.databases, silent, { lockTimeoutMs: 10_000, syncEveryBytes: 4096 }, open);
      await expect(service.backup({ truncateVectorTables: true })).rejects.toMatchObject({ status: 500, errorType: 'VECTOR_BACKUP_FAILED' });
      for (let i = 0; i < 5; i++) await tick();
      expect(unhandled).toEqual([]);
      expect(fs.readdirSync(path.join(t.dataRoot, 'vector_bak')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await listSets()).toBe(sets);
      // Nothing truncated: the backup never became durable.
      expect((await vectorSnapshot(db)).embeddings).toBe(462);
    } finally {
      process.off('unhandledRejection', record);
    }
    await request(t.app).post('/api/v0/data_pipeline/vector/backup').send({}).expect(200);
  });

  it('the set is renamed and its directory fsynced (and the new directory\'s parent) before the TRUNCATE', async () => {
    const taskId = 'task_20990101_000001';
    const taskDir = path.join(t.dataRoot, taskId);
    fs.mkdirSync(taskDir);
    const backupDir = path.join(taskDir, 'vector_bak');
    const events: string[] = [];
    const open: OpenFile = async (file, flags) => {
      const handle = await fsp.open(file, flags);
      const datasync = handle.datasync.bind(handle);
      const sync = handle.sync.bind(handle);
      handle.datasync = async () => {
        events.push(`datasync ${path.basename(file)}`);
        return datasync();
      };
      handle.sync = async () => {
        const names = fs.existsSync(backupDir) ? fs.readdirSync(backupDir).filter((n) => n.startsWith('langchain_pg_')).sort() : [];
        // From another session: has the backup's TRUNCATE (ACCESS EXCLUSIVE) run yet?
        const [lock] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE relation = to_regclass('langchain_pg_embedding') AND mode = 'AccessExclusiveLock'`,
        );
        events.push(`sync ${path.relative(t.dataRoot, file)} [${names.join(' ')}] truncated=${lock!.n > 0}`);
        return sync();
      };
      return handle;
    };
    const service = new VectorBackupService(t.services.dataRoot, t.databases, silent, { lockTimeoutMs: 10_000 }, open);
    const result = await service.backup({ taskId, truncateVectorTables: true });
    const stamp = result.backup_timestamp!;
    const files = [`langchain_pg_collection_${stamp}.csv`, `langchain_pg_embedding_${stamp}.csv`];
    const tmp = (name: string) => expect.stringMatching(new RegExp(`^datasync \\.${name.replace(/\./g, '\\.')}\\.[0-9a-f-]+\\.tmp$`));
    expect(events).toEqual([
      `sync ${taskId} [] truncated=false`,
      tmp(files[0]!),
      tmp(files[1]!),
      // Each file published (linked from its synced temp file) only once both are complete.
      `sync ${taskId}/vector_bak [${files[0]}] truncated=false`,
      `sync ${taskId}/vector_bak [${files.join(' ')}] truncated=false`,
      // The manifest last (its temp file synced, linked, the directory synced), still before the TRUNCATE.
      expect.stringMatching(new RegExp(`^datasync \\.backup_manifest_${stamp}\\.json\\.[0-9a-f-]+\\.tmp$`)),
      `sync ${taskId}/vector_bak [${files.join(' ')}] truncated=false`,
    ]);
    expect(fs.existsSync(path.join(backupDir, `backup_manifest_${stamp}.json`))).toBe(true);
    expect(result.truncate_performed).toBe(true);
    expect((await vectorSnapshot(db)).embeddings).toBe(0);
    expect(readCsvObjects(path.join(backupDir, files[1]!))).toHaveLength(62);
  });

  // The reader that holds the restore at its TRUNCATE is a second session: not in PGlite.
  it.skipIf(embeddedTestMode())('a .csv.gz set deleted mid-restore fails the request; the server stays healthy, nothing changes', async () => {
    const gzDir = path.join(t.dataRoot, 'gz_bak');
    fs.mkdirSync(gzDir, { recursive: true });
    for (const table of ['langchain_pg_collection', 'langchain_pg_embedding']) {
      const name = `${table}_${GLOBAL.timestamp}.csv`;
      fs.writeFileSync(path.join(gzDir, `${name}.gz`), gzipSync(fs.readFileSync(path.join(t.dataRoot, 'vector_bak', name))));
    }
    const before = await vectorSnapshot(db);
    const reader = await openSession(db);
    let res: request.Response;
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM langchain_pg_embedding');
      const restoring = request(t.app)
        .post('/api/v0/data_pipeline/vector/restore')
        .send({ backup_path: './data_pipeline/training_data/gz_bak', timestamp: GLOBAL.timestamp, truncate_before_restore: true })
        .timeout(20_000)
        .then((r) => r);
      // Files sniffed, TRUNCATE queued behind the reader: now the set disappears.
      await waitFor('the restore to queue behind the reader', async () => (await lockWaiters(db, 'relation')).length > 0);
      fs.rmSync(gzDir, { recursive: true });
      await reader.query('ROLLBACK');
      res = await restoring;
    } finally {
      await reader.end();
    }
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 404, data: { error_type: 'FILE_NOT_FOUND', rolled_back: true } });
    expect(await vectorSnapshot(db)).toEqual(before);
    await request(t.app).get('/api/v0/health').expect(200);
  });
});
