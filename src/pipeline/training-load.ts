import { randomUUID } from 'node:crypto';
import { query, withTransaction, type Pool, type PoolClient } from '../db/pool.js';
import {
  countTaskEmbeddingsByCollection,
  deleteTaskEmbeddings,
  embeddingColumnType,
  insertEmbeddings,
} from '../db/sql/training.sql.js';
import { secondsSince } from '../lib/time.js';
import type { EmbeddingProvider } from '../providers/types.js';
import { ensureCollections, ensureVectorTables } from '../backups/langchain-tables.js';
import { StepFailedError } from './ddl-generation.js';
import { checkAborted, type StepContext } from './step-context.js';
import { writeJson } from '../lib/atomic-file.js';
import { stepResultFile } from '../task-files/task-dir.js';
import { collectTrainingItems, type TrainingKind } from './training-items.js';

export interface TrainingLoadSettings {
  embeddingBatchSize: number;
  insertBatchSize: number;
}

export interface TrainingLoadResult {
  training_data_dir: string;
  load_successful: boolean;
  total_records: number;
  data_type_counts: Record<TrainingKind, number>;
  embedding_provider: string;
  embedding_model: string;
  embedding_dimensions: number;
  replaced_previous_records: number;
  duration: number;
}

const ID_SUFFIX: Record<TrainingKind, string> = { ddl: 'ddl', documentation: 'doc', sql: 'sql' };

/**
 * Step 4: embed the task's DDL, doc sections and question/SQL pairs, then write them to the
 * LangChain tables in one transaction (ids `<uuid>-ddl|-doc|-sql`, collections created when
 * missing). Every item is embedded before anything is written: an item that fails fails the step
 * and nothing is half-loaded. A re-run replaces the task's earlier rows instead of duplicating them.
 */
export class TrainingLoadStep {
  constructor(
    private readonly vectorPool: Pool,
    private readonly embeddings: EmbeddingProvider,
    private readonly settings: TrainingLoadSettings,
  ) {}

  async run(ctx: StepContext): Promise<TrainingLoadResult> {
    const started = performance.now();
    const items = await collectTrainingItems(ctx.taskDir);
    if (items.length === 0) throw new StepFailedError('训练数据加载失败：未找到可处理的训练文件 (*.ddl, *.md, *_pair.json)');
    ctx.log.info(`收集到 ${items.length} 条训练数据，嵌入模型: ${this.embeddings.name}/${this.embeddings.model} (${this.embeddings.dimensions} 维)`);

    const vectors: number[][] = [];
    for (let i = 0; i < items.length; i += this.settings.embeddingBatchSize) {
      checkAborted(ctx.signal);
      const batch = items.slice(i, i + this.settings.embeddingBatchSize);
      try {
        vectors.push(...(await this.embeddings.embed(batch.map((item) => item.document), { signal: ctx.signal })));
      } catch (err) {
        checkAborted(ctx.signal);
        const files = [...new Set(batch.map((item) => item.file))].join(', ');
        throw new StepFailedError(`嵌入失败 (第 ${i + 1}-${i + batch.length} 条, 文件: ${files}): ${(err as Error).message}；未写入任何数据`, { cause: err });
      }
      ctx.progress({ done: Math.min(i + batch.length, items.length), total: items.length, unit: 'items' });
    }

    const counts: Record<TrainingKind, number> = { ddl: 0, documentation: 0, sql: 0 };
    let replaced = 0;
    await withTransaction(this.vectorPool, async (client) => {
      await ensureVectorTables(client);
      await this.checkDimension(client);
      const collections = await ensureCollections(client);
      const previous = deleteTaskEmbeddings(ctx.taskId);
      replaced = (await client.query(previous.text, previous.values)).rowCount ?? 0;
      const rows = items.map((item, i) => {
        const id = `${randomUUID()}-${ID_SUFFIX[item.kind]}`;
        const metadata = item.kind === 'sql' ? { id, createdat: null, task_id: ctx.taskId } : { id, task_id: ctx.taskId };
        return {
          id,
          collectionId: collections.get(item.kind)!,
          vector: `[${vectors[i]!.join(',')}]`,
          document: item.document,
          metadata: JSON.stringify(metadata),
        };
      });
      for (let i = 0; i < rows.length; i += this.settings.insertBatchSize) {
        checkAborted(ctx.signal);
        await query(client, insertEmbeddings(rows.slice(i, i + this.settings.insertBatchSize)));
      }
      for (const row of await query<{ name: TrainingKind; n: number }>(client, countTaskEmbeddingsByCollection(ctx.taskId))) {
        counts[row.name] = row.n;
      }
    });

    const total = counts.ddl + counts.documentation + counts.sql;
    if (total !== items.length) throw new StepFailedError(`写入数量不符: 期望 ${items.length} 条，实际 ${total} 条`);
    const result: TrainingLoadResult = {
      training_data_dir: ctx.taskId,
      load_successful: true,
      total_records: total,
      data_type_counts: counts,
      embedding_provider: this.embeddings.name,
      embedding_model: this.embeddings.model,
      embedding_dimensions: this.embeddings.dimensions,
      replaced_previous_records: replaced,
      duration: secondsSince(started),
    };
    await writeJson(stepResultFile(ctx.taskDir, 'training_load'), result);
    ctx.log.info(`训练数据加载完成: ${total} 条 (ddl ${counts.ddl}, documentation ${counts.documentation}, sql ${counts.sql})`);
    return result;
  }

  /** A `vector(n)` column only takes n dimensions: say so before COPYing anything. */
  private async checkDimension(client: PoolClient): Promise<void> {
    const [row] = await query<{ type: string }>(client, embeddingColumnType());
    const declared = /vector\((\d+)\)/.exec(row?.type ?? '')?.[1];
    if (declared && Number(declared) !== this.embeddings.dimensions) {
      throw new StepFailedError(`向量维度不匹配: langchain_pg_embedding.embedding 为 ${declared} 维，嵌入模型输出 ${this.embeddings.dimensions} 维 (EMBEDDING_DIMENSIONS)`);
    }
  }
}
