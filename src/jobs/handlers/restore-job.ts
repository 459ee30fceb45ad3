import type { VectorRestoreService } from '../../backups/restore/restore-service.js';
import { restoreRequestOf, type RestorePayload } from '../../backups/vector-requests.js';
import type { JobHandler, JobRunContext } from '../job-handler.js';
import { JOB_KINDS } from '../../db/sql/jobs.sql.js';
import { runWithProgress } from './transfer-job.js';

/**
 * `POST …/vector/restore` with `async: true`: the same all-or-nothing restore the sync route runs,
 * with progress. A cancel aborts the job's signal: the COPY is cancelled on the server and the
 * restore's one transaction rolls back, leaving the tables exactly as before.
 */
export class VectorRestoreJob implements JobHandler {
  readonly kind = JOB_KINDS.VECTOR_RESTORE;

  constructor(private readonly restores: VectorRestoreService) {}

  async run(context: JobRunContext): Promise<object> {
    const request = restoreRequestOf(context.job.payload as unknown as RestorePayload);
    return runWithProgress(context, 'copy', (progress) => this.restores.restore({ ...request, signal: context.signal, progress }));
  }
}
