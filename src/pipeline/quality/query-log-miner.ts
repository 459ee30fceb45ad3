import { query, type Pool } from '../../db/pool.js';
import { statementsExtensionSchema, topStatements, type StatementRow } from '../../db/sql/qa-quality.sql.js';
import { isSqlError } from '../read-only-explain.js';
import { splitStatements } from '../sql-statements.js';
import type { QaInput } from '../qa/qa-types.js';
import { tableFacts } from '../qa/schema-facts.js';
import { sqlString } from '../qa/sql-alias.js';
import { isWord, tokenize, type SqlToken } from './sql-tokens.js';

/** How many of the most-called statements are read; the mined ones are the read-only ones on the task's tables. */
const STATEMENTS_READ = 500;
const MAX_MINED = 20;

export interface MinedStatement {
  sql: string;
  calls: number;
}

export interface QueryLogOutcome {
  available: boolean;
  note: string;
  mined: MinedStatement[];
  skipped: { sql: string; reason: string }[];
}

const COMPARISON = new Set(['=', '<>', '!=', '<', '<=', '>', '>=', 'like', 'ilike']);
/** Type names that may sit between an operator and a literal: `d >= DATE $1`. */
const TYPE_WORDS = new Set(['date', 'timestamp', 'timestamptz', 'time', 'interval', 'numeric', 'integer', 'int', 'bigint', 'text', 'varchar']);
const SYSTEM_NAME = /^(pg_|information_schema$)/;

/**
 * The most-called read-only statements touching the task's tables, from pg_stat_statements in the
 * business database. Normalised parameters (`$1`) are filled where the statement shows what they
 * stand for: `<column> <op> $n`, `<column> IN ($n, …)`, `BETWEEN $n AND $m` get a value sampled
 * from that column, `LIMIT $n` 10 and `OFFSET $n` 0; a statement with any other parameter (one in
 * the select list, a function argument) is skipped, and the outcome says which and why.
 * Without the extension (not installed in this database, or not preloaded) the outcome says so.
 */
export async function mineQueryLog(pool: Pool, input: QaInput): Promise<QueryLogOutcome> {
  const [ext] = await query<{ schema: string }>(pool, statementsExtensionSchema);
  if (!ext) return { available: false, note: '业务数据库未安装 pg_stat_statements 扩展 (CREATE EXTENSION pg_stat_statements)，跳过查询日志挖掘', mined: [], skipped: [] };
  let rows: StatementRow[];
  try {
    rows = await query<StatementRow>(pool, topStatements(ext.schema, STATEMENTS_READ));
  } catch (err) {
    // 55000: installed but not in shared_preload_libraries; 42501: this role may not read it.
    const code = (err as { code?: string }).code;
    if (!isSqlError(err) && code !== '55000' && code !== '42501') throw err;
    return { available: false, note: `pg_stat_statements 不可用: ${(err as Error).message}，跳过查询日志挖掘`, mined: [], skipped: [] };
  }
  const values = columnValues(input);
  const taskTables = new Set(input.tables.map((t) => t.name));
  const mined: MinedStatement[] = [];
  const skipped: QueryLogOutcome['skipped'] = [];
  for (const row of rows) {
    if (mined.length >= MAX_MINED) break;
    const statements = splitStatements(row.query);
    if (statements.length !== 1) continue;
    const tokens = tokenize(statements[0]!);
    if (!isWord(tokens[0], 'select', 'with')) continue;
    const names = tokens.filter((t) => t.kind === 'word' || t.kind === 'ident').map((t) => t.value);
    if (!names.some((n) => taskTables.has(n)) || names.some((n) => SYSTEM_NAME.test(n))) continue;
    const filled = fillParameters(statements[0]!, tokens, values);
    if ('reason' in filled) skipped.push({ sql: statements[0]!, reason: filled.reason });
    else mined.push({ sql: `${filled.sql};`, calls: Number(row.calls) });
  }
  const note = `从 pg_stat_statements 读取 ${rows.length} 条语句，取得 ${mined.length} 条涉及任务表的只读查询${skipped.length ? `，跳过 ${skipped.length} 条（参数无法取值）` : ''}`;
  return { available: true, note, mined, skipped };
}

/** Column name → a value to put in its place (latest date for date columns, else a frequent value). */
function columnValues(input: QaInput): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of input.tables) {
    const facts = tableFacts(table, input.latestDates, input.sampledValues);
    for (const d of facts.dates) if (d.latest && !out.has(d.name)) out.set(d.name, d.latest);
    for (const c of [...facts.dimensions, ...facts.names, ...facts.codes, ...facts.measures]) if (c.values[0] && !out.has(c.name)) out.set(c.name, c.values[0]);
    for (const c of table.columns) if (c.samples[0] && !out.has(c.name)) out.set(c.name, c.samples[0]);
  }
  return out;
}

/** The column a parameter is compared with, looking back past `DATE`, `IN (`, `BETWEEN … AND`. */
function columnBefore(tokens: SqlToken[], i: number): string | null {
  let j = i - 1;
  if (isWord(tokens[j], ...TYPE_WORDS)) j -= 1;
  while (tokens[j]?.text === ',' || tokens[j]?.kind === 'param') j -= 1; // earlier items of an IN list
  if (tokens[j]?.text === '(' && isWord(tokens[j - 1], 'in')) j -= 2;
  else if (isWord(tokens[j], 'and') && tokens[j - 1]?.kind === 'param' && isWord(tokens[j - 2], 'between')) j -= 3;
  else if (isWord(tokens[j], 'between')) j -= 1;
  else if (tokens[j] && (tokens[j]!.kind === 'op' || tokens[j]!.kind === 'word') && COMPARISON.has(tokens[j]!.value)) j -= 1;
  else return null;
  const col = tokens[j];
  return col && (col.kind === 'word' || col.kind === 'ident') ? col.value : null;
}

/** Exported for its unit test. */
export function fillParameters(sql: string, tokens: SqlToken[], values: Map<string, string>): { sql: string } | { reason: string } {
  const params = tokens.map((t, i) => ({ t, i })).filter(({ t }) => t.kind === 'param');
  if (params.length === 0) return { sql };
  const replacements = new Map<string, string>();
  for (const { t, i } of params) {
    let value: string | undefined;
    if (isWord(tokens[i - 1], 'limit')) value = '10';
    else if (isWord(tokens[i - 1], 'offset')) value = '0';
    else {
      const column = columnBefore(tokens, i);
      const sampled = column ? values.get(column) : undefined;
      if (sampled !== undefined) value = sqlString(sampled);
      else return { reason: `参数 ${t.text} 无法确定取值${column ? ` (列 ${column} 无样本值)` : ' (不是与列比较的值)'}` };
    }
    replacements.set(t.text, value);
  }
  // Replaced by offset, from the end: `$1` never matches inside `$10` or a string.
  let out = sql;
  for (const { t } of [...params].reverse()) out = out.slice(0, t.start) + replacements.get(t.text)! + out.slice(t.start + t.text.length);
  return { sql: out.replace(/\s+/g, ' ').trim() };
}
