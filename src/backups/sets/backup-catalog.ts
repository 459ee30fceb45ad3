import { formatSize } from '../../lib/format-size.js';
import { fileTimestampToDateTime, localIsoTimestamp } from '../../lib/time.js';
import { ValidationError } from '../../errors.js';
import { BackupLocations, type BackupStore, type ListedLocation, type OpenedStoreFile, type StoreLocation, type StoredFile } from '../stores/backup-store.js';
import { LocalBackupStore } from '../stores/local-backup-store.js';
import { BACKUP_LOG_NAME, backupFileNames, manifestFileName, parseBackupFileName, type VectorTable } from './set-naming.js';
import type { DataRoot } from '../../lib/data-root.js';
import { manifestSummary, type ManifestSummary } from './manifest-summary.js';

export interface BackupSetEntry extends ManifestSummary {
  timestamp: string;
  collection_file: string;
  embedding_file: string;
  collection_size: string;
  embedding_size: string;
  backup_date: string;
  has_log: boolean;
  log_file: string | null;
}

export interface BackupLocation {
  type: 'global' | 'task';
  task_id?: string;
  relative_path: string;
  backups: BackupSetEntry[];
}

export interface BackupListing {
  backup_locations: BackupLocation[];
  summary: {
    total_locations: number;
    total_backup_sets: number;
    global_backups: number;
    task_backups: number;
    scan_time: string;
  };
}

/**
 * Finds backup sets in the backup store. A set is a timestamp for which both table files exist
 * (and, on a store without legacy sets, its manifest: the commit marker written last); files
 * still being written are never listed by a store.
 */
export class BackupCatalog {
  /** The data root's own sets, for what stays local (task file listings, restore's file lookup). */
  private readonly local: LocalBackupStore;

  constructor(
    private readonly dataRoot: DataRoot,
    readonly store: BackupStore = new LocalBackupStore(new BackupLocations(dataRoot)),
  ) {
    this.local = new LocalBackupStore(store.locations);
  }

  async list(scope: { taskId?: string; globalOnly?: boolean }): Promise<BackupListing> {
    const locations = this.store.locations;
    const candidates: ListedLocation[] =
      scope.taskId !== undefined
        ? [{ type: 'task', taskId: scope.taskId, location: locations.task(scope.taskId) }]
        : scope.globalOnly
          ? [{ type: 'global', location: locations.global() }]
          : await this.store.listLocations();

    const listed: BackupLocation[] = [];
    for (const candidate of candidates) {
      // A vector_bak/ or task directory linked outside the root is not a location of this server.
      const files = await this.store.list(candidate.location).catch((err: unknown) => {
        if (err instanceof ValidationError) return null;
        throw err;
      });
      if (files === null) continue;
      const backups = await setsOf(this.store, candidate.location, files);
      if (backups.length === 0) continue;
      listed.push({
        type: candidate.type,
        ...(candidate.taskId !== undefined && candidate.type === 'task' ? { task_id: candidate.taskId } : {}),
        relative_path: candidate.location.relativePath,
        backups,
      });
    }
    const totalSets = listed.reduce((n, l) => n + l.backups.length, 0);
    const globalSets = listed.filter((l) => l.type === 'global').reduce((n, l) => n + l.backups.length, 0);
    return {
      backup_locations: listed,
      summary: {
        total_locations: listed.length,
        total_backup_sets: totalSets,
        global_backups: globalSets,
        task_backups: totalSets - globalSets,
        scan_time: localIsoTimestamp(),
      },
    };
  }

  /**
   * The complete sets of one local vector_bak/ directory (a real path inside the root), newest
   * first. Set files that are symlinks leading out of the root are ignored, like absent files.
   */
  async setsIn(dir: string): Promise<BackupSetEntry[]> {
    const location = this.local.locations.fromKey(this.dataRoot.keyOf(dir));
    return setsOf(this.local, location, await this.local.list(location));
  }

  /**
   * A task's vector_bak/ when the store is not the data root (S3): its committed files and complete
   * sets, for the task file listing. Null on the local store, where the task directory holds them.
   */
  async storedTaskBackups(taskId: string): Promise<{ files: StoredFile[]; sets: BackupSetEntry[] } | null> {
    if (this.store.kind === 'local') return null;
    const location = this.store.locations.task(taskId);
    const files = await this.store.list(location);
    return { files, sets: await setsOf(this.store, location, files) };
  }

  /** A file of a task's vector_bak/ in a store that is not the data root (S3); null when absent or local. */
  async openStoredTaskFile(taskId: string, name: string): Promise<OpenedStoreFile | null> {
    if (this.store.kind === 'local') return null;
    return this.store.openRead(this.store.locations.task(taskId), name);
  }

  /**
   * The file of `table` in a set, from the store: `.csv`, or `.csv.gz` for a compressed set. Null
   * when absent (locally also when it is a link leading out of the root).
   */
  async findFile(location: StoreLocation, table: VectorTable, timestamp: string): Promise<StoredFile | null> {
    for (const name of backupFileNames(table, timestamp)) {
      const file = await this.store.stat(location, name);
      if (file) return file;
    }
    return null;
  }
}

/** The complete sets among a location's files, newest first. */
async function setsOf(store: BackupStore, location: StoreLocation, files: readonly StoredFile[]): Promise<BackupSetEntry[]> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const byStamp = new Map<string, Partial<Record<VectorTable, StoredFile>>>();
  for (const file of files) {
    const parsed = parseBackupFileName(file.name);
    if (!parsed) continue;
    const set = byStamp.get(parsed.timestamp) ?? {};
    set[parsed.table] = file;
    byStamp.set(parsed.timestamp, set);
  }
  const hasLog = byName.has(BACKUP_LOG_NAME);
  const sets: BackupSetEntry[] = [];
  for (const [stamp, set] of [...byStamp].sort(([a], [b]) => b.localeCompare(a))) {
    const collection = set.langchain_pg_collection;
    const embedding = set.langchain_pg_embedding;
    if (!collection || !embedding) continue;
    if (!store.listsLegacySets && !byName.has(manifestFileName(stamp))) continue;
    sets.push({
      timestamp: stamp,
      collection_file: collection.name,
      embedding_file: embedding.name,
      collection_size: formatSize(collection.size),
      embedding_size: formatSize(embedding.size),
      backup_date: fileTimestampToDateTime(stamp),
      has_log: hasLog,
      log_file: hasLog ? BACKUP_LOG_NAME : null,
      ...(await manifestSummary(store, location, stamp, embedding.name)),
    });
  }
  return sets;
}
