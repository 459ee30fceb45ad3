import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ERROR_TYPES, UnprocessableError } from '../../errors.js';
import { openFile, syncDirectory, type OpenFile } from '../../lib/durable-dir.js';
import { readStoreText, type BackupStore, type StoreLocation } from '../stores/backup-store.js';
import { manifestFileName, parseBackupFileName } from './set-naming.js';

export const MANIFEST_FORMAT_VERSION = 1;

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** One table file of a set, with what a restore or verify checks it against. */
const ManifestTable = z.object({
  table: z.string(),
  file: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  vector_dimension: z.number().int().nullable(),
  indexes: z.array(z.string()),
});

/** The manifest as read back: extra fields of later versions are kept, not refused. */
export const BackupManifestSchema = z.looseObject({
  format_version: z.number().int(),
  created_at: z.string(),
  label: z.string().nullable(),
  source: z.object({
    database: z.string().nullable(),
    host: z.string().nullable(),
    server_version: z.string().nullable(),
    pgvector_version: z.string().nullable(),
  }),
  format: z.string(),
  compression: z.enum(COMPRESSIONS),
  tables: z.array(ManifestTable),
  collections: z.array(z.object({ uuid: z.string(), name: z.string(), rows: z.number().int().nonnegative() })),
});

export type BackupManifest = z.infer<typeof BackupManifestSchema>;
export type ManifestTableEntry = z.infer<typeof ManifestTable>;

/**
 * Writes the manifest durably as the set's commit marker: temp file, fdatasync, rename, then an
 * fsync of the directory (the rename is only durable once the directory entry is). The caller has
 * already synced the data files and their names, so a manifest on disk always describes files that
 * are complete on disk; a crash before the rename leaves a set without manifest, never a manifest
 * naming bytes that were lost.
 */
export async function writeManifest(dir: string, timestamp: string, manifest: BackupManifest, open: OpenFile = openFile): Promise<string> {
  const name = manifestFileName(timestamp);
  const tmp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, path.join(dir, name));
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await syncDirectory(dir, open);
  return name;
}

/**
 * Writes the manifest through a backup store, after the set's data files are committed there: the
 * local store publishes it fsynced with its directory entry (as writeManifest), the S3 store as one
 * object that exists only once whole. Either way it is the set's commit marker.
 */
export async function writeStoredManifest(store: BackupStore, location: StoreLocation, timestamp: string, manifest: BackupManifest): Promise<string> {
  const name = manifestFileName(timestamp);
  const write = await store.createWrite(location, name);
  try {
    await pipeline(Readable.from([Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8')]), write.stream);
    await write.commit();
  } catch (err) {
    await write.abort();
    throw err;
  }
  return name;
}

/**
 * The manifest of the set `timestamp` in `dir` (a real directory inside the data root), or null for
 * a set without one (the original's legacy sets). A manifest that is a symlink is refused like an
 * absent one would not be: it could point anywhere, so it is read as unusable (422).
 */
export async function readManifest(dir: string, timestamp: string): Promise<BackupManifest | null> {
  const file = path.join(dir, manifestFileName(timestamp));
  const stat = await fsp.lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (stat === null) return null;
  if (!stat.isFile()) throw unusable(timestamp, '不是普通文件');
  return parseManifest(await fsp.readFile(file, 'utf8'), timestamp);
}

/** The manifest of a set in a backup store (either kind), or null when the set has none. */
export async function readStoredManifest(store: BackupStore, location: StoreLocation, timestamp: string): Promise<BackupManifest | null> {
  const text = await readStoreText(store, location, manifestFileName(timestamp));
  return text === null ? null : parseManifest(text, timestamp);
}

/** Checks a manifest's text: JSON, the schema, and file names that belong to the set (422 otherwise). */
export function parseManifest(text: string, timestamp: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw unusable(timestamp, '不是有效的 JSON', err);
  }
  const parsed = BackupManifestSchema.safeParse(json);
  if (!parsed.success) throw unusable(timestamp, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  // File names become paths: only the set's own data file names, never a path or another set's file.
  for (const entry of parsed.data.tables) {
    const name = parseBackupFileName(entry.file);
    if (name?.timestamp !== timestamp || name.table !== entry.table) throw unusable(timestamp, `文件名 ${entry.file} 不属于该备份集`);
  }
  return parsed.data;
}

const unusable = (timestamp: string, why: string, cause?: unknown) =>
  new UnprocessableError(`备份清单 ${manifestFileName(timestamp)} 无法使用: ${why}`, ERROR_TYPES.VECTOR_RESTORE_FAILED, { cause });
