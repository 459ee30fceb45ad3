import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { databaseNameOf, redactConnectionString } from '../db/connection-string.js';
import type { DatabaseRegistry } from '../db/database-registry.js';
import { query, withTransaction, type Pool } from '../db/pool.js';
import { insertJob, isLiveJob, JOB_KINDS, JOB_STATES, notifyCancel, notifyJobs, requestCancel, selectJob, selectLiveJob, type JobRow } from '../db/sql/jobs.sql.js';
import {
  countTasks,
  insertTask,
  listTasks,
  selectSteps,
  settleAbandonedTask,
  type StepRow,
  type TaskFilters,
  type TaskRow,
  type TaskSortField,
} from '../db/sql/tasks.sql.js';
import { ConflictError, ERROR_TYPES, ValidationError } from '../errors.js';
import { isInside } from '../lib/path-inside.js';
import { fileTimestamp, localIsoTimestamp } from '../lib/time.js';
import { TABLE_LIST_NAME } from '../task-files/task-dir.js';
import { parseTableList, tableListTooLargeMessage } from '../task-files/table-list.js';
import type { DataRoot } from '../lib/data-root.js';
import type { TaskLookup } from '../task-files/task-lookup.js';
import { isStepName, STEP_NAMES } from './task-states.js';
import { taskDetail, taskListItem } from './task-view.js';

export interface CreateTaskInput {
  table_list_file?: string;
  business_context?: string;
  db_name?: string;
  db_connection?: string;
  task_name?: string;
  enable_sql_validation?: boolean;
  enable_llm_repair?: boolean;
  modify_original_file?: boolean;
  enable_training_data_load?: boolean;
  backup_vector_tables?: boolean;
  truncate_vector_tables?: boolean;
  drop_empty_results?: boolean;
  mine_query_log?: boolean;
}

export interface ExecuteInput {
  execution_mode?: string;
  step_name?: string;
  backup_vector_tables?: boolean;
  truncate_vector_tables?: boolean;
  skip_training?: boolean;
  drop_empty_results?: boolean;
  mine_query_log?: boolean;
}

const DEFAULT_BUSINESS_CONTEXT = '数据库管理系统';

/** How long a cancel reply waits for a job running in this process to record its end. */
const CANCEL_WAIT_MS = 10_000;

/** What the task service needs of the job runner of its process. */
export interface JobControl {
  /** A job was enqueued: look for work now. */
  nudge(): void;
  /** Abort `jobId` now if it runs here and wait (bounded) for its end; false when it runs elsewhere. */
  cancelLocal(jobId: string, waitMs: number): Promise<boolean>;
}

/** Tasks: create, read, list/query, execute (enqueue), cancel. Deletion lives in TaskDeletion. */
export class TaskService {
  constructor(
    private readonly pool: Pool,
    private readonly databases: DatabaseRegistry,
    private readonly dataRoot: DataRoot,
    private readonly lookup: TaskLookup,
    private readonly jobs: JobControl,
    private readonly limits: { tableListBytes: number },
    private readonly cwd: string = process.cwd(),
  ) {}

  async create(input: CreateTaskInput) {
    // Connection checks first (format, ALLOWED_DB_HOSTS): a bad one is a 400 before anything is written.
    using business = this.databases.businessDatabase(input.db_connection);
    const tableListSource = input.table_list_file ? await this.checkTableListFile(input.table_list_file) : null;
    const parameters = {
      db_connection: input.db_connection ? redactConnectionString(input.db_connection) : null,
      table_list_file: input.table_list_file ?? '{task_directory}/table_list.txt',
      business_context: input.business_context?.trim() || DEFAULT_BUSINESS_CONTEXT,
      file_upload_mode: !tableListSource,
      enable_sql_validation: input.enable_sql_validation ?? true,
      enable_llm_repair: input.enable_llm_repair ?? true,
      modify_original_file: input.modify_original_file ?? true,
      enable_training_data_load: input.enable_training_data_load ?? true,
      backup_vector_tables: (input.backup_vector_tables ?? false) || (input.truncate_vector_tables ?? false),
      truncate_vector_tables: input.truncate_vector_tables ?? false,
      drop_empty_results: input.drop_empty_results ?? false,
      mine_query_log: input.mine_query_log ?? false,
    };
    const dbName = input.db_name ?? (input.db_connection ? databaseNameOf(input.db_connection) : business.database);
    const base = `task_${fileTimestamp()}`;
    for (let n = 0; ; n += 1) {
      const taskId = n === 0 ? base : `${base}_${n}`;
      const taskDir = this.dataRoot.taskDir(taskId);
      const [row] = await query<{ task_id: string; created_at: Date }>(
        this.pool,
        insertTask({ taskId, taskName: input.task_name ?? null, parameters, outputDirectory: this.dataRoot.relativeToCwd(taskDir), dbName, dbConnection: input.db_connection ?? null }, STEP_NAMES),
      );
      if (!row) continue;
      const realDir = await this.dataRoot.ensureTaskDir(taskId);
      if (tableListSource) await fs.copyFile(tableListSource, path.join(realDir, TABLE_LIST_NAME));
      return {
        task_id: taskId,
        task_name: input.task_name ?? null,
        status: 'pending',
        created_at: localIsoTimestamp(row.created_at),
        ...(tableListSource ? {} : { file_upload_mode: true, next_step: `POST /api/v0/data_pipeline/tasks/${taskId}/upload-table-list` }),
      };
    }
  }

  async get(taskId: string) {
    const task = await this.lookup.requireTask(taskId);
    const steps = await query<StepRow>(this.pool, selectSteps([taskId], STEP_NAMES));
    const [job] = await query<JobRow>(this.pool, selectLiveJob(taskId));
    return taskDetail(task, steps, job ?? null);
  }

  async list(filters: TaskFilters, sort: TaskSortField, order: 'asc' | 'desc', limit: number, offset: number) {
    const [count] = await query<{ n: number }>(this.pool, countTasks(filters));
    const tasks = await query<TaskRow>(this.pool, listTasks(filters, sort, order, limit, offset));
    const steps = await query<StepRow>(this.pool, selectSteps(tasks.map((t) => t.task_id), STEP_NAMES));
    return {
      total: count!.n,
      tasks: tasks.map((t) => taskListItem(t, steps.filter((s) => s.task_id === t.task_id))),
    };
  }

  async execute(taskId: string, input: ExecuteInput) {
    const mode = input.execution_mode ?? 'complete';
    if (mode !== 'complete' && mode !== 'step') {
      throw new ValidationError(`无效的执行模式: ${mode}，必须是 complete 或 step`, ERROR_TYPES.INVALID_EXECUTION_MODE, { invalidParams: ['execution_mode'] });
    }
    if (mode === 'step' && !input.step_name) {
      throw new ValidationError('步骤执行模式需要指定step_name', ERROR_TYPES.MISSING_STEP_NAME, { missingParams: ['step_name'] });
    }
    if (mode === 'step' && !isStepName(input.step_name!)) {
      throw new ValidationError(`无效的步骤名称: ${input.step_name}，支持: ${STEP_NAMES.join(', ')}`, ERROR_TYPES.INVALID_STEP_NAME, { invalidParams: ['step_name'] });
    }
    const task = await this.lookup.requireTask(taskId);
    // The real task directory (a link out of the data root → 400): nothing is executed through it.
    const realDir = await this.dataRoot.realTaskDir(taskId);
    const listFile = realDir === null ? null : await this.dataRoot.realInside(path.join(realDir, TABLE_LIST_NAME), 'table_list.txt');
    if (listFile === null || !(await fs.stat(listFile).then((s) => s.isFile()).catch(() => false))) {
      throw new ValidationError(
        `任务 ${taskId} 还没有表清单文件，请先上传: POST /api/v0/data_pipeline/tasks/${taskId}/upload-table-list (或 POST …/table-list)`,
        ERROR_TYPES.MISSING_REQUIRED_PARAMS,
        { missingParams: ['table_list.txt'] },
      );
    }
    const step = mode === 'step' ? input.step_name! : null;
    // Vector flags only matter before training_load; truncate implies backup.
    const vectorStep = step === null || step === 'training_load';
    const truncate = vectorStep && (input.truncate_vector_tables ?? task.parameters.truncate_vector_tables === true);
    const options = {
      backup_vector_tables: vectorStep && (truncate || (input.backup_vector_tables ?? task.parameters.backup_vector_tables === true)),
      truncate_vector_tables: truncate,
      skip_training: input.skip_training ?? false,
      // Training-data options: this execution's value, else the task's.
      drop_empty_results: input.drop_empty_results ?? task.parameters.drop_empty_results === true,
      mine_query_log: input.mine_query_log ?? task.parameters.mine_query_log === true,
    };
    const jobId = `${taskId}_exec_${fileTimestamp()}_${randomBytes(2).toString('hex')}`;
    try {
      await withTransaction(this.pool, async (client) => {
        await query(client, insertJob({ jobId, kind: JOB_KINDS.TASK_EXECUTION, execution: { taskId, mode, step, options } }));
        await query(client, notifyJobs());
      });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        const [live] = await query<JobRow>(this.pool, selectLiveJob(taskId));
        throw new ConflictError(`任务已在执行: ${taskId}`, ERROR_TYPES.TASK_ALREADY_RUNNING, {
          data: { task_id: taskId, execution_id: live?.job_id ?? null, execution_state: live?.state ?? null },
        });
      }
      throw err;
    }
    this.jobs.nudge();
    return {
      task_id: taskId,
      execution_mode: mode,
      step_name: step,
      execution_id: jobId,
      vector_options: options,
      message: '任务正在后台执行，请通过状态接口查询进度',
    };
  }

  /**
   * Cancel: a queued job is cancelled at once; a running one is aborted now (in this process
   * directly, in another through NOTIFY; the heartbeat is the fallback) and, when it runs here, the
   * reply waits for its end and says how it ended. A job that had already ended is a 409.
   */
  async cancel(taskId: string) {
    await this.lookup.requireTask(taskId);
    const job = await withTransaction(this.pool, async (client) => {
      const [row] = await query<JobRow & { cancelled_now: boolean }>(client, requestCancel(taskId));
      // A queued job never started: its task is settled here, with the job, in one transaction.
      if (row?.cancelled_now) await query(client, settleAbandonedTask(taskId, 'cancelled', '任务已取消'));
      else if (row) await query(client, notifyCancel(row.job_id));
      return row;
    });
    if (!job) {
      const [last] = await query<JobRow>(this.pool, selectLiveJob(taskId));
      if (!last) throw new ConflictError(`任务当前没有排队或执行中的作业: ${taskId}`, ERROR_TYPES.TASK_NOT_RUNNING);
      throw this.alreadyEnded(taskId, last);
    }
    if (job.cancelled_now) return { task_id: taskId, execution_id: job.job_id, state: 'cancelled' };
    if (await this.jobs.cancelLocal(job.job_id, CANCEL_WAIT_MS)) {
      const [now] = await query<JobRow>(this.pool, selectJob(job.job_id));
      // It reached its end before the abort took effect: the cancel changed nothing, say so.
      if (now && !isLiveJob(now) && now.state !== JOB_STATES.CANCELLED) throw this.alreadyEnded(taskId, now);
      if (now?.state === JOB_STATES.CANCELLED) return { task_id: taskId, execution_id: job.job_id, state: 'cancelled' };
    }
    return { task_id: taskId, execution_id: job.job_id, state: JOB_STATES.CANCELLING };
  }

  private alreadyEnded(taskId: string, job: JobRow): ConflictError {
    return new ConflictError(`任务的执行已结束 (状态: ${job.state})，无法取消: ${taskId}`, ERROR_TYPES.JOB_NOT_RUNNING, {
      data: { task_id: taskId, execution_id: job.job_id, execution_state: job.state },
    });
  }

  /** SPEC §5: a regular `.txt` file inside the working directory or the data root. */
  private async checkTableListFile(file: string): Promise<string> {
    const invalid = (why: string) =>
      new ValidationError(`参数 table_list_file 无效: ${why}`, ERROR_TYPES.INVALID_PARAMS, { invalidParams: ['table_list_file'] });
    if (!file.toLowerCase().endsWith('.txt')) throw invalid('必须是 .txt 文件');
    const resolved = path.resolve(this.cwd, file);
    const real = await fs.realpath(resolved).catch(() => null);
    if (!real) throw invalid(`文件不存在: ${file}`);
    if (!isInside(await fs.realpath(this.cwd), real) && !this.dataRoot.contains(real)) {
      throw invalid('必须位于服务工作目录或数据目录之内');
    }
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw invalid('不是普通文件');
    if (stat.size > this.limits.tableListBytes) throw invalid(tableListTooLargeMessage(this.limits.tableListBytes));
    if (parseTableList(await fs.readFile(real, 'utf8')).tables.length === 0) throw invalid('表清单文件不包含有效的表名');
    return real;
  }
}
