import type { PoolClient } from '../db/pool.js';
import type { JobLease, JobRow } from '../db/sql/jobs.sql.js';

/** How a job ended without success, as the runner records it. */
export type JobFailure = { state: 'failed' | 'cancelled'; message: string };

export interface JobRunContext {
  job: JobRow;
  /** Held while the job runs: every write of the handler's own rows should be fenced by it. */
  lease: JobLease;
  /** Aborted on cancel, shutdown or a lost lease; `abortReason(signal)` says which. */
  signal: AbortSignal;
  /**
   * Latest progress; the runner publishes it with the next heartbeat, within the runner's
   * `progressMs` when set, and at once when `urgent` (a phase change). Readers of a job running in
   * this process see it at once (JobRunner.localJob).
   */
  report(progress: object, options?: { urgent?: boolean }): void;
}

/**
 * One kind of background work (task execution; backup, restore, verify, schedule firings next).
 * The runner claims, leases, heartbeats, cancels and records; the handler only does the work.
 */
export interface JobHandler {
  readonly kind: string;
  /** Does the work; the resolved value is stored as the job's `result`. Throws to fail. */
  run(context: JobRunContext): Promise<object | void>;
  /**
   * Brings the kind's own rows in line with a job that ended without success (a task left
   * `in_progress`, a step left `running`), inside the transaction that records the end. `lease`
   * is null when recovery settles a job whose worker died.
   */
  settle?(client: PoolClient, job: JobRow, failure: JobFailure, lease: JobLease | null): Promise<void>;
}
