import { TransferProgress, type ProgressPhase } from '../../backups/job-progress.js';
import type { JobRunContext } from '../job-handler.js';

/** SPEC §7: progress is published at least this often while a job runs. */
export const PROGRESS_TICK_MS = 250;

/**
 * Runs one backup, restore or verify with a TransferProgress wired to the runner: every change is
 * reported (a phase change urgently: the runner writes it at once, other changes within its
 * progressMs), and rates are refreshed every PROGRESS_TICK_MS. On success the progress ends at 100.
 */
export async function runWithProgress<T extends object>(
  context: Pick<JobRunContext, 'report'>,
  initialPhase: ProgressPhase,
  work: (progress: TransferProgress) => Promise<T>,
): Promise<T> {
  // Every change goes to the runner (cheap: it only keeps the latest and throttles the writes), so
  // readers in this process see the counts as they are; the ticker refreshes rates during a stall.
  const progress: TransferProgress = new TransferProgress(initialPhase, (urgent) => context.report(progress.snapshot(), { urgent }));
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
