import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Pool } from '../../src/db/pool.js';
import { foreignKeys, type ForeignKeyRow } from '../../src/db/sql/qa-quality.sql.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/create-pipeline.js';
import { explainReadOnly } from '../../src/pipeline/sql-validation.js';
import { createProviders } from '../../src/providers/create-providers.js';
import { TableInspector } from '../../src/introspection/table-inspector.js';
import { classifyDifficulty, DIFFICULTIES } from '../../src/pipeline/quality/difficulty.js';
import { normaliseQuestion, normaliseSql } from '../../src/pipeline/quality/dedupe.js';
import { sqlCoverage, type QualityReport } from '../../src/pipeline/quality/quality-report.js';
import { followsEdge, joinEdges } from '../../src/pipeline/qa/join-graph.js';
import type { LabelledPair } from '../../src/pipeline/qa/qa-types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { HIGHWAY_FIXTURES, seededDemoPool, stepContext } from '../helpers/pipeline.js';
import { joinConditions } from '../helpers/sql-joins.js';

const TABLES = ['bss_business_day_data', 'bss_car_day_count', 'bss_company', 'bss_section_route', 'bss_section_route_area_link', 'bss_service_area', 'bss_service_area_mapper'];
const OPTIONS = { enableLlmRepair: true, modifyOriginalFile: true };

describe('the four steps on the demo database with the built-in providers', () => {
  let db: TestDatabase;
  let pool: Pool;
  let pipeline: Pipeline;
  let ctx: ReturnType<typeof stepContext>;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    const logger = pino({ level: 'silent' });
    const providers = createProviders({ embedding: { provider: 'builtin', model: 'builtin-lexical-hash-v1', dimensions: 1024, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, logger);
    pipeline = createPipeline({ pipeline: { tableConcurrency: 3, sqlValidationConcurrency: 4, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
    ctx = stepContext(pool, 'highway_db');
  });
  afterAll(async () => {
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    await pool.end();
    await db.drop();
  });

  it('ddl_generation writes runnable DDL and the docs of every listed table', async () => {
    const result = (await pipeline.run('ddl_generation', ctx, OPTIONS)) as Record<string, unknown>;
    expect(result).toMatchObject({ total_tables: 7, processed_successfully: 7, failed: 0, files_generated: 14, comment_provider: 'builtin' });
    expect(JSON.parse(fs.readFileSync(path.join(ctx.dir, 'ddl_generation_result.json'), 'utf8'))).toMatchObject({ total_tables: 7 });
    expect(ctx.progressLog.at(-1)).toEqual({ done: 7, total: 7, unit: 'tables' });

    await db.query('CREATE SCHEMA scratch');
    for (const table of TABLES) {
      const ddl = fs.readFileSync(path.join(ctx.dir, `${table}.ddl`), 'utf8');
      expect(ddl).toMatch(/^-- 中文名: .+\n/);
      expect(ddl).toContain(`create table public.${table} (`);
      // Runnable: executed as it stands, only redirected to a scratch schema.
      await db.query(ddl.replace(`create table public.${table}`, `create table scratch.${table}`));
      const md = fs.readFileSync(path.join(ctx.dir, `${table}_detail.md`), 'utf8');
      expect(md).toMatch(new RegExp(`^## ${table}（.+）\\n${table} 表`));
      expect(md).toMatch(/字段列表：\n- \w+ \(/);
    }
    const columns = await db.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'scratch'`);
    const original = await db.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1)`, [TABLES]);
    expect(columns[0]!.n).toBe(original[0]!.n);
    // Enums found with SQL: few values, repeated across rows (the fixture's car types).
    const cars = fs.readFileSync(path.join(ctx.dir, 'bss_car_day_count_detail.md'), 'utf8');
    expect(cars).toContain('car_type 为枚举字段，包含取值：其他、危化品、城际、过境');
    expect(fs.readFileSync(path.join(ctx.dir, 'filename_mapping.txt'), 'utf8')).toContain('public.bss_company -> bss_company.ddl, bss_company_detail.md');
  });

  it('qa_generation writes ≥ 40 labelled pairs of every tier over all 7 tables, deduplicated, joins along keys only', async () => {
    const result = (await pipeline.run('qa_generation', ctx, OPTIONS)) as { output_file: string; total_questions: number; total_themes: number };
    expect(result.output_file).toMatch(/^qs_highway_db_\d{8}_\d{6}_pair\.json$/);
    expect(result.total_themes).toBe(5);
    const pairs = JSON.parse(fs.readFileSync(path.join(ctx.dir, result.output_file), 'utf8')) as LabelledPair[];
    expect(pairs.length).toBe(result.total_questions);
    expect(pairs.length).toBeGreaterThanOrEqual(40);
    for (const pair of pairs) {
      // The original's loader reads question and sql; the labels come after them.
      expect(Object.keys(pair)).toEqual(['question', 'sql', 'difficulty', 'theme', 'source']);
      expect(pair.sql.endsWith(';')).toBe(true);
      expect(pair.difficulty, pair.sql).toBe(classifyDifficulty(pair.sql));
      expect(pair.source).toBe('generated');
      await expect(explainReadOnly(pool, pair.sql, 5000), pair.sql).resolves.toBeUndefined();
    }
    for (const tier of DIFFICULTIES) {
      expect(pairs.filter((p) => p.difficulty === tier).length, tier).toBeGreaterThanOrEqual(pairs.length * 0.1);
    }
    // The tiers mean what they say: CTEs, windows and multi-hop joins are there.
    expect(pairs.some((p) => /^WITH /.test(p.sql))).toBe(true);
    expect(pairs.some((p) => / OVER \(/.test(p.sql))).toBe(true);
    expect(pairs.some((p) => / HAVING /.test(p.sql))).toBe(true);
    expect(pairs.some((p) => (p.sql.match(/ JOIN /g) ?? []).length >= 2)).toBe(true);
    expect(new Set(pairs.map((p) => normaliseQuestion(p.question))).size).toBe(pairs.length);
    expect(new Set(pairs.map((p) => normaliseSql(p.sql))).size).toBe(pairs.length);
    const tablesUsed = new Set(pairs.flatMap((p) => TABLES.filter((t) => new RegExp(`\\b${t}\\b`).test(p.sql))));
    expect([...tablesUsed].sort()).toEqual([...TABLES].sort());

    // Every JOIN follows a key: the demo declares no foreign keys between its tables, so the <x>_id rule.
    const declared = await query<ForeignKeyRow>(pool, foreignKeys(TABLES.map((t) => `public.${t}`)));
    expect(declared).toEqual([]);
    const inspector = new TableInspector();
    const edges = joinEdges(await Promise.all(TABLES.map((t) => inspector.describeTable(pool, 'public', t))), declared);
    expect(edges.map((e) => `${e.from.name}.${e.fromColumn}->${e.to.name}.${e.toColumn}`).sort()).toEqual([
      'bss_business_day_data.service_area_id->bss_service_area.id',
      'bss_car_day_count.service_area_id->bss_service_area.id',
      'bss_section_route_area_link.section_route_id->bss_section_route.id',
      'bss_section_route_area_link.service_area_id->bss_service_area.id',
      'bss_service_area.company_id->bss_company.id',
      'bss_service_area_mapper.service_area_id->bss_service_area.id',
    ]);
    let joins = 0;
    for (const pair of pairs) {
      const found = joinConditions(pair.sql);
      expect(found.conditions.length, pair.sql).toBe(found.joins);
      for (const c of found.conditions) expect(followsEdge(edges, c.left, c.right), pair.sql).toBe(true);
      joins += found.joins;
    }
    expect(joins).toBeGreaterThanOrEqual(5);
    expect(pairs.filter((p) => /delete_ts IS NULL/.test(p.sql)).length).toBeGreaterThan(pairs.length / 2);
    expect(pairs.some((p) => /AS [\u4e00-\u9fa5]/.test(p.sql))).toBe(true);

    const metadata = fs.readFileSync(path.join(ctx.dir, 'metadata.txt'), 'utf8');
    await db.query('SET search_path = scratch');
    await db.query(metadata);
    await db.query('SET search_path = public');
    const themes = await db.query(`SELECT topic_name, related_tables FROM scratch.metadata`);
    expect(themes).toHaveLength(5);
    expect(Array.isArray(themes[0]!.related_tables)).toBe(true);
    expect(fs.readFileSync(path.join(ctx.dir, 'metadata_detail.md'), 'utf8')).toMatch(/^## metadata（存储分析主题元数据）/);
    expect(fs.readFileSync(path.join(ctx.dir, 'db_query_decision_prompt.txt'), 'utf8')).toMatch(/^=== 数据库业务范围 ===\n/);
  });

  it('sql_validation finds every generated SQL valid, runs it, labels row counts; the report equals the pair file', async () => {
    const result = (await pipeline.run('sql_validation', ctx, OPTIONS)) as { invalid_sql_count: number; success_rate: number; input_file: string; quality: Record<string, unknown> };
    expect(result.invalid_sql_count).toBe(0);
    expect(result.success_rate).toBe(1);
    expect(fs.readdirSync(ctx.dir).some((f) => /^sql_validation_\d{8}_\d{6}_summary\.log$/.test(f))).toBe(true);
    const pairs = JSON.parse(fs.readFileSync(path.join(ctx.dir, result.input_file), 'utf8')) as LabelledPair[];
    expect(pairs.every((p) => p.valid === true)).toBe(true);
    const nonEmpty = pairs.filter((p) => (p.row_count ?? 0) > 0).length;
    expect(nonEmpty).toBeGreaterThanOrEqual(pairs.length * 0.9);
    expect(pairs.filter((p) => p.empty_result).length).toBe(pairs.length - nonEmpty);
    // Row counts are real: the first pair's count is what the database returns for its SQL (capped).
    const counted = pairs.find((p) => (p.row_count ?? 0) > 1 && (p.row_count ?? 0) < 1000)!;
    expect((await db.query(counted.sql.replace(/;$/, ''))).length).toBe(counted.row_count);

    const report = JSON.parse(fs.readFileSync(path.join(ctx.dir, 'qa_quality_report.json'), 'utf8')) as QualityReport;
    expect(report.pair_file).toBe(result.input_file);
    expect(report.total_pairs).toBe(pairs.length);
    for (const tier of DIFFICULTIES) expect(report.by_difficulty[tier]).toBe(pairs.filter((p) => p.difficulty === tier).length);
    const themes = [...new Set(pairs.map((p) => p.theme))];
    expect(report.by_theme).toEqual(Object.fromEntries(themes.map((t) => [t, pairs.filter((p) => p.theme === t).length])));
    expect(report.by_source).toEqual({ generated: pairs.length });
    expect(report.execution).toMatchObject({ explain_valid: pairs.length, explain_valid_pct: 100, non_empty: nonEmpty, non_empty_pct: Math.round((nonEmpty / pairs.length) * 10000) / 100 });
    const coveredTables = new Set(pairs.flatMap((p) => sqlCoverage(p.sql, report.catalog).tables));
    const coveredColumns = new Set(pairs.flatMap((p) => sqlCoverage(p.sql, report.catalog).columns));
    expect(report.coverage.tables).toMatchObject({ total: 7, covered: coveredTables.size, uncovered: [] });
    expect(report.coverage.columns.covered).toBe(coveredColumns.size);
    expect(report.duplicates_removed.total).toBe(report.duplicates_removed.questions + report.duplicates_removed.sql);
    expect(report.validation).toMatchObject({ checked: pairs.length, invalid_found: 0, repairs: { attempted: 0, successful: 0 }, labels_in_pair_file: true });
    expect(report.providers).toMatchObject({ qa_generation: 'builtin', ddl_comments: 'builtin', query_log_questions: 'builtin', sql_validation: 'postgresql' });
    expect(result.quality).toMatchObject({ total_pairs: pairs.length, by_difficulty: report.by_difficulty, explain_valid_pct: 100, tables_covered: '7/7' });
  });

  it('training_load writes DDL, doc sections and pairs with the right ids, collections and dimensions', async () => {
    const result = (await pipeline.run('training_load', ctx, OPTIONS)) as { total_records: number; data_type_counts: Record<string, number> };
    const pairFile = fs.readdirSync(ctx.dir).find((f) => f.endsWith('_pair.json'))!;
    const pairs = JSON.parse(fs.readFileSync(path.join(ctx.dir, pairFile), 'utf8')) as unknown[];
    expect(result.data_type_counts.sql).toBe(pairs.length);
    expect(result.data_type_counts.ddl).toBe(7);
    expect(result.data_type_counts.documentation).toBeGreaterThanOrEqual(8);
    const rows = await db.query(`
      SELECT c.name, e.id, e.document, e.cmetadata, vector_dims(e.embedding) AS dims
        FROM langchain_pg_embedding e JOIN langchain_pg_collection c ON c.uuid = e.collection_id`);
    expect(rows).toHaveLength(result.total_records);
    const suffix: Record<string, string> = { ddl: '-ddl', documentation: '-doc', sql: '-sql' };
    for (const row of rows) {
      expect(row.id.endsWith(suffix[row.name]!), `${row.name} ${row.id}`).toBe(true);
      expect(row.cmetadata.id).toBe(row.id);
      expect(row.dims).toBe(1024);
    }
    const sqlDoc = JSON.parse(rows.find((r) => r.name === 'sql')!.document);
    expect(Object.keys(sqlDoc)).toEqual(['question', 'sql']);
    expect(rows.find((r) => r.name === 'ddl')!.document).toMatch(/create table public\.bss_/);

    // A re-run replaces this task's rows instead of duplicating them.
    const again = (await pipeline.run('training_load', ctx, OPTIONS)) as { total_records: number; replaced_previous_records: number };
    expect(again.replaced_previous_records).toBe(result.total_records);
    expect(await db.query('SELECT 1 FROM langchain_pg_embedding')).toHaveLength(result.total_records);
  });
});

describe('a table list naming tables the business database lacks', () => {
  it('ddl_generation skips and names them; qa_generation tells missing tables from a step not run', async () => {
    const db = await createTestDatabase();
    const pool = await seededDemoPool(db.url);
    const providers = createProviders({ embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, pino({ level: 'silent' }));
    const pipeline = createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 2, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
    const ctx = stepContext(pool, 'highway_db');
    fs.writeFileSync(path.join(ctx.dir, 'table_list.txt'), 'bss_company\nno_such_table\nbss_service_area\nods.gone\n');
    try {
      const result = (await pipeline.run('ddl_generation', ctx, OPTIONS)) as Record<string, unknown>;
      expect(result).toMatchObject({ total_tables: 4, processed_successfully: 2, failed: 2, missing_tables: ['public.no_such_table', 'ods.gone'] });
      expect(result.warning).toMatch(/^2 张表在业务数据库 highway_db 中不存在: public\.no_such_table, ods\.gone/);
      const log = fs.readFileSync(path.join(ctx.dir, 'data_pipeline.log'), 'utf8');
      expect(log).toMatch(/\[WARNING\] .*2 张表在业务数据库 highway_db 中不存在/);

      // One existing table's files gone as well: both causes, each with its own remedy.
      fs.rmSync(path.join(ctx.dir, 'bss_service_area.ddl'));
      await expect(pipeline.run('qa_generation', ctx, OPTIONS)).rejects.toThrow(
        /文件验证失败: 2 张表在业务数据库 highway_db 中不存在: public\.no_such_table, ods\.gone.*重新上传.*；缺失 1 张表的DDL\/MD文件 \(bss_service_area\)，请先执行 ddl_generation/,
      );
    } finally {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      await pool.end();
      await db.drop();
    }
  });
});

describe('introspection of large tables', () => {
  it('above the threshold, the row count is the planner estimate (no COUNT(*)) and samples come from a block sample', async () => {
    const db = await createTestDatabase();
    const pool = await seededDemoPool(db.url);
    try {
      await db.query('ANALYZE bss_car_day_count');
      const [stats] = await db.query(`SELECT reltuples::int8 AS estimate FROM pg_class WHERE oid = 'bss_car_day_count'::regclass`);
      const inspector = new TableInspector({ largeTableThreshold: 100, sampleRows: 20, enumScanRows: 5000, enumMaxValues: 20 });
      const table = await inspector.describeTable(pool, 'public', 'bss_car_day_count');
      expect(table.rowCountExact).toBe(false);
      expect(table.rowCount).toBe(Number(stats!.estimate));
      expect(table.columns.find((c) => c.name === 'car_type')!.samples.length).toBeGreaterThan(0);
      const small = await new TableInspector().describeTable(pool, 'public', 'bss_company');
      expect(small.rowCountExact).toBe(true);
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});

describe('sql_validation on the original pairs and on dangerous input', () => {
  let db: TestDatabase;
  let pool: Pool;
  let pipeline: Pipeline;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    const providers = createProviders({ embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, pino({ level: 'silent' }));
    pipeline = createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 4, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('validates the 50 real pairs (only #15, an ambiguous column in the fixture SQL itself, fails)', async () => {
    const ctx = stepContext(pool, 'highway_db');
    fs.copyFileSync(path.join(HIGHWAY_FIXTURES, 'qs_highway_db_20250721_234914_pair.json'), path.join(ctx.dir, 'qs_highway_db_20250721_234914_pair.json'));
    const result = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: false, modifyOriginalFile: false })) as { original_sql_count: number; invalid_items: { index: number; error: string }[] };
    expect(result.original_sql_count).toBe(50);
    expect(result.invalid_items.map((i) => i.index)).toEqual([14]);
    expect(result.invalid_items[0]!.error).toMatch(/ambiguous/);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  it('rejects multi-statement SQL without running it, and rewrites the file at the right indices', async () => {
    const ctx = stepContext(pool, 'highway_db');
    const pairs = [
      { question: 'ok 1', sql: 'SELECT count(*) FROM bss_company;' },
      { question: 'multi', sql: 'SELECT 1; CREATE TABLE pwned (a int);' },
      { note: 'not a pair' },
      { question: 'broken', sql: 'SELECT no_such_column FROM bss_company;' },
      { question: 'write', sql: 'DELETE FROM bss_company;' },
      { question: 'ok 2', sql: "SELECT company_name FROM bss_company WHERE company_no = 'a;b';" },
    ];
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify(pairs));
    const result = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: true, modifyOriginalFile: true })) as {
      invalid_items: { index: number; error: string }[];
      file_modification_stats: { deleted: number };
    };
    expect(result.invalid_items.map((i) => i.index)).toEqual([1, 3, 4]);
    expect(result.invalid_items[0]!.error).toContain('多条语句');
    expect(result.invalid_items[2]!.error).toContain('只允许查询语句');
    expect(result.file_modification_stats.deleted).toBe(3);
    expect(await db.query(`SELECT to_regclass('pwned') AS t`)).toEqual([{ t: null }]);
    expect((await db.query('SELECT count(*)::int AS n FROM bss_company'))[0]!.n).toBeGreaterThan(0);
    const rewritten = JSON.parse(fs.readFileSync(file, 'utf8')) as { question?: string }[];
    expect(rewritten.map((p) => p.question)).toEqual(['ok 1', undefined, 'ok 2']);
    expect(JSON.parse(fs.readFileSync(`${file}.backup`, 'utf8'))).toEqual(pairs);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });
});
