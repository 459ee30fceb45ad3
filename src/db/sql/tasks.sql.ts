import type { SqlQuery } from '../pool.js';
import { leaseHeld, type JobLease } from './jobs.sql.js';

export interface TaskRow {
  task_id: string;
  task_name: string | null;
  task_type: string;
  status: string;
  parameters: Record<string, unknown>;
  result: Record<string, unknown> | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  created_type: string | null;
  by_user: string | null;
  output_directory: string | null;
  db_name: string | null;
  directory_exists: boolean | null;
  updated_at: Date | null;
  db_connection: string | null;
}

export interface StepRow {
  task_id: string;
  step_name: string;
  step_status: string;
  execution_id: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
}

/**
 * Inserts the task and one pending row per step of `steps` (the caller's step list: SQL builders know
 * no domain); returns nothing when the id is taken (caller retries with a suffix).
 */
export function insertTask(
  task: {
    taskId: string;
    taskName: string | null;
    parameters: Record<string, unknown>;
    outputDirectory: string;
    dbName: string;
    dbConnection: string | null;
  },
  steps: readonly string[],
): SqlQuery {
  return {
    text: /* SQL */ `
      WITH task AS (
        INSERT INTO data_pipeline_tasks (task_id, task_name, task_type, status, parameters, created_type, by_user, output_directory, db_name, db_connection)
        VALUES ($1, $2, 'data_workflow', 'pending', $3, 'api', 'guest', $4, $5, $6)
        ON CONFLICT (task_id) DO NOTHING
        RETURNING task_id, created_at
      ), steps AS (
        INSERT INTO data_pipeline_task_steps (task_id, step_name, step_status)
        SELECT task.task_id, s.name, 'pending' FROM task, unnest($7::text[]) AS s(name)
      )
      SELECT task_id, created_at FROM task`,
    values: [task.taskId, task.taskName, task.parameters, task.outputDirectory, task.dbName, task.dbConnection, steps],
  };
}

export function selectTask(taskId: string): SqlQuery {
  return { text: /* SQL */ `SELECT * FROM data_pipeline_tasks WHERE task_id = $1`, values: [taskId] };
}

/**
 * The step rows of `taskIds`, each task's rows in `stepOrder` (the caller's step list). Without it
 * the rows of a task come in no particular order: enough for callers that only aggregate them.
 */
export function selectSteps(taskIds: readonly string[], stepOrder: readonly string[] = []): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT task_id, step_name, step_status, execution_id, started_at, completed_at, error_message
        FROM data_pipeline_task_steps
       WHERE task_id = ANY($1::text[])
       ORDER BY task_id, array_position($2::text[], step_name::text)`,
    values: [taskIds, stepOrder],
  };
}

export interface TaskFilters {
  status?: string;
  taskName?: string;
  createdBy?: string;
  dbName?: string;
  createdFrom?: string;
  createdTo?: string;
  startedFrom?: string;
  startedTo?: string;
  completedFrom?: string;
  completedTo?: string;
}

const SORTABLE = { created_at: 'created_at', started_at: 'started_at', completed_at: 'completed_at', task_name: 'task_name', status: 'status' } as const;
export type TaskSortField = keyof typeof SORTABLE;

/** WHERE clause and values for the list/query filters; every value is a parameter. */
function whereClause(f: TaskFilters): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const parts: string[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    parts.push(sql.replace('?', `$${values.length}`));
  };
  if (f.status) add('status = ?', f.status);
  if (f.taskName) add(`task_name ILIKE '%' || ? || '%'`, f.taskName.replace(/[\\%_]/g, (c) => `\\${c}`));
  if (f.createdBy) add('by_user = ?', f.createdBy);
  if (f.dbName) add('db_name = ?', f.dbName);
  if (f.createdFrom) add('created_at >= ?::timestamp', f.createdFrom);
  if (f.createdTo) add('created_at <= ?::timestamp', f.createdTo);
  if (f.startedFrom) add('started_at >= ?::timestamp', f.startedFrom);
  if (f.startedTo) add('started_at <= ?::timestamp', f.startedTo);
  if (f.completedFrom) add('completed_at >= ?::timestamp', f.completedFrom);
  if (f.completedTo) add('completed_at <= ?::timestamp', f.completedTo);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', values };
}

export function countTasks(filters: TaskFilters): SqlQuery {
  const where = whereClause(filters);
  return { text: /* SQL */ `SELECT count(*) AS n FROM data_pipeline_tasks ${where.sql}`, values: where.values };
}

/** `sort` is checked against SORTABLE by the caller's schema; `order` is asc|desc. */
export function listTasks(filters: TaskFilters, sort: TaskSortField, order: 'asc' | 'desc', limit: number, offset: number): SqlQuery {
  const where = whereClause(filters);
  const n = where.values.length;
  return {
    text: /* SQL */ `
      SELECT * FROM data_pipeline_tasks ${where.sql}
       ORDER BY ${SORTABLE[sort]} ${order === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, task_id ${order === 'asc' ? 'ASC' : 'DESC'}
       LIMIT $${n + 1} OFFSET $${n + 2}`,
    values: [...where.values, limit, offset],
  };
}

/*
 * The writes of a running job below take its JobLease and return a row only when it is
 * still held: no row back means another worker's recovery took the job over.
 */

export function updateTaskStatus(taskId: string, status: string, errorMessage: string | null, lease: JobLease): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_tasks
         SET status = $2::text,
             error_message = $3::text,
             completed_at = CASE WHEN $2::text IN ('completed', 'failed', 'cancelled', 'partial_completed') THEN now()::timestamp ELSE completed_at END,
             updated_at = now()::timestamp
       WHERE task_id = $1 AND ${leaseHeld(4)}
      RETURNING task_id`,
    values: [taskId, status, errorMessage, lease.jobId, lease.workerId],
  };
}

/** A new run starts: stale errors and end times of earlier runs are cleared. */
export function markTaskStarted(taskId: string, lease: JobLease): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_tasks
         SET status = 'in_progress', error_message = NULL, completed_at = NULL,
             started_at = now()::timestamp, updated_at = now()::timestamp
       WHERE task_id = $1 AND ${leaseHeld(2)}
      RETURNING task_id`,
    values: [taskId, lease.jobId, lease.workerId],
  };
}

export function setTaskResult(taskId: string, result: Record<string, unknown>, lease: JobLease): SqlQuery {
  return {
    text: /* SQL */ `UPDATE data_pipeline_tasks SET result = $2 WHERE task_id = $1 AND ${leaseHeld(3)} RETURNING task_id`,
    values: [taskId, result, lease.jobId, lease.workerId],
  };
}

export function updateStep(taskId: string, step: string, status: string, fields: { executionId?: string; error?: string | null }, lease: JobLease): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_task_steps
         SET step_status = $3::text,
             execution_id = COALESCE($4::text, execution_id),
             error_message = CASE WHEN $3::text IN ('running', 'pending', 'skipped') THEN NULL ELSE COALESCE($5::text, error_message) END,
             started_at = CASE WHEN $3::text = 'running' THEN now()::timestamp WHEN $3::text = 'pending' THEN NULL ELSE started_at END,
             completed_at = CASE WHEN $3::text IN ('completed', 'failed', 'skipped', 'cancelled') THEN now()::timestamp ELSE NULL END
       WHERE task_id = $1 AND step_name = $2 AND ${leaseHeld(6)}
      RETURNING step_name`,
    values: [taskId, step, status, fields.executionId ?? null, fields.error ?? null, lease.jobId, lease.workerId],
  };
}

export function deleteTaskRow(taskId: string): SqlQuery {
  return { text: /* SQL */ `DELETE FROM data_pipeline_tasks WHERE task_id = $1`, values: [taskId] };
}

/** Serialises deletions of one task: a second DELETE waits here, then finds the row gone. */
export function lockTaskRow(taskId: string): SqlQuery {
  return { text: /* SQL */ `SELECT task_id FROM data_pipeline_tasks WHERE task_id = $1 FOR UPDATE`, values: [taskId] };
}

export function markDirectoryDeleted(taskId: string): SqlQuery {
  return {
    text: /* SQL */ `UPDATE data_pipeline_tasks SET directory_exists = FALSE, updated_at = now()::timestamp WHERE task_id = $1`,
    values: [taskId],
  };
}

/**
 * A job ended without settling its task (crash, restart, shutdown, cancel of a queued job,
 * an error outside any step): the running step and the task take `status` (failed|cancelled) with
 * the reason. Tasks already settled are left alone. A worker settling its own job passes its
 * lease (and settles before it ends the job); recovery and the cancel of a queued job, which end
 * the job themselves, pass none.
 */
export function settleAbandonedTask(taskId: string, status: 'failed' | 'cancelled', message: string, lease?: JobLease): SqlQuery {
  const fence = lease ? `AND ${leaseHeld(4)}` : '';
  return {
    text: /* SQL */ `
      WITH steps AS (
        UPDATE data_pipeline_task_steps
           SET step_status = $2::text, error_message = $3::text, completed_at = now()::timestamp
         WHERE task_id = $1 AND step_status = 'running' ${fence}
      )
      UPDATE data_pipeline_tasks
         SET status = $2::text, error_message = $3::text, completed_at = now()::timestamp, updated_at = now()::timestamp
       WHERE task_id = $1 AND status IN ('in_progress', 'pending') ${fence}`,
    values: lease ? [taskId, status, message, lease.jobId, lease.workerId] : [taskId, status, message],
  };
}
