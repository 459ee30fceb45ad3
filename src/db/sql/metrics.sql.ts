import type { SqlQuery } from '../pool.js';

/** Tasks per status, for the `text2sql_tasks` gauge: one aggregate per scrape, never a row scan per status. */
export function countTasksByStatus(): SqlQuery {
  return { text: /* SQL */ `SELECT status, count(*)::int AS n FROM data_pipeline_tasks GROUP BY status`, values: [] };
}
