import fs from 'node:fs/promises';
import path from 'node:path';
import { query } from '../db/pool.js';
import { latestDate } from '../db/sql/catalog.sql.js';
import { writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { mapLimit } from '../lib/map-limit.js';
import { fileTimestamp, localDateTime, secondsSince } from '../lib/time.js';
import { splitTableName } from '../introspection/database-tools.js';
import type { TableCommenter } from '../introspection/table-commenter.js';
import type { TableDescription, TableInspector } from '../introspection/table-inspector.js';
import { readTaskTables, StepFailedError, tableDocFiles } from './ddl-generation.js';
import { renderMetadataDetail, renderMetadataSql } from './qa/metadata-files.js';
import type { QaGenerator, QaInput, QuestionSqlPair } from './qa/qa-types.js';
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

export interface QaGenerationResult {
  output_file: string;
  total_questions: number;
  total_themes: number;
  successful_themes: number;
  failed_themes: { topic_name: string; error: string }[];
  generator_provider: string;
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
  ) {}

  async run(ctx: StepContext): Promise<QaGenerationResult> {
    const started = performance.now();
    const tables = await readTaskTables(ctx);
    if (tables.length > this.settings.maxTables) {
      throw new StepFailedError(`表数量 ${tables.length} 超过上限 ${this.settings.maxTables}，请减少表清单中的表`);
    }
    await this.checkStepOneFiles(ctx, tables);
    await retireOldPairFiles(ctx.taskDir);
    const input = await this.buildInput(ctx, tables);

    const themes = await this.generator.themes(input, this.settings.themeCount, ctx.signal);
    if (themes.length === 0) throw new StepFailedError('未能提取任何业务主题');
    ctx.log.info(`提取到 ${themes.length} 个业务主题 (${this.generator.provider}): ${themes.map((t) => t.topic_name).join(', ')}`);
    const pairs: QuestionSqlPair[] = [];
    const failed: QaGenerationResult['failed_themes'] = [];
    for (const [i, theme] of themes.entries()) {
      checkAborted(ctx.signal);
      ctx.progress({ done: i, total: themes.length, unit: 'themes' });
      try {
        const generated = await this.generator.pairs(input, theme, this.settings.questionsPerTheme, ctx.signal);
        const clean = generated.filter((p) => p.question?.trim() && p.sql?.trim()).map(normalisePair);
        pairs.push(...clean);
        ctx.log.info(`主题 ${theme.topic_name}: 生成 ${clean.length} 个问答对`);
      } catch (err) {
        checkAborted(ctx.signal);
        failed.push({ topic_name: theme.topic_name, error: (err as Error).message });
        ctx.log.error(`主题 ${theme.topic_name} 生成失败: ${(err as Error).message}`);
      }
    }
    ctx.progress({ done: themes.length, total: themes.length, unit: 'themes' });

    const outputFile = pairFileName(ctx.business.database, fileTimestamp());
    await writeJson(path.join(ctx.taskDir, outputFile), pairs);
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
      duration: secondsSince(started),
    };
    await writeJson(stepResultFile(ctx.taskDir, 'qa_generation'), result);
    if (pairs.length === 0) throw new StepFailedError(`未生成任何问答对: ${failed.map((f) => f.error).join('; ')}`);
    return result;
  }

  private async checkStepOneFiles(ctx: StepContext, tables: string[]): Promise<void> {
    const names = new Set(await fs.readdir(ctx.taskDir));
    const missing = tables.filter((t) => {
      const base = tableFileBase(t.includes('.') ? t : `public.${t}`);
      return !names.has(ddlFileName(base)) || !names.has(tableDocFileName(base));
    });
    if (missing.length > 0) {
      throw new StepFailedError(`文件验证失败: 缺失 ${missing.length} 张表的DDL/MD文件 (${missing.join(', ')})，请先执行 ddl_generation`);
    }
  }

  private async buildInput(ctx: StepContext, tables: string[]): Promise<QaInput> {
    const latestDates = new Map<string, string>();
    const described: TableDescription[] = await mapLimit(tables, 4, async (name) => {
      const [schema, table] = splitTableName(name);
      const description = await this.inspector.describeTable(ctx.business.pool, schema, table);
      const comments = await this.commenter.comment(description, ctx.businessContext, ctx.signal);
      for (const column of description.columns.filter((c) => /^(date|timestamp)/.test(c.data_type))) {
        const [row] = await query<{ v: string | null }>(ctx.business.pool, latestDate(description.qualifiedIdent, column.name));
        if (row?.v) latestDates.set(`${description.schema}.${description.name}.${column.name}`, row.v);
      }
      return {
        ...description,
        comment: comments.table ?? description.comment,
        columns: description.columns.map((c) => ({ ...c, comment: comments.columns.get(c.name) ?? c.comment })),
      };
    });
    const docs = await tableDocFiles(ctx.taskDir);
    const sections = await Promise.all(docs.map(async (f) => `${'='.repeat(80)}\n# 文件: ${f}\n${'='.repeat(80)}\n${await fs.readFile(path.join(ctx.taskDir, f), 'utf8')}`));
    const markdown = [`# 数据库表结构文档汇总`, `共包含 ${docs.length} 个表`, '', ...sections].join('\n');
    return { tables: described, markdown, businessContext: ctx.businessContext, latestDates };
  }
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
