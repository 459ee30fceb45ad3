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

/**
 * One reply per tier prompt. The LLM's own idea of the tier is not trusted: the "simple" answer is
 * an aggregate (moderate by the rules); the "moderate" one is broken (repaired later); the last
 * tier repeats a question (deduplicated).
 */
const TIER_REPLIES: Record<string, { question: string; sql: string }[]> = {
  simple: [{ question: '车辆总数?', sql: 'SELECT SUM(customer_count) AS 车辆总数 FROM bss_car_day_count WHERE delete_ts IS NULL' }],
  moderate: [{ question: '坏SQL', sql: 'SELECT nope FROM bss_car_day_count;' }],
  complex: [{ question: '各服务区车流量?', sql: 'SELECT a.service_area_name AS 服务区名称, SUM(c.customer_count) AS 车流量 FROM bss_car_day_count c JOIN bss_service_area a ON a.id = c.service_area_id WHERE c.delete_ts IS NULL GROUP BY a.service_area_name;' }],
  highly_complex: [
    { question: '车辆总数？', sql: 'SELECT COUNT(*) FROM bss_car_day_count;' },
    { question: '车型排名?', sql: 'SELECT car_type AS 车辆类别, SUM(customer_count) AS 车流量, RANK() OVER (ORDER BY SUM(customer_count) DESC) AS 排名 FROM bss_car_day_count WHERE delete_ts IS NULL GROUP BY car_type;' },
  ],
};

/** Answers like an LLM would, by looking at the prompt: comments, themes, pairs, scope, repairs. */
function scriptedLlm(request: RecordedRequest) {
  const prompt = lastUserPrompt(request);
  const table = /表: public\.(\w+)/.exec(prompt)?.[1];
  if (table) return chat(JSON.stringify({ table_comment: `${table} 的LLM注释`, fields: [{ name: 'id', comment: 'LLM主键' }] }));
  if (prompt.includes('分析主题，忽略')) {
    return chat(JSON.stringify({ themes: [{ topic_name: '车流分析', description: '分析车流', related_tables: ['bss_car_day_count'], biz_entities: ['车辆'], biz_metrics: ['车流量'] }] }));
  }
  const tier = /难度等级: (\w+)/.exec(prompt)?.[1];
  if (prompt.includes('业务问题及对应的 PostgreSQL 查询') && tier) return chat('```json\n' + JSON.stringify(TIER_REPLIES[tier]) + '\n```');
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

    const qa = (await pipeline.run('qa_generation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as {
      output_file: string;
      total_questions: number;
      generator_provider: string;
      duplicates_removed: { questions: number; sql: number };
    };
    // One prompt per tier for the one theme, each saying what its tier means.
    const tierPrompts = llm.requests.map(lastUserPrompt).flatMap((p) => /难度等级: (\w+)（/.exec(p)?.[1] ?? []);
    expect(tierPrompts).toEqual(['simple', 'moderate', 'complex', 'highly_complex']);
    expect(llm.requests.map(lastUserPrompt).find((p) => p.includes('难度等级: complex'))).toContain('bss_car_day_count.service_area_id = bss_service_area.id');
    expect(qa).toMatchObject({ total_questions: 4, generator_provider: 'openai-compatible:fake-model', duplicates_removed: { questions: 1, sql: 0 } });
    const pairs = JSON.parse(fs.readFileSync(path.join(ctx.dir, qa.output_file), 'utf8')) as { question: string; sql: string; difficulty: string }[];
    expect(pairs.every((p) => p.sql.endsWith(';'))).toBe(true);
    // Labelled by the rules, not by the prompt that produced them.
    expect(pairs.map((p) => [p.question, p.difficulty])).toEqual([
      ['车辆总数?', 'moderate'],
      ['坏SQL', 'simple'],
      ['各服务区车流量?', 'complex'],
      ['车型排名?', 'highly_complex'],
    ]);

    const validation = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as {
      valid_sql_count: number;
      repair_stats: { attempted: number; successful: number };
      file_modification_stats: { modified: number };
    };
    expect(validation).toMatchObject({ valid_sql_count: 4, repair_stats: { attempted: 1, successful: 1 }, file_modification_stats: { modified: 1 } });
    const repaired = JSON.parse(fs.readFileSync(path.join(ctx.dir, qa.output_file), 'utf8'));
    expect(repaired[1]).toMatchObject({ sql: 'SELECT COUNT(*) AS 记录数 FROM bss_car_day_count WHERE delete_ts IS NULL;', difficulty: 'moderate', valid: true, row_count: 1 });
    const report = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'qa_quality_report.json'), 'utf8'));
    expect(report).toMatchObject({
      total_pairs: 4,
      by_difficulty: { simple: 0, moderate: 2, complex: 1, highly_complex: 1 },
      duplicates_removed: { questions: 1, sql: 0, total: 1 },
      validation: { repairs: { attempted: 1, successful: 1 } },
      execution: { explain_valid: 4, explain_valid_pct: 100 },
      providers: { qa_generation: 'openai-compatible:fake-model', sql_repair: 'openai-compatible:fake-model', ddl_comments: 'openai-compatible:fake-model' },
    });
  });
});
