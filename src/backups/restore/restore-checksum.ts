import path from 'node:path';
import { pipeline, Transform, type Readable, Writable } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AppError, ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { createSha256Tap } from '../../streams/sha256-tap.js';
import type { BackupManifest } from '../sets/backup-manifest.js';
import { formatOfFile } from '../sets/set-naming.js';
import { openStoreStream, type BackupStore, type StoreLocation } from '../stores/backup-store.js';
import type { TransferProgress } from '../job-progress.js';

/** A restore's file (a name in a store location) with the checksum its manifest promises (none for a legacy set). */
export interface ChecksummedFile {
  table: string;
  file: string;
  store: BackupStore;
  location: StoreLocation;
  sha256?: string;
}

/**
 * Attaches the manifest's SHA-256 to each file a restore will load. A set with a manifest vouches
 * for its files: a file the manifest does not name (e.g. a `.csv` dropped beside a gzip set) is
 * refused before anything is loaded. A legacy set (no manifest) loads unchecked, as before.
 */
export function attachChecksums<T extends ChecksummedFile>(manifest: BackupManifest | null, files: T[]): T[] {
  if (manifest === null) return files;
  return files.map((f) => {
    const entry = manifest.tables.find((t) => t.table === f.table && t.file === path.basename(f.file));
    if (!entry) throw checksumMismatch(path.basename(f.file), null, null);
    return { ...f, sha256: entry.sha256 };
  });
}

/**
 * Opens a backup file for loading, hashing its bytes (the compressed ones for `.gz`, as the
 * manifest records them) on the same read that feeds COPY. With an expected checksum, the stream
 * fails at its end on a mismatch, before the COPY sees a clean end: the load is cancelled and the
 * restore's transaction rolls back. The stages are joined with pipeline() (see openCsvFile).
 */
export function openBackupFile(item: ChecksummedFile, storedBytes?: Transform): Readable {
  const name = path.basename(item.file);
  const tap = createSha256Tap(
    item.sha256 === undefined ? {} : { expected: item.sha256, mismatch: (actual) => checksumMismatch(name, item.sha256!, actual) },
  );
  const done = () => undefined;
  // The first stage is the stream the store's file is piped into once open (no extra pass-through).
  const hashed = storedBytes
    ? pipeline(openStoreStream(item.store, item.location, item.file, storedBytes), tap, done)
    : openStoreStream(item.store, item.location, item.file, tap);
  return item.file.endsWith('.gz') ? pipeline(hashed, createGunzip(), done) : hashed;
}

/**
 * openBackupFile with the job's progress counting it: rows in the CSV as loaded, bytes as stored,
 * so that for a `.csv.gz` both `bytes_done` and `bytes_total` (the file sizes) are compressed bytes
 * and the percent is right.
 */
export function openCountedBackupFile(item: ChecksummedFile, progress: TransferProgress | undefined): Readable {
  if (!progress) return openBackupFile(item);
  const gzip = item.file.endsWith('.gz');
  const counter = progress.counter(item.table, { countBytes: !gzip, format: formatOfFile(path.basename(item.file)) });
  const source = openBackupFile(item, gzip ? progress.storedBytes(item.table) : undefined);
  return pipeline(source, counter, () => undefined);
}

/**
 * When a load from a checksummed file fails for another reason first (a flipped byte that breaks
 * the CSV or the gzip stream fails before the end, where the hash is compared), the real cause is
 * the corrupt file: the file is hashed once more (failure path only) and, if it differs from the
 * manifest, the mismatch is reported instead of the parse error it caused.
 */
export async function checksumCause(err: unknown, current: ChecksummedFile | undefined): Promise<unknown> {
  if (current?.sha256 === undefined || (err instanceof AppError && err.errorType === ERROR_TYPES.BACKUP_CHECKSUM_MISMATCH)) return err;
  const actual = await sha256OfStored(current).catch(() => null);
  if (actual === null || actual === current.sha256) return err;
  return checksumMismatch(path.basename(current.file), current.sha256, actual, err);
}

export async function sha256OfStored(item: ChecksummedFile): Promise<string> {
  const tap = createSha256Tap();
  await pipelinePromise(openStoreStream(item.store, item.location, item.file), tap, new Writable({ write: (_c, _e, cb) => cb() }));
  return tap.sha256()!;
}

/**
 * The start of a set's file as text for sniffing (gunzipped for `.gz`): at most `limitBytes` raw
 * bytes are passed on, and the reader stops the read once it has its rows (destroying the stream).
 */
export function openFileHead(item: ChecksummedFile, limitBytes: number): Readable {
  let seen = 0;
  const head = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const part = seen >= limitBytes ? null : chunk.subarray(0, limitBytes - seen);
      seen += chunk.length;
      cb(null, part && part.length > 0 ? part : undefined);
    },
  });
  const raw = openStoreStream(item.store, item.location, item.file);
  const done = () => undefined;
  return item.file.endsWith('.gz') ? pipeline(raw, head, createGunzip(), done) : pipeline(raw, head, done);
}

/** A set's whole file as text (gunzipped for `.gz`), for scans before a load (dry run, collections). */
export function openFileText(item: Pick<ChecksummedFile, 'file' | 'store' | 'location'>): Readable {
  const raw = openStoreStream(item.store, item.location, item.file);
  return item.file.endsWith('.gz') ? pipeline(raw, createGunzip(), () => undefined) : raw;
}

export function checksumMismatch(file: string, expected: string | null, actual: string | null, cause?: unknown): UnprocessableError {
  const why = expected === null ? '备份清单中没有该文件' : `SHA-256 与备份清单不一致 (清单 ${expected}，实际 ${actual})`;
  return new UnprocessableError(`备份文件校验失败: ${file} ${why}，所有更改已回滚`, ERROR_TYPES.BACKUP_CHECKSUM_MISMATCH, {
    cause,
    details: { file, expected_sha256: expected, actual_sha256: actual },
    data: { checksum_file: file },
  });
}
