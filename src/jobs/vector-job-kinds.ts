import { JOB_KINDS } from '../db/sql/jobs.sql.js';

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
