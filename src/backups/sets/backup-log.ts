import fsp from 'node:fs/promises';
import path from 'node:path';
import { APPEND_NO_FOLLOW } from '../../lib/atomic-file.js';
import { localDateTime } from '../../lib/time.js';
import { BACKUP_LOG_NAME } from './set-naming.js';
import type { BackupResult } from './backup-result.js';

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
