import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AppError, ERROR_TYPES, NotFoundError } from '../../errors.js';
import { isDirectory, type DataRoot } from '../../lib/data-root.js';
import { createBinaryCopyCounter } from '../../streams/binary-copy-counter.js';
import { createCsvRecordCounter } from '../../streams/csv-record-counter.js';
import { createCsvParser } from '../../streams/csv-rows.js';
import { createSha256Tap } from '../../streams/sha256-tap.js';
import type { BackupCatalog } from './backup-catalog.js';
import { readManifest, type BackupManifest } from './backup-manifest.js';
import { sha256OfFile } from '../restore/restore-checksum.js';
import { formatOfFile, VECTOR_TABLES } from './set-naming.js';

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
  timestamp: string;
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
 * they hold. Never holds a file in memory.
 */
export class BackupVerifier {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly catalog: BackupCatalog,
  ) {}

  async verify(request: VerifyRequest): Promise<VerifyResult> {
    const resolved = this.dataRoot.resolveUserPath(request.backupPath, 'backup_path');
    const dir = await this.dataRoot.realInside(resolved, 'backup_path');
    if (dir === null || !isDirectory(dir)) throw new NotFoundError(`备份目录不存在: ${request.backupPath}`);
    const base = { backup_path: request.backupPath, timestamp: request.timestamp };
    let manifest: BackupManifest | null;
    try {
      manifest = await readManifest(dir, request.timestamp);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { ...base, has_manifest: true, valid: false, files: [], manifest_error: err.message };
    }
    if (manifest === null) return { ...base, has_manifest: false, valid: null, files: await this.verifyLegacy(dir, request) };
    const files: VerifiedFile[] = [];
    for (const entry of manifest.tables) {
      const expected = { table: entry.table, expected_sha256: entry.sha256, rows_expected: entry.rows, bytes_expected: entry.bytes };
      const file = await this.setFile(dir, entry.file);
      if (file === null) {
        files.push({ file: entry.file, ...expected, actual_sha256: null, rows_found: null, bytes_found: null, ok: false, error: '文件不存在' });
        continue;
      }
      const scan = await scanFile(file, 'count', request.signal);
      const ok = scan.error === undefined && scan.sha256 === entry.sha256 && scan.rows === entry.rows;
      files.push({ file: entry.file, ...expected, actual_sha256: scan.sha256, rows_found: scan.rows, bytes_found: scan.bytes, ok, ...errorOf(scan) });
    }
    return { ...base, has_manifest: true, valid: files.every((f) => f.ok), files };
  }

  private async verifyLegacy(dir: string, request: VerifyRequest): Promise<VerifiedFile[]> {
    const found = await Promise.all(VECTOR_TABLES.map(async (table) => ({ table, file: await this.catalog.findFile(dir, table, request.timestamp) })));
    if (found.every((f) => f.file === null)) throw new NotFoundError(`备份集不存在: ${request.backupPath} ${request.timestamp}`, ERROR_TYPES.FILE_NOT_FOUND);
    const files: VerifiedFile[] = [];
    for (const { table, file } of found) {
      const none = { table, expected_sha256: null, rows_expected: null, bytes_expected: null };
      if (file === null) {
        const name = `${table}_${request.timestamp}.csv`;
        files.push({ file: name, ...none, actual_sha256: null, rows_found: null, bytes_found: null, ok: false, parses: false, error: '文件不存在' });
        continue;
      }
      const scan = await scanFile(file, 'parse', request.signal);
      const parses = scan.error === undefined;
      files.push({ file: path.basename(file), ...none, actual_sha256: scan.sha256, rows_found: scan.rows, bytes_found: scan.bytes, ok: parses, parses, ...errorOf(scan) });
    }
    return files;
  }

  /** A file the manifest names, as a regular file inside the data root; null when absent. */
  private async setFile(dir: string, name: string): Promise<string | null> {
    const real = await this.dataRoot.realInside(path.join(dir, name)).catch(() => null);
    if (real === null) return null;
    return (await fsp.stat(real).catch(() => null))?.isFile() ? real : null;
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
async function scanFile(file: string, mode: 'count' | 'parse', signal: AbortSignal | undefined): Promise<Scan> {
  const tap = createSha256Tap();
  const counter = createCsvRecordCounter();
  const tuples = formatOfFile(file) === 'binary' ? createBinaryCopyCounter() : null;
  let parsedRecords = 0;
  const tail = tuples
    ? [tuples, discard()]
    : mode === 'count'
      ? [counter, discard()]
      : [
          createCsvParser(),
          new Writable({ objectMode: true, write: (_record, _encoding, callback) => ((parsedRecords += 1), callback()) }),
        ];
  const stages = [fs.createReadStream(file, { highWaterMark: 256 * 1024 }), tap, ...(file.endsWith('.gz') ? [createGunzip()] : []), ...tail];
  try {
    await pipeline(stages as NodeJS.ReadableStream[], { signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    // A file that breaks the CSV or gzip stream is still hashed (the tap stopped early), so the
    // reply shows that it differs from the manifest, not only that it failed.
    return { sha256: await sha256OfFile(file).catch(() => null), bytes: (await fsp.stat(file)).size, rows: null, error: (err as Error).message };
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

function errorOf(scan: Scan): { error?: string } {
  return scan.error === undefined ? {} : { error: scan.error };
}
