import { quoteIdent } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';
import { CANCEL_REQUESTED } from './jobs.sql.js';

/** Tables up to this heap size are counted exactly when the catalog has no estimate (never analyzed). */
const EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The planner's row estimate of `table` (which must come from the catalog): reltuples per page
 * times the pages the table has now. With no usable statistics (reltuples -1, or none for the
 * pages it has now) a small table is counted exactly, a big one gives NULL (unknown). The count is
 * an InitPlan, evaluated only when its CASE branch is reached.
 */
export function estimateTableRows(table: string): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT CASE
               WHEN c.reltuples >= 0 AND c.relpages > 0
                 THEN round(c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::bigint))::bigint
               WHEN c.reltuples >= 0 AND pg_relation_size(c.oid) = 0 THEN 0
               WHEN pg_relation_size(c.oid) <= $2 THEN (SELECT count(*) FROM ${quoteIdent(table)})
             END AS rows
        FROM pg_class c
       WHERE c.oid = to_regclass($1)`,
    values: [quoteIdent(table), EXACT_COUNT_MAX_BYTES],
  };
}

/** Jobs of `kinds`, newest first, optionally of one state. */
export function listJobsOfKinds(kinds: readonly string[], state: string | null, limit: number): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT * FROM data_pipeline_jobs
       WHERE kind = ANY($1::text[]) AND ($2::text IS NULL OR state = $2::text)
       ORDER BY created_at DESC, job_id DESC
       LIMIT $3`,
    values: [kinds, state, limit],
  };
}

/**
 * Cancel of one job of `kinds`: a queued job is cancelled at once, a running one flagged
 * `cancelling` for its worker (woken by notifyCancel, else by its next heartbeat); a queued one gets
 * `cancelledMessage` as its error at once (a running one from its worker). No row back:
 * the job does not exist or has already ended.
 */
export function requestJobCancel(jobId: string, kinds: readonly string[], cancelledMessage: string): SqlQuery {
  return {
    text: /* SQL */ `
      UPDATE data_pipeline_jobs
         SET ${CANCEL_REQUESTED},
             error_message = CASE WHEN state = 'queued' THEN $3::text ELSE error_message END
       WHERE job_id = $1 AND kind = ANY($2::text[]) AND state IN ('queued', 'running', 'cancelling')
      RETURNING *`,
    values: [jobId, kinds, cancelledMessage],
  };
}

/**
 * The rows per second of the newest `limit` succeeded jobs of `kind` that moved at least `minRows`
 * rows (small jobs are mostly fixed cost), from the progress each job ended with.
 */
export function selectRecentJobRates(kind: string, minRows: number, limit: number): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT (progress->>'rows_per_sec')::float8 AS rows_per_sec
        FROM data_pipeline_jobs
       WHERE kind = $1 AND state = 'succeeded'
         AND (progress->>'rows_done')::bigint >= $2 AND (progress->>'rows_per_sec')::float8 > 0
       ORDER BY completed_at DESC
       LIMIT $3`,
    values: [kind, minRows, limit],
  };
}
