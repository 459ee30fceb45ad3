import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { mapLimit } from '../lib/map-limit.js';
import { fileTimestamp, secondsSince } from '../lib/time.js';
import { StepFailedError } from './ddl-generation.js';
import type { QuestionSqlPair } from './qa/qa-types.js';
import { executionCheck } from './quality/execution-check.js';
import { qualitySummary } from './quality/quality-report.js';
import { explainReadOnly, InvalidSqlError, sqlStateOf } from './read-only-explain.js';
import { query } from '../db/pool.js';
import { currentDatabase } from '../db/sql/catalog.sql.js';
import { checkAborted, type StepContext } from './step-context.js';
import { PAIR_FILE_PATTERN, sqlValidationSummaryName, stepResultFile } from '../task-files/task-dir.js';
import { labelledPairs, summary, writeLabelledPairs, type Check, type SqlRepairer, type SqlValidationResult, type SqlValidationSettings } from './sql-validation-output.js';

export type { SqlRepairer, SqlValidationResult, SqlValidationSettings } from './sql-validation-output.js';

export { explainReadOnly } from './read-only-explain.js';




/** Step 3: validate every pair's SQL, optionally repair and rewrite the pair file. */
export class SqlValidationStep {
  constructor(
    private readonly repairer: SqlRepairer | null,
    private readonly settings: SqlValidationSettings,
  ) {}

  async run(ctx: StepContext): Promise<SqlValidationResult> {
    const started = performance.now();
    const file = await newestPairFile(ctx.taskDir);
    const pairs = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<QuestionSqlPair>[];
    if (!Array.isArray(pairs)) throw new StepFailedError(`${path.basename(file)} 不是问答对数组`);
    // Indices stay those of the file, so later edits hit the right entries (reference §12 item 13).
    const items = pairs.flatMap((p, index) => (typeof p?.question === 'string' && typeof p?.sql === 'string' ? [{ index, question: p.question, sql: p.sql }] : []));
    ctx.log.info(`开始验证 ${items.length} 条SQL (${path.basename(file)})`);
    let done = 0;
    let checks: Check[];
    let repairStats: SqlValidationResult['repair_stats'];
    try {
      checks = await mapLimit(items, this.settings.concurrency, async (item): Promise<Check> => {
        checkAborted(ctx.signal);
        const check = await this.check(ctx, item);
        ctx.progress({ done: ++done, total: items.length, unit: 'sqls' });
        return check;
      });
      await assertTablesFound(ctx, checks);
      repairStats = await this.repair(ctx, checks.filter((c) => !c.valid));
    } catch (err) {
      throw stepFailure(ctx, err);
    }
    const labelled = labelledPairs(pairs, checks, this.settings);
    const written = await writeLabelledPairs(ctx, file, pairs, labelled, checks, this.settings, repairStats);
    const modification = written.modification;
    const valid = checks.filter((c) => c.valid).length;
    const executed = checks.filter((c) => c.valid);
    const result: SqlValidationResult = {
      input_file: path.basename(file),
      original_sql_count: items.length,
      valid_sql_count: valid,
      invalid_sql_count: items.length - valid,
      success_rate: items.length ? Math.round((valid / items.length) * 10000) / 10000 : 0,
      repair_stats: repairStats,
      file_modification_stats: modification,
      average_execution_time: checks.length ? checks.reduce((s, c) => s + c.ms, 0) / checks.length / 1000 : 0,
      total_retries: 0,
      invalid_items: checks.filter((c) => !c.valid).map((c) => ({ index: c.index, question: c.question, error: c.error ?? '' })),
      execution_stats: {
        non_empty: executed.filter((c) => (c.rowCount ?? 0) > 0).length,
        empty: executed.filter((c) => c.rowCount === 0).length,
        timed_out: executed.filter((c) => c.timedOut).length,
        row_cap: this.settings.rowCap,
      },
      dropped_empty_results: written.droppedEmpty,
      quality: written.report ? qualitySummary(written.report) : null,
      duration: secondsSince(started),
    };
    await writeFileAtomic(path.join(ctx.taskDir, sqlValidationSummaryName(fileTimestamp())), summary(result, checks));
    await writeJson(stepResultFile(ctx.taskDir, 'sql_validation'), result);
    ctx.log.info(`SQL验证完成: ${valid}/${items.length} 有效, ${result.execution_stats.non_empty} 条有结果, ${result.execution_stats.empty} 条结果为空`);
    return result;
  }

  private async check(ctx: StepContext, item: { index: number; question: string; sql: string }): Promise<Check> {
    const t0 = performance.now();
    try {
      const outcome = await this.explainAndRun(ctx, item.sql);
      return { ...item, valid: true, error: null, sqlState: null, ms: performance.now() - t0, ...outcome };
    } catch (err) {
      // Only the SQL's own errors judge the pair; an outage is not a verdict on it.
      if (!(err instanceof InvalidSqlError)) throw err;
      return { ...item, valid: false, error: err.message, sqlState: sqlStateOf(err), ms: performance.now() - t0, rowCount: null, timedOut: false };
    }
  }

  /** EXPLAIN from the plan (never executing writing SQL), then the read-only execution check. */
  private async explainAndRun(ctx: StepContext, sql: string) {
    await explainReadOnly(ctx.business.pool, sql, this.settings.statementTimeoutMs);
    return executionCheck(ctx.business.pool, sql, this.settings.statementTimeoutMs, this.settings.rowCap);
  }

  private async repair(ctx: StepContext, failed: Check[]): Promise<SqlValidationResult['repair_stats']> {
    const stats = { attempted: 0, successful: 0, failed: 0 };
    if (!this.settings.enableRepair || !this.repairer || failed.length === 0) return stats;
    for (let i = 0; i < failed.length; i += 2) {
      checkAborted(ctx.signal);
      const batch = failed.slice(i, i + 2);
      stats.attempted += batch.length;
      let answers: string[] = [];
      try {
        answers = await this.repairer.repair(batch.map((c) => ({ question: c.question, sql: c.sql, error: c.error ?? '' })), ctx.signal);
      } catch (err) {
        ctx.log.warn(`SQL修复调用失败: ${(err as Error).message}`);
      }
      for (const [j, check] of batch.entries()) {
        const candidate = answers[j]?.replace(/\s+/g, ' ').trim();
        if (!candidate || candidate === check.sql.trim()) {
          stats.failed += 1;
          continue;
        }
        try {
          const outcome = await this.explainAndRun(ctx, candidate);
          Object.assign(check, { valid: true, repairedSql: candidate.endsWith(';') ? candidate : `${candidate};`, ...outcome });
          stats.successful += 1;
        } catch (err) {
          if (!(err instanceof InvalidSqlError)) throw err;
          check.error = `${check.error} | 修复后仍失败: ${err.message}`;
          stats.failed += 1;
        }
      }
    }
    ctx.log.info(`SQL修复: 尝试 ${stats.attempted}, 成功 ${stats.successful}, 失败 ${stats.failed} (${this.repairer.provider})`);
    return stats;
  }
}

export async function newestPairFile(taskDir: string): Promise<string> {
  const names = (await fs.readdir(taskDir)).filter((n) => PAIR_FILE_PATTERN.test(n));
  if (names.length === 0) throw new StepFailedError('未找到问答对文件 (*_pair.json)，请先执行 qa_generation');
  const stats = await Promise.all(names.map(async (n) => ({ n, mtime: (await fs.stat(path.join(taskDir, n))).mtimeMs })));
  return path.join(taskDir, stats.sort((a, b) => b.mtime - a.mtime || b.n.localeCompare(a.n))[0]!.n);
}

/** A table (42P01) or schema (3F000) the database does not have. */
const UNDEFINED_RELATION = new Set(['42P01', '3F000']);

/**
 * Every pair failing because its tables or schemas do not exist says far more likely "wrong
 * database" than "every query is bad": the step fails before any file is written (no rewrite, no
 * `.backup`), like an outage, instead of emptying the pair file.
 */
async function assertTablesFound(ctx: StepContext, checks: Check[]): Promise<void> {
  if (checks.length === 0 || !checks.every((c) => !c.valid && UNDEFINED_RELATION.has(c.sqlState ?? ''))) return;
  const [row] = await query<{ name: string }>(ctx.business.pool, currentDatabase());
  throw new StepFailedError(
    `SQL验证中止: 全部 ${checks.length} 条SQL引用的表在数据库 ${row?.name ?? ctx.business.database} 中都不存在 (42P01/3F000)，` +
      '是否连接了错误的数据库？问答对文件未修改，请检查任务的数据库连接 (db_connection) 后重试',
  );
}

/**
 * A check that failed for a reason other than the SQL (the business database unreachable, a
 * timeout, a lost connection) fails the step before any file is written: the pair file, its
 * `.backup` and the previous results stay as they were, so training_load never loads an emptied file.
 */
function stepFailure(ctx: StepContext, err: unknown): unknown {
  if (ctx.signal?.aborted || err instanceof StepFailedError) return err;
  const code = (err as { code?: unknown }).code;
  return new StepFailedError(
    `SQL验证中止: 数据库错误与SQL本身无关${typeof code === 'string' ? ` (${code})` : ''}: ${(err as Error).message}。问答对文件未修改，请检查业务数据库后重试`,
    { cause: err },
  );
}
