import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/create-pipeline.js';
import { createProviders } from '../../src/providers/create-providers.js';
import { chatCompletion, FakeOpenAiServer, type RecordedRequest } from '../helpers/fake-openai-server.js';
import { TableInspector } from '../../src/introspection/table-inspector.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool, stepContext } from '../helpers/pipeline.js';

const chat = (content: string) => ({ body: chatCompletion(content) });
const lastUserPrompt = (r: RecordedRequest) => ((r.body as { messages: { role: string; content: string }[] }).messages.at(-1)?.content ?? '');

/** Answers like an LLM would, by looking at the prompt: comments, themes, pairs, scope, repairs. */
function scriptedLlm(request: RecordedRequest) {
  const prompt = lastUserPrompt(request);
  const table = /表: public\.(\w+)/.exec(prompt)?.[1];
  if (table) return chat(JSON.stringify({ table_comment: `${table} 的LLM注释`, fields: [{ name: 'id', comment: 'LLM主键' }] }));
  if (prompt.includes('分析主题，忽略')) {
    return chat(JSON.stringify({ themes: [{ topic_name: '车流分析', description: '分析车流', related_tables: ['bss_car_day_count'], biz_entities: ['车辆'], biz_metrics: ['车流量'] }] }));
  }
  if (prompt.includes('业务问题及对应的 PostgreSQL 查询')) {
    return chat('```json\n[{"question": "车辆总数?", "sql": "SELECT SUM(customer_count) AS 车辆总数 FROM bss_car_day_count WHERE delete_ts IS NULL"}, {"question": "坏SQL", "sql": "SELECT nope FROM bss_car_day_count;"}]\n```');
  }
  if (prompt.includes('=== 数据库业务范围 ===')) return chat('=== 数据库业务范围 ===\n当前数据库存储的是高速公路数据');
  if (prompt.includes('EXPLAIN 时失败')) return chat('{"repaired_sqls": ["SELECT COUNT(*) AS 记录数 FROM bss_car_day_count WHERE delete_ts IS NULL;"]}');
  return { status: 400, body: { error: { message: `unexpected prompt: ${prompt.slice(0, 80)}` } } };
}

describe('the steps with an OpenAI-compatible LLM (local fake server)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let llm: FakeOpenAiServer;
  let pipeline: Pipeline;
  let ctx: ReturnType<typeof stepContext>;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    llm = await FakeOpenAiServer.start();
    llm.otherwise(scriptedLlm);
    const providers = createProviders(
      {
        llm: { baseUrl: llm.baseUrl, model: 'fake-model', timeoutMs: 5000, maxRetries: 0 },
        embedding: { provider: 'builtin', model: 'b', dimensions: 256, batchSize: 8, timeoutMs: 1000, maxRetries: 0 },
      },
      pino({ level: 'silent' }),
    );
    pipeline = createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 2, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
    ctx = stepContext(pool, 'highway_db');
  });
  afterAll(async () => {
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    await llm.close();
    await pool.end();
    await db.drop();
  });

  it('ddl_generation writes the LLM comments; qa_generation the LLM pairs; sql_validation repairs the broken one', async () => {
    const ddl = (await pipeline.run('ddl_generation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as { comment_provider: string };
    expect(ddl.comment_provider).toBe('openai-compatible:fake-model');
    expect(fs.readFileSync(path.join(ctx.dir, 'bss_company.ddl'), 'utf8')).toMatch(/^-- 中文名: bss_company 的LLM注释/);

    const qa = (await pipeline.run('qa_generation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as { output_file: string; total_questions: number; generator_provider: string };
    expect(qa).toMatchObject({ total_questions: 2, generator_provider: 'openai-compatible:fake-model' });
    const pairs = JSON.parse(fs.readFileSync(path.join(ctx.dir, qa.output_file), 'utf8'));
    expect(pairs[0].sql.endsWith(';')).toBe(true);

    const validation = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as {
      valid_sql_count: number;
      repair_stats: { attempted: number; successful: number };
      file_modification_stats: { modified: number };
    };
    expect(validation).toMatchObject({ valid_sql_count: 2, repair_stats: { attempted: 1, successful: 1 }, file_modification_stats: { modified: 1 } });
    const repaired = JSON.parse(fs.readFileSync(path.join(ctx.dir, qa.output_file), 'utf8'));
    expect(repaired[1].sql).toBe('SELECT COUNT(*) AS 记录数 FROM bss_car_day_count WHERE delete_ts IS NULL;');
  });
});
