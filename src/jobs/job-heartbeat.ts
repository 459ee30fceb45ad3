import { query, type Pool } from '../db/pool.js';
import { heartbeat, type JobLease } from '../db/sql/jobs.sql.js';
import type { Logger } from '../logger.js';
import { CANCELLED_MESSAGE, CancelledError, LeaseLostError } from './job-errors.js';

export interface JobHeartbeatSettings {
  heartbeatMs: number;
  /** Another worker's job whose heartbeat is older than this is considered dead. */
  staleSeconds: number;
  /** Changed progress reaches the row within this many ms (and an urgent report at once); unset: with the heartbeat only. */
  progressMs?: number;
  /**
   * No other process can run this database's jobs (embedded: its data directory is locked), so a
   * heartbeat that cannot get through never means the lease is lost: there the job's own
   * transaction holds the only connection, and a long restore would otherwise abort itself.
   */
  exclusive?: boolean;
}

/**
 * Keeps one running job's lease alive and carries its progress to the row. Every write is the one
 * heartbeat statement and only one is in flight at a time, so progress reaches the row in the order
 * it was reported (two writers could let an older percent land after a newer one). A cancel flag
 * found on the row aborts the job; a heartbeat that matches no row, or none confirmed for too long,
 * means the lease is lost and the job must stop writing.
 */
export class JobHeartbeat {
  /** The latest progress reported, written with the next heartbeat and with the job's end. */
  progress: object | null = null;
  private dirty = false;
  private beating = false;
  private again = false;
  private stopped = false;
  private confirmedAt: number;
  private lastSentAt = 0;
  private readonly timer: NodeJS.Timeout;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly lease: JobLease,
    private readonly controller: AbortController,
    private readonly log: Logger,
    private readonly settings: JobHeartbeatSettings,
    claimedAt: number,
  ) {
    this.confirmedAt = claimedAt;
    // Others may take the job over once its heartbeat is staleSeconds old; stop well before that
    // when no heartbeat got through (a blocked pool, a lost network), so no file is written after.
    const leaseMs = settings.staleSeconds * 750;
    this.timer = setInterval(() => {
      if (this.lost()) return;
      if (!settings.exclusive && Date.now() - this.confirmedAt > leaseMs) this.loseLease(`no heartbeat confirmed for ${Math.round((Date.now() - this.confirmedAt) / 1000)} s`);
      else void this.beat();
    }, settings.heartbeatMs);
  }

  report(progress: object, urgent = false): void {
    this.progress = progress;
    this.dirty = true;
    const every = this.settings.progressMs;
    if (every === undefined || this.stopped) return;
    if (this.flushTimer) {
      if (!urgent) return;
      clearTimeout(this.flushTimer);
    }
    const wait = urgent ? 0 : Math.max(0, this.lastSentAt + every - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.beat();
    }, wait);
  }

  /** The job has ended: its end is recorded with `progress`, and nothing more is written here. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private lost(): boolean {
    return this.controller.signal.reason instanceof LeaseLostError;
  }

  private loseLease(why: string): void {
    if (this.lost() || this.stopped) return;
    this.log.warn({ why }, 'lease lost: job stopped, writing nothing more (recovery owns it)');
    this.controller.abort(new LeaseLostError(`执行 ${this.lease.jobId} 的租约已丢失: ${why}`));
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.beating) {
      // One write in flight at a time, never a queue of them on a slow pool: the newest progress
      // follows as soon as this one is back.
      this.again = true;
      return;
    }
    this.beating = true;
    this.again = false;
    const sentAt = Date.now();
    this.lastSentAt = sentAt;
    const sending = this.dirty;
    this.dirty = false;
    try {
      const [row] = await query<{ cancel_requested: boolean }>(this.pool, heartbeat(this.lease, sending ? this.progress : null));
      // After the end was recorded the row is no longer held: that is not a lost lease.
      if (!row) return this.loseLease('heartbeat matched no row held by this worker');
      this.confirmedAt = sentAt;
      if (row.cancel_requested && !this.controller.signal.aborted) this.controller.abort(new CancelledError(CANCELLED_MESSAGE));
    } catch (err) {
      this.dirty ||= sending;
      this.log.warn({ err }, 'heartbeat failed');
    } finally {
      this.beating = false;
      if (this.again && this.dirty && !this.lost()) void this.beat();
    }
  }
}
