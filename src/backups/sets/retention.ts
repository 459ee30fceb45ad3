import { NotFoundError } from '../../errors.js';
import { fileTimestampToDateTime } from '../../lib/time.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { backupLocation, setLocation } from './set-lookup.js';
import { manifestFileName, parseBackupFileName, setTimestampOf, VECTOR_TABLES } from './set-naming.js';

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
 * Deleting sets and retention, through the backup store. A set is its data files and its manifest;
 * the backup log of the location stays (it is the history of every run). On the local store only
 * regular files inside the root are counted and removed (unlink removes a name, never a target).
 */
export class BackupRetention {
  constructor(private readonly store: BackupStore) {}

  /** Deletes one set; 404 when the location or the set does not exist. */
  async deleteSet(backupPath: string, timestamp: string): Promise<{ backup_path: string; timestamp: string; deleted_files: string[] }> {
    const location = await setLocation(this.store, backupPath);
    const deleted = await deleteStoredSet(this.store, location, timestamp);
    if (deleted.length === 0) throw new NotFoundError(`备份集不存在: ${backupPath} ${timestamp}`);
    return { backup_path: backupPath, timestamp, deleted_files: deleted };
  }

  /** Applies a retention policy to one location: a `backup_path`, a task's `vector_bak/`, or the global one. */
  async prune(request: PruneRequest): Promise<PruneResult> {
    const location =
      request.backupPath !== undefined ? await setLocation(this.store, request.backupPath) : await backupLocation(this.store, request.taskId);
    const backupPath = request.backupPath ?? location.relativePath;
    const stamps = setStamps(await this.store.list(location), !this.store.listsLegacySets);
    const doomed = selectExpired(stamps, request);
    const deleted: PrunedSet[] = [];
    for (const stamp of doomed) {
      const files = await deleteStoredSet(this.store, location, stamp);
      if (files.length > 0) deleted.push({ timestamp: stamp, backup_date: fileTimestampToDateTime(stamp), deleted_files: files });
    }
    return { backup_path: backupPath, kept: stamps.filter((s) => !doomed.includes(s)), deleted };
  }
}

/**
 * Stamps of the complete sets (both table files; with `requireManifest`, also the manifest, the
 * commit marker of a store without legacy sets) among a location's files, newest first.
 */
export function setStamps(files: readonly { name: string }[], requireManifest: boolean): string[] {
  const names = new Set(files.map((f) => f.name));
  const byStamp = new Map<string, Set<string>>();
  for (const { name } of files) {
    const parsed = parseBackupFileName(name);
    if (parsed) byStamp.set(parsed.timestamp, (byStamp.get(parsed.timestamp) ?? new Set()).add(parsed.table));
  }
  return [...byStamp]
    .filter(([stamp, tables]) => VECTOR_TABLES.every((t) => tables.has(t)) && (!requireManifest || names.has(manifestFileName(stamp))))
    .map(([s]) => s)
    .sort()
    .reverse();
}

/** A set's files, manifest first: deleting in this order un-commits the set before its data goes. */
function setFilesManifestFirst(names: readonly string[], timestamp: string): string[] {
  return names
    .filter((name) => setTimestampOf(name) === timestamp)
    .sort((a, b) => Number(b === manifestFileName(timestamp)) - Number(a === manifestFileName(timestamp)));
}

/**
 * Removes one set from a store: the manifest first (the set stops being committed), then the data
 * files. A crash in between leaves at worst a set without manifest (locally listed as legacy and
 * deletable again; on S3 no longer listed), never a manifest naming missing files.
 */
export async function deleteStoredSet(store: BackupStore, location: StoreLocation, timestamp: string): Promise<string[]> {
  const names = (await store.list(location)).map((f) => f.name);
  return store.delete(location, setFilesManifestFirst(names, timestamp));
}

/** `keep_last` of a backup: applied through the store to its own location once it has succeeded. */
export async function applyKeepLast(store: BackupStore, location: StoreLocation, keepLast: number): Promise<PrunedSet[]> {
  const stamps = setStamps(await store.list(location), !store.listsLegacySets);
  const out: PrunedSet[] = [];
  for (const stamp of selectExpired(stamps, { keepLast })) {
    const files = await deleteStoredSet(store, location, stamp);
    if (files.length > 0) out.push({ timestamp: stamp, backup_date: fileTimestampToDateTime(stamp), deleted_files: files });
  }
  return out;
}

/** The stamps `keep_last` would delete once one more set exists (a dry run's answer). */
export async function applyKeepLastPreview(store: BackupStore, location: StoreLocation, keepLast: number): Promise<string[]> {
  const stamps = setStamps(await store.list(location), !store.listsLegacySets);
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

function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp)!;
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime();
}
