import type { Compression } from './backup-manifest.js';
import type { PrunedSet } from './retention.js';
import type { BackupFormat, VectorTable } from './set-naming.js';

// What a backup reports (the original's response fields). Its own module: the backup service
// writes it, backup-log.ts formats it and restores reuse TruncateResult, and backup-log.ts
// importing it from the service closed an import cycle.

export interface TableBackupResult {
  success: boolean;
  row_count: number;
  file_size: string;
  backup_file: string;
  duration: number;
  bytes?: number;
  sha256?: string;
}

export interface TruncateResult {
  success: boolean;
  rows_before: number;
  rows_after: number;
  duration: number;
}

export interface BackupResult {
  backup_performed: boolean;
  truncate_performed: boolean;
  tables_backed_up: Partial<Record<VectorTable, TableBackupResult>>;
  truncate_results: Partial<Record<VectorTable, TruncateResult>>;
  errors: string[];
  backup_directory?: string;
  backup_timestamp?: string;
  duration: number;
  manifest_file?: string | null;
  compression?: Compression;
  format?: BackupFormat;
  label?: string | null;
  /** Sets deleted by `keep_last` after this backup succeeded. */
  pruned_sets?: PrunedSet[];
}
