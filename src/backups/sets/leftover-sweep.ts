import type { DatabaseRegistry } from '../../db/database-registry.js';
import type { Logger } from '../../logger.js';
import type { BackupStore } from '../stores/backup-store.js';
import { claimSetStamp } from './stamp-reservation.js';

export interface SweepResult {
  /** Files (local: markers and temp files; S3: data objects of sets without a manifest) deleted. */
  files: number;
  /** Multipart uploads aborted (null when the server could not list them). */
  uploads: number | null;
}

/**
 * Removes what backups and uploads killed mid-write (kill -9, a power loss) left behind, at
 * start-up: a local data root keeps their reservation markers and temp files, and object storage
 * the data objects of a set whose manifest never came (never listed, never pruned: kept forever)
 * and their open multipart uploads. No age decides, the stamp's claim does: every live writer
 * holds its stamp's claim (an advisory lock in the shared app database) until it ends, and a
 * crashed server's lock goes with its connection, so a stamp whose claim can be taken is no one's.
 * The sweep holds the claim while it deletes, so no writer can start on that stamp meanwhile.
 * (Embedded mode claims in process memory, as it reserves stamps: one embedded server per store.)
 */
export class BackupLeftoverSweep {
  private readonly logger: Logger;

  constructor(
    private readonly store: BackupStore,
    private readonly databases: DatabaseRegistry,
    logger: Logger,
  ) {
    this.logger = logger.child({ component: 'backup-leftover-sweep' });
  }

  /** Never throws: a store that cannot be swept now is swept at the next start-up. */
  async run(): Promise<SweepResult | null> {
    try {
      const result = { files: await this.sweepFiles(), uploads: await this.sweepUploads() };
      this.logger.info({ store: this.store.name, ...result }, 'backup leftovers swept');
      return result;
    } catch (err) {
      this.logger.warn({ err, store: this.store.name }, 'backup leftovers not swept (retried at the next start-up)');
      return null;
    }
  }

  private async sweepFiles(): Promise<number> {
    let deleted = 0;
    for (const { location } of await this.store.listLocations()) {
      for (const stamp of (await this.store.leftovers(location)).keys()) {
        const release = await claimSetStamp(this.databases, location, stamp);
        if (release === null) continue; // a live backup or upload
        try {
          // Read again under the claim: a writer may have committed its manifest just before.
          const names = (await this.store.leftovers(location)).get(stamp) ?? [];
          const gone = await this.store.delete(location, names);
          deleted += gone.length;
          if (gone.length > 0) this.logger.info({ location: location.relativePath, stamp, files: gone }, 'leftovers of an interrupted backup deleted');
        } finally {
          await release();
        }
      }
    }
    return deleted;
  }

  private async sweepUploads(): Promise<number | null> {
    const uploads = await this.store.openUploads().catch((err: unknown) => {
      this.logger.debug({ err }, 'open multipart uploads not listed (the server may lack ListMultipartUploads)');
      return null;
    });
    if (uploads === null) return null;
    let aborted = 0;
    for (const upload of uploads) {
      const release = await claimSetStamp(this.databases, upload.location, upload.stamp);
      if (release === null) continue;
      try {
        await upload.abort();
        aborted += 1;
      } catch (err) {
        this.logger.debug({ err, location: upload.location.relativePath, file: upload.name }, 'multipart upload not aborted (the server may lack AbortMultipartUpload)');
      } finally {
        await release();
      }
    }
    return aborted;
  }
}
