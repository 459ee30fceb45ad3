import type { SqlQuery } from '../pool.js';

export interface ScheduleRow {
  schedule_id: string;
  cron: string;
  timezone: string;
  /** The backup fields as POST …/vector/backup takes them. */
  request: Record<string, unknown>;
  created_at: Date;
  next_run_at: Date;
  last_job_id: string | null;
}

/** A schedule with its last job's state (null when it never fired or the job is gone). */
export interface ScheduleListRow extends ScheduleRow {
  last_job_state: string | null;
}

export function insertSchedule(row: Omit<ScheduleRow, 'created_at' | 'last_job_id'>): SqlQuery {
  return {
    text: /* SQL */ `
      INSERT INTO backup_schedules (schedule_id, cron, timezone, request, next_run_at)
      VALUES ($1, $2, $3, $4, $5)
      RETURNING *, NULL::text AS last_job_state`,
    values: [row.schedule_id, row.cron, row.timezone, row.request, row.next_run_at],
  };
}

export function listSchedules(): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT s.*, j.state AS last_job_state
        FROM backup_schedules s
        LEFT JOIN data_pipeline_jobs j ON j.job_id = s.last_job_id
       ORDER BY s.created_at, s.schedule_id`,
    values: [],
  };
}

export function deleteSchedule(scheduleId: string): SqlQuery {
  return { text: /* SQL */ `DELETE FROM backup_schedules WHERE schedule_id = $1 RETURNING schedule_id`, values: [scheduleId] };
}

/**
 * Locks one due schedule; a schedule another server is firing right now is skipped (it will have
 * moved on by the time its lock is released), so runners never wait on each other.
 */
export function lockDueSchedule(): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT * FROM backup_schedules
       WHERE next_run_at <= now()
       ORDER BY next_run_at
       FOR UPDATE SKIP LOCKED
       LIMIT 1`,
    values: [],
  };
}

/** Returns the row only for the one transaction that records this firing first. */
export function insertFiring(scheduleId: string, fireAt: Date, jobId: string): SqlQuery {
  return {
    text: /* SQL */ `
      INSERT INTO backup_schedule_firings (schedule_id, fire_at, job_id)
      VALUES ($1, $2, $3)
      ON CONFLICT (schedule_id, fire_at) DO NOTHING
      RETURNING job_id`,
    values: [scheduleId, fireAt, jobId],
  };
}

/** `lastJobId` null keeps the last job (a firing already recorded elsewhere). */
export function advanceSchedule(scheduleId: string, nextRunAt: Date, lastJobId: string | null): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE backup_schedules
         SET next_run_at = $2, last_job_id = COALESCE($3, last_job_id)
       WHERE schedule_id = $1`,
    values: [scheduleId, nextRunAt, lastJobId],
  };
}
