/**
 * Every kind of job the engine runs, one handler each (registered in create-services). The value is
 * what `data_pipeline_jobs.kind` holds, so a kind is never renamed once released.
 */
export const JOB_KINDS = {
  TASK_EXECUTION: 'task_execution',
} as const;
export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];
