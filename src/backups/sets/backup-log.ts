import fsp from 'node:fs/promises';
import path from 'node:path';
import { APPEND_NO_FOLLOW } from '../../lib/atomic-file.js';
import { localDateTime } from '../../lib/time.js';
import { BACKUP_LOG_NAME } from './set-naming.js';
import type { BackupResult } from './backup-result.js';
import type { BackupStore, StoreLocation } from '../stores/backup-store.js';
import { LocalBackupStore } from '../stores/local-backup-store.js';

/**
 * The log of a backup run, where the store can keep it: appended to the location's
 * `vector_backup_log.txt` on the local store. Object storage cannot append, and rewriting one
 * shared log object from several servers would lose runs (read-modify-write races); a per-set log
 * object would be a file of the set that the original never had. So on S3 no log is written: the
 * manifest already records every fact the log holds (stamp, files, rows, bytes), and the backup's
 * reply and the server log record the rest (duration, truncate counts).
 */
export async function appendStoredBackupLog(store: BackupStore, location: StoreLocation, taskLabel: string, result: BackupResult): Promise<void> {
  if (store instanceof LocalBackupStore) await appendBackupLog(await store.ensureDir(location), taskLabel, result);
}

/**
 * Appends one run to `vector_backup_log.txt` in the original's format, with the real duration
 * (the original always wrote 0.00s) and without overwriting earlier runs.
 */
export async function appendBackupLog(dir: string, taskLabel: string, result: BackupResult): Promise<void> {
  const lines = [
    '=== Vector Table Backup Log ===',
    `Backup Time: ${localDateTime()}`,
    `Task ID: ${taskLabel}`,
    `Backup Timestamp: ${result.backup_timestamp ?? ''}`,
    `Duration: ${result.duration.toFixed(2)}s`,
    '',
    'Tables Backup Status:',
    ...Object.entries(result.tables_backed_up).map(([table, r]) =>
      r.success ? `✓ ${table}: ${r.row_count} rows -> ${r.backup_file} (${r.file_size})` : `✗ ${table}: FAILED`,
    ),
    '',
    'Truncate Status:',
    ...(result.truncate_performed
      ? Object.entries(result.truncate_results).map(([table, r]) => `✓ ${table}: TRUNCATED (${r.rows_before} rows removed)`)
      : ['- Not performed']),
    ...(result.errors.length > 0 ? [`Errors: ${result.errors.join('; ')}`] : []),
  ];
  const file = path.join(dir, BACKUP_LOG_NAME);
  const existing = await fsp.lstat(file).then((s) => s.size > 0).catch(() => false);
  await fsp.appendFile(file, `${existing ? '\n' : ''}${lines.join('\n')}\n`, { encoding: 'utf8', flag: APPEND_NO_FOLLOW });
}
