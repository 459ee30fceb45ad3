import { isPostgresUrl, redactConnectionString, redactSecrets } from '../db/connection-string.js';
import type { Compression } from './sets/backup-manifest.js';
import type { OnConflict } from './selection/selection-fields.js';
import type { BackupRequest } from './backup-service.js';
import type { RestoreRequest } from './restore/restore-service.js';
import type { IndexMode } from './restore/index-rebuild.js';
import type { BackupFormat } from './sets/set-naming.js';

/**
 * The backup and restore requests as the API takes them (snake_case). The sync routes and the
 * async jobs map them the same way, so a job runs exactly what the same request would run inline;
 * a job keeps its request as its payload (connection string included: it is needed to run).
 */
export interface BackupPayload {
  task_id?: string;
  db_connection?: string;
  backup_vector_tables?: boolean;
  truncate_vector_tables?: boolean;
  compression?: Compression;
  format?: BackupFormat;
  label?: string;
  keep_last?: number;
  include?: string[];
  exclude?: string[];
}

export interface RestorePayload {
  backup_path: string;
  timestamp: string;
  tables?: string[];
  pg_conn?: string;
  db_connection?: string;
  truncate_before_restore?: boolean;
  include?: string[];
  exclude?: string[];
  collection_suffix?: string;
  collection_renames?: Record<string, string>;
  on_conflict?: OnConflict;
  dry_run?: boolean;
  index_mode?: IndexMode;
}

export function backupRequestOf(body: BackupPayload): BackupRequest {
  return {
    taskId: body.task_id,
    dbConnection: body.db_connection,
    backupVectorTables: body.backup_vector_tables,
    truncateVectorTables: body.truncate_vector_tables,
    compression: body.compression,
    format: body.format,
    label: body.label,
    keepLast: body.keep_last,
    include: body.include,
    exclude: body.exclude,
  };
}

export function restoreRequestOf(body: RestorePayload): RestoreRequest {
  return {
    backupPath: body.backup_path,
    timestamp: body.timestamp,
    tables: body.tables,
    dbConnection: body.pg_conn ?? body.db_connection,
    dbConnectionParam: body.pg_conn ? 'pg_conn' : 'db_connection',
    truncateBeforeRestore: body.truncate_before_restore,
    include: body.include,
    exclude: body.exclude,
    collectionSuffix: body.collection_suffix,
    collectionRenames: body.collection_renames,
    onConflict: body.on_conflict,
    dryRun: body.dry_run,
    indexMode: body.index_mode,
  };
}

/** A request as a reply may show it: every connection string with its password replaced by `***`. */
export function redactRequest(payload: Record<string, unknown>): Record<string, unknown> {
  const redact = (value: unknown): unknown => {
    // The URL form also hides `?password=`; the text form catches what no URL parser accepts.
    if (typeof value === 'string') return redactSecrets(isPostgresUrl(value) ? redactConnectionString(value) : value);
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    return value;
  };
  return redact(payload) as Record<string, unknown>;
}
