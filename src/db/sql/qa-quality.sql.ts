import { quoteIdent } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';

/**
 * Written into every statement the pipeline itself runs against business tables, so query-log
 * mining (pg_stat_statements keeps comments in its query text) never mistakes the pipeline's own
 * sampling and checks for what users run.
 */
export const OWN_QUERY_MARK = '/* t2s:internal */';

export interface ForeignKeyRow {
  from_schema: string;
  from_table: string;
  from_column: string;
  to_schema: string;
  to_table: string;
  to_column: string;
}

/** Declared single-column foreign keys between the given tables (`schema.table` names). */
export function foreignKeys(tables: readonly string[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT fn.nspname AS from_schema, fc.relname AS from_table, fa.attname AS from_column,
             tn.nspname AS to_schema, tc.relname AS to_table, ta.attname AS to_column
        FROM pg_constraint k
        JOIN pg_class fc ON fc.oid = k.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
        JOIN pg_class tc ON tc.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
        JOIN pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = k.conkey[1]
        JOIN pg_attribute ta ON ta.attrelid = k.confrelid AND ta.attnum = k.confkey[1]
       WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
         AND fn.nspname || '.' || fc.relname = ANY($1::text[])
         AND tn.nspname || '.' || tc.relname = ANY($1::text[])
       ORDER BY 1, 2, 3`,
    values: [tables],
  };
}

/**
 * The most frequent values of one column among live rows: filter values that exist, so generated
 * questions have answers. `liveFilter` is built from catalog names (`"delete_ts" IS NULL` or TRUE).
 */
export function frequentValues(qualifiedIdent: string, column: string, liveFilter: string, limit: number): SqlQuery {
  const col = quoteIdent(column);
  return {
    text: /* SQL */ `SELECT ${OWN_QUERY_MARK} ${col}::text AS v FROM ${qualifiedIdent}
       WHERE ${liveFilter} AND ${col} IS NOT NULL GROUP BY ${col} ORDER BY count(*) DESC, ${col} LIMIT $1`,
    values: [limit],
  };
}

/**
 * The execution check runs the SQL as written through a cursor and fetches at most `cap` rows:
 * every output column is computed (a wrapper such as `SELECT count(*) FROM (<sql>) q` lets the
 * planner drop unused columns, so a division by zero in the select list would go unseen), the
 * SQL's own LIMIT needs no care, and the cap bounds the work and the transfer. DECLARE, like the
 * EXPLAIN before it, accepts only a plain query. The caller runs both READ ONLY with a timeout.
 */
export function declareCheckCursor(sql: string): SqlQuery & { queryMode: 'extended' } {
  return { text: /* SQL */ `DECLARE t2s_execution_check NO SCROLL CURSOR FOR ${sql}`, queryMode: 'extended' };
}

export function fetchCheckCursor(cap: number): SqlQuery {
  return { text: /* SQL */ `FETCH FORWARD ${Math.max(1, Math.floor(cap))} FROM t2s_execution_check` };
}

export interface StatementRow {
  query: string;
  calls: number;
}

/** This database's statements, most called first (the view's schema comes from pg_extension). */
export function topStatements(extensionSchema: string, limit: number): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT s.query, s.calls::int8::float8 AS calls
        FROM ${quoteIdent(extensionSchema)}.pg_stat_statements s
       WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND s.query NOT LIKE '%t2s:internal%'
       ORDER BY s.calls DESC, s.query
       LIMIT $1`,
    values: [limit],
  };
}

export const statementsExtensionSchema: SqlQuery = {
  text: /* SQL */ `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`,
};
