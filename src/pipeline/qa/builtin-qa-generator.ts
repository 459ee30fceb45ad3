import { classifyDifficulty, DIFFICULTIES, type Difficulty } from '../quality/difficulty.js';
import { dedupePairs } from '../quality/dedupe.js';
import { joinCandidates } from './join-templates.js';
import type { QaGenerator, QaInput, QuestionSqlPair, Theme } from './qa-types.js';
import { tableFacts, type TableFacts } from './schema-facts.js';
import { tableCandidates, type Candidate } from './table-templates.js';

function factsOf(input: QaInput): TableFacts[] {
  return input.tables.map((t) => tableFacts(t, input.latestDates, input.sampledValues));
}

/** Tables that carry numbers, dates and joins make the best themes: rank them first. */
function richness(f: TableFacts, input: QaInput): number {
  const joins = input.joins.filter((e) => e.from === f.table || e.to === f.table).length;
  return f.measures.length * 3 + f.dates.length * 2 + f.dimensions.length * 2 + f.names.length + joins * 2;
}

/**
 * The built-in, offline QA generator: themes from the tables themselves, question/SQL pairs from
 * schema- and data-driven templates of all four difficulty tiers (filters with values sampled from
 * live rows; aggregates, HAVING, top-N and trends; joins along key edges and subqueries; CTEs,
 * rankings, running totals and period-over-period with window functions). Every SQL is built from
 * catalog names, so it is valid for the schema; each intent has several wordings, picked by a hash.
 */
export class BuiltinQaGenerator implements QaGenerator {
  readonly provider = 'builtin';

  async themes(input: QaInput, count: number): Promise<Theme[]> {
    const facts = factsOf(input).sort((a, b) => richness(b, input) - richness(a, input));
    return facts.slice(0, count).map((f) => {
      const neighbours = input.joins.flatMap((e) => (e.from === f.table ? [e.to.name] : e.to === f.table ? [e.from.name] : []));
      return {
        topic_name: `${f.label}分析`.slice(0, 20),
        description: `基于 ${f.table.name} 表${neighbours.length ? `及其关联表` : ''}，分析${f.label}的${[...f.measures.slice(0, 3).map((m) => m.label), '记录数量'].join('、')}及其分布、排名与趋势。`,
        related_tables: [...new Set([f.table.name, ...neighbours])],
        biz_entities: [...f.dimensions, ...f.names].slice(0, 5).map((c) => c.label).concat(f.dimensions.length + f.names.length === 0 ? [f.label] : []),
        biz_metrics: [...f.measures.slice(0, 4).map((m) => `${m.label}合计`), '记录数量'],
      };
    });
  }

  async pairs(input: QaInput, theme: Theme, count: number): Promise<QuestionSqlPair[]> {
    const facts = factsOf(input);
    const f = facts.find((t) => t.table.name === theme.related_tables[0]);
    if (!f) return [];
    const rank = [...facts].sort((a, b) => richness(b, input) - richness(a, input)).indexOf(f);
    const candidates = dedupePairs([...tableCandidates(f), ...joinCandidates(f, facts, input.joins)]).kept;
    return pickAcrossTiers(candidates, count, rank).map(({ question, sql }) => ({ question, sql }));
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

/**
 * Takes candidates round-robin over the tiers (labelled by the rules, not by the template's
 * intent), so every theme contributes to every tier it can; order within a tier is kept.
 */
/**
 * Join candidates and one-table ones in turn (joins first): a theme's few picks of a tier then
 * reach its neighbour tables (table coverage) and still include subqueries, CTEs and windows.
 */
function alternateJoins(list: Candidate[], rotation: number): Candidate[] {
  const joins = list.filter((c) => c.intent.includes(':'));
  // Rotated by the theme's rank: themes start at different intents (a daily CTE, a share, month-over-month …).
  const plain = list.filter((c) => !c.intent.includes(':'));
  const start = plain.length ? rotation % plain.length : 0;
  const single = [...plain.slice(start), ...plain.slice(0, start)];
  const out: Candidate[] = [];
  for (let i = 0; i < Math.max(joins.length, single.length); i += 1) out.push(...[joins[i], single[i]].filter((c): c is Candidate => Boolean(c)));
  return out;
}

export function pickAcrossTiers(candidates: Candidate[], count: number, rotation = 0): Candidate[] {
  const byTier = new Map<Difficulty, Candidate[]>(DIFFICULTIES.map((d) => [d, []]));
  for (const c of candidates) byTier.get(classifyDifficulty(c.sql))!.push(c);
  for (const [tier, list] of byTier) byTier.set(tier, alternateJoins(list, rotation));
  const picked: Candidate[] = [];
  while (picked.length < count && [...byTier.values()].some((list) => list.length > 0)) {
    for (const tier of DIFFICULTIES) {
      const next = byTier.get(tier)!.shift();
      if (next && picked.length < count) picked.push(next);
    }
  }
  return picked;
}
