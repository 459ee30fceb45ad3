import { quoteIdent } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';
import { OWN_QUERY_MARK } from './qa-quality.sql.js';

/** Ordinary and partitioned tables (like the original's pg_tables), optionally filtered by LIKE. */
export function listTables(schemas: readonly string[], likePattern: string | null): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT n.nspname AS schema_name, c.relname AS table_name
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p')
         AND n.nspname = ANY($1::text[])
         AND ($2::text IS NULL OR c.relname LIKE $2 ESCAPE '\\')
       ORDER BY n.nspname, c.relname`,
    values: [schemas, likePattern],
  };
}

export interface TableRow {
  oid: number;
  schema_name: string;
  table_name: string;
  qualified_ident: string;
  comment: string | null;
  /** pg_class.reltuples; null when unknown (-1: never vacuumed or analysed, PostgreSQL 14+). */
  estimated_rows: number | null;
  table_size: string;
}

/** One table by exact schema and name, with what the catalog knows without scanning it. */
export function findTable(schema: string, table: string): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT c.oid::int8 AS oid,
             n.nspname AS schema_name,
             c.relname AS table_name,
             quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified_ident,
             obj_description(c.oid, 'pg_class') AS comment,
             CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::int8 END AS estimated_rows,
             pg_size_pretty(pg_total_relation_size(c.oid)) AS table_size
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    values: [schema, table],
  };
}

export interface ColumnInfoRow {
  name: string;
  ident: string;
  data_type: string;
  formatted_type: string;
  udt_name: string;
  nullable: boolean;
  column_default: string | null;
  max_length: number | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  comment: string | null;
  generated: boolean;
  is_primary_key: boolean;
  is_foreign_key: boolean;
  pk_position: number | null;
}

/** Columns by attribute number (so comments never shift after a dropped column), with key flags. */
export function listColumns(oid: number): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT a.attname AS name,
             quote_ident(a.attname) AS ident,
             format_type(a.atttypid, NULL) AS data_type,
             format_type(a.atttypid, a.atttypmod) AS formatted_type,
             t.typname AS udt_name,
             NOT a.attnotnull AS nullable,
             pg_get_expr(d.adbin, d.adrelid) AS column_default,
             information_schema._pg_char_max_length(a.atttypid, a.atttypmod) AS max_length,
             information_schema._pg_numeric_precision(a.atttypid, a.atttypmod) AS numeric_precision,
             information_schema._pg_numeric_scale(a.atttypid, a.atttypmod) AS numeric_scale,
             col_description(a.attrelid, a.attnum) AS comment,
             a.attgenerated <> '' AS generated,
             pk.conkey IS NOT NULL AS is_primary_key,
             EXISTS (SELECT 1 FROM pg_constraint f
                      WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND a.attnum = ANY (f.conkey)) AS is_foreign_key,
             array_position(pk.conkey, a.attnum) AS pk_position
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_constraint pk ON pk.conrelid = a.attrelid AND pk.contype = 'p' AND a.attnum = ANY (pk.conkey)
       WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
    values: [oid],
  };
}

/**
 * COUNT(*) that reads at most `limit` rows: a table whose statistics are missing or stale is never
 * scanned past the size that makes it "large". `qualifiedIdent` comes from findTable.
 */
export function countRowsUpTo(qualifiedIdent: string, limit: number): SqlQuery {
  return { text: /* SQL */ `SELECT ${OWN_QUERY_MARK} count(*) AS n FROM (SELECT 1 FROM ${qualifiedIdent} LIMIT $1) s`, values: [limit] };
}

/**
 * The planner's row estimate, read from the plan without running it. Without statistics it is the
 * table's current block count times a density from the column types; with stale ones, reltuples
 * scaled to the current size — both what PostgreSQL itself plans with. Partitions are summed.
 */
export function planRowEstimate(qualifiedIdent: string): SqlQuery {
  return { text: /* SQL */ `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${qualifiedIdent}` };
}

/** Sample rows as text (no type parsing), from a block sample when the table is large. */
export function sampleRows(qualifiedIdent: string, columns: readonly string[], limit: number, blockSamplePercent: number | null): SqlQuery {
  const list = columns.map((c) => `${quoteIdent(c)}::text`).join(', ');
  const sampling = blockSamplePercent === null ? '' : ` TABLESAMPLE SYSTEM (${Number(blockSamplePercent)})`;
  return { text: /* SQL */ `SELECT ${OWN_QUERY_MARK} ${list} FROM ${qualifiedIdent}${sampling} LIMIT $1`, values: [limit] };
}

/**
 * Distinct values of one column among the first `scanLimit` rows, most frequent first; one more
 * than `maxValues` is fetched so the caller can tell "too many to be an enum".
 */
export function distinctValues(qualifiedIdent: string, column: string, scanLimit: number, maxValues: number): SqlQuery {
  const col = quoteIdent(column);
  return {
    text: /* SQL */ `
      SELECT ${OWN_QUERY_MARK} v, count(*) AS n
        FROM (SELECT ${col}::text AS v FROM ${qualifiedIdent} WHERE ${col} IS NOT NULL LIMIT $1) s
       GROUP BY v ORDER BY n DESC, v LIMIT $2`,
    values: [scanLimit, maxValues + 1],
  };
}

/** The latest value of a date/timestamp column, as an ISO date (time filters in generated questions). */
export function latestDate(qualifiedIdent: string, column: string): SqlQuery {
  return { text: /* SQL */ `SELECT ${OWN_QUERY_MARK} max(${quoteIdent(column)})::date::text AS v FROM ${qualifiedIdent}` };
}

/** The name of the database a pool is connected to (what a message about "which database" must name). */
export function currentDatabase(): SqlQuery {
  return { text: /* SQL */ `SELECT current_database() AS name`, values: [] };
}
