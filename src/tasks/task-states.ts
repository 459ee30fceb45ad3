/**
 * The states of a task and of its steps, and the steps themselves: the one definition every layer
 * imports (the SQL builders take the step list as a parameter, so db/ never imports a domain).
 * Same values as the CHECK constraints of migration 001.
 */

/** The pipeline's steps, in run order (a complete execution runs them in this order). */
export const STEP_NAMES = ['ddl_generation', 'qa_generation', 'sql_validation', 'training_load'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export const TASK_STATUSES = ['pending', 'in_progress', 'partial_completed', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STEP_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export function isStepName(value: string): value is StepName {
  return (STEP_NAMES as readonly string[]).includes(value);
}
