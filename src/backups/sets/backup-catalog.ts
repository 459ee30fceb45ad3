import fs from 'node:fs/promises';
import path from 'node:path';
import { formatSize } from '../../lib/format-size.js';
import { fileTimestampToDateTime, localIsoTimestamp } from '../../lib/time.js';
import {
  BACKUP_DIR_NAME,
  BACKUP_LOG_NAME,
  backupFileNames,
  parseBackupFileName,
  type VectorTable,
} from './set-naming.js';
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

/** Directories whose vector_bak/ holds task backups (API tasks and the CLI's manual runs). */
const TASK_DIR_PATTERN = /^(task|manual)_/;

/**
 * Finds backup sets on disk. A set is a timestamp for which both table files exist; files still
 * being written end in `.tmp` and are never listed.
 */
export class BackupCatalog {
  constructor(private readonly dataRoot: DataRoot) {}

  async list(scope: { taskId?: string; globalOnly?: boolean }): Promise<BackupListing> {
    const candidates: { type: 'global' | 'task'; taskId?: string; dir: string }[] = [];
    if (scope.taskId !== undefined) {
      candidates.push({ type: 'task', taskId: scope.taskId, dir: path.join(this.dataRoot.taskDir(scope.taskId), BACKUP_DIR_NAME) });
    } else {
      candidates.push({ type: 'global', dir: path.join(this.dataRoot.dir, BACKUP_DIR_NAME) });
      if (!scope.globalOnly) {
        const entries = await fs.readdir(this.dataRoot.dir, { withFileTypes: true }).catch(() => []);
        const taskDirs = entries
          .filter((e) => e.isDirectory() && TASK_DIR_PATTERN.test(e.name))
          .map((e) => e.name)
          .sort()
          .reverse();
        for (const name of taskDirs) {
          candidates.push({ type: 'task', taskId: name, dir: path.join(this.dataRoot.dir, name, BACKUP_DIR_NAME) });
        }
      }
    }

    const locations: BackupLocation[] = [];
    for (const candidate of candidates) {
      // A vector_bak/ or task directory linked outside the root is not a location of this server.
      const real = await this.dataRoot.realInside(candidate.dir).catch(() => null);
      if (real === null) continue;
      const backups = await this.setsIn(real);
      if (backups.length === 0) continue;
      locations.push({
        type: candidate.type,
        ...(candidate.taskId !== undefined && candidate.type === 'task' ? { task_id: candidate.taskId } : {}),
        relative_path: this.dataRoot.relativeToCwd(candidate.dir),
        backups,
      });
    }
    const totalSets = locations.reduce((n, l) => n + l.backups.length, 0);
    const globalSets = locations.filter((l) => l.type === 'global').reduce((n, l) => n + l.backups.length, 0);
    return {
      backup_locations: locations,
      summary: {
        total_locations: locations.length,
        total_backup_sets: totalSets,
        global_backups: globalSets,
        task_backups: totalSets - globalSets,
        scan_time: localIsoTimestamp(),
      },
    };
  }

  /**
   * The complete sets of one vector_bak/ directory (a real path inside the root), newest first.
   * Set files that are symlinks leading out of the root are ignored, like absent files.
   */
  async setsIn(dir: string): Promise<BackupSetEntry[]> {
    const names: string[] = [];
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (await this.fileInside(path.join(dir, name))) names.push(name);
    }
    const byStamp = new Map<string, Partial<Record<VectorTable, string>>>();
    for (const name of names) {
      const parsed = parseBackupFileName(name);
      if (!parsed) continue;
      const set = byStamp.get(parsed.timestamp) ?? {};
      set[parsed.table] = name;
      byStamp.set(parsed.timestamp, set);
    }
    const hasLog = names.includes(BACKUP_LOG_NAME);
    const sets: BackupSetEntry[] = [];
    for (const [stamp, files] of [...byStamp].sort(([a], [b]) => b.localeCompare(a))) {
      if (!files.langchain_pg_collection || !files.langchain_pg_embedding) continue;
      const [collectionStat, embeddingStat] = await Promise.all([
        fs.stat(path.join(dir, files.langchain_pg_collection)),
        fs.stat(path.join(dir, files.langchain_pg_embedding)),
      ]);
      sets.push({
        timestamp: stamp,
        collection_file: files.langchain_pg_collection,
        embedding_file: files.langchain_pg_embedding,
        collection_size: formatSize(collectionStat.size),
        embedding_size: formatSize(embeddingStat.size),
        backup_date: fileTimestampToDateTime(stamp),
        has_log: hasLog,
        log_file: hasLog ? BACKUP_LOG_NAME : null,
        ...(await manifestSummary(dir, stamp, files.langchain_pg_embedding)),
      });
    }
    return sets;
  }

  /** The file of `table` in a set: `.csv`, or `.csv.gz` for a compressed set. Null when absent. */
  async findFile(dir: string, table: VectorTable, timestamp: string): Promise<string | null> {
    for (const name of backupFileNames(table, timestamp)) {
      const file = await this.fileInside(path.join(dir, name));
      if (file) return file;
    }
    return null;
  }

  /** The real path of a regular file that resolves inside the data root; null otherwise. */
  private async fileInside(file: string): Promise<string | null> {
    const real = await this.dataRoot.realInside(file).catch(() => null);
    if (real === null) return null;
    return (await fs.stat(real).catch(() => null))?.isFile() ? real : null;
  }
}
