import type { BackupVerifier } from '../../backups/sets/backup-verifier.js';
import type { JobHandler, JobRunContext } from '../job-handler.js';
import { JOB_KINDS } from '../../db/sql/jobs.sql.js';
import { runWithProgress } from './transfer-job.js';

/** What `POST …/vector/verify` with `async: true` keeps as the job's payload. */
export interface VerifyPayload {
  backup_path: string;
  timestamp: string;
}

/**
 * `POST …/vector/verify` with `async: true`: the same re-hash and row count the sync route runs,
 * for sets too large to verify within one HTTP request. The job's result is the sync reply's data
 * (a set that fails verification is a job that succeeded with `valid: false`: the check ran).
 * A cancel aborts the job's signal, which stops the file read at once.
 */
export class VectorVerifyJob implements JobHandler {
  readonly kind = JOB_KINDS.VECTOR_VERIFY;

  constructor(private readonly verifier: BackupVerifier) {}

  async run(context: JobRunContext): Promise<object> {
    const payload = context.job.payload as unknown as VerifyPayload;
    return runWithProgress(context, 'checksum', () =>
      this.verifier.verify({ backupPath: payload.backup_path, timestamp: payload.timestamp, signal: context.signal }),
    );
  }
}
