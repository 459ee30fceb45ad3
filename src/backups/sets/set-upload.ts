import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { AppError, ConflictError, ERROR_TYPES, ValidationError } from '../../errors.js';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import type { DataRoot } from '../../lib/data-root.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { LocalBackupStore } from '../stores/local-backup-store.js';
import { readManifest } from './backup-manifest.js';
import type { BackupVerifier, VerifiedFile } from './backup-verifier.js';
import { backupLocation } from './set-lookup.js';
import { holdSetStamp } from './stamp-reservation.js';
import { isFileOfSet, manifestFileName, parseBackupFileName, setTimestampOf, VECTOR_TABLES } from './set-naming.js';

export interface UploadResult {
  backup_path: string;
  /** `backup_timestamp` as in the backup reply: the envelope's own `timestamp` is the reply time. */
  backup_timestamp: string;
  files: { file: string; bytes: number }[];
  has_manifest: true;
}

/** Staging directories live in the data root (never a task id, so never listed); uploads are checked there. */
const STAGING_PREFIX = '.staging_';

/** The directory entry `tar -C dir -cf x.tar .` writes first. */
const CURRENT_DIR = new Set(['.', './']);
/** `./name` → `name` (one leading `./` only: what is left must still be a set file's bare name). */
const withoutDotSlash = (name: string) => (name.startsWith('./') ? name.slice(2) : name);

const badArchive = (why: string, cause?: unknown, data?: Record<string, unknown>) =>
  new ValidationError(`上传的备份归档无效: ${why}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['file'], cause, ...(data ? { data } : {}) });

/**
 * Upload of a set as one tar (SPEC §7 "Upload"): the archive is unpacked, streamed entry by entry,
 * into a local staging directory, checked against its manifest (every file's SHA-256 and rows),
 * then published into the backup store: each data file is written through the store (visible only
 * once whole), the manifest last, as for a backup: it is the set's commit marker. The local store
 * never replaces an existing name (two uploads of one stamp cannot overwrite each other); on S3 the
 * stamp is checked just before publishing. Any failure removes the staging directory and whatever
 * was already published.
 */
export class BackupSetUpload {
  private readonly staged: LocalBackupStore;

  constructor(
    private readonly dataRoot: DataRoot,
    private readonly verifier: BackupVerifier,
    private readonly store: BackupStore,
    /** The app database, where a stamp being published is claimed (stamp-reservation.ts). */
    private readonly databases: DatabaseRegistry,
  ) {
    this.staged = new LocalBackupStore(store.locations);
  }

  async upload(tarFile: string, taskId?: string): Promise<UploadResult> {
    const location = await backupLocation(this.store, taskId);
    const staging = await fsp.mkdtemp(path.join(this.dataRoot.dir, STAGING_PREFIX));
    try {
      const { timestamp, files } = await this.extract(tarFile, staging, location);
      await this.check(staging, timestamp, files);
      await this.publish(staging, location, timestamp, files);
      const sizes = await Promise.all(files.map(async (file) => ({ file, bytes: (await fsp.stat(path.join(staging, file))).size })));
      return { backup_path: location.relativePath, backup_timestamp: timestamp, files: sizes, has_manifest: true };
    } finally {
      await fsp.rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Streams the entries into `staging`. Only regular files named as files of one set are accepted:
   * no directories, links, devices or paths (a name is a single path component matching the set
   * naming patterns, so nothing can be written outside `staging`). The one exception is the form
   * `tar -C dir -cf x.tar .` writes: a `./` directory entry (skipped) and `./<name>` files (read
   * as `<name>`; `./../x`, `./sub/x` stay refused, being no set file's name). The stamp is checked against
   * the target on the first entry, so a conflicting upload stops before writing its data.
   */
  private async extract(tarFile: string, staging: string, location: StoreLocation): Promise<{ timestamp: string; files: string[] }> {
    const extract = tar.extract();
    const feeding = pipeline(fs.createReadStream(tarFile), extract);
    let timestamp: string | null = null;
    const files: string[] = [];
    try {
      for await (const entry of extract) {
        const { type } = entry.header;
        if (type === 'directory' && CURRENT_DIR.has(entry.header.name)) {
          entry.resume(); // `tar -C dir -cf x.tar .` starts with the directory itself: nothing to write
          continue;
        }
        const name = withoutDotSlash(entry.header.name);
        const stamp = setTimestampOf(name);
        if (type !== 'file') throw badArchive(`条目 ${name} 不是普通文件 (${type})，只接受备份集文件`);
        if (stamp === null) throw badArchive(`条目 ${name} 不是备份集文件 (应为 langchain_pg_*_<时间戳>.csv[.gz] 或 backup_manifest_<时间戳>.json)`);
        if (timestamp === null) {
          timestamp = stamp;
          await this.assertFree(location, stamp);
        } else if (stamp !== timestamp) {
          throw badArchive(`归档包含多个备份集 (${timestamp}, ${stamp})，一次只能上传一个`);
        }
        if (files.includes(name)) throw badArchive(`条目 ${name} 重复`);
        files.push(name);
        await pipeline(entry, fs.createWriteStream(path.join(staging, name), { flags: 'wx' }));
      }
      await feeding;
    } catch (err) {
      extract.destroy();
      await feeding.catch(() => undefined);
      if (err instanceof AppError || (err as NodeJS.ErrnoException).syscall !== undefined) throw err;
      throw badArchive(`不是完整的 tar 归档 (${(err as Error).message})`, err);
    }
    if (timestamp === null) throw badArchive('归档中没有任何文件');
    return { timestamp, files };
  }

  /** A manifest is required, must name exactly the data files uploaded, and every file must match it. */
  private async check(staging: string, timestamp: string, files: readonly string[]): Promise<void> {
    if (!files.includes(manifestFileName(timestamp))) throw badArchive(`缺少备份清单 ${manifestFileName(timestamp)}，上传的备份集必须带清单`);
    let manifest;
    try {
      manifest = await readManifest(staging, timestamp);
    } catch (err) {
      if (err instanceof AppError) throw badArchive(err.message, err);
      throw err;
    }
    const named = new Set(manifest!.tables.map((t) => t.file));
    const dataFiles = files.filter((f) => parseBackupFileName(f) !== null);
    const extra = dataFiles.filter((f) => !named.has(f));
    if (extra.length > 0) throw badArchive(`文件 ${extra.join(', ')} 不在清单中`);
    const missingTables = VECTOR_TABLES.filter((t) => !manifest!.tables.some((e) => e.table === t));
    if (missingTables.length > 0) throw badArchive(`清单缺少表 ${missingTables.join(', ')}`);
    const stagedAt = this.staged.locations.fromKey(this.dataRoot.keyOf(staging));
    const result = await this.verifier.verifyIn(this.staged, stagedAt, { backupPath: stagedAt.relativePath, timestamp });
    if (result.valid !== true) {
      const failed = result.files.filter((f: VerifiedFile) => !f.ok);
      const why = failed.map((f) => `${f.file}: ${f.error ?? (f.actual_sha256 !== f.expected_sha256 ? 'SHA-256 不符' : '行数不符')}`).join('; ');
      throw badArchive(`与清单不符 (${why || result.manifest_error || '未知原因'})`, undefined, { files: result.files });
    }
  }

  /**
   * Writes the data files, then the manifest, holding the stamp as a backup does: a concurrent upload
   * or backup of the same stamp gets a 409, and the start-up sweep leaves the files alone.
   */
  private async publish(staging: string, location: StoreLocation, timestamp: string, files: readonly string[]): Promise<void> {
    const held = await holdSetStamp(this.store, location, timestamp, this.databases);
    if (held === null) throw exists(timestamp, location.relativePath);
    const manifest = manifestFileName(timestamp);
    const ordered = [...files.filter((f) => f !== manifest), manifest];
    const published: string[] = [];
    try {
      for (const name of ordered) {
        const write = await this.store.createWrite(location, name);
        try {
          await pipeline(fs.createReadStream(path.join(staging, name)), write.stream);
          await write.commit();
        } catch (err) {
          await write.abort();
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(timestamp, location.relativePath);
          throw err;
        }
        published.push(name);
      }
    } catch (err) {
      // The manifest is published last, so what is removed here was never a committed set.
      await this.store.delete(location, published.reverse()).catch(() => undefined);
      throw err;
    } finally {
      await held.release();
    }
  }

  /** 409 when any file of the stamp (a data file or a manifest) is already at the location. */
  private async assertFree(location: StoreLocation, timestamp: string): Promise<void> {
    const manifest = manifestFileName(timestamp);
    const taken = (n: string) => isFileOfSet(n, timestamp) || n === manifest;
    if ((await this.store.list(location)).some((f) => taken(f.name))) throw exists(timestamp, location.relativePath);
  }
}

const exists = (timestamp: string, location: string) =>
  new ConflictError(`备份集 ${timestamp} 已存在于 ${location}，请先删除它或换一个位置上传`, ERROR_TYPES.BACKUP_SET_EXISTS);
