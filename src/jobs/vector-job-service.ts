import { randomBytes } from 'node:crypto';
import { redactRequest } from '../backups/vector-requests.js';
import { redactSecrets } from '../db/connection-string.js';
import { query, withTransaction, type Pool, type PoolClient } from '../db/pool.js';
import { insertJob, JOB_STATES, notifyCancel, notifyJobs, selectJob, type JobRow, type JobState } from '../db/sql/jobs.sql.js';
import { listJobsOfKinds, requestJobCancel } from '../db/sql/vector-jobs.sql.js';
import { ConflictError, ERROR_TYPES, NotFoundError } from '../errors.js';
import { fileTimestamp, localIsoTimestamp } from '../lib/time.js';
import { JOB_CANCELLED_MESSAGE } from './job-errors.js';
import type { JobRunner, LocalJob } from './job-runner.js';
import { VECTOR_JOB_KINDS, vectorJobKindOf, type VectorJobKind } from './vector-job-kinds.js';
import type { VectorJobPreflight } from './vector-job-preflight.js';

/** How long a cancel of a job running here waits for its end (rollback, `.tmp` removal) before answering `cancelling`. */
const CANCEL_WAIT_MS = 10_000;
const ALL_KINDS: readonly string[] = Object.values(VECTOR_JOB_KINDS);

/** A vector job as the API shows it (SPEC §7). */
export interface VectorJobView {
  job_id: string;
  kind: VectorJobKind;
  status: JobState;
  /** The request, every password replaced by `***`. */
  request: Record<string, unknown>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  progress: Record<string, unknown> | null;
}

export interface VectorJobFilter {
  kind?: VectorJobKind;
  status?: JobState;
  limit: number;
}

const iso = (d: Date | null) => (d ? localIsoTimestamp(new Date(d)) : null);

/**
 * Backup, restore and verify jobs as the API sees them: enqueued as rows the one job engine runs,
 * read from this process's memory while they run here (JobRunner.localJob: fresher than the row,
 * and in embedded mode never waiting on the job's own transaction), else from the row.
 */
export class VectorJobService {
  constructor(
    private readonly pool: Pool,
    private readonly runner: JobRunner,
    /** Refuses, before anything is queued, what the synchronous call would refuse before its work. */
    private readonly preflight?: VectorJobPreflight,
  ) {}

  /**
   * Queues a job; `payload` is the request as the sync route takes it (kept whole: it must run).
   * A request the synchronous call would refuse up front (names nothing, bad connection string) is
   * refused here with the same 4xx, and no job row is written.
   */
  async enqueue(kind: VectorJobKind, payload: Record<string, unknown>): Promise<VectorJobView> {
    await this.preflight?.check(kind, payload);
    const row = await withTransaction(this.pool, (client) => this.enqueueIn(client, kind, payload));
    this.runner.nudge();
    return this.view(row);
  }

  /**
   * Queues a job inside the caller's transaction (a schedule firing: the job exists only if the
   * firing is recorded). The NOTIFY is delivered at commit; call `nudge()` after it for this process.
   */
  async enqueueIn(client: PoolClient, kind: VectorJobKind, payload: Record<string, unknown>, jobId = newVectorJobId(kind)): Promise<JobRow> {
    const { async: _async, ...request } = payload;
    const [inserted] = await query<JobRow>(client, insertJob({ jobId, kind: VECTOR_JOB_KINDS[kind], payload: request }));
    await query(client, notifyJobs());
    return inserted!;
  }

  /** Wakes this process's runner (jobs queued by a committed transaction). */
  nudge(): void {
    this.runner.nudge();
  }

  async get(jobId: string): Promise<VectorJobView> {
    const local = this.local(jobId);
    if (local) return this.view(local.job, local);
    return this.view(await this.find(jobId));
  }

  async list(filter: VectorJobFilter): Promise<VectorJobView[]> {
    const kinds = filter.kind ? [VECTOR_JOB_KINDS[filter.kind]] : ALL_KINDS;
    const rows = await query<JobRow>(this.pool, listJobsOfKinds(kinds, filter.status ?? null, filter.limit));
    return rows.map((row) => {
      const local = this.local(row.job_id);
      return local ? this.view(local.job, local) : this.view(row);
    });
  }

  /**
   * A queued job is cancelled at once. A running one is aborted: here directly (the answer waits
   * for its end, up to CANCEL_WAIT_MS), elsewhere through NOTIFY (and the heartbeat as fallback).
   * A job that has ended is a 409 JOB_NOT_RUNNING.
   */
  async cancel(jobId: string): Promise<VectorJobView> {
    if (this.local(jobId)) return this.cancelHere(jobId);
    const [row] = await query<JobRow>(this.pool, requestJobCancel(jobId, ALL_KINDS, JOB_CANCELLED_MESSAGE));
    if (!row) throw notRunning(await this.find(jobId));
    if (row.state === JOB_STATES.CANCELLED) {
      this.runner.jobEnded(row); // never claimed: its end is recorded here, not by a runner
      return this.view(row);
    }
    await query(this.pool, notifyCancel(jobId));
    // Claimed by this process between the first look and the update: abort it here.
    if (this.local(jobId)) return this.cancelHere(jobId);
    return this.view(row);
  }

  private async cancelHere(jobId: string): Promise<VectorJobView> {
    await this.runner.cancelLocal(jobId, CANCEL_WAIT_MS);
    const local = this.local(jobId);
    if (local) return this.view(local.job, local); // still stopping: `cancelling`
    const row = await this.find(jobId);
    // It reached its end before the abort took effect: the cancel changed nothing, say so.
    if (row.state !== JOB_STATES.CANCELLED) throw notRunning(row);
    return this.view(row);
  }

  private local(jobId: string): LocalJob | null {
    const local = this.runner.localJob(jobId);
    return local && vectorJobKindOf(local.job.kind) ? local : null;
  }

  private async find(jobId: string): Promise<JobRow> {
    const [row] = await query<JobRow>(this.pool, selectJob(jobId));
    if (!row || !vectorJobKindOf(row.kind)) throw new NotFoundError(`作业不存在: ${jobId}`, ERROR_TYPES.JOB_NOT_FOUND, { data: { job_id: jobId } });
    return row;
  }

  private view(row: JobRow, local?: LocalJob): VectorJobView {
    return vectorJobViewOf(row, local);
  }
}

/** A new job's id, e.g. `backup_20250722_010318_a1b2c3`. */
export function newVectorJobId(kind: VectorJobKind): string {
  return `${kind}_${fileTimestamp()}_${randomBytes(3).toString('hex')}`;
}

/** A vector job's row (and, while it runs here, its state in memory) as the API shows it. */
export function vectorJobViewOf(row: JobRow, local?: LocalJob): VectorJobView {
  const status = local ? (local.cancelling ? JOB_STATES.CANCELLING : JOB_STATES.RUNNING) : row.state;
  return {
    job_id: row.job_id,
    kind: vectorJobKindOf(row.kind)!,
    status,
    request: redactRequest(row.payload),
    created_at: iso(row.created_at)!,
    started_at: iso(row.started_at),
    finished_at: iso(row.completed_at),
    result: row.result,
    error: row.error_message === null ? null : redactSecrets(row.error_message),
    progress: ((local ? local.progress : null) ?? row.progress) as Record<string, unknown> | null,
  };
}

function notRunning(row: JobRow): ConflictError {
  return new ConflictError(`作业已结束 (状态: ${row.state})，无法取消: ${row.job_id}`, ERROR_TYPES.JOB_NOT_RUNNING, {
    data: { job_id: row.job_id, status: row.state },
  });
}
