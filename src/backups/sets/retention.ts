import fsp from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../errors.js';
import { isDirectory, type DataRoot } from '../../lib/data-root.js';
import { openFile, syncDirectory, type OpenFile } from '../../lib/durable-dir.js';
import { fileTimestampToDateTime } from '../../lib/time.js';
import { backupDirOf, manifestFileName, parseBackupFileName, setTimestampOf, VECTOR_TABLES } from './set-naming.js';

export interface RetentionPolicy {
  /** Keep the newest N sets of the location (N ≥ 1). */
  keepLast?: number;
  /** Only sets older than this many days (by the stamp in their name) may go. */
  olderThanDays?: number;
}

export interface PrunedSet {
  timestamp: string;
  backup_date: string;
  deleted_files: string[];
}

export interface PruneResult {
  backup_path: string;
  kept: string[];
  deleted: PrunedSet[];
}

export interface PruneRequest extends RetentionPolicy {
  backupPath?: string;
  taskId?: string;
}

/**
 * Deleting sets and retention. A set is its data files and its manifest; the backup log of the
 * location stays (it is the history of every run). Only regular files are counted and removed: a
 * symlink placed in a backup directory is never followed (unlink removes a name, never a target).
 */
export class BackupRetention {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly open: OpenFile = openFile,
  ) {}

  /** Deletes one set; 404 when the directory or the set does not exist. */
  async deleteSet(backupPath: string, timestamp: string): Promise<{ backup_path: string; timestamp: string; deleted_files: string[] }> {
    const dir = await this.existingDir(backupPath);
    const deleted = await deleteSetFiles(dir, timestamp, this.open);
    if (deleted.length === 0) throw new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`);
    return { backup_path: backupPath, timestamp, deleted_files: deleted };
  }

  /** Applies a retention policy to one location: a `backup_path`, a task's `vector_bak/`, or the global one. */
  async prune(request: PruneRequest): Promise<PruneResult> {
    let dir: string | null;
    if (request.backupPath !== undefined) {
      dir = await this.existingDir(request.backupPath);
    } else if (request.taskId !== undefined) {
      const taskDir = await this.dataRoot.realTaskDir(request.taskId);
      if (taskDir === null) throw new NotFoundError(`指定的任务目录不存在: ${request.taskId}`);
      dir = await this.dataRoot.realInside(backupDirOf(taskDir), 'task_id');
    } else {
      dir = await this.dataRoot.realInside(backupDirOf(this.dataRoot.dir));
    }
    const location = this.dataRoot.relativeToCwd(dir ?? backupDirOf(this.dataRoot.dir));
    if (dir === null) return { backup_path: request.backupPath ?? location, kept: [], deleted: [] };
    const stamps = await listSetStamps(dir);
    const doomed = new Set(selectExpired(stamps, request));
    const deleted = await deleteSets(dir, [...doomed], this.open);
    return { backup_path: request.backupPath ?? location, kept: stamps.filter((s) => !doomed.has(s)), deleted };
  }

  private async existingDir(backupPath: string): Promise<string> {
    const resolved = this.dataRoot.resolveUserPath(backupPath, 'backup_path');
    const real = await this.dataRoot.realInside(resolved, 'backup_path');
    if (real === null || !isDirectory(real)) throw new NotFoundError(`备份目录不存在: ${backupPath}`);
    return real;
  }
}

/** `keep_last` of a backup: applied to its own location once it has succeeded. */
export async function applyKeepLast(dir: string, keepLast: number, open: OpenFile = openFile): Promise<PrunedSet[]> {
  const stamps = await listSetStamps(dir);
  return deleteSets(dir, selectExpired(stamps, { keepLast }), open);
}

/** The stamps `keep_last` would delete once one more set exists (a dry run's answer). */
export async function applyKeepLastPreview(dir: string, keepLast: number): Promise<string[]> {
  const stamps = await listSetStamps(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return selectExpired(['<new>', ...stamps], { keepLast }).filter((s) => s !== '<new>');
}

/**
 * The sets to delete, from stamps sorted newest first: those outside the newest `keepLast` (when
 * given) and older than `olderThanDays` (when given). Age is the stamp in the set's name (local
 * time, as written), not the file's mtime: a copied or restored-from-archive set keeps its age.
 */
export function selectExpired(stampsNewestFirst: readonly string[], policy: RetentionPolicy, now: Date = new Date()): string[] {
  const cutoff = policy.olderThanDays === undefined ? null : now.getTime() - policy.olderThanDays * 86_400_000;
  return stampsNewestFirst.filter((stamp, index) => {
    const outsideNewest = policy.keepLast === undefined || index >= policy.keepLast;
    const oldEnough = cutoff === null || stampTime(stamp) < cutoff;
    return outsideNewest && oldEnough;
  });
}

/** Stamps of the complete sets (both table files) in `dir`, newest first; legacy sets included. */
export async function listSetStamps(dir: string): Promise<string[]> {
  const byStamp = new Map<string, Set<string>>();
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const parsed = entry.isFile() ? parseBackupFileName(entry.name) : null;
    if (!parsed) continue;
    byStamp.set(parsed.timestamp, (byStamp.get(parsed.timestamp) ?? new Set()).add(parsed.table));
  }
  return [...byStamp].filter(([, tables]) => VECTOR_TABLES.every((t) => tables.has(t))).map(([s]) => s).sort().reverse();
}

/**
 * Removes the files of one set: the manifest first (the set stops being committed), then the data
 * files, then syncs the directory. A crash in between leaves at worst a set without manifest
 * (listed as legacy, still restorable, deletable again), never a manifest naming missing files.
 */
export async function deleteSetFiles(dir: string, timestamp: string, open: OpenFile = openFile): Promise<string[]> {
  const names = (await fsp.readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && setTimestampOf(e.name) === timestamp)
    .map((e) => e.name)
    .sort((a, b) => Number(b === manifestFileName(timestamp)) - Number(a === manifestFileName(timestamp)));
  const deleted: string[] = [];
  for (const name of names) {
    const gone = await fsp.unlink(path.join(dir, name)).then(
      () => true,
      // A concurrent delete of the same set got there first.
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    if (gone) deleted.push(name);
  }
  if (deleted.length > 0) await syncDirectory(dir, open);
  return deleted;
}

async function deleteSets(dir: string, stamps: readonly string[], open: OpenFile): Promise<PrunedSet[]> {
  const out: PrunedSet[] = [];
  for (const stamp of stamps) {
    const files = await deleteSetFiles(dir, stamp, open);
    if (files.length > 0) out.push({ timestamp: stamp, backup_date: fileTimestampToDateTime(stamp), deleted_files: files });
  }
  return out;
}

function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp)!;
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
}
