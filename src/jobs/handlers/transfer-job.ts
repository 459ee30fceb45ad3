import { TransferProgress, type ProgressPhase } from '../../backups/job-progress.js';
import type { JobRunContext } from '../job-handler.js';

/** SPEC §7: progress is published at least this often while a job runs. */
export const PROGRESS_TICK_MS = 250;

/**
 * Runs one backup, restore or verify with a TransferProgress wired to the runner: a phase change is
 * reported at once, counts and rates every PROGRESS_TICK_MS (the runner writes them to the row
 * within as long; readers in this process see them at once). On success the progress ends at 100.
 */
export async function runWithProgress<T extends object>(
  context: Pick<JobRunContext, 'report'>,
  initialPhase: ProgressPhase,
  work: (progress: TransferProgress) => Promise<T>,
): Promise<T> {
  const progress: TransferProgress = new TransferProgress(initialPhase, (urgent) => {
    if (urgent) context.report(progress.snapshot(), { urgent: true });
  });
  context.report(progress.snapshot(), { urgent: true });
  const ticker = setInterval(() => context.report(progress.snapshot()), PROGRESS_TICK_MS);
  try {
    const result = await work(progress);
    progress.finish();
    return result;
  } finally {
    clearInterval(ticker);
    // The last counts of a job that failed or was cancelled, as they stood when it stopped.
    context.report(progress.snapshot(), { urgent: true });
  }
}
