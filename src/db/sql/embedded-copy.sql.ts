import pg from 'pg';
import { quoteIdent, quoteIdentList } from '../identifiers.js';
import type { SqlQuery } from '../pool.js';
import { uuidFilterCondition, type UuidRowFilter } from './vector-tables.sql.js';

/** The primary-key columns of a table, in key order (empty when it has none). */
export function listPrimaryKeyColumns(table: string): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT a.attname AS column_name
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, position)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = to_regclass($1)
         AND i.indisprimary
       ORDER BY k.position`,
    values: [table],
  };
}

/**
 * The key of the last row of the next batch: the `rows`-th key after `after` (null: from the
 * start). Keys come back as text, to be read back by the column types' own input functions.
 * `table` and `key` must come from the catalog.
 */
export function selectBatchLastKey(
  table: string,
  key: readonly string[],
  after: readonly string[] | null,
  rows: number,
  filter?: UuidRowFilter,
): SqlQuery {
  const keyList = quoteIdentList(key);
  const afterValues = after ?? [];
  const conditions = [
    ...(after ? [`(${keyList}) > (${after.map((_, i) => `$${i + 1}`).join(', ')})`] : []),
    ...(filter ? [uuidFilterCondition(filter)] : []),
  ];
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return {
    text: /* SQL */ `
      SELECT ${key.map((k, i) => `${quoteIdent(k)}::text AS k${i}`).join(', ')}
        FROM ${quoteIdent(table)}
        ${where}
       ORDER BY ${keyList}
      OFFSET $${afterValues.length + 1} LIMIT 1`,
    values: [...afterValues, rows - 1],
  };
}

/**
 * `COPY (SELECT … WHERE key > after AND key <= upTo ORDER BY key) TO STDOUT` of one batch.
 * COPY takes no parameters, so the two keys are inlined with pg's escapeLiteral; they are values
 * this database just returned (selectBatchLastKey), never request text, and an untyped literal
 * takes the key column's type, so the comparison uses the primary-key index.
 */
export function copyBatchToCsv(
  table: string,
  columns: readonly string[],
  key: readonly string[],
  bounds: { after: readonly string[] | null; upTo: readonly string[] | null },
  header: boolean,
  filter?: UuidRowFilter,
): string {
  const keyList = quoteIdentList(key);
  const row = (values: readonly string[]) => `(${values.map((v) => pg.escapeLiteral(v)).join(', ')})`;
  const conditions = [
    ...(bounds.after ? [`(${keyList}) > ${row(bounds.after)}`] : []),
    ...(bounds.upTo ? [`(${keyList}) <= ${row(bounds.upTo)}`] : []),
    ...(filter ? [uuidFilterCondition(filter)] : []),
  ];
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return /* SQL */ `COPY (SELECT ${quoteIdentList(columns)} FROM ${quoteIdent(table)}${where} ORDER BY ${keyList}) TO STDOUT WITH (FORMAT csv, HEADER ${header})`;
}
