import { quoteIdent } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';

/** Where a set came from (never the connection string: it may hold a password). */
export function selectBackupSource(): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT current_database() AS database,
             current_setting('server_version') AS server_version,
             (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector_version`,
  };
}

/** Every index of the given tables, as runnable `CREATE INDEX` text (a restore can recreate them). */
export function listIndexDefinitions(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.relname AS table_name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)
       ORDER BY c.relname, ic.relname`,
    values: [tables],
  };
}

/**
 * Rows per collection. The embeddings are aggregated first (one scan, grouped by the foreign key),
 * then joined to the collections, so a collection with no rows shows 0. Column names come from the
 * catalog check of the caller (the LangChain layouts all use these four).
 */
export function countRowsPerCollection(): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.uuid::text AS uuid, c.name, coalesce(e.n, 0)::bigint AS rows
        FROM langchain_pg_collection c
        LEFT JOIN (SELECT collection_id, count(*) AS n FROM langchain_pg_embedding GROUP BY collection_id) e
               ON e.collection_id = c.uuid
       ORDER BY c.name, c.uuid`,
  };
}

/** The width of the first non-null vector: the dimension of an unconstrained `vector` column. */
export function selectVectorDimension(table: string, column: string): SqlQuery {
  return {
    text: /* SQL */ `SELECT vector_dims(${quoteIdent(column)}) AS dims FROM ${quoteIdent(table)} WHERE ${quoteIdent(column)} IS NOT NULL LIMIT 1`,
  };
}

/**
 * Planner estimates of the given tables: `reltuples` (-1 when never vacuumed or analysed) and the
 * on-disk size with TOAST and indexes. Cheap at any size: what a dry run reports.
 */
export function selectTableEstimates(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.relname AS table_name, c.reltuples::float8 AS reltuples, pg_total_relation_size(c.oid) AS bytes
        FROM pg_class c
       WHERE c.oid IN (SELECT to_regclass(name) FROM unnest($1::text[]) AS name)`,
    values: [tables],
  };
}

/**
 * A session advisory lock named by a set's location and stamp (servers sharing object storage share
 * the app database): taken without waiting; held until unlocked or the session ends (a crashed
 * server's lock goes with its connection).
 */
export function tryLockSetStamp(name: string): SqlQuery {
  return { text: /* SQL */ `SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, values: [`backup-set:${name}`] };
}

export function unlockSetStamp(name: string): SqlQuery {
  return { text: /* SQL */ `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, values: [`backup-set:${name}`] };
}
