import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { cachedProbe } from '../../lib/cached-probe.js';
import { isDirectory, type DataRoot } from '../../lib/data-root.js';
import { openFile, syncDirectory, type OpenFile } from '../../lib/durable-dir.js';
import { probeWritableDir } from '../../lib/writable-probe.js';
import { createDurableFileSink } from '../../streams/durable-file-sink.js';
import { groupByStamp, pendingStampOf } from '../sets/set-naming.js';
import {
  assertFileName,
  type BackupLocations,
  type BackupStore,
  type ListedLocation,
  type OpenedStoreFile,
  type OpenUpload,
  type PendingStoreWrite,
  type StoreHealth,
  type StoreLocation,
  type StoredFile,
} from './backup-store.js';

/** Directories whose vector_bak/ holds task backups (API tasks and the CLI's manual runs). */
export const TASK_DIR_PATTERN = /^(task|manual)_/;

/** How long the write probe of /health is reused. */
const HEALTH_PROBE_TTL_MS = 5000;
/** Names a writer is still producing (`.x.<uuid>.tmp`, `….csv.tmp`): never listed. */
const isPending = (name: string) => name.startsWith('.') || name.endsWith('.tmp');

/**
 * Backup sets on the data root (today's behaviour). Every path is built from a validated location
 * and checked at use on its real path: a vector_bak/ or file linked out of the root is neither
 * listed, read, written nor deleted through (a location linked out → 400). Writes go to a hidden
 * temp file, are fsynced, and are published with link(2), which never replaces an existing name.
 */
export class LocalBackupStore implements BackupStore {
  readonly kind = 'local';
  readonly listsLegacySets = true;
  readonly name: string;
  private readonly dataRoot: DataRoot;

  constructor(
    readonly locations: BackupLocations,
    private readonly open: OpenFile = openFile,
    /** Background fdatasync interval of written files, bytes (the sink's default: 32 MiB). */
    private readonly syncEveryBytes?: number,
  ) {
    this.dataRoot = locations.dataRoot;
    this.name = this.dataRoot.relativeToCwd(this.dataRoot.dir);
  }

  async listLocations(): Promise<ListedLocation[]> {
    const entries = await fsp.readdir(this.dataRoot.dir, { withFileTypes: true }).catch(() => []);
    const taskDirs = entries
      .filter((e) => e.isDirectory() && TASK_DIR_PATTERN.test(e.name))
      .map((e) => e.name)
      .sort()
      .reverse();
    return [
      { type: 'global', location: this.locations.global() },
      ...taskDirs.map((name) => ({ type: 'task' as const, taskId: name, location: this.locations.fromKey(`${name}/vector_bak`) })),
    ];
  }

  async exists(location: StoreLocation): Promise<boolean> {
    return (await this.dirOf(location)) !== null;
  }

  async list(location: StoreLocation): Promise<StoredFile[]> {
    const dir = await this.dirOf(location);
    if (dir === null) return [];
    const files: StoredFile[] = [];
    for (const name of (await fsp.readdir(dir).catch(() => [] as string[])).sort()) {
      if (isPending(name)) continue;
      const file = await this.fileStat(path.join(dir, name));
      if (file) files.push({ name, size: file.size, mtime: file.mtime });
    }
    return files;
  }

  async stat(location: StoreLocation, name: string): Promise<StoredFile | null> {
    const dir = await this.dirOf(location);
    const file = dir === null ? null : await this.fileStat(path.join(dir, assertFileName(name)));
    return file && { name, size: file.size, mtime: file.mtime };
  }

  async openRead(location: StoreLocation, name: string): Promise<OpenedStoreFile | null> {
    const dir = await this.dirOf(location);
    const file = dir === null ? null : await this.fileStat(path.join(dir, assertFileName(name)));
    if (file === null) return null;
    const handle = await fsp.open(file.real, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (handle === null) return null;
    // The size of what was opened (a set deleted or replaced meanwhile still reads whole).
    const stat = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    return { name, size: stat.size, mtime: stat.mtime, stream: handle.createReadStream({ highWaterMark: 256 * 1024 }) };
  }

  /** The location's real directory, created (and synced) when missing; linked out of the root → 400. */
  ensureDir(location: StoreLocation, paramName = 'backup_path'): Promise<string> {
    return this.dataRoot.ensureDir(this.dataRoot.absoluteOf(location.key), paramName, this.open);
  }

  async createWrite(location: StoreLocation, name: string): Promise<PendingStoreWrite> {
    const dir = await this.ensureDir(location);
    const target = path.join(dir, assertFileName(name));
    const tmp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
    const sink = createDurableFileSink(tmp, { open: this.open, syncEveryBytes: this.syncEveryBytes });
    const removeTmp = () => fsp.rm(tmp, { force: true });
    return {
      stream: sink,
      commit: async () => {
        try {
          await finished(sink);
          await fsp.link(tmp, target);
        } finally {
          await removeTmp();
        }
        await syncDirectory(dir, this.open);
      },
      abort: async () => {
        sink.destroy();
        await finished(sink).catch(() => undefined);
        await removeTmp();
      },
    };
  }

  async delete(location: StoreLocation, names: readonly string[]): Promise<string[]> {
    const dir = await this.dirOf(location);
    if (dir === null) return [];
    const deleted: string[] = [];
    for (const name of names) {
      // unlink removes a name, never a symlink's target.
      const gone = await fsp.unlink(path.join(dir, assertFileName(name))).then(
        () => true,
        // A concurrent delete of the same set got there first.
        (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        },
      );
      if (gone) deleted.push(name);
    }
    if (deleted.length > 0) await syncDirectory(dir, this.open);
    return deleted;
  }

  async leftovers(location: StoreLocation): Promise<Map<string, string[]>> {
    const dir = await this.dirOf(location);
    return groupByStamp(dir === null ? [] : await fsp.readdir(dir).catch(() => [] as string[]), pendingStampOf);
  }

  /** Local writes are temp files: there is no upload to leave open. */
  async openUploads(): Promise<OpenUpload[]> {
    return [];
  }

  /** Cached briefly: /health is polled and each probe writes a file. */
  readonly health = cachedProbe(HEALTH_PROBE_TTL_MS, async (): Promise<StoreHealth> => ({
    ...(await probeWritableDir(this.dataRoot.dir)),
    kind: 'local',
    path: this.name,
  }));

  /** The real directory of a location; null when absent; a location linked out of the root → 400. */
  async dirOf(location: StoreLocation): Promise<string | null> {
    const real = await this.dataRoot.realInside(this.dataRoot.absoluteOf(location.key), 'backup_path');
    return real !== null && isDirectory(real) ? real : null;
  }

  /** A regular file whose real path is inside the root; null otherwise (links out are ignored like absent files). */
  private async fileStat(file: string): Promise<{ real: string; size: number; mtime: Date } | null> {
    const real = await this.dataRoot.realInside(file).catch(() => null);
    if (real === null) return null;
    const stat = await fsp.stat(real).catch(() => null);
    return stat?.isFile() ? { real, size: stat.size, mtime: stat.mtime } : null;
  }
}
