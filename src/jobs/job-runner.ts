import { listen } from '../db/listen.js';
import { query, type Pool } from '../db/pool.js';
import { claimNextJob, failInterruptedJobs, finishJob, heartbeat, JOBS_CHANNEL, type JobRow } from '../db/sql/jobs.sql.js';
import { settleAbandonedTask } from '../db/sql/tasks.sql.js';
import type { Logger } from '../logger.js';
import { CancelledError, type ProgressReport, type TaskExecution } from './task-execution.js';

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

export const INTERRUPTED_MESSAGE = '执行被中断（服务重启或崩溃），请重新执行任务';

interface RunningJob {
  job: JobRow;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims queued executions (FOR UPDATE SKIP LOCKED, so several server processes share the work),
 * runs them with a heartbeat that carries progress and picks up cancel requests, and fails the
 * executions that died with a previous process. Loop errors are logged, never thrown.
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
    if (this.settings.listenUrl) this.unlisten = await listen(this.settings.listenUrl, JOBS_CHANNEL, () => this.nudge(), this.logger);
    this.loop = this.run();
  }

  /** Wakes the loop now (a job was enqueued in this process). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops claiming, lets running executions finish for `graceMs`, then cancels and fails them. */
  async stop(graceMs: number): Promise<void> {
    if (this.state === RUNNER_STATES.IDLE || this.state === RUNNER_STATES.STOPPED) return;
    this.state = RUNNER_STATES.STOPPING;
    this.nudge();
    await this.loop;
    const pending = [...this.running.values()];
    const finished = Promise.all(pending.map((r) => r.done));
    const timedOut = await Promise.race([finished.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(new CancelledError('服务关闭'));
      await Promise.race([Promise.all([...this.running.values()].map((r) => r.done)), sleep(5000)]);
      for (const r of this.running.values()) await this.failInterrupted(r.job.job_id, r.job.task_id, '执行被中断（服务关闭），请重新执行任务');
    }
    await this.unlisten?.();
    this.state = RUNNER_STATES.STOPPED;
  }

  private async run(): Promise<void> {
    while (this.state === RUNNER_STATES.RUNNING) {
      try {
        await this.recover(false);
        while (this.state === RUNNER_STATES.RUNNING && this.running.size < this.settings.concurrency) {
          const [job] = await query<JobRow>(this.pool, claimNextJob(this.settings.workerId));
          if (!job) break;
          this.launch(job);
        }
      } catch (err) {
        this.logger.warn({ err, component: 'job-runner' }, 'job loop iteration failed; retrying');
      }
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

  private launch(job: JobRow): void {
    const controller = new AbortController();
    const log = this.logger.child({ component: 'job-runner', jobId: job.job_id, taskId: job.task_id });
    let progress: ProgressReport | null = null;
    let dirty = false;
    const beat = async () => {
      const [row] = await query<{ cancel_requested: boolean }>(this.pool, heartbeat(job.job_id, dirty ? progress : null));
      dirty = false;
      if (row?.cancel_requested && !controller.signal.aborted) controller.abort(new CancelledError('任务已取消'));
    };
    const timer = setInterval(() => beat().catch((err: unknown) => log.warn({ err }, 'heartbeat failed')), this.settings.heartbeatMs);
    log.info({ mode: job.execution_mode, step: job.step_name }, 'execution started');
    const done = this.execution
      .run(job, controller.signal, (p) => {
        progress = p;
        dirty = true;
      })
      .then(
        async () => {
          await query(this.pool, finishJob(job.job_id, 'completed', null));
          log.info('execution completed');
        },
        async (err: unknown) => {
          const cancelled = controller.signal.aborted || err instanceof CancelledError;
          const message = (err as Error).message;
          await query(this.pool, finishJob(job.job_id, cancelled ? 'cancelled' : 'failed', message));
          await query(this.pool, settleAbandonedTask(job.task_id, cancelled ? 'cancelled' : 'failed', message));
          log.info({ err, cancelled }, 'execution ended without success');
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
    this.running.set(job.job_id, { job, controller, done });
  }

  /** At start-up: this worker's own active jobs; then periodically: anyone's stale ones. */
  private async recover(own: boolean): Promise<void> {
    if (!own && Date.now() - this.lastRecovery < this.settings.staleSeconds * 500) return;
    this.lastRecovery = Date.now();
    const dead = await query<JobRow>(this.pool, failInterruptedJobs(own ? this.settings.workerId : null, this.settings.staleSeconds, INTERRUPTED_MESSAGE));
    for (const job of dead) {
      await query(this.pool, settleAbandonedTask(job.task_id, 'failed', INTERRUPTED_MESSAGE));
      this.logger.warn({ component: 'job-runner', jobId: job.job_id, taskId: job.task_id }, 'interrupted execution marked failed');
    }
  }

  private async failInterrupted(jobId: string, taskId: string, message: string): Promise<void> {
    await query(this.pool, finishJob(jobId, 'failed', message)).catch(() => undefined);
    await query(this.pool, settleAbandonedTask(taskId, 'failed', message)).catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
