import { shortComment } from '../../introspection/table-docs.js';
import type { ColumnDescription, TableDescription } from '../../introspection/table-inspector.js';
import { aliasFromComment } from './sql-alias.js';

export interface ColumnFact {
  name: string;
  ident: string;
  label: string;
  /** Frequent values among live rows (as text), most frequent first: filters that have answers. */
  values: string[];
  numeric: boolean;
}

/** What the template generator knows about one table, read from the catalog and a little data. */
export interface TableFacts {
  table: TableDescription;
  /** How SQL names it: bare for `public`, schema-qualified otherwise (already quoted). */
  ref: string;
  label: string;
  softDelete: ColumnFact | null;
  measures: ColumnFact[];
  dimensions: ColumnFact[];
  names: ColumnFact[];
  /** Business codes (`…_no`, `code`): exact-match filters. */
  codes: ColumnFact[];
  dates: (ColumnFact & { latest: string | null })[];
  keyColumn: ColumnFact | null;
}

const NUMERIC = /^(smallint|integer|bigint|numeric|real|double precision|money)$/;
const DATE_TYPES = /^(date|timestamp without time zone|timestamp with time zone)$/;
const AUDIT = /^(create|created|update|updated|delete|deleted)_(ts|at|time|by)$|^version$/;
const TOTAL = /(^|_)(sum|total|amount|count|qty|quantity)$/;
const NOT_A_MEASURE = /(^|_)(id|version|no|code|seq|sort|order_no|phone|lat|lng|latitude|longitude|type|status|state|flag)$/;

export function tableFacts(table: TableDescription, latestDates: Map<string, string>, sampled: Map<string, string[]> = new Map()): TableFacts {
  const fact = (column: ColumnDescription): ColumnFact => ({
    name: column.name,
    ident: column.ident,
    label: aliasFromComment(column.comment, column.name),
    values: sampled.get(`${table.schema}.${table.name}.${column.name}`) ?? column.samples,
    numeric: NUMERIC.test(column.data_type),
  });
  const columns = table.columns;
  const plain = columns.filter((c) => !c.is_primary_key && !AUDIT.test(c.name));
  const softDelete = columns.find((c) => c.name === 'delete_ts' || c.name === 'deleted_at');
  return {
    table,
    ref: table.schema === 'public' ? table.qualifiedIdent.replace(/^public\./, '') : table.qualifiedIdent,
    label: shortComment(table.comment) || table.name,
    softDelete: softDelete ? fact(softDelete) : null,
    measures: plain
      .filter((c) => NUMERIC.test(c.data_type) && !c.is_foreign_key && !c.enumValues && !NOT_A_MEASURE.test(c.name))
      // Totals first: `pay_sum` says more about a table than one of its parts (`wx`).
      .sort((a, b) => Number(TOTAL.test(b.name)) - Number(TOTAL.test(a.name)))
      .map((c) => fact(c)),
    dimensions: plain.filter((c) => c.enumValues !== null && c.enumValues.length > 1).map((c) => fact(c)),
    names: plain.filter((c) => /(^|_)name$/.test(c.name) && !c.enumValues).map((c) => fact(c)),
    codes: plain.filter((c) => /(^|_)(no|code)$/.test(c.name) && !c.enumValues).map((c) => fact(c)),
    dates: plain
      .filter((c) => DATE_TYPES.test(c.data_type))
      .sort((a, b) => Number(b.data_type === 'date') - Number(a.data_type === 'date'))
      .map((c) => ({ ...fact(c), latest: latestDates.get(`${table.schema}.${table.name}.${c.name}`) ?? null })),
    keyColumn: columns.find((c) => c.is_primary_key) ? fact(columns.find((c) => c.is_primary_key)!) : null,
  };
}

/** The soft-delete filters of several table references, `TRUE` only when none has one. */
export function allLive(...filters: string[]): string {
  const real = filters.filter((f) => f !== 'TRUE');
  return real.length ? real.join(' AND ') : 'TRUE';
}

/** Soft-delete filter for a table reference (`alias.` prefix in joins). */
export function liveRows(facts: TableFacts, prefix = ''): string {
  return facts.softDelete ? `${prefix}${facts.softDelete.ident} IS NULL` : 'TRUE';
}
