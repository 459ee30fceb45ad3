import type { BackupCatalog } from '../backups/sets/backup-catalog.js';
import type { BackupStore } from '../backups/stores/backup-store.js';

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
    private readonly store: BackupStore,
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
      // Sizes from the store's listing (one call per location, local or S3), not a stat per file.
      const where = location.type === 'global' ? this.store.locations.global() : this.store.locations.task(location.task_id!);
      const sizes = new Map((await this.store.list(where)).map((file) => [file.name, file.size]));
      let bytes = 0;
      for (const set of location.backups) {
        // A set pruned between the listing and this one is simply not counted.
        for (const file of [set.collection_file, set.embedding_file]) bytes += sizes.get(file) ?? 0;
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
