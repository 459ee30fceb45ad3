import { quoteIdentList } from '../db/identifiers.js';
import type { SqlQuery } from '../db/pool.js';
import type { DemoRow } from './demo-catalog.js';
import { DEMO_SCHEMA, qualifiedName, type DemoColumn, type DemoTable } from './demo-schema.js';

/** Arbitrary but fixed, next to the migration lock (8_084_001): concurrent seeders of one database queue on it. */
const DEMO_SEED_LOCK_KEY = 8_084_003;

/** The protocol's limit on bind parameters per statement. */
const MAX_PARAMETERS = 65_535;
const MAX_ROWS_PER_INSERT = 1000;

export function lockDemoSeed(): SqlQuery {
  return { text: /* SQL */ `SELECT pg_advisory_xact_lock($1)`, values: [DEMO_SEED_LOCK_KEY] };
}

/** to_char, not ::text: a date's text form follows the session's DateStyle, which need not be ISO. */
export function currentDate(): SqlQuery {
  return { text: /* SQL */ `SELECT to_char(CURRENT_DATE, 'YYYY-MM-DD') AS today`, values: [] };
}

/** The table's columns in catalog order, or null (no row) when there is no such table. */
export function tableColumns(table: DemoTable): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns
        FROM pg_class c WHERE c.oid = to_regclass($1)`,
    values: [qualifiedName(table)],
  };
}

export function tableHasRows(table: DemoTable): SqlQuery {
  return { text: /* SQL */ `SELECT EXISTS (SELECT 1 FROM ${qualifiedName(table)}) AS has_rows`, values: [] };
}

export function countRows(table: DemoTable): SqlQuery {
  return { text: /* SQL */ `SELECT count(*)::int AS rows FROM ${qualifiedName(table)}`, values: [] };
}

/** The COMMENT ON COLUMN statements of some of a table's columns (its additions, say), rendered as below. */
export function renderColumnComments(table: DemoTable, columns: readonly DemoColumn[]): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT string_agg(format('COMMENT ON COLUMN %I.%I.%I IS %L;', $1::text, $2::text, c.name, c.comment), ' ' ORDER BY c.ord) AS script
        FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS c(name, comment, ord)`,
    values: [DEMO_SCHEMA, table.name, columns.map((c) => c.name), columns.map((c) => c.comment)],
  };
}

/**
 * The COMMENT ON statements of one table, rendered by the server. COMMENT takes no bind
 * parameters, so the comments go in as $n values and format('%I', '%L') quotes them: nothing is
 * quoted by hand, and the script that comes back is run as it is.
 */
export function renderTableComments(table: DemoTable): SqlQuery {
  return {
    text: /* SQL */ `
      SELECT format('COMMENT ON TABLE %I.%I IS %L;', $1::text, $2::text, $3::text)
             || string_agg(format(' COMMENT ON COLUMN %I.%I.%I IS %L;', $1::text, $2::text, c.name, c.comment), '' ORDER BY c.ord)
             AS script
        FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS c(name, comment, ord)`,
    values: [DEMO_SCHEMA, table.name, table.comment, table.columns.map((c) => c.name), table.columns.map((c) => c.comment)],
  };
}

/** How many rows of `table` one INSERT may carry without passing the bind-parameter limit. */
export function insertBatchSize(table: DemoTable): number {
  return Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / table.columns.length));
}

/**
 * One multi-row INSERT. Every value is a $n parameter; inside INSERT … VALUES the server types each
 * one from its target column, so text such as '2023-04-01' or '4790.0000' lands as date / numeric.
 */
export function insertRows(table: DemoTable, rows: readonly DemoRow[]): SqlQuery {
  const columns = table.columns.map((c) => c.name);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    // A key the table does not have would otherwise be dropped without a word.
    if (Object.keys(row).length !== columns.length) {
      throw new Error(`a demo row for ${table.name} has columns ${Object.keys(row).join(', ')}; expected ${columns.join(', ')}`);
    }
    const placeholders = columns.map((column) => {
      const value = row[column];
      if (value === undefined) throw new Error(`a demo row for ${table.name} has no ${column}`);
      values.push(value);
      return `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  return {
    text: /* SQL */ `INSERT INTO ${qualifiedName(table)} (${quoteIdentList(columns)}) VALUES\n${tuples.join(',\n')}`,
    values,
  };
}
