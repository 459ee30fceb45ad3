import { JOB_KINDS } from '../db/sql/jobs.sql.js';

/**
 * Why an execution stopped before its end. The runner aborts an execution's AbortSignal with one of
 * these as the reason, and the execution records each differently: a user's cancel is `cancelled`,
 * a shutdown is `failed` (interrupted, to be re-run), a lost lease writes nothing at all.
 */

/** The user asked to cancel (POST …/cancel). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** The server is shutting down and the grace period is over. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/**
 * This worker no longer holds the job: its heartbeat matched no row, or none was confirmed for too
 * long, so another worker's recovery may have failed it and a re-run may be under way.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export const CANCELLED_MESSAGE = '任务已取消';
/** A cancelled vector job (backup, restore, verify): a 作业, not a 任务, as the vector routes say. */
export const JOB_CANCELLED_MESSAGE = '作业已取消';

/** What a cancelled job of `kind` records as its error: tasks keep CANCELLED_MESSAGE. */
export function cancelledMessage(kind: string): string {
  return kind === JOB_KINDS.TASK_EXECUTION ? CANCELLED_MESSAGE : JOB_CANCELLED_MESSAGE;
}

/** A crash or restart: found by recovery at start-up or by the stale-heartbeat sweep. */
export const INTERRUPTED_MESSAGE = '执行被中断（服务重启或崩溃），请重新执行任务';
/** A shutdown whose grace period ran out while the execution was still running. */
export const SHUTDOWN_MESSAGE = '执行被中断（服务关闭），请重新执行任务';

/** The reason an aborted signal carries, as one of the errors above (a plain abort counts as a cancel). */
export function abortReason(signal: AbortSignal): CancelledError | InterruptedError | LeaseLostError | null {
  if (!signal.aborted) return null;
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError || reason instanceof InterruptedError || reason instanceof LeaseLostError) return reason;
  return new CancelledError(CANCELLED_MESSAGE);
}
