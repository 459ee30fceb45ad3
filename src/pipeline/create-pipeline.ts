import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Providers } from '../providers/create-providers.js';
import { LlmTableCommenter } from '../introspection/llm-table-commenter.js';
import { CatalogTableCommenter, type TableCommenter } from '../introspection/table-commenter.js';
import type { TableInspector } from '../introspection/table-inspector.js';
import { DdlGenerationStep } from './ddl-generation.js';
import { LlmQaGenerator } from './llm/llm-qa-generator.js';
import { LlmSqlRepairer } from './llm/llm-sql-repairer.js';
import { LlmQuestionWriter } from './llm/llm-question-writer.js';
import { BuiltinQaGenerator } from './qa/builtin-qa-generator.js';
import { BuiltinSqlDescriber } from './quality/sql-describer.js';
import { QaGenerationStep } from './qa-generation.js';
import { SqlValidationStep } from './sql-validation.js';
import type { StepName } from '../tasks/task-states.js';
import type { StepContext } from './step-context.js';
import { TrainingLoadStep } from './training-load.js';

/** Per-run switches of a task (its parameters). */
export interface StepOptions {
  enableLlmRepair: boolean;
  modifyOriginalFile: boolean;
  /** sql_validation drops pairs whose SQL returns no rows. */
  dropEmptyResults?: boolean;
  /** qa_generation also mines pg_stat_statements of the business database. */
  mineQueryLog?: boolean;
}

/** Rows the execution check counts up to: enough to tell empty from not, cheap on any table. */
const EXECUTION_ROW_CAP = 1000;

export interface Pipeline {
  /** Which providers the steps use, for task results and health. */
  readonly providers: { comments: string; qa: string; repair: string | null; embedding: string; query_log_questions: string };
  run(step: StepName, ctx: StepContext, options: StepOptions): Promise<object>;
}

/**
 * The four steps wired once: the LLM-backed generators when an LLM is configured, the built-in
 * offline ones otherwise.
 */
export function createPipeline(
  config: Pick<Config, 'pipeline'>,
  providers: Providers,
  inspector: TableInspector,
  vectorPool: Pool,
): Pipeline {
  const commenter: TableCommenter = providers.llm ? new LlmTableCommenter(providers.llm) : new CatalogTableCommenter();
  const qa = providers.llm ? new LlmQaGenerator(providers.llm) : new BuiltinQaGenerator();
  const repairer = providers.llm ? new LlmSqlRepairer(providers.llm) : null;
  const describer = providers.llm ? new LlmQuestionWriter(providers.llm, new BuiltinSqlDescriber()) : new BuiltinSqlDescriber();
  const ddl = new DdlGenerationStep(inspector, commenter, config.pipeline.tableConcurrency);
  const qaStep = new QaGenerationStep(inspector, new CatalogTableCommenter(), qa, { themeCount: 5, questionsPerTheme: 10, maxTables: 20 }, describer);
  // The provider of each stage, as the quality report names them.
  const stageProviders = { ddl_comments: commenter.provider, qa_generation: qa.provider, query_log_questions: describer.provider };
  const training = new TrainingLoadStep(vectorPool, providers.embeddings, { embeddingBatchSize: 64, insertBatchSize: 200 });
  // Keyed by StepName: a step added to STEP_NAMES does not compile until it has a runner here.
  const runners: Record<StepName, (ctx: StepContext, options: StepOptions) => Promise<object>> = {
    ddl_generation: (ctx) => ddl.run(ctx),
    qa_generation: (ctx, options) => qaStep.run(ctx, { mineQueryLog: options.mineQueryLog === true, providers: stageProviders }),
    sql_validation: (ctx, options) =>
      new SqlValidationStep(repairer, {
        concurrency: config.pipeline.sqlValidationConcurrency,
        statementTimeoutMs: config.pipeline.sqlValidationTimeoutMs,
        enableRepair: options.enableLlmRepair,
        modifyOriginalFile: options.modifyOriginalFile,
        dropEmptyResults: options.dropEmptyResults === true,
        rowCap: EXECUTION_ROW_CAP,
        providers: { sql_validation: 'postgresql', sql_repair: options.enableLlmRepair ? (repairer?.provider ?? null) : null },
      }).run(ctx),
    training_load: (ctx) => training.run(ctx),
  };
  return {
    providers: {
      comments: commenter.provider,
      qa: qa.provider,
      repair: repairer?.provider ?? null,
      embedding: `${providers.embeddings.name}:${providers.embeddings.model}`,
      query_log_questions: describer.provider,
    },
    async run(step, ctx, options) {
      return runners[step](ctx, options);
    },
  };
}
