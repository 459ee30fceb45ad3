import fs from 'node:fs/promises';
import path from 'node:path';
import { withClient, type Pool } from '../db/pool.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { mapLimit } from '../lib/map-limit.js';
import { fileTimestamp, localDateTime, secondsSince } from '../lib/time.js';
import { StepFailedError } from './ddl-generation.js';
import { PAIR_FILE_PATTERN } from './qa-generation.js';
import type { QuestionSqlPair } from './qa/qa-types.js';
import { splitStatements } from './sql-statements.js';
import { checkAborted, type StepContext } from './step-context.js';
import { stepResultFile, writeJson } from './step-files.js';

export interface SqlValidationSettings {
  concurrency: number;
  statementTimeoutMs: number;
  /** Repair failed SQL with the LLM (needs one configured). */
  enableRepair: boolean;
  /** Rewrite the pair file: repaired SQL replaced, still-invalid pairs removed; `<file>.backup` kept. */
  modifyOriginalFile: boolean;
}

/** Fixes SQL that failed EXPLAIN; one answer per item, same order. Only the LLM implements it. */
export interface SqlRepairer {
  readonly provider: string;
  repair(items: { question: string; sql: string; error: string }[], signal?: AbortSignal): Promise<string[]>;
}

interface Check {
  index: number;
  question: string;
  sql: string;
  valid: boolean;
  error: string | null;
  ms: number;
  repairedSql?: string;
}

export interface SqlValidationResult {
  input_file: string;
  original_sql_count: number;
  valid_sql_count: number;
  invalid_sql_count: number;
  success_rate: number;
  repair_stats: { attempted: number; successful: number; failed: number };
  file_modification_stats: { modified: number; deleted: number; failed_modifications: number };
  average_execution_time: number;
  total_retries: number;
  invalid_items: { index: number; question: string; error: string }[];
  duration: number;
}

/**
 * EXPLAINs one SQL statement read-only: a READ ONLY transaction with a statement timeout, the
 * extended protocol (which refuses several statements in one string), and nothing ever executed.
 */
export async function explainReadOnly(pool: Pool, sql: string, timeoutMs: number): Promise<void> {
  const statements = splitStatements(sql);
  if (statements.length !== 1) throw new Error('只允许单条SQL语句（检测到多条语句，未执行）');
  // Training pairs are questions answered by queries: a DELETE that plans fine is still not one.
  if (!/^(\(\s*)*(select|with|values|table)\b/i.test(statements[0]!.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*\s*/, ''))) {
    throw new Error('只允许查询语句 (SELECT/WITH)');
  }
  await withClient(pool, async (client) => {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      await client.query({ text: `EXPLAIN ${sql.trim().replace(/;\s*$/, '')}`, queryMode: 'extended' } as never);
    } finally {
      await client.query('ROLLBACK');
    }
  });
}

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
    const checks = await mapLimit(items, this.settings.concurrency, async (item): Promise<Check> => {
      checkAborted(ctx.signal);
      const check = await this.check(ctx, item);
      ctx.progress({ done: ++done, total: items.length, unit: 'sqls' });
      return check;
    });

    const repairStats = await this.repair(ctx, checks.filter((c) => !c.valid));
    const modification = this.settings.modifyOriginalFile ? await rewritePairFile(ctx, file, pairs, checks) : { modified: 0, deleted: 0, failed_modifications: 0 };
    const valid = checks.filter((c) => c.valid).length;
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
      duration: secondsSince(started),
    };
    await writeFileAtomic(path.join(ctx.taskDir, `sql_validation_${fileTimestamp()}_summary.log`), summary(result, checks));
    await writeJson(stepResultFile(ctx.taskDir, 'sql_validation'), result);
    ctx.log.info(`SQL验证完成: ${valid}/${items.length} 有效`);
    return result;
  }

  private async check(ctx: StepContext, item: { index: number; question: string; sql: string }): Promise<Check> {
    const t0 = performance.now();
    try {
      await explainReadOnly(ctx.business.pool, item.sql, this.settings.statementTimeoutMs);
      return { ...item, valid: true, error: null, ms: performance.now() - t0 };
    } catch (err) {
      return { ...item, valid: false, error: (err as Error).message, ms: performance.now() - t0 };
    }
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
          await explainReadOnly(ctx.business.pool, candidate, this.settings.statementTimeoutMs);
          Object.assign(check, { valid: true, repairedSql: candidate.endsWith(';') ? candidate : `${candidate};` });
          stats.successful += 1;
        } catch (err) {
          check.error = `${check.error} | 修复后仍失败: ${(err as Error).message}`;
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

async function rewritePairFile(ctx: StepContext, file: string, pairs: Partial<QuestionSqlPair>[], checks: Check[]) {
  const byIndex = new Map(checks.map((c) => [c.index, c]));
  const modified = checks.filter((c) => c.repairedSql).length;
  const deleted = checks.filter((c) => !c.valid).length;
  if (modified === 0 && deleted === 0) return { modified: 0, deleted: 0, failed_modifications: 0 };
  await fs.copyFile(file, `${file}.backup`);
  const kept = pairs.flatMap((pair, index) => {
    const check = byIndex.get(index);
    if (!check) return [pair];
    if (!check.valid) return [];
    return [check.repairedSql ? { ...pair, sql: check.repairedSql } : pair];
  });
  await writeJson(file, kept);
  const log = [
    `SQL验证文件修改日志 - ${localDateTime()}`,
    `文件: ${path.basename(file)} (备份: ${path.basename(file)}.backup)`,
    ...checks.filter((c) => c.repairedSql).map((c) => `修改 #${c.index}: ${c.question}\n  原SQL: ${c.sql}\n  新SQL: ${c.repairedSql}`),
    ...checks.filter((c) => !c.valid).map((c) => `删除 #${c.index}: ${c.question}\n  SQL: ${c.sql}\n  错误: ${c.error}`),
  ];
  await writeFileAtomic(path.join(ctx.taskDir, `file_modifications_${fileTimestamp()}.log`), `${log.join('\n')}\n`);
  ctx.log.info(`已修改问答对文件: 修改 ${modified} 条, 删除 ${deleted} 条`);
  return { modified, deleted, failed_modifications: 0 };
}

function summary(result: SqlValidationResult, checks: Check[]): string {
  return `${[
    'SQL验证报告',
    '='.repeat(50),
    `输入文件: ${result.input_file}`,
    `验证时间: ${localDateTime()}`,
    `总SQL数量: ${result.original_sql_count}`,
    `有效SQL: ${result.valid_sql_count}`,
    `无效SQL: ${result.invalid_sql_count}`,
    `成功率: ${(result.success_rate * 100).toFixed(2)}%`,
    `平均耗时: ${result.average_execution_time.toFixed(3)}秒`,
    `修复统计: 尝试 ${result.repair_stats.attempted}, 成功 ${result.repair_stats.successful}, 失败 ${result.repair_stats.failed}`,
    '',
    ...checks.filter((c) => !c.valid).flatMap((c) => [`错误 #${c.index}: ${c.question}`, `  SQL: ${c.sql}`, `  错误: ${c.error}`, '']),
    ...checks.filter((c) => c.repairedSql).flatMap((c) => [`已修复 #${c.index}: ${c.question}`, `  原SQL: ${c.sql}`, `  修复后: ${c.repairedSql}`, '']),
  ].join('\n')}\n`;
}
