import { isLiveJob, type JobRow } from '../db/sql/jobs.sql.js';
import type { StepRow, TaskRow } from '../db/sql/tasks.sql.js';
import { localIsoTimestamp } from '../lib/time.js';

const iso = (d: Date | null | undefined) => (d ? localIsoTimestamp(new Date(d)) : null);

/** The original's one-word summary of the steps (its list returned only this string). */
export function stepSummary(steps: StepRow[]): string | null {
  if (steps.length === 0) return null;
  const statuses = steps.map((s) => s.step_status);
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('running')) return 'running';
  if (statuses.every((s) => s === 'completed' || s === 'skipped')) return 'all_completed';
  if (statuses.some((s) => s === 'completed')) return 'partial_completed';
  return 'pending';
}

function stepMap(steps: StepRow[]): Record<string, string> {
  return Object.fromEntries(steps.map((s) => [s.step_name, s.step_status]));
}

/** A list/query item: the original's fields, with `step_status` as the map the docs show. */
export function taskListItem(task: TaskRow, steps: StepRow[]) {
  return {
    task_id: task.task_id,
    task_name: task.task_name,
    status: task.status,
    step_status: stepMap(steps),
    step_status_summary: stepSummary(steps),
    created_at: iso(task.created_at),
    started_at: iso(task.started_at),
    completed_at: iso(task.completed_at),
    created_by: task.by_user,
    db_name: task.db_name,
    business_context: task.parameters?.business_context ?? null,
    directory_exists: task.directory_exists ?? true,
    updated_at: iso(task.updated_at),
  };
}

/** The training-data quality summary of the last run: sql_validation's (checked) else qa_generation's. */
function qualityOf(artifacts: unknown): unknown {
  const steps = (artifacts ?? {}) as Record<string, { quality?: unknown } | undefined>;
  return steps.sql_validation?.quality ?? steps.qa_generation?.quality ?? null;
}

/** GET /tasks/{id}: status, steps, the running step with its execution id and progress, results. */
export function taskDetail(task: TaskRow, steps: StepRow[], job: JobRow | null) {
  const running = steps.find((s) => s.step_status === 'running') ?? null;
  const live = isLiveJob(job) ? job : null;
  const progress = live?.progress ?? null;
  return {
    task_id: task.task_id,
    task_name: task.task_name,
    status: task.status,
    step_status: stepMap(steps),
    created_at: iso(task.created_at),
    started_at: iso(task.started_at),
    completed_at: iso(task.completed_at),
    parameters: task.parameters,
    result: task.result?.artifacts ?? null,
    quality: qualityOf(task.result?.artifacts),
    error_message: task.error_message,
    db_name: task.db_name,
    current_step: running
      ? { execution_id: running.execution_id, step: running.step_name, status: running.step_status, started_at: iso(running.started_at), progress }
      : null,
    progress,
    total_steps: steps.length,
    steps: steps.map((s) => ({
      step_name: s.step_name,
      step_status: s.step_status,
      execution_id: s.execution_id,
      started_at: iso(s.started_at),
      completed_at: iso(s.completed_at),
      error_message: s.error_message,
    })),
    execution: job
      ? {
          execution_id: job.job_id,
          state: job.state,
          execution_mode: job.execution_mode,
          step_name: job.step_name,
          queued_at: iso(job.created_at),
          started_at: iso(job.started_at),
          completed_at: iso(job.completed_at),
          error_message: job.error_message,
          cancel_requested: job.cancel_requested,
        }
      : null,
  };
}
