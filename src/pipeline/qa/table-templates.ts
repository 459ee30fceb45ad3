import { phrase } from './phrasing.js';
import type { QuestionSqlPair } from './qa-types.js';
import { liveRows, type ColumnFact, type TableFacts } from './schema-facts.js';
import { sqlAlias, sqlString } from './sql-alias.js';

export type Candidate = QuestionSqlPair & { intent: string };

/** What a table is measured by: its main numeric column summed, else its row count. */
export function metricOf(f: TableFacts, prefix = ''): { expr: string; alias: string; label: string } {
  const m = f.measures[0];
  return m
    ? { expr: `SUM(${prefix}${m.ident})`, alias: sqlAlias(`${m.label}合计`), label: `${m.label}合计` }
    : { expr: 'COUNT(*)', alias: '记录数量', label: '记录数量' };
}

export const literal = (c: ColumnFact, value: string) => (c.numeric ? String(Number(value)) : sqlString(value));
const col = (c: ColumnFact, prefix = '') => `${prefix}${c.ident} AS ${sqlAlias(c.label)}`;
const oneLine = (sql: string) => `${sql.replace(/\s+/g, ' ').trim()};`;

/** The columns a detail listing shows: name, code, categories, date, main measure (at most five). */
export function detailColumns(f: TableFacts, prefix = ''): string {
  const cols = [f.names[0], f.codes[0], ...f.dimensions.slice(0, 2), f.dates[0], f.measures[0]].filter((c): c is ColumnFact => Boolean(c));
  const unique = cols.filter((c, i) => cols.findIndex((o) => o.name === c.name) === i).slice(0, 5);
  return unique.length ? unique.map((c) => col(c, prefix)).join(', ') : `${prefix}*`;
}

/**
 * One-table candidates of every tier: filters with sampled values and listings (simple);
 * counts, sums, group-bys, HAVING, top-N and trends (moderate); comparisons against a subquery
 * (complex); daily statistics in a CTE, rankings, running totals, period-over-period and shares
 * with window functions (highly complex).
 */
export function tableCandidates(f: TableFacts): Candidate[] {
  const out: Candidate[] = [];
  const t = f.table.name;
  const L = f.label;
  const where = liveRows(f);
  const add = (intent: string, variants: string[], sql: string) => out.push({ intent, question: phrase(t, intent, variants), sql: oneLine(sql) });
  const [dim, dim2] = f.dimensions;
  const name = f.names[0];
  const code = f.codes[0];
  const m1 = f.measures[0];
  const m2 = f.measures[1];
  const date = f.dates.find((d) => d.latest) ?? null;
  const metric = metricOf(f);
  const detail = detailColumns(f);

  // simple
  if (dim?.values[0]) {
    const v = dim.values[0];
    add('filter-dimension', [`列出${dim.label}为“${v}”的${L}记录。`, `哪些${L}记录的${dim.label}是“${v}”？`, `查询${dim.label}等于“${v}”的${L}明细。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${dim.ident} = ${literal(dim, v)} AND ${where}`);
  }
  const lookup = code ?? name;
  if (lookup?.values[0]) {
    const v = lookup.values[0];
    add('lookup', [`查询${lookup.label}为“${v}”的${L}信息。`, `${lookup.label}“${v}”对应的${L}记录是什么？`, `找出${lookup.label}是“${v}”的${L}。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${lookup.ident} = ${literal(lookup, v)} AND ${where}`);
  }
  if (date) {
    const day = date.latest!.slice(0, 10);
    add('filter-day', [`${day}当天有哪些${L}记录？`, `列出${date.label}为${day}的${L}明细。`, `查看${day}的${L}数据。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${date.ident}::date = DATE ${sqlString(day)} AND ${where}`);
  }
  if (name) {
    add('distinct-names', [`列出所有不重复的${name.label}。`, `${L}中都有哪些${name.label}？`, `有哪些${name.label}出现在${L}中？`],
      `SELECT DISTINCT ${col(name)} FROM ${f.ref} WHERE ${where} ORDER BY 1`);
  }
  if (m1?.values[0]) {
    const v = m1.values[0];
    add('threshold', [`${m1.label}不低于${v}的${L}记录有哪些？`, `列出${m1.label}至少为${v}的${L}。`, `查询${m1.label}大于等于${v}的${L}明细。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${m1.ident} >= ${literal(m1, v)} AND ${where} ORDER BY ${m1.ident} DESC`);
  }
  if (dim2?.values[0]) {
    const v = dim2.values[0];
    add('filter-dimension-2', [`列出${dim2.label}为“${v}”的${L}。`, `${dim2.label}是“${v}”的${L}有哪些？`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${dim2.ident} = ${literal(dim2, v)} AND ${where}`);
  }

  // moderate
  add('count', [`统计${L}的记录总数。`, `${L}一共有多少条有效记录？`, `目前${L}中共有多少条记录？`],
    `SELECT COUNT(*) AS 记录总数 FROM ${f.ref} WHERE ${where}`);
  for (const m of [m1, m2].filter((x): x is ColumnFact => Boolean(x))) {
    add(`sum-avg-${m.name}`, [`统计${L}中${m.label}的总和与平均值。`, `${m.label}合计是多少？平均每条记录多少？`, `汇总${L}的${m.label}，并给出平均值。`],
      `SELECT SUM(${m.ident}) AS ${sqlAlias(`${m.label}合计`)}, ROUND(AVG(${m.ident})::numeric, 2) AS ${sqlAlias(`平均${m.label}`)} FROM ${f.ref} WHERE ${where}`);
  }
  if (dim) {
    add('group-dimension', [`按${dim.label}统计${L}的记录数量，按数量降序排列。`, `各${dim.label}分别有多少条${L}记录？`, `${L}在不同${dim.label}之间如何分布？`],
      `SELECT ${col(dim)}, COUNT(*) AS 记录数量 FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident} ORDER BY 记录数量 DESC`);
    add('having-dimension', [`哪些${dim.label}的${L}记录超过1条？给出${metric.label}。`, `找出记录数多于1条的${dim.label}及其${metric.label}。`],
      `SELECT ${col(dim)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident} HAVING COUNT(*) > 1 ORDER BY ${metric.alias} DESC`);
  }
  if (name && (m1 || f.dates.length)) {
    add('top-names', [`${metric.label}排名前10的${name.label}是哪些？`, `哪10个${name.label}的${metric.label}最高？`, `按${metric.label}从高到低列出前10个${name.label}。`],
      `SELECT ${col(name)}, ${metric.expr} AS ${metric.alias} FROM ${f.ref} WHERE ${where} GROUP BY ${name.ident} ORDER BY ${metric.alias} DESC LIMIT 10`);
  }
  if (date) {
    const day = date.latest!.slice(0, 10);
    add('month-trend', [`按月统计${metric.label}的变化趋势。`, `每个月的${metric.label}分别是多少？`, `${L}的${metric.label}按月份如何变化？`],
      `SELECT DATE_TRUNC('month', ${date.ident})::date AS 月份, ${metric.expr} AS ${metric.alias} FROM ${f.ref} WHERE ${where} GROUP BY 1 ORDER BY 1`);
    add('day-total', [`查询${day}的${metric.label}。`, `${day}这一天的${metric.label}是多少？`],
      `SELECT ${metric.expr} AS ${metric.alias} FROM ${f.ref} WHERE ${date.ident}::date = DATE ${sqlString(day)} AND ${where}`);
    add('recent', [`查询最近的10条${L}记录。`, `最新的10条${L}是哪些？`, `按${date.label}倒序列出最近10条${L}。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${where} ORDER BY ${date.ident} DESC LIMIT 10`);
    add('date-range', [`${L}的数据覆盖哪段时间？`, `${L}中最早和最晚的${date.label}分别是哪天？`],
      `SELECT MIN(${date.ident}) AS 最早日期, MAX(${date.ident}) AS 最晚日期, COUNT(DISTINCT ${date.ident}) AS 天数 FROM ${f.ref} WHERE ${where}`);
  }
  if (m1) {
    add('top-records', [`查询${m1.label}最高的10条${L}记录。`, `${m1.label}最大的10条${L}是哪些？`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${where} AND ${m1.ident} IS NOT NULL ORDER BY ${m1.ident} DESC LIMIT 10`);
  }
  if (dim2) {
    add('group-dimension-2', [`按${dim2.label}统计${L}的记录数量。`, `不同${dim2.label}下各有多少${L}？`],
      `SELECT ${col(dim2)}, COUNT(*) AS 记录数量 FROM ${f.ref} WHERE ${where} GROUP BY ${dim2.ident} ORDER BY 记录数量 DESC`);
  }
  if (name) {
    add('having-names', [`哪些${name.label}在${L}中出现了不止一次？`, `出现次数大于1的${name.label}有哪些？`],
      `SELECT ${col(name)}, COUNT(*) AS 出现次数 FROM ${f.ref} WHERE ${where} GROUP BY ${name.ident} HAVING COUNT(*) > 1 ORDER BY 出现次数 DESC`);
  }

  // complex: a subquery
  if (m1) {
    add('above-average', [`${m1.label}高于平均水平的${L}记录有哪些？取前10条。`, `找出${m1.label}超过平均值的${L}（前10条）。`],
      `SELECT ${detail} FROM ${f.ref} WHERE ${where} AND ${m1.ident} > (SELECT AVG(${m1.ident}) FROM ${f.ref} WHERE ${where}) ORDER BY ${m1.ident} DESC LIMIT 10`);
  }
  if (date && name) {
    add('latest-day-names', [`在最近一天有${L}记录的${name.label}有哪些？`, `最新统计日期有数据的${name.label}是哪些？`],
      `SELECT DISTINCT ${col(name)} FROM ${f.ref} WHERE ${where} AND ${date.ident} = (SELECT MAX(${date.ident}) FROM ${f.ref} WHERE ${where}) ORDER BY 1`);
  }

  // highly complex: CTEs and window functions
  if (date) {
    add('daily-cte', [`每天的${metric.label}平均是多少？单日最高和最低各是多少？`, `按天汇总${metric.label}后，日均值、最高值和最低值是多少？`],
      `WITH daily AS (SELECT ${date.ident}::date AS 日期, ${metric.expr} AS total FROM ${f.ref} WHERE ${where} GROUP BY 1) SELECT ROUND(AVG(total)::numeric, 2) AS 日均值, MAX(total) AS 单日最高, MIN(total) AS 单日最低 FROM daily`);
    add('running-total', [`按月列出${metric.label}及截至当月的累计值。`, `${metric.label}按月累计是怎样增长的？`],
      `SELECT DATE_TRUNC('month', ${date.ident})::date AS 月份, ${metric.expr} AS ${metric.alias}, SUM(${metric.expr}) OVER (ORDER BY DATE_TRUNC('month', ${date.ident})::date) AS 累计值 FROM ${f.ref} WHERE ${where} GROUP BY 1 ORDER BY 1`);
    add('month-over-month', [`${metric.label}的月环比变化是多少？`, `每月${metric.label}与上月相比增长了多少？`, `计算${L}每月${metric.label}的环比增长率。`],
      `WITH monthly AS (SELECT DATE_TRUNC('month', ${date.ident})::date AS 月份, ${metric.expr} AS total FROM ${f.ref} WHERE ${where} GROUP BY 1) SELECT 月份, total AS ${metric.alias}, total - LAG(total) OVER (ORDER BY 月份) AS 环比增量, ROUND((total - LAG(total) OVER (ORDER BY 月份)) * 100.0 / NULLIF(LAG(total) OVER (ORDER BY 月份), 0), 2) AS 环比增长率 FROM monthly ORDER BY 月份`);
  }
  if (name) {
    add('rank-names', [`按${metric.label}给各${name.label}排名，列出前10名。`, `${name.label}的${metric.label}排名情况如何（前10）？`],
      `SELECT ${col(name)}, ${metric.expr} AS ${metric.alias}, RANK() OVER (ORDER BY ${metric.expr} DESC) AS 排名 FROM ${f.ref} WHERE ${where} GROUP BY ${name.ident} ORDER BY 排名 LIMIT 10`);
  }
  if (dim) {
    add('share-dimension', [`按${dim.label}统计${metric.label}及占比。`, `各${dim.label}的${metric.label}分别占总量的百分之多少？`],
      `SELECT ${col(dim)}, ${metric.expr} AS ${metric.alias}, ROUND(${metric.expr} * 100.0 / NULLIF(SUM(${metric.expr}) OVER (), 0), 2) AS 占比百分比 FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident} ORDER BY ${metric.alias} DESC`);
  }
  if (dim && name && dim.name !== name.name) {
    add('top-per-dimension', [`每个${dim.label}下${metric.label}最高的3个${name.label}是哪些？`, `分${dim.label}列出${metric.label}前三的${name.label}。`],
      `SELECT * FROM (SELECT ${col(dim)}, ${col(name)}, ${metric.expr} AS ${metric.alias}, ROW_NUMBER() OVER (PARTITION BY ${dim.ident} ORDER BY ${metric.expr} DESC) AS 名次 FROM ${f.ref} WHERE ${where} GROUP BY ${dim.ident}, ${name.ident}) r WHERE 名次 <= 3`);
  }
  return out;
}
