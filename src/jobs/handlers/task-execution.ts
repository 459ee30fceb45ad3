import path from 'node:path';
import type { DatabaseRegistry } from '../../db/database-registry.js';
import { query, type Pool, type PoolClient, type SqlQuery } from '../../db/pool.js';
import type { JobLease, JobRow } from '../../db/sql/jobs.sql.js';
import {
  markTaskStarted,
  selectSteps,
  settleAbandonedTask,
  selectTask,
  setTaskResult,
  updateStep,
  updateTaskStatus,
  type StepRow,
  type TaskRow,
} from '../../db/sql/tasks.sql.js';
import { fileTimestamp, localIsoTimestamp } from '../../lib/time.js';
import type { Pipeline } from '../../pipeline/create-pipeline.js';
import { stepWarning, type StepProgress } from '../../pipeline/step-context.js';
import { STEP_NAMES, type StepName } from '../../tasks/task-states.js';
import { writeJson } from '../../lib/atomic-file.js';
import { TaskLog } from '../../task-files/task-log.js';
import { TASK_CONFIG_NAME, TASK_RESULT_NAME } from '../../task-files/task-dir.js';
import type { DataRoot } from '../../lib/data-root.js';
import type { VectorBackupService } from '../../backups/backup-service.js';
import { NotFoundError } from '../../errors.js';
import { archivePreviousRun } from '../../task-files/previous-run-archive.js';
import { abortReason, CANCELLED_MESSAGE, CancelledError, LeaseLostError } from '../job-errors.js';
import type { JobFailure, JobHandler, JobRunContext } from '../job-handler.js';
import { JOB_KINDS } from '../../db/sql/jobs.sql.js';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics/metrics.js';


export interface ExecutionOptions {
  backup_vector_tables?: boolean;
  truncate_vector_tables?: boolean;
  skip_training?: boolean;
  drop_empty_results?: boolean;
  mine_query_log?: boolean;
}

export interface ProgressReport extends StepProgress {
  step: StepName;
  percent: number;
}

/**
 * Runs one execution of a task (complete or one step): step rows and task status, the task's
 * files (`task_config.json`, `task_result.json`, `data_pipeline.log`), the vector flags before
 * training_load, and the status rules of SPEC §5. Never leaves a task `in_progress`.
 * Every database write is fenced by the job's lease and every file write checks it first: a worker
 * that lost its job to stale recovery changes nothing the re-run owns.
 */
export class TaskExecution implements JobHandler {
  readonly kind = JOB_KINDS.TASK_EXECUTION;

  constructor(
    private readonly appPool: Pool,
    private readonly databases: DatabaseRegistry,
    private readonly dataRoot: DataRoot,
    private readonly pipeline: Pipeline,
    private readonly vectorBackup: VectorBackupService,
    /** The console gets the task log's lines (per step, per table); the metrics each step's duration. */
    private readonly observers: { logger: Logger; metrics: Pick<Metrics, 'stepEnded'> },
  ) {}

  /** A task left `in_progress` or a step left `running` by an execution that ended without success. */
  async settle(client: PoolClient, job: JobRow, failure: JobFailure, lease: JobLease | null): Promise<void> {
    await query(client, settleAbandonedTask(job.task_id!, failure.state, failure.message, lease ?? undefined));
  }

  async run({ job, lease, signal, report: publish }: JobRunContext): Promise<void> {
    const report = (progress: ProgressReport) => publish(progress);
    const write = (sql: SqlQuery) => writeHolding(this.appPool, lease, sql);
    const taskId = job.task_id!; // the task_execution_shape constraint: never null for this kind
    const [task] = await query<TaskRow>(this.appPool, selectTask(taskId));
    if (!task) throw new Error(`任务不存在: ${taskId}`);
    const options = job.options as ExecutionOptions;
    const params = task.parameters;
    const complete = job.execution_mode === 'complete';
    const steps: StepName[] = complete ? [...STEP_NAMES] : [job.step_name as StepName];
    // The rows first: a lease already lost stops here, before any file of the task is touched.
    for (const step of steps) await write(updateStep(task.task_id, step, 'pending', {}, lease));
    await write(markTaskStarted(task.task_id, lease));

    assertHolding(signal);
    // The real directory, created without following a link out of the data root: a task directory
    // that is a symlink elsewhere fails the execution instead of having its step files written there.
    const taskDir = await this.dataRoot.ensureTaskDir(task.task_id);
    const log = new TaskLog(taskDir, `TaskDir_${task.task_id}`, '', this.observers.logger.child({ component: 'task', taskId: task.task_id, jobId: job.job_id }));
    const archiveDir = complete ? await archivePreviousRun(taskDir) : null;
    await writeJson(path.join(taskDir, TASK_CONFIG_NAME), {
      task_id: task.task_id,
      created_at: task.created_at,
      parameters: params,
      output_directory: this.dataRoot.relativeToCwd(taskDir),
      execution: { execution_id: job.job_id, execution_mode: job.execution_mode, step_name: job.step_name, options },
    });
    log.info(`任务目录日志初始化完成 - 任务ID: ${task.task_id}`);
    log.info(`任务参数: ${JSON.stringify(params)}`);
    if (archiveDir) log.info(`已将上次运行的文件移动到 ${archiveDir}/`);
    log.info(complete ? '完整工作流任务开始执行' : `单步执行开始: ${job.step_name}`);

    // A lease on a request pool (the task's own db_connection): never closed under this run.
    using business = this.databases.businessDatabase(task.db_connection ?? undefined);
    const artifacts: Record<string, unknown> = { ...(task.result?.artifacts as Record<string, unknown> | undefined) };
    const failedSteps: string[] = [];
    let failure: Error | null = null;
    for (const step of steps) {
      if (!this.enabled(step, params)) {
        await write(updateStep(task.task_id, step, 'skipped', {}, lease));
        log.info(`跳过步骤 ${step}（未启用）`);
        continue;
      }
      const stepLog = log.forStep(step);
      const executionId = `${task.task_id}_step_${step}_exec_${fileTimestamp().replace('_', '')}`;
      await write(updateStep(task.task_id, step, 'running', { executionId }, lease));
      stepLog.info(`开始执行步骤: ${step}`);
      const stepStarted = performance.now();
      const stepEnded = (status: string) => this.observers.metrics.stepEnded(step, status, (performance.now() - stepStarted) / 1000);
      try {
        // Checked between steps too: a cancel during the previous step's last write stops here.
        signal.throwIfAborted();
        if (step === 'training_load' && (options.backup_vector_tables || options.truncate_vector_tables)) {
          artifacts.vector_management = await this.manageVectors(task.task_id, options.truncate_vector_tables === true, signal, stepLog);
        }
        if (step === 'training_load' && options.skip_training) {
          stepLog.info('跳过训练数据加载 (skip_training)');
        } else {
          artifacts[step] = await this.pipeline.run(
            step,
            {
              taskId: task.task_id,
              taskDir,
              business: { pool: business.pool, database: task.db_name ?? business.database },
              businessContext: String(params.business_context ?? '数据库管理系统'),
              log: stepLog,
              signal,
              progress: (p) => report({ ...p, step, percent: p.total ? Math.round((p.done / p.total) * 100) : 0 }),
            },
            {
              enableLlmRepair: params.enable_llm_repair !== false,
              modifyOriginalFile: params.modify_original_file !== false,
              dropEmptyResults: options.drop_empty_results === true,
              mineQueryLog: options.mine_query_log === true,
            },
          );
        }
        signal.throwIfAborted();
        const warning = stepWarning(artifacts[step]);
        await write(updateStep(task.task_id, step, 'completed', { error: warning }, lease));
        stepEnded('completed');
        if (warning) stepLog.warn(`步骤执行完成（需要注意）: ${step} - ${warning}`);
        else stepLog.info(`步骤执行完成: ${step}`);
      } catch (err) {
        // The abort reason decides, not the error the aborted operation happened to throw.
        const stopped = abortReason(signal) ?? (err instanceof LeaseLostError ? err : null);
        if (stopped instanceof LeaseLostError) throw stopped;
        const cancelled = stopped instanceof CancelledError;
        const message = cancelled ? CANCELLED_MESSAGE : (stopped ?? (err as Error)).message;
        await write(updateStep(task.task_id, step, cancelled ? 'cancelled' : 'failed', { error: message }, lease));
        stepEnded(cancelled ? 'cancelled' : 'failed');
        stepLog.error(`步骤执行失败: ${step} - ${message}`);
        failedSteps.push(step);
        failure = cancelled ? new CancelledError(message) : (stopped ?? (err as Error));
        break;
      }
    }

    await write(setTaskResult(task.task_id, { artifacts, last_execution_id: job.job_id }, lease));
    if (complete) {
      assertHolding(signal);
      await writeJson(path.join(taskDir, TASK_RESULT_NAME), {
        success: failure === null,
        workflow_state: {
          execution_id: job.job_id,
          completed_steps: steps.filter((s) => artifacts[s] !== undefined && !failedSteps.includes(s)),
          failed_steps: failedSteps,
          artifacts,
        },
        artifacts,
        finished_at: localIsoTimestamp(),
      });
    }
    const status = failure instanceof CancelledError ? 'cancelled' : failure ? 'failed' : await this.finalStatus(task.task_id, params, complete);
    await write(updateTaskStatus(task.task_id, status, failure?.message ?? null, lease));
    log.info(`任务结束，状态: ${status}`);
    if (failure) throw failure;
  }

  /** Backup (and truncate) before loading; a store with no vector tables yet has nothing to back up. */
  private async manageVectors(taskId: string, truncate: boolean, signal: AbortSignal, log: TaskLog): Promise<object> {
    try {
      const result = await this.vectorBackup.backup({ taskId, backupVectorTables: true, truncateVectorTables: truncate, signal });
      log.info(`Vector表管理完成: 备份${truncate ? '并清空' : ''}`);
      return result;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      log.info(`Vector表尚不存在，无需备份或清空: ${err.message}`);
      return { backup_performed: false, truncate_performed: false, reason: err.message };
    }
  }

  private enabled(step: StepName, params: Record<string, unknown>): boolean {
    if (step === 'sql_validation') return params.enable_sql_validation !== false;
    if (step === 'training_load') return params.enable_training_data_load !== false;
    return true;
  }

  /** Every enabled step completed → completed; else partial_completed (SPEC §5: never in_progress). */
  private async finalStatus(taskId: string, params: Record<string, unknown>, complete: boolean): Promise<string> {
    if (complete) return 'completed';
    const rows = await query<StepRow>(this.appPool, selectSteps([taskId]));
    const done = rows.every((r) => r.step_status === 'completed' || r.step_status === 'skipped' || !this.enabled(r.step_name as StepName, params));
    return done ? 'completed' : 'partial_completed';
  }
}

export { CancelledError };

/** A fenced write that matched nothing: the lease is gone, so is the right to write anything more. */
async function writeHolding(pool: Pool, lease: JobLease, sql: SqlQuery): Promise<void> {
  if ((await query(pool, sql)).length === 0) throw new LeaseLostError(`执行 ${lease.jobId} 已不再由本工作进程持有 (${lease.workerId})`);
}

/** Before a file write: a worker that lost its lease leaves the task directory to the new owner. */
function assertHolding(signal: AbortSignal): void {
  if (signal.aborted && signal.reason instanceof LeaseLostError) throw signal.reason;
}
