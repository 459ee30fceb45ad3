import type { LlmProvider } from '../../providers/types.js';
import type { QaGenerator, QaInput, QuestionSqlPair, Theme } from '../qa/qa-types.js';

const ANALYST = '你是一名资深业务数据分析师，熟悉 PostgreSQL。只输出要求的 JSON，不要解释。';

/** The tiers as the prompts describe them; the rules in quality/difficulty.ts decide the label. */
const TIER_PROMPTS = [
  { name: 'simple', rule: '单表查询，只有过滤条件和字段投影，不用聚合、连接、子查询' },
  { name: 'moderate', rule: '单表聚合：COUNT/SUM/AVG、GROUP BY、HAVING 或 ORDER BY … LIMIT 排名' },
  { name: 'complex', rule: '恰好一个表连接（沿给定关联），或一个子查询' },
  { name: 'highly_complex', rule: 'WITH 公共表表达式、窗口函数（排名、累计、环比）或两个及以上表连接' },
] as const;

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** Themes and question/SQL pairs from an OpenAI-compatible LLM, prompted with the tables' Markdown docs. */
export class LlmQaGenerator implements QaGenerator {
  readonly provider: string;

  constructor(private readonly llm: LlmProvider) {
    this.provider = `${llm.name}:${llm.model}`;
  }

  async themes(input: QaInput, count: number, signal?: AbortSignal): Promise<Theme[]> {
    const reply = await this.llm.chatJson<{ themes?: Record<string, unknown>[] }>(
      [
        { role: 'system', content: ANALYST },
        {
          role: 'user',
          content: [
            `业务背景: ${input.businessContext}`,
            `数据库表结构文档:\n${input.markdown}`,
            '',
            `请从业务分析角度提炼 ${count} 个分析主题，忽略 id、创建/更新/删除时间、版本号、操作人等技术字段。`,
            '返回 JSON: {"themes": [{"topic_name": "不超过10字", "description": "约50字", "related_tables": ["表名"], "biz_entities": ["3-5个业务实体"], "biz_metrics": ["3-5个业务指标"]}]}',
          ].join('\n'),
        },
      ],
      { signal },
    );
    const tableNames = new Set(input.tables.map((t) => t.name));
    return (reply.themes ?? [])
      .map((t) => ({
        topic_name: typeof t.topic_name === 'string' ? t.topic_name.trim() : '',
        description: typeof t.description === 'string' ? t.description.trim() : '',
        related_tables: strings(t.related_tables).filter((name) => tableNames.has(name.replace(/^public\./, ''))),
        biz_entities: strings(t.biz_entities),
        biz_metrics: strings(t.biz_metrics),
      }))
      .filter((t) => t.topic_name && t.description && t.related_tables.length > 0)
      .slice(0, count);
  }

  /**
   * One prompt per difficulty tier (SPEC §8 item 6), each asking for its share of `count`: the
   * tier the LLM claims is not trusted — the rules label what it wrote, and the same checks
   * (deduplication, EXPLAIN, execution) apply as to built-in pairs.
   */
  async pairs(input: QaInput, theme: Theme, count: number, signal?: AbortSignal): Promise<QuestionSqlPair[]> {
    const out: QuestionSqlPair[] = [];
    for (const [i, tier] of TIER_PROMPTS.entries()) {
      const share = Math.floor(count / TIER_PROMPTS.length) + (i < count % TIER_PROMPTS.length ? 1 : 0);
      if (share > 0) out.push(...(await this.tierPairs(input, theme, tier, share, signal)));
    }
    return out;
  }

  private async tierPairs(input: QaInput, theme: Theme, tier: (typeof TIER_PROMPTS)[number], count: number, signal?: AbortSignal): Promise<QuestionSqlPair[]> {
    const joins = input.joins.map((e) => `${e.from.name}.${e.fromColumn} = ${e.to.name}.${e.toColumn}`);
    const reply = await this.llm.chatJson<unknown>(
      [
        { role: 'system', content: ANALYST },
        {
          role: 'user',
          content: [
            `业务背景: ${input.businessContext}`,
            `分析主题: ${theme.topic_name} — ${theme.description}`,
            `相关表: ${theme.related_tables.join(', ')}; 业务实体: ${theme.biz_entities.join(', ')}; 业务指标: ${theme.biz_metrics.join(', ')}`,
            `数据库表结构文档:\n${input.markdown}`,
            '',
            `请生成 ${count} 个该主题下的业务问题及对应的 PostgreSQL 查询，难度等级: ${tier.name}（${tier.rule}）。要求:`,
            '- 只使用文档中存在的表和字段；只写 SELECT；每条 SQL 一行，以分号结尾',
            `- 表连接只能沿以下关联: ${joins.length ? joins.join('; ') : '（无，不要连接表）'}`,
            '- 表含 delete_ts 字段时加 delete_ts IS NULL 过滤已删除数据；过滤条件使用文档中出现的样例值，使结果非空',
            '- 输出列使用中文别名 (AS 中文名)；问题措辞多样，不要套用同一句式',
            '返回 JSON 数组: [{"question": "中文问题", "sql": "SELECT ...;"}]',
          ].join('\n'),
        },
      ],
      { signal },
    );
    const list = Array.isArray(reply) ? reply : ((reply as { pairs?: unknown })?.pairs ?? []);
    return (Array.isArray(list) ? list : []).flatMap((item: Record<string, unknown>) =>
      typeof item?.question === 'string' && typeof item?.sql === 'string' ? [{ question: item.question, sql: item.sql }] : [],
    );
  }

  async businessScope(input: QaInput, themes: Theme[], signal?: AbortSignal): Promise<string> {
    return this.llm.chat(
      [
        { role: 'system', content: '你是一名数据架构师，负责概括数据库的业务范围，供问答路由判断问题是否可由数据库回答。' },
        {
          role: 'user',
          content: [
            `业务背景: ${input.businessContext}`,
            `分析主题: ${themes.map((t) => t.topic_name).join('、')}`,
            `数据库表结构文档:\n${input.markdown}`,
            '',
            '请严格按以下格式输出纯文本:',
            '=== 数据库业务范围 ===',
            '当前数据库存储的是...的相关数据，主要涉及...，包含以下业务数据：',
            '核心业务实体：',
            '- 实体：说明，主要字段：字段1、字段2',
            '关键业务指标：',
            '- 指标：说明',
          ].join('\n'),
        },
      ],
      { signal },
    );
  }
}
