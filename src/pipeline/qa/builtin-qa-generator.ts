import type { QaGenerator, QaInput, QuestionSqlPair, Theme } from './qa-types.js';
import { findLookup, liveRows, tableFacts, type TableFacts } from './schema-facts.js';
import { sqlAlias, sqlString } from './sql-alias.js';

function factsOf(input: QaInput): TableFacts[] {
  return input.tables.map((t) => tableFacts(t, input.latestDates));
}

/** Tables that carry numbers and dates make the best themes: rank them first. */
function richness(f: TableFacts): number {
  return f.measures.length * 3 + f.dates.length * 2 + f.dimensions.length * 2 + f.names.length;
}

/**
 * The built-in, offline QA generator: themes from the tables themselves, question/SQL pairs from
 * schema- and data-driven templates (counts, sums and averages of numeric columns, group-bys over
 * enum-like columns, filters on the latest dates present, monthly trends, top-N, lookups through
 * `<x>_id` columns). Every SQL is built from catalog names, so it is valid for the schema.
 */
export class BuiltinQaGenerator implements QaGenerator {
  readonly provider = 'builtin';

  async themes(input: QaInput, count: number): Promise<Theme[]> {
    const facts = factsOf(input).sort((a, b) => richness(b) - richness(a));
    return facts.slice(0, count).map((f) => {
      const lookup = findLookup(f, facts);
      return {
        topic_name: `${f.label}分析`.slice(0, 20),
        description: `基于 ${f.table.name} 表，分析${f.label}的${[...f.measures.slice(0, 3).map((m) => m.label), '记录数量'].join('、')}及其分布与趋势。`,
        related_tables: [f.table.name, ...(lookup ? [lookup.target.table.name] : [])],
        biz_entities: [...f.dimensions, ...f.names].slice(0, 5).map((c) => c.label).concat(f.dimensions.length + f.names.length === 0 ? [f.label] : []),
        biz_metrics: [...f.measures.slice(0, 4).map((m) => `${m.label}合计`), '记录数量'],
      };
    });
  }

  async pairs(input: QaInput, theme: Theme, count: number): Promise<QuestionSqlPair[]> {
    const facts = factsOf(input);
    const f = facts.find((t) => t.table.name === theme.related_tables[0]);
    if (!f) return [];
    return templatePairs(f, facts).slice(0, count);
  }

  async businessScope(input: QaInput, themes: Theme[]): Promise<string> {
    const facts = factsOf(input);
    const context = input.businessContext || '业务系统';
    const lines = [
      '=== 数据库业务范围 ===',
      `当前数据库存储的是${context}的相关数据，主要涉及${facts.map((f) => f.label).join('、')}，包含以下业务数据：`,
      '核心业务实体：',
      ...facts.map((f) => {
        const fields = [...f.names, ...f.dimensions].slice(0, 4).map((c) => c.name);
        return `- ${f.label}：${f.table.comment ?? f.label}${fields.length ? `，主要字段：${fields.join('、')}` : ''}`;
      }),
      '关键业务指标：',
      ...themes.flatMap((t) => t.biz_metrics.slice(0, 2).map((m) => `- ${m}：${t.topic_name}中的${m}`)),
    ];
    return lines.join('\n');
  }
}

/** The candidate questions for one table, most useful first. */
export function templatePairs(f: TableFacts, all: TableFacts[]): QuestionSqlPair[] {
  const out: QuestionSqlPair[] = [];
  const where = liveRows(f);
  const add = (question: string, sql: string) => out.push({ question, sql: `${sql.replace(/\s+/g, ' ').trim()};` });
  const [m1, m2] = f.measures;
  const dim = f.dimensions[0];
  const name = f.names[0];
  const date = f.dates.find((d) => d.latest) ?? null;
  const lookup = findLookup(f, all);

  add(`统计${f.label}的记录总数。`, `SELECT COUNT(*) AS 记录总数 FROM ${f.ref} WHERE ${where}`);
  for (const m of [m1, m2].filter(Boolean).map((x) => x!)) {
    add(`统计${f.label}中${m.label}的总和与平均值。`,
      `SELECT SUM(${m.ident}) AS ${sqlAlias(`${m.label}合计`)}, ROUND(AVG(${m.ident})::numeric, 2) AS ${sqlAlias(`平均${m.label}`)} FROM ${f.ref} WHERE ${where}`);
  }
  if (dim) {
    add(`按${dim.label}统计${f.label}的记录数量，按数量降序排列。`,
      `SELECT ${dim.ident} AS ${sqlAlias(dim.label)}, COUNT(*) AS 记录数量 FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident} ORDER BY 记录数量 DESC`);
    if (m1) {
      const total = sqlAlias(`${m1.label}合计`);
      add(`按${dim.label}统计${m1.label}合计及占比。`,
        `SELECT ${dim.ident} AS ${sqlAlias(dim.label)}, SUM(${m1.ident}) AS ${total}, ROUND(SUM(${m1.ident}) * 100.0 / NULLIF(SUM(SUM(${m1.ident})) OVER (), 0), 2) AS 占比百分比 FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident} ORDER BY ${total} DESC`);
    }
  }
  if (date && m1) {
    const total = sqlAlias(`${m1.label}合计`);
    const day = date.latest!.slice(0, 10);
    const dayCondition = `${date.ident}::date = DATE ${sqlString(day)}`;
    add(`查询${day}的${m1.label}合计。`, `SELECT SUM(${m1.ident}) AS ${total} FROM ${f.ref} WHERE ${dayCondition} AND ${where}`);
    add(`按月统计${m1.label}的变化趋势。`,
      `SELECT DATE_TRUNC('month', ${date.ident})::date AS 月份, SUM(${m1.ident}) AS ${total} FROM ${f.ref} WHERE ${where} GROUP BY 1 ORDER BY 1`);
    add(`统计截至${day}最近7天每天的${m1.label}合计。`,
      `SELECT ${date.ident}::date AS ${sqlAlias(date.label)}, SUM(${m1.ident}) AS ${total} FROM ${f.ref} WHERE ${date.ident} > DATE ${sqlString(day)} - 7 AND ${date.ident} < DATE ${sqlString(day)} + 1 AND ${where} GROUP BY 1 ORDER BY 1`);
  }
  if (name && m1) {
    const total = sqlAlias(`${m1.label}合计`);
    add(`${m1.label}合计排名前10的${name.label}是哪些？`,
      `SELECT ${name.ident} AS ${sqlAlias(name.label)}, SUM(${m1.ident}) AS ${total} FROM ${f.ref} WHERE ${where} GROUP BY ${name.ident} ORDER BY ${total} DESC LIMIT 10`);
  }
  if (lookup && m1) {
    const total = sqlAlias(`${m1.label}合计`);
    add(`按${lookup.target.label}统计${m1.label}合计，取前10名。`,
      `SELECT t.${lookup.targetName.ident} AS ${sqlAlias(lookup.targetName.label)}, SUM(s.${m1.ident}) AS ${total} FROM ${f.ref} s JOIN ${lookup.target.ref} t ON t.id = s.${lookup.column.ident} WHERE ${liveRows(f, 's.')} AND ${liveRows(lookup.target, 't.')} GROUP BY t.${lookup.targetName.ident} ORDER BY ${total} DESC LIMIT 10`);
  } else if (lookup) {
    add(`按${lookup.target.label}统计${f.label}的记录数量。`,
      `SELECT t.${lookup.targetName.ident} AS ${sqlAlias(lookup.targetName.label)}, COUNT(*) AS 记录数量 FROM ${f.ref} s JOIN ${lookup.target.ref} t ON t.id = s.${lookup.column.ident} WHERE ${liveRows(f, 's.')} AND ${liveRows(lookup.target, 't.')} GROUP BY t.${lookup.targetName.ident} ORDER BY 记录数量 DESC LIMIT 10`);
  }
  if (m1) {
    add(`查询${m1.label}最高的10条${f.label}记录。`,
      `SELECT ${[name, dim, date].filter(Boolean).map((c) => `${c!.ident} AS ${sqlAlias(c!.label)}`).concat(`${m1.ident} AS ${sqlAlias(m1.label)}`).join(', ')} FROM ${f.ref} WHERE ${where} AND ${m1.ident} IS NOT NULL ORDER BY ${m1.ident} DESC LIMIT 10`);
  }
  if (f.dimensions[1]) {
    const d2 = f.dimensions[1];
    add(`按${d2.label}统计${f.label}的记录数量。`,
      `SELECT ${d2.ident} AS ${sqlAlias(d2.label)}, COUNT(*) AS 记录数量 FROM ${f.ref} WHERE ${where} GROUP BY ${d2.ident} ORDER BY 记录数量 DESC`);
  }
  if (date) {
    add(`查询最近的10条${f.label}记录。`,
      `SELECT ${[name, dim, date, m1].filter(Boolean).map((c) => `${c!.ident} AS ${sqlAlias(c!.label)}`).join(', ') || '*'} FROM ${f.ref} WHERE ${where} ORDER BY ${date.ident} DESC LIMIT 10`);
  }
  if (name) {
    add(`列出所有${name.label}。`, `SELECT DISTINCT ${name.ident} AS ${sqlAlias(name.label)} FROM ${f.ref} WHERE ${where} ORDER BY 1`);
  }
  return out;
}
