import os from 'node:os';
import { z } from 'zod';
import { httpUrl } from './env-fields.js';

/** Pipeline, job engine, uploads, backups and restores. */
export const workEnv = {
  /** Tables introspected at once by ddl_generation (each holds one business-database connection). */
  PIPELINE_TABLE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  /** Names this server in the jobs table; on start-up, jobs it held are marked failed. Default host:port. */
  WORKER_ID: z.string().min(1).max(200).optional(),
  /** Jobs (task executions) this process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** How often an idle worker looks for queued jobs (NOTIFY wakes it sooner), ms. */
  JOB_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(2000),
  /** Heartbeat (and progress write) of a running job, ms. */
  JOB_HEARTBEAT_MS: z.coerce.number().int().min(50).default(2000),
  /** A job whose heartbeat is older than this is considered dead, seconds. */
  JOB_STALE_SECONDS: z.coerce.number().int().min(5).default(60),
  /** Largest table-list upload, bytes (2 MiB like the original). */
  TABLE_LIST_MAX_BYTES: z.coerce.number().int().min(1).default(2 * 1024 * 1024),
  /** Largest generic task-file upload, bytes (10 MiB). */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  /** Where multipart uploads are spooled before they are checked and moved; default <tmp>/text2sql-uploads. */
  UPLOAD_TMP_DIR: z.string().min(1).optional(),
  /** Largest backup-set tar accepted by POST /vector/backups/upload, bytes (10 GiB: sets hold whole embedding tables). */
  BACKUP_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 ** 3),
  /** SQLs EXPLAINed at once by sql_validation. */
  SQL_VALIDATION_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(5),
  /** statement_timeout of each EXPLAIN, ms. */
  SQL_VALIDATION_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** lock_timeout of backups and restores, ms: how long they wait for the vector tables' locks before a 409 LOCK_TIMEOUT (never forever). */
  LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  /**
   * maintenance_work_mem of a restore's index rebuild (SET LOCAL), MiB. Default min(1 GiB, 1/8 of RAM):
   * an HNSW build far slower once its graph no longer fits, yet it must not starve the server.
   */
  RESTORE_MAINTENANCE_WORK_MEM_MB: z.coerce.number().int().min(1).max(2 * 1024 * 1024).default(defaultMaintenanceWorkMemMb()),
  /** max_parallel_maintenance_workers of a restore's index rebuild (SET LOCAL). Default min(4, cores − 1). */
  RESTORE_PARALLEL_WORKERS: z.coerce.number().int().min(0).max(64).default(Math.max(0, Math.min(4, os.availableParallelism() - 1))),
  /** Receives a JSON POST when a backup, restore or verify job ends (5 s per attempt, 3 attempts). Unset: none. */
  WEBHOOK_URL: httpUrl().optional(),
};

function defaultMaintenanceWorkMemMb(): number {
  return Math.max(64, Math.min(1024, Math.floor(os.totalmem() / 8 / 1024 ** 2)));
}
