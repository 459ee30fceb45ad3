import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AppError, BackupStoreUnavailableError } from '../../errors.js';
import { createBinaryCopyCounter } from '../../streams/binary-copy-counter.js';
import { createCsvRecordCounter } from '../../streams/csv-record-counter.js';
import { createCsvParser } from '../../streams/csv-rows.js';
import { createSha256Tap } from '../../streams/sha256-tap.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { readStoredManifest, type BackupManifest } from './backup-manifest.js';
import { backupFileNames, formatOfFile, VECTOR_TABLES } from './set-naming.js';
import { setLocation, setNotFound } from './set-lookup.js';

export interface VerifyRequest {
  backupPath: string;
  timestamp: string;
  signal?: AbortSignal;
}

export interface VerifiedFile {
  file: string;
  table: string;
  expected_sha256: string | null;
  actual_sha256: string | null;
  rows_expected: number | null;
  rows_found: number | null;
  bytes_expected: number | null;
  bytes_found: number | null;
  /** With a manifest: checksum and rows match. Legacy: the file parses as CSV. */
  ok: boolean;
  /** Legacy sets: whether the file parses as CSV (the only check there is). */
  parses?: boolean;
  error?: string;
}

export interface VerifyResult {
  backup_path: string;
  /** The set's stamp; not `timestamp`, which every reply's envelope fills with the reply time. */
  backup_timestamp: string;
  has_manifest: boolean;
  /** null for a legacy set: there is nothing to verify against. */
  valid: boolean | null;
  files: VerifiedFile[];
  manifest_error?: string;
}

const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

/**
 * Verifies a backup set against its manifest: every file is re-hashed and its records counted in
 * one streaming read (gzip files hashed as stored, counted decompressed). Legacy sets (no manifest)
 * are parsed with the CSV parser instead, which says whether they can be read and how many rows
 * they hold. Never holds a file in memory. Reads through the backup store, so a set on S3 is
 * verified as it is streamed from its objects.
 */
export class BackupVerifier {
  constructor(private readonly store: BackupStore) {}

  async verify(request: VerifyRequest): Promise<VerifyResult> {
    const location = await setLocation(this.store, request.backupPath);
    return this.verifyIn(this.store, location, request);
  }

  /** Verifies a set at a location of `store` (also a local staging directory: the upload's check). */
  async verifyIn(store: BackupStore, location: StoreLocation, request: VerifyRequest): Promise<VerifyResult> {
    const base = { backup_path: request.backupPath, backup_timestamp: request.timestamp };
    let manifest: BackupManifest | null;
    try {
      manifest = await readStoredManifest(store, location, request.timestamp);
    } catch (err) {
      if (!(err instanceof AppError) || err instanceof BackupStoreUnavailableError) throw err;
      return { ...base, has_manifest: true, valid: false, files: [], manifest_error: err.message };
    }
    if (manifest === null) return { ...base, has_manifest: false, valid: null, files: await this.verifyLegacy(store, location, request) };
    const files: VerifiedFile[] = [];
    for (const entry of manifest.tables) {
      const expected = { table: entry.table, expected_sha256: entry.sha256, rows_expected: entry.rows, bytes_expected: entry.bytes };
      const scan = await scanFile(store, location, entry.file, 'count', request.signal);
      if (scan === null) {
        files.push({ file: entry.file, ...expected, actual_sha256: null, rows_found: null, bytes_found: null, ok: false, error: '文件不存在' });
        continue;
      }
      const ok = scan.error === undefined && scan.sha256 === entry.sha256 && scan.rows === entry.rows;
      files.push({ file: entry.file, ...expected, actual_sha256: scan.sha256, rows_found: scan.rows, bytes_found: scan.bytes, ok, ...errorOf(scan) });
    }
    return { ...base, has_manifest: true, valid: files.every((f) => f.ok), files };
  }

  private async verifyLegacy(store: BackupStore, location: StoreLocation, request: VerifyRequest): Promise<VerifiedFile[]> {
    const found = await Promise.all(
      VECTOR_TABLES.map(async (table) => {
        for (const name of backupFileNames(table, request.timestamp)) {
          if ((await store.stat(location, name)) !== null) return { table, file: name };
        }
        return { table, file: null };
      }),
    );
    if (found.every((f) => f.file === null)) throw setNotFound(request.backupPath, request.timestamp);
    const files: VerifiedFile[] = [];
    for (const { table, file } of found) {
      const none = { table, expected_sha256: null, rows_expected: null, bytes_expected: null };
      const scan = file === null ? null : await scanFile(store, location, file, 'parse', request.signal);
      if (file === null || scan === null) {
        const name = file ?? `${table}_${request.timestamp}.csv`;
        files.push({ file: name, ...none, actual_sha256: null, rows_found: null, bytes_found: null, ok: false, parses: false, error: '文件不存在' });
        continue;
      }
      const parses = scan.error === undefined;
      files.push({ file, ...none, actual_sha256: scan.sha256, rows_found: scan.rows, bytes_found: scan.bytes, ok: parses, parses, ...errorOf(scan) });
    }
    return files;
  }
}

interface Scan {
  sha256: string | null;
  bytes: number;
  rows: number | null;
  error?: string;
}

/**
 * One read of a file: hash of the stored bytes, then (gunzipped) either the quote-aware record
 * count (`count`, the fast path for sets with a manifest) or a full CSV parse (`parse`, for legacy
 * files, where "does it parse" is the question). Rows exclude the header line. A binary COPY file
 * (`.bin`) is walked tuple by tuple in either mode: that both counts and checks it.
 */
async function scanFile(store: BackupStore, location: StoreLocation, name: string, mode: 'count' | 'parse', signal: AbortSignal | undefined): Promise<Scan | null> {
  const opened = await store.openRead(location, name);
  if (opened === null) return null;
  const tap = createSha256Tap();
  const counter = createCsvRecordCounter();
  const tuples = formatOfFile(name) === 'binary' ? createBinaryCopyCounter() : null;
  let parsedRecords = 0;
  const tail = tuples
    ? [tuples, discard()]
    : mode === 'count'
      ? [counter, discard()]
      : [
          createCsvParser(),
          new Writable({ objectMode: true, write: (_record, _encoding, callback) => ((parsedRecords += 1), callback()) }),
        ];
  const stages = [opened.stream, tap, ...(name.endsWith('.gz') ? [createGunzip()] : []), ...tail];
  try {
    await pipeline(stages as NodeJS.ReadableStream[], { signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError' || err instanceof BackupStoreUnavailableError) throw err;
    // A file that breaks the CSV or gzip stream is still hashed (the tap stopped early), so the
    // reply shows that it differs from the manifest, not only that it failed.
    return { sha256: await sha256OfStored(store, location, name).catch(() => null), bytes: opened.size, rows: null, error: (err as Error).message };
  }
  if (tuples) {
    const error = tuples.error();
    return { sha256: tap.sha256(), bytes: tap.bytes(), rows: tuples.tuples(), ...(error === null ? {} : { error }) };
  }
  const records = mode === 'count' ? counter.records() : parsedRecords;
  const scan: Scan = { sha256: tap.sha256(), bytes: tap.bytes(), rows: Math.max(records - 1, 0) };
  if (mode === 'count' && counter.unterminatedQuote()) scan.error = '文件在引号字段内结束 (文件被截断或损坏)';
  return scan;
}

async function sha256OfStored(store: BackupStore, location: StoreLocation, name: string): Promise<string | null> {
  const opened = await store.openRead(location, name);
  if (opened === null) return null;
  const tap = createSha256Tap();
  await pipeline(opened.stream, tap, discard());
  return tap.sha256();
}

function errorOf(scan: Scan): { error?: string } {
  return scan.error === undefined ? {} : { error: scan.error };
}
