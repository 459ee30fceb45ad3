import { backupRequestOf, restoreRequestOf, type BackupPayload, type RestorePayload } from '../backups/vector-requests.js';
import type { BackupCatalog } from '../backups/sets/backup-catalog.js';
import { assertSetExists, backupLocation, checkTimestamp, findSetFiles, requestedTables, setLocation } from '../backups/sets/set-lookup.js';
import type { DatabaseRegistry } from '../db/database-registry.js';
import type { VectorJobKind } from './vector-job-kinds.js';

/**
 * What an async backup, restore or verify can be refused for before it is queued: the checks the
 * synchronous call runs before its work (same order, same errors), so a request whose
 * `backup_path`/`timestamp` names nothing or leaves the data root (or S3 prefix), whose `task_id` has no
 * directory, or whose `pg_conn`/`db_connection` is malformed or names a host outside
 * ALLOWED_DB_HOSTS gets its 4xx at POST time and no job row. Nothing here connects to a database
 * or reads a data file: a database that is down is still the job's failure.
 */
export class VectorJobPreflight {
  constructor(
    private readonly catalog: BackupCatalog,
    private readonly databases: DatabaseRegistry,
  ) {}

  async check(kind: VectorJobKind, payload: Record<string, unknown>): Promise<void> {
    if (kind === 'backup') return this.backup(payload as BackupPayload);
    if (kind === 'restore') return this.restore(payload as unknown as RestorePayload);
    return this.verify(payload as { backup_path: string; timestamp: string });
  }

  private async backup(payload: BackupPayload): Promise<void> {
    const request = backupRequestOf(payload);
    // As the service: without backup (and truncate) nothing runs, so there is nothing to check.
    if (request.backupVectorTables === false && request.truncateVectorTables !== true) return;
    this.databases.vectorDatabase(request.dbConnection).release();
    await backupLocation(this.catalog.store, request.taskId);
  }

  private async restore(payload: RestorePayload): Promise<void> {
    const request = restoreRequestOf(payload);
    const tables = requestedTables(request.tables);
    checkTimestamp(request.timestamp);
    this.databases.vectorDatabase(request.dbConnection, request.dbConnectionParam).release();
    const location = await setLocation(this.catalog.store, request.backupPath);
    await findSetFiles(this.catalog, location, tables, request.timestamp);
  }

  private async verify(payload: { backup_path: string; timestamp: string }): Promise<void> {
    const location = await setLocation(this.catalog.store, payload.backup_path);
    await assertSetExists(this.catalog, location, payload.backup_path, payload.timestamp);
  }
}
