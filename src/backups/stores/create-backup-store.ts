import type { BackupStorageSettings } from '../../config.js';
import type { DataRoot } from '../../lib/data-root.js';
import { BackupLocations, type BackupStore } from './backup-store.js';
import { LocalBackupStore } from './local-backup-store.js';
import { S3BackupStore } from './s3-backup-store.js';

/**
 * The store BACKUP_STORAGE names; built once at start-up (create-services.ts). `taskRowExists`
 * makes a task known by its row too, not only by its directory (BackupLocations.taskLocation).
 */
export function createBackupStore(settings: BackupStorageSettings, dataRoot: DataRoot, taskRowExists?: (taskId: string) => Promise<boolean>): BackupStore {
  const locations = new BackupLocations(dataRoot, taskRowExists);
  return settings.kind === 's3' ? new S3BackupStore(locations, settings) : new LocalBackupStore(locations);
}
