import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ValidationError } from '../../src/errors.js';
import type { BackupStore, StoreLocation } from '../../src/backups/stores/backup-store.js';
import { createBackupStore } from '../../src/backups/stores/create-backup-store.js';
import { DataRoot } from '../../src/lib/data-root.js';
import { startS3, type TestS3 } from '../helpers/s3-server.js';
import { waitUntil } from '../helpers/wait.js';

const ROOT = './data_pipeline/training_data';
/** Larger than one multipart part (8 MiB): on S3 a multipart upload has started before the end. */
const BIG = 9 * 1024 * 1024;

const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) % 251));

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

/**
 * The store contract, one test body for both implementations (BACKUP_STORAGE=local and =s3): what
 * the catalog, verify, delete, prune, download and upload rely on.
 */
describe.each(['local', 's3'] as const)('backup store contract: %s', (kind) => {
  let cwd: string;
  let store: BackupStore;
  let global: StoreLocation;
  let task: StoreLocation;

  /** Files a write left behind outside what the store lists: temp files, pending multipart uploads. */
  const leftovers = () =>
    kind === 'local'
      ? (fs.readdirSync(path.join(cwd, ROOT), { recursive: true }) as string[]).filter((f) => path.basename(f).startsWith('.'))
      : s3.pendingUploads();

  const write = async (location: StoreLocation, name: string, body: Buffer) => {
    const pending = await store.createWrite(location, name);
    await pipeline(Readable.from([body.subarray(0, body.length >> 1), body.subarray(body.length >> 1)]), pending.stream);
    await pending.commit();
  };

  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), `t2s-store-${kind}-`));
    const config = loadConfig({ DATABASE_URL: 'postgresql://u@127.0.0.1/x', ...(kind === 's3' ? s3.env({ S3_PREFIX: `contract/${kind}` }) : {}) });
    store = createBackupStore(config.backupStorage, new DataRoot(ROOT, cwd));
    global = store.locations.fromBackupPath(`${ROOT}/vector_bak`);
    task = store.locations.task('task_1');
  });
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('write, commit, list, stat, read, delete', async () => {
    expect(global).toEqual({ key: 'vector_bak', relativePath: `${ROOT}/vector_bak` });
    const body = bytes(300_000);
    await write(global, 'langchain_pg_collection_20250101_000000.csv', body);
    expect(await store.exists(global)).toBe(true);
    expect((await store.list(global)).map((f) => [f.name, f.size])).toEqual([['langchain_pg_collection_20250101_000000.csv', body.length]]);
    expect((await store.stat(global, 'langchain_pg_collection_20250101_000000.csv'))?.size).toBe(body.length);
    const opened = await store.openRead(global, 'langchain_pg_collection_20250101_000000.csv');
    expect(opened?.size).toBe(body.length);
    expect((await buffer(opened!.stream)).equals(body)).toBe(true);
    expect(await store.openRead(global, 'absent.csv')).toBeNull();
    expect(await store.stat(global, 'absent.csv')).toBeNull();
    expect(await store.delete(global, ['langchain_pg_collection_20250101_000000.csv', 'absent.csv'])).toEqual(['langchain_pg_collection_20250101_000000.csv']);
    expect(await store.list(global)).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('a file is not listed before its commit, and a large one streams whole', async () => {
    const body = bytes(BIG, 13);
    const pending = await store.createWrite(task, 'big.csv');
    const feeding = pipeline(Readable.from([body.subarray(0, BIG - 10), body.subarray(BIG - 10)]), pending.stream);
    expect(await store.list(task)).toEqual([]);
    await feeding;
    await pending.commit();
    expect((await store.list(task)).map((f) => f.name)).toEqual(['big.csv']);
    expect((await buffer((await store.openRead(task, 'big.csv'))!.stream)).equals(body)).toBe(true);
    expect((await store.listLocations()).map((l) => [l.type, l.taskId, l.location.relativePath])).toEqual([
      ['global', undefined, `${ROOT}/vector_bak`],
      ['task', 'task_1', `${ROOT}/task_1/vector_bak`],
    ]);
    if (kind === 's3') expect(s3.objectKeys('contract/s3')).toContain('contract/s3/task_1/vector_bak/big.csv');
    else expect(fs.readFileSync(path.join(cwd, ROOT, 'task_1/vector_bak/big.csv')).equals(body)).toBe(true);
    await store.delete(task, ['big.csv']);
  });

  it('an aborted write leaves nothing: no file, no temp file, no pending multipart upload', async () => {
    for (const size of [1000, BIG]) {
      const pending = await store.createWrite(global, `aborted_${size}.csv`);
      const body = bytes(size);
      pending.stream.write(body);
      // On S3 the big one is aborted once its first part has been sent (the multipart upload exists).
      if (kind === 's3' && size === BIG) await waitUntil(() => s3.requests.some((r) => r.includes(`aborted_${size}.csv?partNumber=1`)), Boolean, 'part 1 sent');
      await pending.abort();
      expect(await store.list(global)).toEqual([]);
      expect(await store.stat(global, `aborted_${size}.csv`)).toBeNull();
    }
    if (kind === 'local') {
      expect(leftovers()).toEqual([]);
    } else {
      // s3rver implements no AbortMultipartUpload: the started upload stays in its directory, but the
      // store must have asked for the abort (DELETE …?uploadId=<that upload>), as AWS and MinIO honour.
      const pendingIds = s3.pendingUploads();
      expect(pendingIds).toHaveLength(1);
      expect(s3.requests.some((r) => r.startsWith('DELETE ') && r.includes(`uploadId=${pendingIds[0]}`))).toBe(true);
    }
  });

  it('a write that fails mid-stream is not committed and leaves nothing listed', async () => {
    const pending = await store.createWrite(global, 'failing.csv');
    const source = new Readable({ read() {} });
    source.push(bytes(1000));
    const feeding = pipeline(source, pending.stream);
    source.destroy(new Error('source failed'));
    await expect(feeding).rejects.toThrow('source failed');
    await pending.abort();
    expect(await store.list(global)).toEqual([]);
  });

  it("paths outside the data root (or the prefix) cannot be named: 400 naming backup_path", async () => {
    for (const bad of ['../x', `${ROOT}/../../etc`, '/etc/passwd', `${ROOT}/%2e%2e/%2e%2e/x`, `${ROOT}/vector_bak\0`, ROOT]) {
      let caught: unknown;
      try {
        store.locations.fromBackupPath(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).invalidParams).toEqual(['backup_path']);
    }
    expect(() => store.locations.task('../x')).toThrow(ValidationError);
    for (const name of ['../x.csv', 'a/b.csv', '..', '']) {
      await expect(store.stat(global, name)).rejects.toThrow(/not a file name/);
    }
  });
});
