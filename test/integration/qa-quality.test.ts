import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/create-pipeline.js';
import type { LabelledPair } from '../../src/pipeline/qa/qa-types.js';
import type { QualityReport } from '../../src/pipeline/quality/quality-report.js';
import { createProviders } from '../../src/providers/create-providers.js';
import { TableInspector } from '../../src/introspection/table-inspector.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool, stepContext } from '../helpers/pipeline.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { chatCompletion, FakeOpenAiServer, type RecordedRequest } from '../helpers/fake-openai-server.js';

const chat = (content: string) => ({ body: chatCompletion(content) });
const lastUserPrompt = (r: RecordedRequest) => ((r.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? '');

/** A scripted LLM for a whole run with query-log mining: comments, themes, one pair per tier, scope, questions. */
function scriptedLlm(request: RecordedRequest) {
  const prompt = lastUserPrompt(request);
  const table = /表: public\.(\w+)/.exec(prompt)?.[1];
  if (table) return chat(JSON.stringify({ table_comment: `${table} 注释`, fields: [] }));
  if (prompt.includes('分析主题，忽略')) {
    return chat(JSON.stringify({ themes: [{ topic_name: '车流分析', description: '分析车流', related_tables: ['bss_car_day_count'], biz_entities: ['车辆'], biz_metrics: ['车流量'] }] }));
  }
  const tier = /难度等级: (\w+)/.exec(prompt)?.[1];
  if (tier) return chat(JSON.stringify([{ question: `${tier} 问题`, sql: `SELECT COUNT(*) AS ${tier} FROM bss_car_day_count;` }]));
  if (prompt.includes('=== 数据库业务范围 ===')) return chat('=== 数据库业务范围 ===\n高速公路');
  if (prompt.includes('真实查询日志')) {
    const n = (prompt.match(/^#\d+ /gm) ?? []).length;
    return chat(JSON.stringify({ questions: Array.from({ length: n }, (_, i) => `LLM真实问题${i + 1}`) }));
  }
  return { status: 400, body: { error: { message: 'unexpected prompt' } } };
}

const OPTIONS = { enableLlmRepair: false, modifyOriginalFile: true };

function builtinPipeline(pool: Pool): Pipeline {
  const providers = createProviders({ embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, pino({ level: 'silent' }));
  return createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 2, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
}

const readPairs = (dir: string, file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as LabelledPair[];

/** What users ran: statements with literals, a join, a LIMIT, one with a literal in its select list, a write. */
const USER_STATEMENTS: [string, number][] = [
  [`SELECT car_type, SUM(customer_count) AS total FROM bss_car_day_count WHERE count_date >= '2024-01-01' AND delete_ts IS NULL GROUP BY car_type`, 6],
  [`SELECT a.service_area_name, c.company_name FROM bss_service_area a JOIN bss_company c ON c.id = a.company_id WHERE a.service_state = '开放'`, 5],
  [`SELECT company_name FROM bss_company WHERE delete_ts IS NULL ORDER BY company_name LIMIT 3`, 4],
  [`SELECT 'x' || company_name AS tagged FROM bss_company`, 3],
  [`UPDATE bss_company SET version = version WHERE id = 'no-such-id'`, 3],
];

/** pg_stat_statements can only work where the server preloads it (CI and this machine do; PGlite cannot). */
async function statementsPreloaded(db: TestDatabase): Promise<boolean> {
  if (embeddedTestMode()) return false;
  const [row] = await db.query(`SELECT current_setting('shared_preload_libraries') AS libs`);
  return String(row!.libs).split(',').map((s: string) => s.trim()).includes('pg_stat_statements');
}

describe('mine_query_log', () => {
  let db: TestDatabase;
  let pool: Pool;
  let preloaded = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    preloaded = await statementsPreloaded(db);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('without pg_stat_statements in the business database: a clear note, and the step goes on', async () => {
    await db.query('DROP EXTENSION IF EXISTS pg_stat_statements');
    const pipeline = builtinPipeline(pool);
    const ctx = stepContext(pool, 'highway_db');
    await pipeline.run('ddl_generation', ctx, OPTIONS);
    const qa = (await pipeline.run('qa_generation', ctx, { ...OPTIONS, mineQueryLog: true })) as { output_file: string; query_log: { available: boolean; note: string; pairs: number } };
    expect(qa.query_log).toMatchObject({ available: false, pairs: 0 });
    expect(qa.query_log.note).toContain('pg_stat_statements');
    expect(readPairs(ctx.dir, qa.output_file).length).toBeGreaterThanOrEqual(40);
    const report = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'qa_quality_report.json'), 'utf8')) as QualityReport;
    expect(report.query_log).toMatchObject({ available: false });
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('with pg_stat_statements: the most-called read-only statements on the task tables become validated query_log pairs', async (test) => {
    if (!preloaded) test.skip(embeddedTestMode() ? 'PGlite has no pg_stat_statements (embedded mode)' : 'the server does not preload pg_stat_statements');
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    // A user's own session, not the pipeline's pool.
    const user = new pg.Client({ connectionString: db.url });
    await user.connect();
    try {
      for (const [sql, times] of USER_STATEMENTS) for (let i = 0; i < times; i += 1) await user.query(sql);
    } finally {
      await user.end();
    }
    const pipeline = builtinPipeline(pool);
    const ctx = stepContext(pool, 'highway_db');
    await pipeline.run('ddl_generation', ctx, OPTIONS);
    const qa = (await pipeline.run('qa_generation', ctx, { ...OPTIONS, mineQueryLog: true })) as {
      output_file: string;
      query_log: { available: boolean; pairs: number; skipped: { sql: string; reason: string }[]; question_provider: string };
    };
    expect(qa.query_log).toMatchObject({ available: true, question_provider: 'builtin' });
    // The one with a literal in its select list cannot be filled: skipped, and said so.
    expect(qa.query_log.skipped.some((s) => s.sql.includes(`|| company_name`) && s.reason.includes('$1'))).toBe(true);
    const mined = readPairs(ctx.dir, qa.output_file).filter((p) => p.source === 'query_log');
    expect(mined.length).toBe(qa.query_log.pairs);
    const find = (re: RegExp) => mined.find((p) => re.test(p.sql));
    const cars = find(/SUM\(customer_count\) AS total FROM bss_car_day_count WHERE count_date >= '\d{4}-\d{2}-\d{2}'/);
    const join = find(/JOIN bss_company c ON c\.id = a\.company_id WHERE a\.service_state = '[^']+'/);
    const limited = find(/ORDER BY company_name LIMIT 10;$/);
    expect(cars && join && limited, JSON.stringify(mined, null, 1)).toBeTruthy();
    expect(mined.some((p) => /UPDATE|tagged|t2s:internal|pg_/.test(p.sql))).toBe(false);
    for (const p of [cars!, join!, limited!]) {
      expect(p.question).toMatch(/[\u4e00-\u9fa5]/);
      expect(p.theme).toBe('真实查询');
    }
    expect(cars!.difficulty).toBe('moderate');
    expect(join!.difficulty).toBe('complex');
    expect(cars!.question).toContain('车辆类别');

    // Validated like generated SQL: EXPLAIN-valid, executed, non-empty.
    await pipeline.run('sql_validation', ctx, OPTIONS);
    const checked = readPairs(ctx.dir, qa.output_file).filter((p) => p.source === 'query_log');
    expect(checked.length).toBe(mined.length);
    for (const p of checked) expect(p.valid, p.sql).toBe(true);
    expect(checked.find((p) => p.sql === cars!.sql)!.row_count).toBe(4);
    const report = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'qa_quality_report.json'), 'utf8')) as QualityReport;
    expect(report.by_source.query_log).toBe(checked.length);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('with an LLM configured, the mined statements get the LLM\'s questions', async (test) => {
    if (!preloaded) test.skip(embeddedTestMode() ? 'PGlite has no pg_stat_statements (embedded mode)' : 'the server does not preload pg_stat_statements');
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    for (let i = 0; i < 3; i += 1) await db.query(`SELECT company_no FROM bss_company WHERE company_name = '某公司' AND delete_ts IS NULL`);
    const llm = await FakeOpenAiServer.start();
    llm.otherwise(scriptedLlm);
    try {
      const providers = createProviders(
        { llm: { baseUrl: llm.baseUrl, model: 'fake-model', timeoutMs: 5000, maxRetries: 0 }, embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 8, timeoutMs: 1000, maxRetries: 0 } },
        pino({ level: 'silent' }),
      );
      const pipeline = createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 2, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
      const ctx = stepContext(pool, 'highway_db');
      await pipeline.run('ddl_generation', ctx, OPTIONS);
      const qa = (await pipeline.run('qa_generation', ctx, { ...OPTIONS, mineQueryLog: true })) as { output_file: string; query_log: { pairs: number; question_provider: string } };
      expect(qa.query_log.question_provider).toBe('openai-compatible:fake-model');
      const mined = readPairs(ctx.dir, qa.output_file).filter((p) => p.source === 'query_log');
      expect(mined.length).toBe(qa.query_log.pairs);
      expect(mined.length).toBeGreaterThan(0);
      for (const p of mined) expect(p.question).toMatch(/^LLM真实问题\d+$/);
      expect(mined.some((p) => p.sql.includes('FROM bss_company WHERE company_name ='))).toBe(true);
      fs.rmSync(ctx.dir, { recursive: true, force: true });
    } finally {
      await llm.close();
    }
  });
});

describe('sql_validation execution check options', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const PAIRS = [
    { question: '公司有哪些？', sql: 'SELECT company_name FROM bss_company WHERE delete_ts IS NULL;' },
    { question: '不存在的公司', sql: `SELECT company_name FROM bss_company WHERE company_name = 'no such company';` },
    { question: '除零', sql: 'SELECT 1 / (SELECT count(*) - count(*) FROM bss_company) AS x;' },
  ];

  it('labels empty results and runtime errors; drop_empty_results removes the empty pair and keeps a backup', async () => {
    const pipeline = builtinPipeline(pool);
    const ctx = stepContext(pool, 'highway_db');
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify(PAIRS));
    const result = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: false, modifyOriginalFile: false, dropEmptyResults: true })) as {
      invalid_items: { index: number; error: string }[];
      execution_stats: { non_empty: number; empty: number };
      dropped_empty_results: number;
    };
    // Division by zero passes EXPLAIN and fails only when run: an SQL error (22012), so invalid.
    expect(result.invalid_items.map((i) => i.index)).toEqual([2]);
    expect(result.invalid_items[0]!.error).toMatch(/division by zero/);
    expect(result).toMatchObject({ execution_stats: { non_empty: 1, empty: 1 }, dropped_empty_results: 1 });
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as LabelledPair[];
    // modify_original_file=false: the invalid pair stays (labelled), the empty one goes.
    expect(kept.map((p) => [p.question, p.valid, p.empty_result])).toEqual([
      ['公司有哪些？', true, false],
      ['除零', false, false],
    ]);
    expect(kept[0]!.row_count).toBeGreaterThan(0);
    expect(kept[0]!.difficulty).toBe('simple');
    expect(JSON.parse(fs.readFileSync(`${file}.backup`, 'utf8'))).toEqual(PAIRS);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('SQL that outlives statement_timeout when run stays valid, labelled not executed (row_count null)', async (test) => {
    if (embeddedTestMode()) test.skip('PGlite (WASM, one thread) does not interrupt pg_sleep with statement_timeout');
    const providers = createProviders({ embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, pino({ level: 'silent' }));
    const pipeline = createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 2, sqlValidationTimeoutMs: 300 } }, providers, new TableInspector(), pool);
    const ctx = stepContext(pool, 'highway_db');
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify([PAIRS[0], { question: '慢查询', sql: 'SELECT pg_sleep(30) FROM bss_company LIMIT 1;' }]));
    const result = (await pipeline.run('sql_validation', ctx, OPTIONS)) as { valid_sql_count: number; execution_stats: { timed_out: number } };
    expect(result).toMatchObject({ valid_sql_count: 2, execution_stats: { timed_out: 1 } });
    const labelled = JSON.parse(fs.readFileSync(file, 'utf8')) as LabelledPair[];
    expect(labelled[1]).toMatchObject({ question: '慢查询', valid: true, row_count: null, empty_result: false });
    const report = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'qa_quality_report.json'), 'utf8')) as QualityReport;
    expect(report.execution).toMatchObject({ explain_valid: 2, non_empty: 1, not_executed: 1 });
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('without modify_original_file or drop_empty_results the pair file is not touched', async () => {
    const pipeline = builtinPipeline(pool);
    const ctx = stepContext(pool, 'highway_db');
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify(PAIRS));
    const result = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: false, modifyOriginalFile: false })) as { execution_stats: { empty: number }; quality: { total_pairs: number } };
    expect(result.execution_stats.empty).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(PAIRS));
    expect(fs.existsSync(`${file}.backup`)).toBe(false);
    expect(result.quality.total_pairs).toBe(3);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });
});
