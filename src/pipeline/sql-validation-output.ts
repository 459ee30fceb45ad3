import path from 'node:path';
import { keepFirstBackup, writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { fileTimestamp, localDateTime } from '../lib/time.js';
import type { LabelledPair, QuestionSqlPair } from './qa/qa-types.js';
import { classifyDifficulty } from './quality/difficulty.js';
import { buildQualityReport, readQualityReport, writeQualityReport, type QualityReport, type QualitySummary } from './quality/quality-report.js';
import type { StepContext } from './step-context.js';
import { fileModificationsLogName, PAIR_BACKUP_SUFFIX } from '../task-files/task-dir.js';

export interface SqlValidationSettings {
  concurrency: number;
  statementTimeoutMs: number;
  /** Repair failed SQL with the LLM (needs one configured). */
  enableRepair: boolean;
  /** Rewrite the pair file: repaired SQL replaced, still-invalid pairs removed, labels written; `<file>.backup` kept. */
  modifyOriginalFile: boolean;
  /** Remove pairs whose SQL returns no rows (the pair file is rewritten, with its `.backup`). */
  dropEmptyResults: boolean;
  /** Rows the execution check counts up to. */
  rowCap: number;
  /** Which provider does what, for the quality report. */
  providers: Record<string, string | null>;
}

/** Fixes SQL that failed EXPLAIN; one answer per item, same order. Only the LLM implements it. */
export interface SqlRepairer {
  readonly provider: string;
  repair(items: { question: string; sql: string; error: string }[], signal?: AbortSignal): Promise<string[]>;
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
  /** The execution check: valid SQL with rows, without rows, and not finished within the timeout. */
  execution_stats: { non_empty: number; empty: number; timed_out: number; row_cap: number };
  dropped_empty_results: number;
  quality: QualitySummary | null;
  duration: number;
}

/** What sql_validation found about one pair of the file. */
export interface Check {
  index: number;
  question: string;
  sql: string;
  valid: boolean;
  error: string | null;
  /** SQLSTATE of the error that made the pair invalid, when the server gave one. */
  sqlState: string | null;
  ms: number;
  repairedSql?: string;
  rowCount: number | null;
  timedOut: boolean;
}

/** A pair of a file written by hand or by an older version has no theme/source: these say so. */
const UNKNOWN_THEME = '未分类';

type FileItem = Partial<QuestionSqlPair> & Record<string, unknown>;

/**
 * Every item of the file with its labels (items that are not pairs as they were): the final SQL
 * (repaired where repaired), its difficulty by the rules, validity, row count and empty flag;
 * null for a pair the settings drop (invalid with modify_original_file, empty with drop_empty_results).
 */
export function labelledPairs(items: FileItem[], checks: Check[], settings: Pick<SqlValidationSettings, 'modifyOriginalFile' | 'dropEmptyResults'>) {
  const byIndex = new Map(checks.map((c) => [c.index, c]));
  return items.map((item, index): { item: FileItem | LabelledPair; dropped: 'invalid' | 'empty' | null } => {
    const check = byIndex.get(index);
    if (!check) return { item, dropped: null };
    const sql = settings.modifyOriginalFile && check.repairedSql ? check.repairedSql : check.sql;
    // Repaired but not written back: the SQL in the file is still the broken one.
    const valid = check.valid && (settings.modifyOriginalFile || !check.repairedSql);
    const { valid: _v, row_count: _r, empty_result: _e, error: _x, ...rest } = item;
    const pair: LabelledPair = {
      ...rest,
      question: check.question,
      sql,
      difficulty: classifyDifficulty(sql),
      theme: typeof item.theme === 'string' ? item.theme : UNKNOWN_THEME,
      source: item.source === 'query_log' ? 'query_log' : 'generated',
      valid,
      row_count: valid ? check.rowCount : null,
      empty_result: valid && check.rowCount === 0,
      ...(valid ? {} : { error: check.error ?? '修复后的SQL未写回文件 (modify_original_file=false)' }),
    };
    const dropped = !valid && settings.modifyOriginalFile ? 'invalid' : pair.empty_result && settings.dropEmptyResults ? 'empty' : null;
    return { item: pair, dropped };
  });
}

const isPair = (item: FileItem | LabelledPair): item is LabelledPair => typeof item.question === 'string' && typeof item.sql === 'string';

/**
 * Writes the labelled pairs back when modify_original_file or drop_empty_results is set (the
 * first rewrite's `.backup` is the only copy of the pairs as generated: a later run never replaces
 * it), logs what changed, and writes the quality report from what the file now holds. Without
 * either option the file stays as it is and the report is built from the same labels in memory.
 */
export async function writeLabelledPairs(
  ctx: StepContext,
  file: string,
  items: FileItem[],
  labelled: ReturnType<typeof labelledPairs>,
  checks: Check[],
  settings: SqlValidationSettings,
  repairs: { attempted: number; successful: number },
): Promise<{ modification: SqlValidationResult['file_modification_stats']; droppedEmpty: number; report: QualityReport | null }> {
  const rewrite = settings.modifyOriginalFile || settings.dropEmptyResults;
  const kept = labelled.filter((l) => l.dropped === null).map((l) => l.item);
  const droppedEmpty = labelled.filter((l) => l.dropped === 'empty').length;
  const modified = settings.modifyOriginalFile ? checks.filter((c) => c.repairedSql).length : 0;
  const deleted = labelled.filter((l) => l.dropped !== null).length;
  if (rewrite) {
    const backupKept = !(await keepFirstBackup(file, `${file}${PAIR_BACKUP_SUFFIX}`));
    await writeJson(file, kept);
    if (modified + deleted > 0) await logModifications(ctx, file, backupKept, checks, labelled, settings);
  }
  const previous = await readQualityReport(ctx.taskDir);
  const invalid = checks.filter((c) => !c.valid).length;
  const report = buildQualityReport((rewrite ? kept : labelled.map((l) => l.item)).filter(isPair), {
    pairFile: path.basename(file),
    catalog: previous?.catalog ?? {},
    duplicatesRemoved: { questions: previous?.duplicates_removed.questions ?? 0, sql: previous?.duplicates_removed.sql ?? 0 },
    providers: { ...previous?.providers, ...settings.providers },
    queryLog: previous?.query_log ?? null,
    validation: {
      checked: checks.length,
      invalid_found: invalid,
      repairs: { attempted: repairs.attempted, successful: repairs.successful },
      dropped_invalid: labelled.filter((l) => l.dropped === 'invalid').length,
      dropped_empty: droppedEmpty,
      row_cap: settings.rowCap,
      labels_in_pair_file: rewrite,
    },
  });
  await writeQualityReport(ctx.taskDir, report);
  return { modification: { modified, deleted, failed_modifications: 0 }, droppedEmpty, report };
}

async function logModifications(ctx: StepContext, file: string, backupKept: boolean, checks: Check[], labelled: ReturnType<typeof labelledPairs>, settings: SqlValidationSettings) {
  const empties = labelled.flatMap((l, index) => (l.dropped === 'empty' ? [{ index, pair: l.item as LabelledPair }] : []));
  const log = [
    `SQL验证文件修改日志 - ${localDateTime()}`,
    `文件: ${path.basename(file)} (备份: ${path.basename(file)}${PAIR_BACKUP_SUFFIX}${backupKept ? ', 保留已有的首次备份' : ''})`,
    ...(settings.modifyOriginalFile ? checks.filter((c) => c.repairedSql).map((c) => `修改 #${c.index}: ${c.question}\n  原SQL: ${c.sql}\n  新SQL: ${c.repairedSql}`) : []),
    ...(settings.modifyOriginalFile ? checks.filter((c) => !c.valid).map((c) => `删除 #${c.index}: ${c.question}\n  SQL: ${c.sql}\n  错误: ${c.error}`) : []),
    ...empties.map((e) => `删除 #${e.index} (结果为空): ${e.pair.question}\n  SQL: ${e.pair.sql}`),
  ];
  await writeFileAtomic(path.join(ctx.taskDir, fileModificationsLogName(fileTimestamp())), `${log.join('\n')}\n`);
  ctx.log.info(`已修改问答对文件: 修改 ${checks.filter((c) => c.repairedSql).length} 条, 删除 ${labelled.filter((l) => l.dropped !== null).length} 条`);
}

export function summary(result: SqlValidationResult, checks: Check[]): string {
  return `${[
    'SQL验证报告',
    '='.repeat(50),
    `输入文件: ${result.input_file}`,
    `验证时间: ${localDateTime()}`,
    `总SQL数量: ${result.original_sql_count}`,
    `有效SQL: ${result.valid_sql_count}`,
    `无效SQL: ${result.invalid_sql_count}`,
    `成功率: ${(result.success_rate * 100).toFixed(2)}%`,
    `执行检查: 有结果 ${result.execution_stats.non_empty}, 结果为空 ${result.execution_stats.empty}, 超时 ${result.execution_stats.timed_out} (行数上限 ${result.execution_stats.row_cap})`,
    `平均耗时: ${result.average_execution_time.toFixed(3)}秒`,
    `修复统计: 尝试 ${result.repair_stats.attempted}, 成功 ${result.repair_stats.successful}, 失败 ${result.repair_stats.failed}`,
    '',
    ...checks.filter((c) => !c.valid).flatMap((c) => [`错误 #${c.index}: ${c.question}`, `  SQL: ${c.sql}`, `  错误: ${c.error}`, '']),
    ...checks.filter((c) => c.repairedSql).flatMap((c) => [`已修复 #${c.index}: ${c.question}`, `  原SQL: ${c.sql}`, `  修复后: ${c.repairedSql}`, '']),
    ...checks.filter((c) => c.valid && c.rowCount === 0).flatMap((c) => [`结果为空 #${c.index}: ${c.question}`, `  SQL: ${c.repairedSql ?? c.sql}`, '']),
  ].join('\n')}\n`;
}
