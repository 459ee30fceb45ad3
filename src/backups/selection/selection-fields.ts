import { ERROR_TYPES, ValidationError } from '../../errors.js';

/** What a restore without truncate does with a row whose key the table already holds (SPEC §7). */
export const ON_CONFLICT_MODES = ['error', 'skip', 'upsert'] as const;
export type OnConflict = (typeof ON_CONFLICT_MODES)[number];

/** A truncate clears whole tables: with a selection it would clear rows the set does not hold. */
export const BACKUP_EXCLUSIVE_FIELDS = [['include', 'exclude'], ['truncate_vector_tables', 'include'], ['truncate_vector_tables', 'exclude']] as const;

export const RESTORE_EXCLUSIVE_FIELDS = [['include', 'exclude'], ['collection_suffix', 'collection_renames']] as const;

/**
 * Refuses fields given together (400 naming both). The routes' schemas check the same; this guards
 * callers that reach a service without them (jobs queued before an upgrade, other services).
 */
export function assertCompatible(fields: Record<string, unknown>, pairs: readonly (readonly [string, string])[]): void {
  const given = (v: unknown) => v !== undefined && v !== false;
  for (const [a, b] of pairs) {
    if (given(fields[a]) && given(fields[b])) {
      throw new ValidationError(`参数 ${a} 与 ${b} 不能同时指定`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: [a, b] });
    }
  }
}
