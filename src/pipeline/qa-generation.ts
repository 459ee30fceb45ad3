import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { fileTimestamp, localDateTime, secondsSince } from '../lib/time.js';
import type { TableCommenter } from '../introspection/table-commenter.js';
import type { TableInspector } from '../introspection/table-inspector.js';
import { missingTablesMessage, readTaskTables, StepFailedError } from './ddl-generation.js';
import { splitTableName } from '../introspection/database-tools.js';
import { renderMetadataDetail, renderMetadataSql } from './qa/metadata-files.js';
import { buildQaInput } from './qa/qa-input.js';
import type { LabelledPair, QaGenerator, QaInput, QuestionSqlPair } from './qa/qa-types.js';
import { classifyDifficulty } from './quality/difficulty.js';
import { dedupePairs } from './quality/dedupe.js';
import { buildQualityReport, qualitySummary, writeQualityReport, type QualitySummary } from './quality/quality-report.js';
import { mineQueryLog, type QueryLogOutcome } from './quality/query-log-miner.js';
import type { QuestionWriter } from './quality/sql-describer.js';
import { checkAborted, type StepContext } from './step-context.js';
import {
  DECISION_PROMPT_NAME,
  METADATA_DETAIL_NAME,
  METADATA_SQL_NAME,
  OLD_GENERATION_SUFFIX,
  PAIR_BACKUP_SUFFIX,
  PAIR_FILE_PATTERN,
  PAIR_FILE_SUFFIX,
  pairFileName,
  stepResultFile,
  ddlFileName,
  tableDocFileName,
} from '../task-files/task-dir.js';
import { tableFileBase } from '../task-files/table-list.js';

export interface QaSettings {
  themeCount: number;
  questionsPerTheme: number;
  maxTables: number;
}

export interface QaRunOptions {
  /** Also turn the business database's most-called read-only statements into pairs. */
  mineQueryLog: boolean;
  /** Which provider does what, for the quality report. */
  providers: Record<string, string | null>;
}

/** The theme of pairs mined from the query log. */
export const QUERY_LOG_THEME = '真实查询';

export interface QaGenerationResult {
  output_file: string;
  total_questions: number;
  total_themes: number;
  successful_themes: number;
  failed_themes: { topic_name: string; error: string }[];
  generator_provider: string;
  duplicates_removed: { questions: number; sql: number };
  query_log: (Omit<QueryLogOutcome, 'mined'> & { pairs: number; question_provider: string }) | null;
  quality: QualitySummary;
  duration: number;
}

/**
 * Step 2: themes, then question/SQL pairs per theme (PostgreSQL, soft-delete filter, Chinese
 * aliases), plus `metadata.txt` (valid SQL), `metadata_detail.md` and `db_query_decision_prompt.txt`.
 */
export class QaGenerationStep {
  constructor(
    private readonly inspector: TableInspector,
    private readonly commenter: TableCommenter,
    private readonly generator: QaGenerator,
    private readonly settings: QaSettings,
    private readonly questionWriter: QuestionWriter,
  ) {}

  async run(ctx: StepContext, options: QaRunOptions): Promise<QaGenerationResult> {
    const started = performance.now();
    const tables = await readTaskTables(ctx);
    if (tables.length > this.settings.maxTables) {
      throw new StepFailedError(`表数量 ${tables.length} 超过上限 ${this.settings.maxTables}，请减少表清单中的表`);
    }
    await this.checkStepOneFiles(ctx, tables);
    await retireOldPairFiles(ctx.taskDir);
    const input = await buildQaInput(ctx, this.inspector, this.commenter, tables);

    const themes = await this.generator.themes(input, this.settings.themeCount, ctx.signal);
    if (themes.length === 0) throw new StepFailedError('未能提取任何业务主题');
    ctx.log.info(`提取到 ${themes.length} 个业务主题 (${this.generator.provider}): ${themes.map((t) => t.topic_name).join(', ')}`);
    const generated: LabelledPair[] = [];
    const failed: QaGenerationResult['failed_themes'] = [];
    for (const [i, theme] of themes.entries()) {
      checkAborted(ctx.signal);
      ctx.progress({ done: i, total: themes.length, unit: 'themes' });
      try {
        const clean = (await this.generator.pairs(input, theme, this.settings.questionsPerTheme, ctx.signal))
          .filter((p) => p.question?.trim() && p.sql?.trim())
          .map((p) => label(normalisePair(p), theme.topic_name, 'generated'));
        generated.push(...clean);
        ctx.log.info(`主题 ${theme.topic_name}: 生成 ${clean.length} 个问答对`);
      } catch (err) {
        checkAborted(ctx.signal);
        failed.push({ topic_name: theme.topic_name, error: (err as Error).message });
        ctx.log.error(`主题 ${theme.topic_name} 生成失败: ${(err as Error).message}`);
      }
    }
    ctx.progress({ done: themes.length, total: themes.length, unit: 'themes' });

    const mined = options.mineQueryLog ? await this.mine(ctx, input) : null;
    // Real queries first: where one repeats a generated question or SQL template, the real one stays.
    const deduped = dedupePairs([...(mined?.pairs ?? []), ...generated]);
    const pairs = [...deduped.kept.filter((p) => p.source === 'generated'), ...deduped.kept.filter((p) => p.source === 'query_log')];
    const duplicates = { questions: deduped.duplicateQuestions, sql: deduped.duplicateSql };
    if (duplicates.questions + duplicates.sql > 0) ctx.log.info(`去重: 删除重复问题 ${duplicates.questions} 个, 重复SQL ${duplicates.sql} 条`);

    const outputFile = pairFileName(ctx.business.database, fileTimestamp());
    await writeJson(path.join(ctx.taskDir, outputFile), pairs);
    const report = buildQualityReport(pairs, {
      pairFile: outputFile,
      catalog: Object.fromEntries(input.tables.map((t) => [`${t.schema}.${t.name}`, t.columns.map((c) => c.name)])),
      duplicatesRemoved: duplicates,
      providers: options.providers,
      queryLog: mined?.summary ?? null,
      validation: null,
    });
    await writeQualityReport(ctx.taskDir, report);
    const scope = await this.generator.businessScope(input, themes, ctx.signal);
    await writeFileAtomic(path.join(ctx.taskDir, METADATA_SQL_NAME), renderMetadataSql(themes, ctx.businessContext, ctx.business.database, localDateTime()));
    await writeFileAtomic(path.join(ctx.taskDir, METADATA_DETAIL_NAME), renderMetadataDetail(themes));
    await writeFileAtomic(path.join(ctx.taskDir, DECISION_PROMPT_NAME), `${scope}\n`);

    const result: QaGenerationResult = {
      output_file: outputFile,
      total_questions: pairs.length,
      total_themes: themes.length,
      successful_themes: themes.length - failed.length,
      failed_themes: failed,
      generator_provider: this.generator.provider,
      duplicates_removed: duplicates,
      query_log: mined?.summary ?? null,
      quality: qualitySummary(report),
      duration: secondsSince(started),
    };
    await writeJson(stepResultFile(ctx.taskDir, 'qa_generation'), result);
    if (pairs.length === 0) throw new StepFailedError(`未生成任何问答对: ${failed.map((f) => f.error).join('; ')}`);
    return result;
  }

  /**
   * Every listed table needs step 1's files. A table without them that the business database does
   * not have is a wrong table list, not a step left out: the message says which, and what to fix.
   */
  private async checkStepOneFiles(ctx: StepContext, tables: string[]): Promise<void> {
    const names = new Set(await fs.readdir(ctx.taskDir));
    const withoutFiles = tables.filter((t) => {
      const base = tableFileBase(t.includes('.') ? t : `public.${t}`);
      return !names.has(ddlFileName(base)) || !names.has(tableDocFileName(base));
    });
    if (withoutFiles.length === 0) return;
    const absent = new Set(await this.inspector.missingTables(ctx.business.pool, withoutFiles.map(splitTableName)));
    const notRun = withoutFiles.filter((t) => !absent.has(splitTableName(t).join('.')));
    const problems = [
      ...(absent.size > 0 ? [missingTablesMessage([...absent], ctx.business.database)] : []),
      ...(notRun.length > 0 ? [`缺失 ${notRun.length} 张表的DDL/MD文件 (${notRun.join(', ')})，请先执行 ddl_generation`] : []),
    ];
    throw new StepFailedError(`文件验证失败: ${problems.join('；')}`);
  }

  /** Query-log pairs: mined statements with questions; without pg_stat_statements a note and none. */
  private async mine(ctx: StepContext, input: QaInput) {
    const outcome = await mineQueryLog(ctx.business.pool, input);
    ctx.log.info(`查询日志挖掘: ${outcome.note}`);
    for (const s of outcome.skipped) ctx.log.info(`跳过查询日志语句 (${s.reason}): ${s.sql}`);
    const questions = await this.questionWriter.describe(outcome.mined.map((m) => m.sql), input, ctx.signal);
    const pairs = outcome.mined.map((m, i) => label(normalisePair({ question: questions[i]!, sql: m.sql }), QUERY_LOG_THEME, 'query_log'));
    const { mined: _mined, ...rest } = outcome;
    return { pairs, summary: { ...rest, pairs: pairs.length, question_provider: this.questionWriter.provider } };
  }
}

function label(pair: QuestionSqlPair, theme: string, source: LabelledPair['source']): LabelledPair {
  return { question: pair.question, sql: pair.sql, difficulty: classifyDifficulty(pair.sql), theme, source };
}

/** One line, ending with a semicolon (the original's post-processing). */
function normalisePair(pair: QuestionSqlPair): QuestionSqlPair {
  const sql = pair.sql.replace(/\s+/g, ' ').trim();
  return { question: pair.question.replace(/\s+/g, ' ').trim(), sql: sql.endsWith(';') ? sql : `${sql};` };
}

/** Earlier pair files become `…_pair.json_old`, so later steps only ever see this run's pairs. */
async function retireOldPairFiles(taskDir: string): Promise<void> {
  for (const name of await fs.readdir(taskDir)) {
    if (PAIR_FILE_PATTERN.test(name) || name.endsWith(`${PAIR_FILE_SUFFIX}${PAIR_BACKUP_SUFFIX}`)) {
      await fs.rename(path.join(taskDir, name), path.join(taskDir, `${name}${OLD_GENERATION_SUFFIX}`));
    }
  }
}
