import { listen } from '../db/listen.js';
import { query, withTransaction, type Pool } from '../db/pool.js';
import {
  CANCEL_PREFIX,
  claimNextJob,
  failInterruptedJobs,
  finishJob,
  JOB_STATES,
  JOBS_CHANNEL,
  type JobLease,
  type JobRow,
} from '../db/sql/jobs.sql.js';
import type { Logger } from '../logger.js';
import { abortReason, CANCELLED_MESSAGE, CancelledError, cancelledMessage, INTERRUPTED_MESSAGE, InterruptedError, LeaseLostError, SHUTDOWN_MESSAGE } from './job-errors.js';
import type { JobFailure, JobHandler } from './job-handler.js';
import { JobHeartbeat } from './job-heartbeat.js';

export { INTERRUPTED_MESSAGE, SHUTDOWN_MESSAGE };

export interface JobRunnerSettings {
  /** Stable per server instance (host:port): on start-up, jobs it held are known to be dead. */
  workerId: string;
  concurrency: number;
  pollIntervalMs: number;
  heartbeatMs: number;
  /** Another worker's job whose heartbeat is older than this is considered dead. */
  staleSeconds: number;
  /** Changed progress reaches the job's row within this many ms (SPEC §7: 250); unset: with the heartbeat only. */
  progressMs?: number;
  /** This process alone runs the database's jobs (embedded mode): silence of the heartbeat is no lost lease. */
  exclusive?: boolean;
  /** Where to LISTEN for prompt wake-ups; null for the embedded database, whose NOTIFY reaches the wrong connection. */
  listenUrl: string | null;
  /**
   * Told of every job whose end was recorded (succeeded, failed, cancelled; also jobs failed by
   * recovery), after the commit. Must not block: the runner does not wait for it, and what it
   * throws is logged and dropped.
   */
  onJobEnd?: (job: JobRow) => void;
}

export const RUNNER_STATES = { IDLE: 'idle', RUNNING: 'running', STOPPING: 'stopping', STOPPED: 'stopped' } as const;
type RunnerState = (typeof RUNNER_STATES)[keyof typeof RUNNER_STATES];

/** How long a hung execution may take to notice its abort before the runner records it itself. */
const ABORT_SETTLE_MS = 5000;

interface RunningJob {
  job: JobRow;
  handler: JobHandler;
  lease: JobLease;
  controller: AbortController;
  heartbeat: JobHeartbeat;
  done: Promise<void>;
}

/** A job running in this process, as it stands in memory (fresher than its row; see localJob). */
export interface LocalJob {
  job: JobRow;
  progress: object | null;
  /** A cancel was taken up: the job is stopping. */
  cancelling: boolean;
}

/**
 * Claims queued jobs of the kinds it has handlers for (FOR UPDATE SKIP LOCKED, so several server
 * processes share the work), runs each through its kind's handler under a lease kept alive by a
 * heartbeat that carries progress and picks up cancel requests, and fails the jobs that died with
 * a previous process. It knows no job kind itself. Loop errors are logged, never thrown.
 */
export class JobRunner {
  private state: RunnerState = RUNNER_STATES.IDLE;
  private readonly running = new Map<string, RunningJob>();
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private lastRecovery = 0;
  private readonly handlers = new Map<string, JobHandler>();

  constructor(
    private readonly pool: Pool,
    handlers: readonly JobHandler[],
    private readonly logger: Logger,
    private readonly settings: JobRunnerSettings,
  ) {
    for (const handler of handlers) {
      if (this.handlers.has(handler.kind)) throw new Error(`two handlers for job kind ${handler.kind}`);
      this.handlers.set(handler.kind, handler);
    }
  }

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

  /**
   * A job this process runs, from memory: its progress and cancel state never wait on the database.
   * In embedded mode (one session) the job's own transaction holds the only connection, so they
   * reach the row only when that transaction ends; readers ask here first. The entry lives until
   * the job's end is recorded.
   */
  localJob(jobId: string): LocalJob | null {
    const r = this.running.get(jobId);
    if (!r) return null;
    return { job: r.job, progress: r.heartbeat.progress, cancelling: r.controller.signal.reason instanceof CancelledError };
  }

  /**
   * Passes a recorded end to the settings' onJobEnd. Also for ends recorded outside the runner
   * (a queued job cancelled before any worker claimed it).
   */
  jobEnded(job: JobRow): void {
    try {
      this.settings.onJobEnd?.(job);
    } catch (err) {
      this.logger.warn({ err, component: 'job-runner', jobId: job.job_id }, 'job-end listener failed');
    }
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
      for (const r of this.running.values()) await this.recordEnd(r, null, { state: 'failed', message: SHUTDOWN_MESSAGE }).catch(() => undefined);
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
          const [job] = await query<JobRow>(this.pool, claimNextJob(this.settings.workerId, [...this.handlers.keys()]));
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
    const handler = this.handlers.get(job.kind)!; // claimed only for kinds in this.handlers
    const controller = new AbortController();
    const lease: JobLease = { jobId: job.job_id, workerId: this.settings.workerId };
    const log = this.logger.child({ component: 'job-runner', jobId: job.job_id, kind: job.kind, ...(job.task_id ? { taskId: job.task_id } : {}) });
    const heartbeat = new JobHeartbeat(this.pool, lease, controller, log, this.settings, claimedAt);
    log.info({ mode: job.execution_mode, step: job.step_name }, 'job started');
    const running: RunningJob = { job, handler, lease, controller, heartbeat, done: Promise.resolve() };
    const report = (p: object, options?: { urgent?: boolean }) => heartbeat.report(p, options?.urgent === true);
    running.done = Promise.resolve()
      .then(() => handler.run({ job: { ...job, worker_id: lease.workerId }, lease, signal: controller.signal, report }))
      .then(
        async (result) => {
          heartbeat.stop();
          if (await this.recordEnd(running, result ?? null, null)) log.info('job succeeded');
          else log.warn('job finished, but its lease was lost before the end was recorded');
        },
        async (err: unknown) => {
          heartbeat.stop();
          const stopped = abortReason(controller.signal) ?? (err instanceof LeaseLostError ? err : null);
          if (stopped instanceof LeaseLostError) {
            log.warn({ err }, 'job abandoned after losing its lease');
            return;
          }
          const cancelled = stopped instanceof CancelledError;
          const message = cancelled ? cancelledMessage(job.kind) : (stopped ?? (err as Error)).message;
          await this.recordEnd(running, null, { state: cancelled ? 'cancelled' : 'failed', message });
          log.info({ err, cancelled, interrupted: stopped instanceof InterruptedError }, 'job ended without success');
        },
      )
      .catch(async (err: unknown) => {
        // The bookkeeping itself failed (database gone): leave it to recovery, but never crash.
        log.error({ err }, 'could not record the end of a job');
      })
      .finally(() => {
        heartbeat.stop();
        this.running.delete(job.job_id);
        this.nudge();
      });
    this.running.set(job.job_id, running);
  }

  /**
   * Lets the handler settle its own rows (for a task: a step still `running`, the task still
   * `in_progress`) and ends the job, in one transaction and only under the lease. False when the
   * lease was gone.
   */
  private async recordEnd(r: RunningJob, result: object | null, failure: JobFailure | null): Promise<boolean> {
    const ended = await withTransaction(this.pool, async (client) => {
      if (failure) await r.handler.settle?.(client, r.job, failure, r.lease);
      const state = failure ? failure.state : JOB_STATES.SUCCEEDED;
      const [row] = await query<JobRow>(client, finishJob(r.lease, state, failure?.message ?? null, result, r.heartbeat.progress));
      return row ?? null;
    });
    if (ended) this.jobEnded(ended);
    return ended !== null;
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
      // A kind this server has no handler for is still failed (its worker is dead either way);
      // only its own rows wait for a server that knows the kind.
      for (const job of jobs) await this.handlers.get(job.kind)?.settle?.(client, job, { state: 'failed', message: INTERRUPTED_MESSAGE }, null);
      return jobs;
    });
    for (const job of dead) {
      this.jobEnded(job);
      this.logger.warn({ component: 'job-runner', jobId: job.job_id, kind: job.kind, taskId: job.task_id, workerId: job.worker_id }, 'interrupted job marked failed');
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
