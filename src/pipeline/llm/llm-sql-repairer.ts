import type { LlmProvider } from '../../providers/types.js';
import type { SqlRepairer } from '../sql-validation.js';

/** Asks the LLM to fix SQL that failed EXPLAIN; answers are EXPLAINed again before use. */
export class LlmSqlRepairer implements SqlRepairer {
  readonly provider: string;

  constructor(private readonly llm: LlmProvider) {
    this.provider = `${llm.name}:${llm.model}`;
  }

  async repair(items: { question: string; sql: string; error: string }[], signal?: AbortSignal): Promise<string[]> {
    const listing = items.map((item, i) => `#${i + 1}\n问题: ${item.question}\n错误: ${item.error}\nSQL: ${item.sql}`).join('\n\n');
    const reply = await this.llm.chatJson<{ repaired_sqls?: unknown }>(
      [
        { role: 'system', content: '你是一名 PostgreSQL 专家。只输出要求的 JSON。' },
        {
          role: 'user',
          content: [
            `以下 ${items.length} 条 SQL 在 EXPLAIN 时失败，请逐条修复：保持语义与中文别名，只写单条 SELECT，以分号结尾；无法修复的原样返回。`,
            listing,
            `返回 JSON: {"repaired_sqls": ["…"]}，恰好 ${items.length} 项，顺序与输入一致。`,
          ].join('\n\n'),
        },
      ],
      { signal },
    );
    const repaired = Array.isArray(reply.repaired_sqls) ? reply.repaired_sqls : [];
    return items.map((item, i) => (typeof repaired[i] === 'string' ? (repaired[i] as string) : item.sql));
  }
}
