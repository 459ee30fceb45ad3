import fs from 'node:fs/promises';
import path from 'node:path';
import type { BackupCatalog } from '../backups/sets/backup-catalog.js';
import { BACKUP_DIR_NAME } from '../backups/sets/set-naming.js';
import type { DataRoot } from '../lib/data-root.js';

export interface BackupLocationStats {
  /** `global`, or the task id whose vector_bak/ holds the sets. */
  location: string;
  type: 'global' | 'task';
  sets: number;
  bytes: number;
  /** When the newest set was taken (its timestamp, server local time), epoch seconds. */
  lastSuccessSeconds: number;
}

/** `YYYYMMDD_HHMMSS` (local time, as sets are named) → epoch seconds. */
export function setTimestampSeconds(stamp: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
}

/**
 * The backup catalog summed per location for the metrics scrape. A scan reads every set's files,
 * so its result is kept for `cacheMs`: scrapers polling every few seconds (or several at once)
 * do not rescan the data root each time. Only complete, published sets count (the catalog's rule).
 */
export class BackupStats {
  private cached: { at: number; value: Promise<BackupLocationStats[]> } | null = null;

  constructor(
    private readonly catalog: BackupCatalog,
    private readonly dataRoot: DataRoot,
    private readonly cacheMs: number,
  ) {}

  read(): Promise<BackupLocationStats[]> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.value;
    const value = this.scan();
    this.cached = { at: now, value };
    // A failed scan is not kept: the next scrape tries again.
    value.catch(() => {
      if (this.cached?.value === value) this.cached = null;
    });
    return value;
  }

  private async scan(): Promise<BackupLocationStats[]> {
    const listing = await this.catalog.list({});
    const out: BackupLocationStats[] = [];
    for (const location of listing.backup_locations) {
      const dir =
        location.type === 'global'
          ? path.join(this.dataRoot.dir, BACKUP_DIR_NAME)
          : path.join(this.dataRoot.taskDir(location.task_id!), BACKUP_DIR_NAME);
      let bytes = 0;
      for (const set of location.backups) {
        for (const file of [set.collection_file, set.embedding_file]) {
          // A set pruned between the listing and this stat is simply not counted.
          bytes += await fs.stat(path.join(dir, file)).then((s) => s.size, () => 0);
        }
      }
      const stamps = location.backups.map((s) => setTimestampSeconds(s.timestamp)).filter((s): s is number => s !== null);
      out.push({
        location: location.type === 'global' ? 'global' : location.task_id!,
        type: location.type,
        sets: location.backups.length,
        bytes,
        lastSuccessSeconds: stamps.length ? Math.max(...stamps) : 0,
      });
    }
    return out;
  }
}
