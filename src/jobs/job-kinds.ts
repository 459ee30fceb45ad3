/**
 * Every kind of job the engine runs, one handler each (registered in create-services). The value is
 * what `data_pipeline_jobs.kind` holds, so a kind is never renamed once released.
 */
export const JOB_KINDS = {
  TASK_EXECUTION: 'task_execution',
  VECTOR_BACKUP: 'vector_backup',
  VECTOR_RESTORE: 'vector_restore',
  /** Reserved for the verify handler (POST …/vector/verify with `async`); no server runs it yet. */
  VECTOR_VERIFY: 'vector_verify',
} as const;
export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];

/** The `kind` of a vector job as the API shows it (SPEC §7: backup | restore | verify) → its job kind. */
export const VECTOR_JOB_KINDS = {
  backup: JOB_KINDS.VECTOR_BACKUP,
  restore: JOB_KINDS.VECTOR_RESTORE,
  verify: JOB_KINDS.VECTOR_VERIFY,
} as const;
export type VectorJobKind = keyof typeof VECTOR_JOB_KINDS;
export const VECTOR_JOB_KIND_NAMES = Object.keys(VECTOR_JOB_KINDS) as VectorJobKind[];

/** The API name of a vector job kind (`vector_backup` → `backup`), null for any other kind. */
export function vectorJobKindOf(kind: string): VectorJobKind | null {
  return VECTOR_JOB_KIND_NAMES.find((k) => VECTOR_JOB_KINDS[k] === kind) ?? null;
}
