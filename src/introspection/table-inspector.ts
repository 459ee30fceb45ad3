import { query, withClient, type Pool, type PoolClient } from '../db/pool.js';
import {
  countRowsUpTo,
  distinctValues,
  findTable,
  listColumns,
  listTables,
  planRowEstimate,
  sampleRows,
  type ColumnInfoRow,
  type TableRow,
} from '../db/sql/catalog.sql.js';
import { NotFoundError } from '../errors.js';

export interface InspectorSettings {
  /** Above this estimated row count, COUNT(*) and plain LIMIT sampling are replaced by estimates and block samples. */
  largeTableThreshold: number;
  sampleRows: number;
  /** Rows scanned per column when looking for enum-like values. */
  enumScanRows: number;
  /** More distinct values than this and a column is not an enum. */
  enumMaxValues: number;
}

export const DEFAULT_INSPECTOR_SETTINGS: InspectorSettings = {
  largeTableThreshold: 1_000_000,
  sampleRows: 20,
  enumScanRows: 5000,
  enumMaxValues: 20,
};

export interface ColumnDescription extends ColumnInfoRow {
  /** Up to a few distinct non-null sample values, as text. */
  samples: string[];
  /** Distinct values when the column looks like an enum (few values, repeated), else null. */
  enumValues: string[] | null;
}

export interface TableDescription {
  schema: string;
  name: string;
  qualifiedIdent: string;
  comment: string | null;
  rowCount: number;
  rowCountExact: boolean;
  tableSize: string;
  columns: ColumnDescription[];
}

/** Types whose few repeated values make an enum; numbers and timestamps never do. */
const ENUM_CANDIDATE_TYPES = new Set(['character varying', 'character', 'text', 'smallint', 'boolean', 'USER-DEFINED']);

/** The table is not in the catalog of the business database (not a permission problem: findTable reads pg_class). */
export class TableNotFoundError extends NotFoundError {}

const IDENTIFIER_OR_FREE_TEXT = /(^|_)(id|uuid|name|remark|desc|description|address|phone|email|url)$/i;

/**
 * Catalog introspection of a business database: a library with no HTTP in it, used by the database
 * tool routes and by the ddl_generation step. Identifiers come from the catalog and are quoted.
 */
export class TableInspector {
  constructor(private readonly settings: InspectorSettings = DEFAULT_INSPECTOR_SETTINGS) {}

  /** `schema.table` names, globally sorted. `pattern`: `*` matches any run; everything else is literal. */
  async listTables(pool: Pool, schemas: readonly string[], pattern: string | undefined): Promise<string[]> {
    const rows = await query<{ schema_name: string; table_name: string }>(pool, listTables(schemas, toLikePattern(pattern)));
    return rows.map((r) => `${r.schema_name}.${r.table_name}`).sort();
  }

  /** Those of `tables` ([schema, table]) that are no table of the database, as `schema.table`, in the given order. */
  async missingTables(pool: Pool, tables: readonly (readonly [string, string])[]): Promise<string[]> {
    const missing: string[] = [];
    for (const [schema, table] of tables) {
      if ((await query(pool, findTable(schema, table))).length === 0) missing.push(`${schema}.${table}`);
    }
    return missing;
  }

  async describeTable(pool: Pool, schema: string, table: string): Promise<TableDescription> {
    return withClient(pool, async (client) => {
      // A consistent view of one table; never writes.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await this.describe(client, schema, table);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  }

  private async describe(client: PoolClient, schema: string, table: string): Promise<TableDescription> {
    const [found] = await query<TableRow>(client, findTable(schema, table));
    if (!found) throw new TableNotFoundError(`表 ${schema}.${table} 不存在或无权限访问`);
    const columnRows = await query<ColumnInfoRow>(client, listColumns(found.oid));
    const { rowCount, exact } = await this.countRows(client, found);
    const large = !exact;

    const names = columnRows.map((c) => c.name);
    const samples = names.length === 0 ? [] : await query<Record<string, string | null>>(
      client,
      sampleRows(found.qualified_ident, names, this.settings.sampleRows, large ? blockSamplePercent(rowCount, this.settings.sampleRows) : null),
    );
    const columns: ColumnDescription[] = [];
    for (const column of columnRows) {
      const values = [...new Set(samples.map((row) => row[column.name]).filter((v): v is string => v !== null && v !== undefined))];
      columns.push({ ...column, samples: values.slice(0, 5), enumValues: await this.enumValues(client, found.qualified_ident, column) });
    }
    return {
      schema: found.schema_name,
      name: found.table_name,
      qualifiedIdent: found.qualified_ident,
      comment: found.comment,
      rowCount,
      rowCountExact: exact,
      tableSize: found.table_size,
      columns,
    };
  }

  /**
   * Exact below the threshold, an estimate above it, and never a scan past it: reltuples is -1
   * (unknown, not "small") on a table never vacuumed or analysed since PostgreSQL 14, and can be
   * stale on one that grew since, so only a known estimate above the threshold skips counting.
   */
  private async countRows(client: PoolClient, table: TableRow): Promise<{ rowCount: number; exact: boolean }> {
    const threshold = this.settings.largeTableThreshold;
    if (table.estimated_rows !== null && table.estimated_rows > threshold) return { rowCount: table.estimated_rows, exact: false };
    const [counted] = await query<{ n: number }>(client, countRowsUpTo(table.qualified_ident, threshold + 1));
    if (counted!.n <= threshold) return { rowCount: counted!.n, exact: true };
    const [explained] = await query<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(client, planRowEstimate(table.qualified_ident));
    return { rowCount: Math.max(counted!.n, Math.round(explained!['QUERY PLAN'][0]!.Plan['Plan Rows'])), exact: false };
  }

  /** An enum is a text-like, non-key column whose scanned values repeat and number at most enumMaxValues. */
  private async enumValues(client: PoolClient, qualifiedIdent: string, column: ColumnInfoRow): Promise<string[] | null> {
    if (column.is_primary_key || column.is_foreign_key || !ENUM_CANDIDATE_TYPES.has(column.data_type)) return null;
    // Identifiers and free text are distinct per row by nature, whatever a small table shows.
    if (IDENTIFIER_OR_FREE_TEXT.test(column.name)) return null;
    const rows = await query<{ v: string; n: number }>(
      client,
      distinctValues(qualifiedIdent, column.name, this.settings.enumScanRows, this.settings.enumMaxValues),
    );
    if (rows.length === 0 || rows.length > this.settings.enumMaxValues) return null;
    const scanned = rows.reduce((sum, r) => sum + r.n, 0);
    // Values must repeat: ten rows with ten distinct names are not an enum.
    if (rows.length > 1 && scanned < rows.length * 2) return null;
    return rows.map((r) => r.v).sort();
  }
}

/** `bss_*` → `bss\_%`: `*` is the only wildcard; `_`, `%` and `\` are literal (SPEC §6). */
export function toLikePattern(pattern: string | undefined): string | null {
  if (!pattern) return null;
  return pattern.replace(/[\\%_]/g, (ch) => `\\${ch}`).replace(/\*/g, '%');
}

/** Percent of blocks to read so a TABLESAMPLE yields about `wanted` rows (at least 0.01 %). */
function blockSamplePercent(estimatedRows: number, wanted: number): number {
  return Math.min(100, Math.max(0.01, ((wanted * 10) / Math.max(estimatedRows, 1)) * 100));
}
