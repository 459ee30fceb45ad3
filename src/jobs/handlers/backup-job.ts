import type { VectorBackupService } from '../../backups/backup-service.js';
import { backupRequestOf, type BackupPayload } from '../../backups/vector-requests.js';
import type { JobHandler, JobRunContext } from '../job-handler.js';
import { JOB_KINDS } from '../../db/sql/jobs.sql.js';
import { runWithProgress } from './transfer-job.js';

/**
 * `POST …/vector/backup` with `async: true`: the same backup the sync route runs, with progress.
 * A cancel aborts the job's signal: the COPY is cancelled on the server, the `.tmp` files are
 * removed by the service and no set is published.
 */
export class VectorBackupJob implements JobHandler {
  readonly kind = JOB_KINDS.VECTOR_BACKUP;

  constructor(private readonly backups: VectorBackupService) {}

  async run(context: JobRunContext): Promise<object> {
    const request = backupRequestOf(context.job.payload as BackupPayload);
    return runWithProgress(context, 'snapshot', (progress) => this.backups.backup({ ...request, signal: context.signal, progress }));
  }
}
