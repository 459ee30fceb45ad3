import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { redactRequest } from '../backups/vector-requests.js';
import { query, type Pool } from '../db/pool.js';
import { deleteSchedule, insertSchedule, listSchedules, type ScheduleListRow } from '../db/sql/backup-schedules.sql.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { fileTimestamp, localIsoTimestamp } from '../lib/time.js';

/** A schedule as the API shows it (SPEC §7 "Schedules"). */
export interface ScheduleView {
  schedule_id: string;
  cron: string;
  timezone: string;
  /** The backup fields each firing runs with, every password replaced by `***`. */
  request: Record<string, unknown>;
  created_at: string;
  next_run_at: string;
  last_job: { job_id: string; status: string | null } | null;
}

export interface NewSchedule {
  cron: string;
  timezone?: string | undefined;
  /** The backup fields as POST …/vector/backup takes them. */
  request: Record<string, unknown>;
}

/** The server's time zone (TZ as Node resolved it), else UTC. */
export function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The next firing of `cron` in `timezone` strictly after `from`; null when it never fires again
 * (e.g. `0 0 30 2 *`). Throws on a bad expression or an unknown time zone.
 */
export function nextFireAfter(cron: string, timezone: string, from: Date): Date | null {
  return new Cron(cron, { timezone, paused: true }).nextRun(from);
}

/** Validates the expression and the zone, each error naming its parameter; returns the first firing. */
export function firstFiring(cron: string, timezone: string, now: Date = new Date()): Date {
  try {
    // Intl knows the IANA names; croner only fails on an unknown zone once it converts a date.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new ValidationError(`参数 timezone 无效: ${timezone}（应为 IANA 时区名，如 Asia/Shanghai、UTC）`, undefined, { invalidParams: ['timezone'] });
  }
  let next: Date | null;
  try {
    next = nextFireAfter(cron, timezone, now);
  } catch {
    // croner's own message is English and names its class; the reply says what is expected instead.
    throw new ValidationError(`参数 cron 无效: "${cron}" 不是有效的 cron 表达式（5 段: 分 时 日 月 周，或 6 段: 秒 分 时 日 月 周）`, undefined, {
      invalidParams: ['cron'],
    });
  }
  if (!next) throw new ValidationError(`参数 cron 无效: 表达式 "${cron}" 之后不会再触发`, undefined, { invalidParams: ['cron'] });
  return next;
}

/** Create, list and delete backup schedules; firing is the ScheduleRunner's. */
export class BackupScheduleService {
  constructor(private readonly pool: Pool) {}

  async create(input: NewSchedule): Promise<ScheduleView> {
    const timezone = input.timezone ?? serverTimeZone();
    const nextRunAt = firstFiring(input.cron, timezone);
    const scheduleId = `schedule_${fileTimestamp()}_${randomBytes(3).toString('hex')}`;
    const [row] = await query<ScheduleListRow>(
      this.pool,
      insertSchedule({ schedule_id: scheduleId, cron: input.cron, timezone, request: input.request, next_run_at: nextRunAt }),
    );
    return scheduleViewOf(row!);
  }

  async list(): Promise<ScheduleView[]> {
    return (await query<ScheduleListRow>(this.pool, listSchedules())).map(scheduleViewOf);
  }

  async delete(scheduleId: string): Promise<void> {
    const rows = await query(this.pool, deleteSchedule(scheduleId));
    if (rows.length === 0) throw new NotFoundError(`备份计划不存在: ${scheduleId}`, undefined, { data: { schedule_id: scheduleId } });
  }
}

function scheduleViewOf(row: ScheduleListRow): ScheduleView {
  return {
    schedule_id: row.schedule_id,
    cron: row.cron,
    timezone: row.timezone,
    request: redactRequest(row.request),
    created_at: localIsoTimestamp(new Date(row.created_at)),
    next_run_at: localIsoTimestamp(new Date(row.next_run_at)),
    last_job: row.last_job_id ? { job_id: row.last_job_id, status: row.last_job_state } : null,
  };
}
