import fs from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists, writeFileAtomic, writeJson } from '../lib/atomic-file.js';
import { mapLimit } from '../lib/map-limit.js';
import { secondsSince } from '../lib/time.js';
import { splitTableName } from '../introspection/database-tools.js';
import type { TableCommenter } from '../introspection/table-commenter.js';
import { renderDdl, renderMarkdown } from '../introspection/table-docs.js';
import { TableNotFoundError, type TableInspector } from '../introspection/table-inspector.js';
import { checkAborted, type StepContext } from './step-context.js';
import { ddlFileName, FILENAME_MAPPING_NAME, METADATA_DETAIL_NAME, stepResultFile, TABLE_DOC_SUFFIX, TABLE_LIST_NAME, tableDocFileName } from '../task-files/task-dir.js';
import { parseTableList, tableFileBase } from '../task-files/table-list.js';

export interface DdlGenerationResult {
  total_tables: number;
  processed_successfully: number;
  failed: number;
  files_generated: number;
  failed_tables: { table: string; error: string }[];
  /** Listed tables the business database does not have (skipped; a fixed table list is the cure). */
  missing_tables: string[];
  /** Why the step, although completed, needs attention (the step row's error_message shows it); null when none. */
  warning: string | null;
  comment_provider: string;
  duration: number;
}

const SYSTEM_SCHEMAS = /^(information_schema|pg_catalog|pg_toast|pg_temp.*|pg_toast_temp.*)$/;

export class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
}

/** Reads the task's table list; a task without one cannot run (the upload route provides it). */
export async function readTaskTables(ctx: StepContext): Promise<string[]> {
  const file = path.join(ctx.taskDir, TABLE_LIST_NAME);
  const text = await readTextIfExists(file);
  if (text === null) {
    throw new StepFailedError(`表清单文件不存在: ${TABLE_LIST_NAME}。请先上传表清单文件到任务 ${ctx.taskId}，然后再执行工作流。`);
  }
  const parsed = parseTableList(text);
  for (const bad of parsed.invalid) ctx.log.warn(`跳过无效表名: ${bad.name} (${bad.reason})`);
  const tables = parsed.tables.filter((t) => !SYSTEM_SCHEMAS.test(splitTableName(t)[0]));
  if (tables.length === 0) throw new StepFailedError('表清单文件中没有有效的表名');
  return tables;
}

/**
 * Step 1: for every table of the list, introspect it and write `<base>.ddl` and
 * `<base>_detail.md` (tables processed concurrently, bounded), then `filename_mapping.txt`.
 * A table that fails is reported; the step fails only when no table succeeds.
 */
export class DdlGenerationStep {
  constructor(
    private readonly inspector: TableInspector,
    private readonly commenter: TableCommenter,
    private readonly concurrency: number,
  ) {}

  async run(ctx: StepContext): Promise<DdlGenerationResult> {
    const started = performance.now();
    const tables = await readTaskTables(ctx);
    ctx.log.info(`开始生成 DDL/MD: ${tables.length} 张表, 注释来源: ${this.commenter.provider}`);
    let done = 0;
    ctx.progress({ done, total: tables.length, unit: 'tables' });

    const outcomes = await mapLimit(tables, this.concurrency, async (name) => {
      checkAborted(ctx.signal);
      const [schema, table] = splitTableName(name);
      try {
        const description = await this.inspector.describeTable(ctx.business.pool, schema, table);
        const comments = await this.commenter.comment(description, ctx.businessContext, ctx.signal);
        const base = tableFileBase(`${schema}.${table}`);
        await writeFileAtomic(path.join(ctx.taskDir, ddlFileName(base)), `${renderDdl(description, comments)}\n`);
        await writeFileAtomic(path.join(ctx.taskDir, tableDocFileName(base)), `${renderMarkdown(description, comments)}\n`);
        ctx.log.info(`表 ${schema}.${table} 处理成功 -> ${ddlFileName(base)}, ${tableDocFileName(base)}`);
        return { name: `${schema}.${table}`, base, error: null, missing: false };
      } catch (err) {
        checkAborted(ctx.signal);
        const missing = err instanceof TableNotFoundError;
        if (missing) ctx.log.warn(`表 ${schema}.${table} 在业务数据库 ${ctx.business.database} 中不存在，已跳过`);
        else ctx.log.error(`表 ${schema}.${table} 处理失败: ${(err as Error).message}`);
        return { name: `${schema}.${table}`, base: null, error: (err as Error).message, missing };
      } finally {
        ctx.progress({ done: ++done, total: tables.length, unit: 'tables' });
      }
    });

    const succeeded = outcomes.filter((o) => o.base !== null);
    const mapping = [
      '# 文件名映射报告',
      '# 格式: 原始表名 -> 实际文件名',
      '',
      ...succeeded.map((o) => `${o.name} -> ${ddlFileName(o.base)}, ${tableDocFileName(o.base)}`).sort(),
    ].join('\n');
    await writeFileAtomic(path.join(ctx.taskDir, FILENAME_MAPPING_NAME), `${mapping}\n`);

    const missing = outcomes.filter((o) => o.missing).map((o) => o.name);
    const warning = missing.length > 0 ? missingTablesMessage(missing, ctx.business.database) : null;
    if (warning) ctx.log.warn(warning);
    const result: DdlGenerationResult = {
      total_tables: tables.length,
      processed_successfully: succeeded.length,
      failed: tables.length - succeeded.length,
      files_generated: succeeded.length * 2,
      failed_tables: outcomes.filter((o) => o.error !== null).map((o) => ({ table: o.name, error: o.error! })),
      missing_tables: missing,
      warning,
      comment_provider: this.commenter.provider,
      duration: secondsSince(started),
    };
    await writeJson(stepResultFile(ctx.taskDir, 'ddl_generation'), result);
    if (succeeded.length === 0) {
      // Re-running cannot help when none of the tables exist: the list (or the database) is wrong.
      if (missing.length === tables.length) {
        throw new StepFailedError(`表清单中的 ${missing.length} 张表在业务数据库 ${ctx.business.database} 中均不存在: ${missing.join(', ')}。请检查表名、schema 和任务的数据库连接，修正表清单后重新上传`);
      }
      throw new StepFailedError(`所有表处理失败: ${result.failed_tables.map((f) => `${f.table}: ${f.error}`).join('; ')}`);
    }
    return result;
  }
}

/**
 * What ddl_generation (skipped tables) and qa_generation (refusing to run without them) say about
 * listed tables the business database lacks: running ddl_generation again cannot create them.
 */
export function missingTablesMessage(missing: readonly string[], database: string): string {
  return `${missing.length} 张表在业务数据库 ${database} 中不存在: ${missing.join(', ')}，无法生成其DDL/MD文件。请修正表清单（删除或更正这些表名）后重新上传，再重新执行任务`;
}

/** The `<base>_detail.md` files of a task, sorted, excluding the QA step's own `metadata_detail.md`. */
export async function tableDocFiles(taskDir: string): Promise<string[]> {
  return (await fs.readdir(taskDir)).filter((f) => f.endsWith(TABLE_DOC_SUFFIX) && f !== METADATA_DETAIL_NAME).sort();
}
