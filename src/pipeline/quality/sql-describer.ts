import type { QaInput } from '../qa/qa-types.js';
import { tableFacts } from '../qa/schema-facts.js';
import { aliasFromComment } from '../qa/sql-alias.js';
import { isWord, tokenize, type SqlToken } from './sql-tokens.js';

/** Writes a question for SQL that has none (mined from the query log). */
export interface QuestionWriter {
  readonly provider: string;
  describe(sqls: string[], input: QaInput, signal?: AbortSignal): Promise<string[]>;
}

const AGGREGATE_WORDS: Record<string, (label: string) => string> = {
  count: (l) => (l ? `${l}数量` : '记录数'),
  sum: (l) => `${l}合计`,
  avg: (l) => `平均${l}`,
  max: (l) => `最高${l}`,
  min: (l) => `最低${l}`,
};
const OPERATOR_WORDS: Record<string, string> = { '=': '为', '>': '大于', '>=': '不低于', '<': '小于', '<=': '不超过', '<>': '不为', '!=': '不为', like: '匹配', ilike: '匹配' };
const CLAUSE_END = new Set(['where', 'group', 'having', 'order', 'limit', 'offset', 'union', 'window', 'from']);
const SOFT_DELETE = /^(delete_ts|deleted_at)$/;

/**
 * The built-in describer: a Chinese question from the SQL's structure — the tables (by their
 * Chinese names), aggregates, groupings, filters with their values, ordering and limit — using
 * the catalog's comments as labels. Plain, but it says what the SQL asks.
 */
export class BuiltinSqlDescriber implements QuestionWriter {
  readonly provider = 'builtin';

  async describe(sqls: string[], input: QaInput): Promise<string[]> {
    const tableLabels = new Map<string, string>();
    const columnLabels = new Map<string, string>();
    for (const table of input.tables) {
      tableLabels.set(table.name, tableFacts(table, new Map()).label);
      for (const c of table.columns) if (!columnLabels.has(c.name)) columnLabels.set(c.name, aliasFromComment(c.comment, c.name));
    }
    return sqls.map((sql) => describeSql(sql, tableLabels, columnLabels));
  }
}

export function describeSql(sql: string, tableLabels: Map<string, string>, columnLabels: Map<string, string>): string {
  const tokens = tokenize(sql);
  const label = (t: SqlToken | undefined) => (t && (t.kind === 'word' || t.kind === 'ident') ? columnLabels.get(t.value) : undefined);
  const tables = [...new Set(tokens.filter((t) => t.kind === 'word' || t.kind === 'ident').flatMap((t) => tableLabels.get(t.value) ?? []))];
  const aggregates: string[] = [];
  const groups: string[] = [];
  const conditions: string[] = [];
  const columns: string[] = [];
  let order: string | null = null;
  let limit: string | null = null;
  let clause = '';
  tokens.forEach((t, i) => {
    if (t.depth === 0 && t.kind === 'word' && (CLAUSE_END.has(t.value) || t.value === 'select')) clause = t.value;
    const fn = t.kind === 'word' ? AGGREGATE_WORDS[t.value] : undefined;
    if (fn && tokens[i + 1]?.text === '(') {
      const inner = tokens.slice(i + 2, i + 6).find((x) => label(x));
      aggregates.push(fn(inner ? label(inner)! : ''));
      return;
    }
    const name = label(t);
    if (!name || tokens[i + 1]?.text === '(') return;
    if (clause === 'select' && tokens[i - 1]?.value !== 'as' && tokens[i + 1]?.text !== '.') columns.push(name);
    else if (clause === 'group') groups.push(name);
    else if (clause === 'order' && !order) order = `${name}${isWord(tokens[i + 1], 'desc') ? '从高到低' : '从低到高'}`;
    else if (clause === 'where' && !SOFT_DELETE.test(t.value)) {
      const op = tokens[i + 1];
      const value = tokens[i + 2]?.kind === 'word' && tokens[i + 3]?.kind === 'string' ? tokens[i + 3] : tokens[i + 2];
      const word = op ? OPERATOR_WORDS[op.value] : undefined;
      if (word && value && (value.kind === 'string' || value.kind === 'number')) conditions.push(`${name}${word}${value.text.replace(/^[A-Za-z]*'|'$/g, '')}`);
      else if (isWord(op, 'between')) conditions.push(`${name}在指定区间内`);
      else if (isWord(op, 'in')) conditions.push(`${name}在指定范围内`);
    }
  });
  const limitAt = tokens.findIndex((t) => t.depth === 0 && isWord(t, 'limit'));
  if (limitAt >= 0 && tokens[limitAt + 1]?.kind === 'number') limit = tokens[limitAt + 1]!.text;
  const subject = tables.join('与') || '数据';
  const unique = (list: string[]) => [...new Set(list)];
  const prefix = conditions.length ? `在${unique(conditions).join('且')}的条件下，` : '';
  let body: string;
  if (groups.length) body = `按${unique(groups).join('、')}统计${subject}的${unique(aggregates).join('、') || '记录数'}`;
  else if (aggregates.length) body = `统计${subject}的${unique(aggregates).join('、')}`;
  else body = `查询${subject}的${unique(columns).slice(0, 4).join('、') || '明细'}`;
  const tail = `${order ? `，按${order}排列` : ''}${limit ? `，取前${limit}条` : ''}`;
  return `${prefix}${body}${tail}？`;
}
