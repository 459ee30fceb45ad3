import fs from 'node:fs/promises';
import path from 'node:path';
import { query, type Pool } from '../../db/pool.js';
import { latestDate } from '../../db/sql/catalog.sql.js';
import { foreignKeys, frequentValues, type ForeignKeyRow } from '../../db/sql/qa-quality.sql.js';
import { mapLimit } from '../../lib/map-limit.js';
import { splitTableName } from '../../introspection/database-tools.js';
import type { TableCommenter } from '../../introspection/table-commenter.js';
import type { TableDescription, TableInspector } from '../../introspection/table-inspector.js';
import { tableDocFiles } from '../ddl-generation.js';
import type { StepContext } from '../step-context.js';
import { joinEdges } from './join-graph.js';
import type { QaInput } from './qa-types.js';
import { liveRows, tableFacts } from './schema-facts.js';

/** Filter values per column: enough to vary questions, few enough to keep the query cheap. */
const VALUES_PER_COLUMN = 3;

/**
 * What the generators get: each listed table introspected (comments from the catalog), the
 * latest date of every date column, frequent values of the columns questions filter on (from
 * live rows; planner-estimated large tables keep the inspector's sample instead of a GROUP BY
 * scan), the key edges, and the step-1 Markdown as one document.
 */
export async function buildQaInput(ctx: StepContext, inspector: TableInspector, commenter: TableCommenter, tables: string[]): Promise<QaInput> {
  const pool = ctx.business.pool;
  const latestDates = new Map<string, string>();
  const sampledValues = new Map<string, string[]>();
  const described: TableDescription[] = await mapLimit(tables, 4, async (name) => {
    const [schema, table] = splitTableName(name);
    const description = await inspector.describeTable(pool, schema, table);
    const comments = await commenter.comment(description, ctx.businessContext, ctx.signal);
    for (const column of description.columns.filter((c) => /^(date|timestamp)/.test(c.data_type))) {
      const [row] = await query<{ v: string | null }>(pool, latestDate(description.qualifiedIdent, column.name));
      if (row?.v) latestDates.set(`${description.schema}.${description.name}.${column.name}`, row.v);
    }
    const result = {
      ...description,
      comment: comments.table ?? description.comment,
      columns: description.columns.map((c) => ({ ...c, comment: comments.columns.get(c.name) ?? c.comment })),
    };
    if (description.rowCountExact) await sampleFilterValues(pool, result, sampledValues);
    return result;
  });
  const declared = await query<ForeignKeyRow>(pool, foreignKeys(described.map((t) => `${t.schema}.${t.name}`)));
  const docs = await tableDocFiles(ctx.taskDir);
  const sections = await Promise.all(docs.map(async (f) => `${'='.repeat(80)}\n# 文件: ${f}\n${'='.repeat(80)}\n${await fs.readFile(path.join(ctx.taskDir, f), 'utf8')}`));
  const markdown = [`# 数据库表结构文档汇总`, `共包含 ${docs.length} 个表`, '', ...sections].join('\n');
  return { tables: described, markdown, businessContext: ctx.businessContext, latestDates, sampledValues, joins: joinEdges(described, declared) };
}

async function sampleFilterValues(pool: Pool, table: TableDescription, into: Map<string, string[]>): Promise<void> {
  const facts = tableFacts(table, new Map());
  const columns = [...facts.dimensions, ...facts.names, ...facts.codes, ...facts.measures.slice(0, 2)];
  for (const column of columns) {
    const rows = await query<{ v: string }>(pool, frequentValues(table.qualifiedIdent, column.name, liveRows(facts), VALUES_PER_COLUMN));
    into.set(`${table.schema}.${table.name}.${column.name}`, rows.map((r) => r.v));
  }
}
