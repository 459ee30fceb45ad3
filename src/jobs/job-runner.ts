import { listen } from '../db/listen.js';
import { query, withTransaction, type Pool } from '../db/pool.js';
import {
  CANCEL_PREFIX,
  claimNextJob,
  failInterruptedJobs,
  finishJob,
  heartbeat,
  JOBS_CHANNEL,
  type JobLease,
  type JobRow,
} from '../db/sql/jobs.sql.js';
import { settleAbandonedTask } from '../db/sql/tasks.sql.js';
import type { Logger } from '../logger.js';
import { abortReason, CANCELLED_MESSAGE, CancelledError, INTERRUPTED_MESSAGE, InterruptedError, LeaseLostError, SHUTDOWN_MESSAGE } from './job-errors.js';
import type { ProgressReport, TaskExecution } from './handlers/task-execution.js';

export { INTERRUPTED_MESSAGE, SHUTDOWN_MESSAGE };

export interface JobRunnerSettings {
  /** Stable per server instance (host:port): on start-up, jobs it held are known to be dead. */
  workerId: string;
  concurrency: number;
  pollIntervalMs: number;
  heartbeatMs: number;
  /** Another worker's job whose heartbeat is older than this is considered dead. */
  staleSeconds: number;
  /** Where to LISTEN for prompt wake-ups; null for the embedded database, whose NOTIFY reaches the wrong connection. */
  listenUrl: string | null;
}

export const RUNNER_STATES = { IDLE: 'idle', RUNNING: 'running', STOPPING: 'stopping', STOPPED: 'stopped' } as const;
type RunnerState = (typeof RUNNER_STATES)[keyof typeof RUNNER_STATES];

/** How long a hung execution may take to notice its abort before the runner records it itself. */
const ABORT_SETTLE_MS = 5000;

interface RunningJob {
  job: JobRow;
  lease: JobLease;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims queued executions (FOR UPDATE SKIP LOCKED, so several server processes share the work),
 * runs them under a lease kept alive by a heartbeat that carries progress and picks up cancel
 * requests, and fails the executions that died with a previous process. Loop errors are logged,
 * never thrown.
 */
export class JobRunner {
  private state: RunnerState = RUNNER_STATES.IDLE;
  private readonly running = new Map<string, RunningJob>();
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private lastRecovery = 0;

  constructor(
    private readonly pool: Pool,
    private readonly execution: TaskExecution,
    private readonly logger: Logger,
    private readonly settings: JobRunnerSettings,
  ) {}

  async start(): Promise<void> {
    if (this.state !== RUNNER_STATES.IDLE) return;
    this.state = RUNNER_STATES.RUNNING;
    await this.recover(true);
    if (this.settings.listenUrl) this.unlisten = await listen(this.settings.listenUrl, JOBS_CHANNEL, (payload) => this.onNotify(payload), this.logger);
    this.loop = this.run();
  }

  /** Wakes the loop now (a job was enqueued in this process). */
  nudge(): void {
    this.wake?.();
  }

  /** The jobs this process is running now. */
  runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * A cancel of `jobId` was recorded: when it runs here, abort it now and wait (up to
   * `waitMs`) for its end to be recorded. False when it does not run in this process.
   */
  async cancelLocal(jobId: string, waitMs: number): Promise<boolean> {
    const r = this.running.get(jobId);
    if (!r) return false;
    if (!r.controller.signal.aborted) r.controller.abort(new CancelledError(CANCELLED_MESSAGE));
    await Promise.race([r.done, sleep(waitMs)]);
    return true;
  }

  /**
   * Stops claiming at once (synchronously, before the first await), lets running executions
   * finish for `graceMs`, then aborts them as interrupted: they end `failed`, never `cancelled`.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.state === RUNNER_STATES.IDLE || this.state === RUNNER_STATES.STOPPED) return;
    this.state = RUNNER_STATES.STOPPING;
    this.nudge();
    await this.loop;
    const finished = Promise.all([...this.running.values()].map((r) => r.done));
    const timedOut = await Promise.race([finished.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(new InterruptedError(SHUTDOWN_MESSAGE));
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), sleep(ABORT_SETTLE_MS)]);
      // Still not ended (an operation that ignores its signal): record it here, under the lease.
      for (const r of this.running.values()) await this.recordEnd(r.lease, r.job.task_id, 'failed', SHUTDOWN_MESSAGE).catch(() => undefined);
    }
    await this.unlisten?.();
    this.state = RUNNER_STATES.STOPPED;
  }

  private onNotify(payload: string | undefined): void {
    if (payload?.startsWith(CANCEL_PREFIX)) {
      const r = this.running.get(payload.slice(CANCEL_PREFIX.length));
      if (r && !r.controller.signal.aborted) r.controller.abort(new CancelledError(CANCELLED_MESSAGE));
      return;
    }
    this.nudge();
  }

  private async run(): Promise<void> {
    while (this.state === RUNNER_STATES.RUNNING) {
      try {
        await this.recover(false);
        while (this.state === RUNNER_STATES.RUNNING && this.running.size < this.settings.concurrency) {
          // Taken before the claim is sent: the claim's heartbeat_at is later, so a lease counted
          // from here never outlives the one other workers see.
          const claimedAt = Date.now();
          const [job] = await query<JobRow>(this.pool, claimNextJob(this.settings.workerId));
          if (!job) break;
          this.launch(job, claimedAt);
        }
      } catch (err) {
        this.logger.warn({ err, component: 'job-runner' }, 'job loop iteration failed; retrying');
      }
      if (this.state !== RUNNER_STATES.RUNNING) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.settings.pollIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private launch(job: JobRow, claimedAt: number): void {
    const controller = new AbortController();
    const lease: JobLease = { jobId: job.job_id, workerId: this.settings.workerId };
    const log = this.logger.child({ component: 'job-runner', jobId: job.job_id, taskId: job.task_id });
    const loseLease = (why: string) => {
      if (controller.signal.reason instanceof LeaseLostError) return;
      log.warn({ why }, 'lease lost: execution stopped, writing nothing more (recovery owns it)');
      controller.abort(new LeaseLostError(`执行 ${job.job_id} 的租约已丢失: ${why}`));
    };
    // Others may take the job over once its heartbeat is staleSeconds old; stop well before that
    // when no heartbeat got through (a blocked pool, a lost network), so no file is written after.
    const leaseMs = this.settings.staleSeconds * 750;
    let confirmedAt = claimedAt;
    let progress: ProgressReport | null = null;
    let dirty = false;
    let beating = false;
    const beat = async () => {
      if (beating) return; // one heartbeat in flight at a time, never a queue of them on a slow pool
      beating = true;
      const sentAt = Date.now();
      try {
        const [row] = await query<{ cancel_requested: boolean }>(this.pool, heartbeat(lease, dirty ? progress : null));
        if (!row) return loseLease('heartbeat matched no row held by this worker');
        confirmedAt = sentAt;
        dirty = false;
        if (row.cancel_requested && !controller.signal.aborted) controller.abort(new CancelledError(CANCELLED_MESSAGE));
      } catch (err) {
        log.warn({ err }, 'heartbeat failed');
      } finally {
        beating = false;
      }
    };
    const timer = setInterval(() => {
      if (controller.signal.reason instanceof LeaseLostError) return;
      if (Date.now() - confirmedAt > leaseMs) loseLease(`no heartbeat confirmed for ${Math.round((Date.now() - confirmedAt) / 1000)} s`);
      else void beat();
    }, this.settings.heartbeatMs);
    log.info({ mode: job.execution_mode, step: job.step_name }, 'execution started');
    const done = this.execution
      .run({ ...job, worker_id: lease.workerId }, controller.signal, (p) => {
        progress = p;
        dirty = true;
      })
      .then(
        async () => {
          if (await this.recordEnd(lease, job.task_id, 'completed', null)) log.info('execution completed');
          else log.warn('execution completed, but its lease was lost before the end was recorded');
        },
        async (err: unknown) => {
          const stopped = abortReason(controller.signal) ?? (err instanceof LeaseLostError ? err : null);
          if (stopped instanceof LeaseLostError) {
            log.warn({ err }, 'execution abandoned after losing its lease');
            return;
          }
          const cancelled = stopped instanceof CancelledError;
          const message = cancelled ? CANCELLED_MESSAGE : (stopped ?? (err as Error)).message;
          await this.recordEnd(lease, job.task_id, cancelled ? 'cancelled' : 'failed', message);
          log.info({ err, cancelled, interrupted: stopped instanceof InterruptedError }, 'execution ended without success');
        },
      )
      .catch(async (err: unknown) => {
        // The bookkeeping itself failed (database gone): leave it to recovery, but never crash.
        log.error({ err }, 'could not record the end of an execution');
      })
      .finally(() => {
        clearInterval(timer);
        this.running.delete(job.job_id);
        this.nudge();
      });
    this.running.set(job.job_id, { job, lease, controller, done });
  }

  /**
   * Settles the task (a step still `running`, a task still `in_progress`) and ends the job, in one
   * transaction and only under the lease. False when the lease was gone.
   */
  private async recordEnd(lease: JobLease, taskId: string, state: 'completed' | 'failed' | 'cancelled', message: string | null): Promise<boolean> {
    return withTransaction(this.pool, async (client) => {
      if (state !== 'completed') await query(client, settleAbandonedTask(taskId, state, message ?? '', lease));
      return (await query(client, finishJob(lease, state, message))).length > 0;
    });
  }

  /**
   * At start-up: this worker's own active jobs; then periodically: anyone's stale ones, except the
   * jobs this process is running (a slow heartbeat of a live job is not a death). Each job is failed
   * and its task settled in one transaction, so a re-execute never sees one without the other.
   */
  private async recover(own: boolean): Promise<void> {
    if (!own && Date.now() - this.lastRecovery < this.settings.staleSeconds * 500) return;
    this.lastRecovery = Date.now();
    const dead = await withTransaction(this.pool, async (client) => {
      const jobs = await query<JobRow>(
        client,
        failInterruptedJobs(own ? this.settings.workerId : null, this.settings.staleSeconds, INTERRUPTED_MESSAGE, this.runningJobIds()),
      );
      for (const job of jobs) await query(client, settleAbandonedTask(job.task_id, 'failed', INTERRUPTED_MESSAGE));
      return jobs;
    });
    for (const job of dead) {
      this.logger.warn({ component: 'job-runner', jobId: job.job_id, taskId: job.task_id, workerId: job.worker_id }, 'interrupted execution marked failed');
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
