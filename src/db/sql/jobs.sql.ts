import type { SqlQuery } from '../pool.js';

/**
 * Every kind of job the engine runs, one handler each (registered in create-services). The value is
 * what `data_pipeline_jobs.kind` holds, so a kind is never renamed once released.
 */
export const JOB_KINDS = {
  TASK_EXECUTION: 'task_execution',
  VECTOR_BACKUP: 'vector_backup',
  VECTOR_RESTORE: 'vector_restore',
  /** POST …/vector/verify with `async` (handlers/verify-job.ts). */
  VECTOR_VERIFY: 'vector_verify',
} as const;
export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];

export const JOB_STATES = {
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  /** Running, with a cancel requested that its worker has not taken up yet. */
  CANCELLING: 'cancelling',
  CANCELLED: 'cancelled',
} as const;
export type JobState = (typeof JOB_STATES)[keyof typeof JOB_STATES];
/** A job that has not ended (idx_jobs_one_live_per_task says the same for task executions). */
export const LIVE_JOB_STATES: readonly JobState[] = [JOB_STATES.QUEUED, JOB_STATES.RUNNING, JOB_STATES.CANCELLING];
/** A job a worker holds (a cancel requested meanwhile does not end its lease). */
const HELD = /* SQL */ `state IN ('running', 'cancelling')`;
export function isLiveJob(job: { state: JobState } | null | undefined): boolean {
  return job != null && LIVE_JOB_STATES.includes(job.state);
}

export interface JobRow {
  job_id: string;
  /** Which handler runs it (`task_execution`, …). */
  kind: string;
  /** What the handler reads; task executions keep their own columns (task_id, mode, step, options). */
  payload: Record<string, unknown>;
  /** What the handler returned on success. */
  result: Record<string, unknown> | null;
  /** Set for task executions only. */
  task_id: string | null;
  execution_mode: 'complete' | 'step' | null;
  step_name: string | null;
  options: Record<string, unknown>;
  state: JobState;
  cancel_requested: boolean;
  worker_id: string | null;
  progress: Record<string, unknown> | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  heartbeat_at: Date | null;
  completed_at: Date | null;
}

export const JOBS_CHANNEL = 'data_pipeline_jobs';
/** Payload prefix of a cancel notification on JOBS_CHANNEL (any other payload means "work queued"). */
export const CANCEL_PREFIX = 'cancel:';

export interface NewJob {
  jobId: string;
  kind: string;
  payload?: object;
  /** Task executions only: the task and how to run it. */
  execution?: { taskId: string; mode: string; step: string | null; options: object };
}

/** A task execution fails with 23505 on idx_jobs_one_live_per_task when the task already has a live job. */
export function insertJob(job: NewJob): SqlQuery {
  const e = job.execution;
  return {
    text: /* SQL */ `
      INSERT INTO data_pipeline_jobs (job_id, kind, payload, task_id, execution_mode, step_name, options)
      VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb))
      RETURNING *`,
    values: [job.jobId, job.kind, job.payload ?? {}, e?.taskId ?? null, e?.mode ?? null, e?.step ?? null, e?.options ?? null],
  };
}

export function notifyJobs(): SqlQuery {
  return { text: /* SQL */ `SELECT pg_notify($1, 'queued')`, values: [JOBS_CHANNEL] };
}

/**
 * Claims the oldest queued job of a kind this worker has a handler for; concurrent workers skip
 * rows another one has locked.
 */
export function claimNextJob(workerId: string, kinds: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs
         SET state = 'running', worker_id = $1, started_at = now(), heartbeat_at = now()
       WHERE job_id = (
         SELECT job_id FROM data_pipeline_jobs
          WHERE state = 'queued' AND kind = ANY($2::text[])
          ORDER BY created_at
          FOR UPDATE SKIP LOCKED
          LIMIT 1)
      RETURNING *`,
    values: [workerId, kinds],
  };
}

/**
 * The lease a worker holds on a claimed job: the row is its own only while it is still `active`
 * under its `worker_id`. Every write of a running execution is fenced by it, so a worker whose
 * job was failed by stale recovery (and maybe re-run elsewhere) can no longer change anything.
 */
export interface JobLease {
  jobId: string;
  workerId: string;
}

/**
 * SQL condition "the lease is still held", with its two values at `$n`, `$n+1`. FOR SHARE makes it
 * a real fence: a recovery UPDATE of the same row waits for the fenced write to commit, and a
 * fenced write that waited for a recovery re-checks the row and then matches nothing.
 */
export function leaseHeld(n: number): string {
  return /* SQL */ `EXISTS (
    SELECT 1 FROM data_pipeline_jobs
     WHERE job_id = $${n}::text AND worker_id = $${n + 1}::text AND ${HELD}
       FOR SHARE)`;
}

/**
 * Heartbeat and progress in one write; returns whether a cancel was requested meanwhile. No row
 * back means the lease is lost: the worker must stop at once and write nothing more.
 */
export function heartbeat(lease: JobLease, progress: object | null): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs SET heartbeat_at = now(), progress = COALESCE($2, progress)
       WHERE job_id = $1 AND worker_id = $3 AND ${HELD}
      RETURNING cancel_requested`,
    values: [lease.jobId, progress, lease.workerId],
  };
}

/**
 * Ends a job this worker holds, with the handler's result and its last progress (which a heartbeat
 * may not have carried yet); nothing when the lease was lost meanwhile.
 */
export function finishJob(lease: JobLease, state: JobState, errorMessage: string | null, result: object | null = null, progress: object | null = null): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs SET state = $2, error_message = $3, result = $5, completed_at = now(), progress = COALESCE($6, progress)
       WHERE job_id = $1 AND worker_id = $4 AND ${HELD}
      RETURNING *`,
    values: [lease.jobId, state, errorMessage, lease.workerId, result, progress],
  };
}

/**
 * What a cancel request writes, for any kind: a queued job is cancelled at once; a running one is
 * flagged `cancelling` and its worker stops it (and records the end).
 */
export const CANCEL_REQUESTED = /* SQL */ `cancel_requested = TRUE,
             state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE 'cancelling' END,
             completed_at = CASE WHEN state = 'queued' THEN now() ELSE completed_at END`;

/** A queued job is cancelled at once; an active one is flagged and its worker stops it. */
export function requestCancel(taskId: string): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs
         SET ${CANCEL_REQUESTED}
       WHERE task_id = $1 AND state IN ('queued', 'running', 'cancelling')
      RETURNING *, (state = 'cancelled') AS cancelled_now`,
    values: [taskId],
  };
}

/** Wakes the worker running `jobId`, wherever it runs, so a cancel takes effect now, not at the next heartbeat. */
export function notifyCancel(jobId: string): SqlQuery {
  return { text: /* SQL */ `SELECT pg_notify($1, $2)`, values: [JOBS_CHANNEL, `${CANCEL_PREFIX}${jobId}`] };
}

export function selectJob(jobId: string): SqlQuery {
  return { text: /* SQL */ `SELECT * FROM data_pipeline_jobs WHERE job_id = $1`, values: [jobId] };
}

export function selectLiveJob(taskId: string): SqlQuery {
  return {
    text: /* SQL */ `SELECT * FROM data_pipeline_jobs WHERE task_id = $1 ORDER BY created_at DESC LIMIT 1`,
    values: [taskId],
  };
}

/**
 * Active jobs that can no longer be running: this worker's own when `workerId` is given (at
 * start-up anything it held died with its previous process) and any whose heartbeat stopped
 * `staleSeconds` ago — never one of `runningHere`, the jobs this process is running right now.
 */
export function failInterruptedJobs(workerId: string | null, staleSeconds: number, message: string, runningHere: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs
         SET state = 'failed', error_message = $3, completed_at = now()
       WHERE ${HELD}
         AND ((($1::text) IS NOT NULL AND worker_id = $1::text) OR heartbeat_at < now() - make_interval(secs => $2))
         AND NOT (job_id = ANY($4::text[]))
      RETURNING *`,
    values: [workerId, staleSeconds, message, runningHere],
  };
}
