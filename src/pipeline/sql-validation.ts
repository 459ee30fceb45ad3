import fs from 'node:fs/promises';
import path from 'node:path';
import { keepFirstBackup, writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { mapLimit } from '../lib/map-limit.js';
import { fileTimestamp, localDateTime, secondsSince } from '../lib/time.js';
import { StepFailedError } from './ddl-generation.js';
import type { QuestionSqlPair } from './qa/qa-types.js';
import { explainReadOnly, InvalidSqlError } from './read-only-explain.js';
import { checkAborted, type StepContext } from './step-context.js';
import {
  fileModificationsLogName,
  PAIR_BACKUP_SUFFIX,
  PAIR_FILE_PATTERN,
  sqlValidationSummaryName,
  stepResultFile,
} from '../task-files/task-dir.js';

export { explainReadOnly } from './read-only-explain.js';

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
      repairStats = await this.repair(ctx, checks.filter((c) => !c.valid));
    } catch (err) {
      throw stepFailure(ctx, err);
    }
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
    await writeFileAtomic(path.join(ctx.taskDir, sqlValidationSummaryName(fileTimestamp())), summary(result, checks));
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
      // Only the SQL's own errors judge the pair; an outage is not a verdict on it.
      if (!(err instanceof InvalidSqlError)) throw err;
      return { ...item, valid: false, error: err.message, ms: performance.now() - t0 };
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

async function rewritePairFile(ctx: StepContext, file: string, pairs: Partial<QuestionSqlPair>[], checks: Check[]) {
  const byIndex = new Map(checks.map((c) => [c.index, c]));
  const modified = checks.filter((c) => c.repairedSql).length;
  const deleted = checks.filter((c) => !c.valid).length;
  if (modified === 0 && deleted === 0) return { modified: 0, deleted: 0, failed_modifications: 0 };
  // The first rewrite's backup is the only copy of the pairs as generated: a later run never replaces it.
  const backupKept = !(await keepFirstBackup(file, `${file}${PAIR_BACKUP_SUFFIX}`));
  const kept = pairs.flatMap((pair, index) => {
    const check = byIndex.get(index);
    if (!check) return [pair];
    if (!check.valid) return [];
    return [check.repairedSql ? { ...pair, sql: check.repairedSql } : pair];
  });
  await writeJson(file, kept);
  const log = [
    `SQL验证文件修改日志 - ${localDateTime()}`,
    `文件: ${path.basename(file)} (备份: ${path.basename(file)}${PAIR_BACKUP_SUFFIX}${backupKept ? ', 保留已有的首次备份' : ''})`,
    ...checks.filter((c) => c.repairedSql).map((c) => `修改 #${c.index}: ${c.question}\n  原SQL: ${c.sql}\n  新SQL: ${c.repairedSql}`),
    ...checks.filter((c) => !c.valid).map((c) => `删除 #${c.index}: ${c.question}\n  SQL: ${c.sql}\n  错误: ${c.error}`),
  ];
  await writeFileAtomic(path.join(ctx.taskDir, fileModificationsLogName(fileTimestamp())), `${log.join('\n')}\n`);
  ctx.log.info(`已修改问答对文件: 修改 ${modified} 条, 删除 ${deleted} 条`);
  return { modified, deleted, failed_modifications: 0 };
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
