import { query, withTransaction, type Pool } from '../db/pool.js';
import { advanceSchedule, deleteSchedule, insertFiring, lockDueSchedule, type ScheduleRow } from '../db/sql/backup-schedules.sql.js';
import type { Logger } from '../logger.js';
import { nextFireAfter } from './backup-schedule-service.js';
import { newVectorJobId, type VectorJobService } from './vector-job-service.js';

export interface ScheduleRunnerOptions {
  /** How often due schedules are looked for, ms (a cron has one-second resolution). */
  tickMs: number;
}

/** At most this many firings per tick, so one tick never holds the pool for long. */
const MAX_FIRINGS_PER_TICK = 50;

type Fired = 'fired' | 'skipped' | 'none';

/**
 * Fires due backup schedules: each firing is a vector_backup job. Every server sharing the
 * database runs one; a firing runs once because the schedule row is locked FOR UPDATE SKIP LOCKED
 * while it fires and the firing's (schedule_id, fire_at) row is inserted ON CONFLICT DO NOTHING in
 * the same transaction as the job and the schedule's next_run_at.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private running = false;

  constructor(
    private readonly pool: Pool,
    private readonly jobs: VectorJobService,
    private readonly logger: Logger,
    private readonly options: ScheduleRunnerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops ticking and waits for a tick under way (its transaction commits or rolls back). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        if (this.running) this.schedule(this.options.tickMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Fires what is due now; errors are logged and the next tick tries again. */
  async tick(): Promise<void> {
    let fired = 0;
    try {
      for (let i = 0; i < MAX_FIRINGS_PER_TICK && this.running; i++) {
        const outcome = await this.fireOne();
        if (outcome === 'none') break;
        if (outcome === 'fired') fired++;
      }
    } catch (err) {
      this.logger.error({ err }, 'backup schedule tick failed');
    }
    if (fired > 0) this.jobs.nudge(); // the jobs are committed: this process's runner may claim them now
  }

  private async fireOne(): Promise<Fired> {
    return withTransaction(this.pool, async (client) => {
      const [schedule] = await query<ScheduleRow>(client, lockDueSchedule());
      if (!schedule) return 'none';
      const fireAt = new Date(schedule.next_run_at);
      const jobId = newVectorJobId('backup');
      const [won] = await query(client, insertFiring(schedule.schedule_id, fireAt, jobId));
      if (won) await this.jobs.enqueueIn(client, 'backup', schedule.request, jobId);
      // Firings missed while no server ran collapse into the one just made: the next is after now.
      const now = new Date();
      const next = nextFireAfter(schedule.cron, schedule.timezone, now > fireAt ? now : fireAt);
      if (next) {
        await query(client, advanceSchedule(schedule.schedule_id, next, won ? jobId : null));
      } else {
        // Spent (a cron with a year that has passed): nothing would ever fire it again.
        await query(client, deleteSchedule(schedule.schedule_id));
        this.logger.info({ scheduleId: schedule.schedule_id }, 'backup schedule will not fire again: removed');
      }
      if (won) this.logger.info({ scheduleId: schedule.schedule_id, fireAt, jobId }, 'backup schedule fired');
      return won ? 'fired' : 'skipped';
    });
  }
}
