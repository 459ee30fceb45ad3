import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createPipeline, type Pipeline } from '../../src/pipeline/create-pipeline.js';
import { createProviders } from '../../src/providers/create-providers.js';
import { TableInspector } from '../../src/introspection/table-inspector.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool, stepContext } from '../helpers/pipeline.js';
import { adminDatabaseUrl, embeddedTestMode } from '../helpers/test-database-url.js';

const REWRITE = { enableLlmRepair: false, modifyOriginalFile: true };

function builtinPipeline(pool: Pool): Pipeline {
  const providers = createProviders({ embedding: { provider: 'builtin', model: 'b', dimensions: 64, batchSize: 16, timeoutMs: 1000, maxRetries: 0 } }, pino({ level: 'silent' }));
  return createPipeline({ pipeline: { tableConcurrency: 2, sqlValidationConcurrency: 4, sqlValidationTimeoutMs: 5000 } }, providers, new TableInspector(), pool);
}

/** Every file of a task directory with the SHA-256 of its bytes; the task log is expected to grow. */
function snapshot(dir: string): Record<string, string> {
  const names = fs.readdirSync(dir).filter((n) => n !== 'data_pipeline.log').sort();
  return Object.fromEntries(names.map((n) => [n, createHash('sha256').update(fs.readFileSync(path.join(dir, n))).digest('hex')]));
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A real outage of the business database: its sessions are ended and its name disappears. */
async function renameDatabase(from: string, to: string): Promise<void> {
  await admin(async (client) => {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [from]);
    await client.query(`ALTER DATABASE ${client.escapeIdentifier(from)} RENAME TO ${client.escapeIdentifier(to)}`);
  });
}

describe('sql_validation when the business database is unreachable', () => {
  let db: TestDatabase;
  let pool: Pool;
  let renamed = false;

  beforeAll(async () => {
    if (embeddedTestMode()) return;
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
  });
  afterAll(async () => {
    if (embeddedTestMode()) return;
    await pool.end();
    if (renamed) await renameDatabase(`${db.name}_away`, db.name);
    await db.drop();
  });

  // PGlite is the server's own process: there is no database to take away from under it.
  it.skipIf(embeddedTestMode())('fails the step and leaves the pair file, its backup and every other file as they were', async () => {
    const pipeline = builtinPipeline(pool);
    const ctx = stepContext(pool, 'highway_db');
    try {
      await pipeline.run('ddl_generation', ctx, REWRITE);
      const qa = (await pipeline.run('qa_generation', ctx, REWRITE)) as { output_file: string; total_questions: number };
      expect(qa.total_questions).toBeGreaterThan(0);
      const pairFile = path.join(ctx.dir, qa.output_file);

      await renameDatabase(db.name, `${db.name}_away`);
      renamed = true;

      // No backup yet: none is created, nothing else changes.
      const before = snapshot(ctx.dir);
      expect(before).not.toHaveProperty(`${qa.output_file}.backup`);
      await expect(pipeline.run('sql_validation', ctx, REWRITE)).rejects.toThrow(/SQL验证中止.*3D000.*问答对文件未修改/);
      expect(snapshot(ctx.dir)).toEqual(before);

      // A backup from an earlier run stays byte for byte.
      fs.writeFileSync(`${pairFile}.backup`, '[{"question":"earlier","sql":"SELECT 1;"}]\n');
      const withBackup = snapshot(ctx.dir);
      await expect(pipeline.run('sql_validation', ctx, REWRITE)).rejects.toThrow(/SQL验证中止/);
      expect(snapshot(ctx.dir)).toEqual(withBackup);
      expect(JSON.parse(fs.readFileSync(pairFile, 'utf8'))).toHaveLength(qa.total_questions);
    } finally {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
    }
  });
});

describe('sql_validation against the wrong business database', () => {
  let demo: TestDatabase;
  let other: TestDatabase;
  let demoPool: Pool;
  let otherPool: Pool;

  beforeAll(async () => {
    demo = await createTestDatabase();
    demoPool = await seededDemoPool(demo.url);
    // A real database of the same server that has none of the demo tables.
    other = await createTestDatabase();
    otherPool = createPool(other.url, { max: embeddedTestMode() ? 1 : 4 }, pino({ level: 'silent' }));
    await otherPool.query('CREATE TABLE unrelated (id int)');
  });
  afterAll(async () => {
    await demoPool.end();
    await otherPool.end();
    await demo.drop();
    await other.drop();
  });

  it('every pair failing with undefined table/schema fails the step naming the database; no file changes, no .backup', async () => {
    const generatedOn = stepContext(demoPool, 'highway_db');
    try {
      await builtinPipeline(demoPool).run('ddl_generation', generatedOn, REWRITE);
      const qa = (await builtinPipeline(demoPool).run('qa_generation', generatedOn, REWRITE)) as { output_file: string; total_questions: number };
      expect(qa.total_questions).toBeGreaterThan(0);
      // A pair naming a function of a schema the other database lacks fails with 3F000, not 42P01.
      const pairFile = path.join(generatedOn.dir, qa.output_file);
      const pairs = JSON.parse(fs.readFileSync(pairFile, 'utf8')) as unknown[];
      fs.writeFileSync(pairFile, JSON.stringify([...pairs, { question: 'ods', sql: 'SELECT ods.fn_count();' }], null, 2));

      const wrong = { ...generatedOn, business: { pool: otherPool, database: 'highway_db' } };
      const before = snapshot(generatedOn.dir);
      await expect(builtinPipeline(otherPool).run('sql_validation', wrong, REWRITE)).rejects.toThrow(
        new RegExp(`SQL验证中止: 全部 ${qa.total_questions + 1} 条SQL引用的表在数据库 ${other.name} 中都不存在.*错误的数据库.*问答对文件未修改`),
      );
      expect(snapshot(generatedOn.dir)).toEqual(before);
      expect(fs.existsSync(`${pairFile}.backup`)).toBe(false);
    } finally {
      fs.rmSync(generatedOn.dir, { recursive: true, force: true });
    }
  });

  it('a file where only some pairs name unknown tables is still judged pair by pair', async () => {
    const ctx = stepContext(demoPool, 'highway_db');
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify([
      { question: 'unknown table', sql: 'SELECT count(*) FROM no_such_table;' },
      { question: 'unknown schema', sql: 'SELECT nosuch.f();' },
      { question: 'unknown column', sql: 'SELECT no_such_column FROM bss_company;' },
    ]));
    try {
      const result = (await builtinPipeline(demoPool).run('sql_validation', ctx, REWRITE)) as { file_modification_stats: { deleted: number } };
      expect(result.file_modification_stats.deleted).toBe(3);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual([]);
    } finally {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
    }
  });
});

describe('sql_validation judges writing SQL and keeps the first backup', () => {
  let db: TestDatabase;
  let pool: Pool;
  let pipeline: Pipeline;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    pipeline = builtinPipeline(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('finds data-modifying CTEs, SELECT … INTO and FOR UPDATE invalid from the plan, without running them', async () => {
    const ctx = stepContext(pool, 'highway_db');
    const companies = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bss_company'))[0]!.n;
    const pairs = [
      { question: 'ok', sql: 'SELECT count(*) FROM bss_company;' },
      { question: 'cte delete', sql: 'WITH d AS (DELETE FROM bss_company RETURNING id) SELECT count(*) FROM d;' },
      { question: 'select into', sql: 'SELECT * INTO t2s_copy FROM bss_company;' },
      { question: 'lock', sql: 'SELECT id FROM bss_company FOR UPDATE;' },
      { question: 'dollar tag with digits', sql: 'SELECT $a1$x;y$a1$ AS v FROM bss_company LIMIT 1;' },
      { question: 'plain delete', sql: 'DELETE FROM bss_company;' },
    ];
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    fs.writeFileSync(file, JSON.stringify(pairs));
    try {
      const result = (await pipeline.run('sql_validation', ctx, { enableLlmRepair: false, modifyOriginalFile: false })) as {
        invalid_items: { index: number; error: string }[];
      };
      expect(result.invalid_items.map((i) => i.index)).toEqual([1, 2, 3, 5]);
      const errors = result.invalid_items.map((i) => i.error);
      for (const error of errors) expect(error).toContain('只允许查询语句');
      expect(errors[0]).toContain('Delete bss_company');
      expect(errors[1]).toMatch(/SELECT … INTO/);
      expect(errors[2]).toContain('LockRows');
      expect(await db.query(`SELECT to_regclass('t2s_copy') AS t`)).toEqual([{ t: null }]);
      expect((await db.query('SELECT count(*)::int AS n FROM bss_company'))[0]!.n).toBe(companies);
    } finally {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
    }
  });

  it('a later rewrite of the pair file never replaces an existing .backup', async () => {
    const ctx = stepContext(pool, 'highway_db');
    const file = path.join(ctx.dir, 'qs_highway_db_20990101_000000_pair.json');
    const original = '[{"question":"as generated","sql":"SELECT 1;"}]\n';
    fs.writeFileSync(`${file}.backup`, original);
    fs.writeFileSync(file, JSON.stringify([
      { question: 'ok', sql: 'SELECT count(*) FROM bss_company;' },
      { question: 'broken', sql: 'SELECT no_such_column FROM bss_company;' },
    ]));
    try {
      const result = (await pipeline.run('sql_validation', ctx, REWRITE)) as { file_modification_stats: { deleted: number } };
      expect(result.file_modification_stats.deleted).toBe(1);
      // The kept pair carries sql_validation's labels after its question and sql.
      const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>[];
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ question: 'ok', sql: 'SELECT count(*) FROM bss_company;', valid: true, row_count: 1, difficulty: 'moderate' });
      expect(fs.readFileSync(`${file}.backup`, 'utf8')).toBe(original);
      expect(fs.readdirSync(ctx.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
    }
  });
});
