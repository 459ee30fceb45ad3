import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Providers } from '../providers/create-providers.js';
import { LlmTableCommenter } from '../introspection/llm-table-commenter.js';
import { CatalogTableCommenter, type TableCommenter } from '../introspection/table-commenter.js';
import type { TableInspector } from '../introspection/table-inspector.js';
import { DdlGenerationStep } from './ddl-generation.js';
import { LlmQaGenerator } from './llm/llm-qa-generator.js';
import { LlmSqlRepairer } from './llm/llm-sql-repairer.js';
import { BuiltinQaGenerator } from './qa/builtin-qa-generator.js';
import { QaGenerationStep } from './qa-generation.js';
import { SqlValidationStep } from './sql-validation.js';
import type { StepName } from '../tasks/task-states.js';
import type { StepContext } from './step-context.js';
import { TrainingLoadStep } from './training-load.js';

/** Per-run switches of a task (its parameters). */
export interface StepOptions {
  enableLlmRepair: boolean;
  modifyOriginalFile: boolean;
}

export interface Pipeline {
  /** Which providers the steps use, for task results and health. */
  readonly providers: { comments: string; qa: string; repair: string | null; embedding: string };
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
  const ddl = new DdlGenerationStep(inspector, commenter, config.pipeline.tableConcurrency);
  const qaStep = new QaGenerationStep(inspector, new CatalogTableCommenter(), qa, { themeCount: 5, questionsPerTheme: 10, maxTables: 20 });
  const training = new TrainingLoadStep(vectorPool, providers.embeddings, { embeddingBatchSize: 64, insertBatchSize: 200 });
  // Keyed by StepName: a step added to STEP_NAMES does not compile until it has a runner here.
  const runners: Record<StepName, (ctx: StepContext, options: StepOptions) => Promise<object>> = {
    ddl_generation: (ctx) => ddl.run(ctx),
    qa_generation: (ctx) => qaStep.run(ctx),
    sql_validation: (ctx, options) =>
      new SqlValidationStep(repairer, {
        concurrency: config.pipeline.sqlValidationConcurrency,
        statementTimeoutMs: config.pipeline.sqlValidationTimeoutMs,
        enableRepair: options.enableLlmRepair,
        modifyOriginalFile: options.modifyOriginalFile,
      }).run(ctx),
    training_load: (ctx) => training.run(ctx),
  };
  return {
    providers: {
      comments: commenter.provider,
      qa: qa.provider,
      repair: repairer?.provider ?? null,
      embedding: `${providers.embeddings.name}:${providers.embeddings.model}`,
    },
    async run(step, ctx, options) {
      return runners[step](ctx, options);
    },
  };
}
