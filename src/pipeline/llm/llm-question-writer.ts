import type { LlmProvider } from '../../providers/types.js';
import type { QaInput } from '../qa/qa-types.js';
import type { QuestionWriter } from '../quality/sql-describer.js';

/** Questions for mined SQL from the LLM; an item it leaves out gets the built-in description. */
export class LlmQuestionWriter implements QuestionWriter {
  readonly provider: string;

  constructor(
    private readonly llm: LlmProvider,
    private readonly fallback: QuestionWriter,
  ) {
    this.provider = `${llm.name}:${llm.model}`;
  }

  async describe(sqls: string[], input: QaInput, signal?: AbortSignal): Promise<string[]> {
    if (sqls.length === 0) return [];
    const fallback = await this.fallback.describe(sqls, input, signal);
    let reply: { questions?: unknown };
    try {
      reply = await this.ask(sqls, input, signal);
    } catch (err) {
      // A failed call costs the wording, not the mined pairs: the built-in descriptions stand in.
      if (signal?.aborted) throw err;
      return fallback;
    }
    const questions = Array.isArray(reply.questions) ? reply.questions : [];
    return sqls.map((_, i) => (typeof questions[i] === 'string' && (questions[i] as string).trim() ? (questions[i] as string).trim() : fallback[i]!));
  }

  private ask(sqls: string[], input: QaInput, signal?: AbortSignal) {
    return this.llm.chatJson<{ questions?: unknown }>(
      [
        { role: 'system', content: '你是一名资深业务数据分析师，熟悉 PostgreSQL。只输出要求的 JSON。' },
        {
          role: 'user',
          content: [
            `业务背景: ${input.businessContext}`,
            `数据库表结构文档:\n${input.markdown}`,
            '',
            `以下 ${sqls.length} 条 SQL 来自数据库的真实查询日志。请为每条 SQL 写一个业务人员会问的中文问题，问题的答案正是该 SQL 的结果。`,
            sqls.map((sql, i) => `#${i + 1} ${sql}`).join('\n'),
            `返回 JSON: {"questions": ["…"]}，恰好 ${sqls.length} 项，顺序与输入一致。`,
          ].join('\n'),
        },
      ],
      { signal },
    );
  }
}
