import { z } from 'zod';
import { anyObject, dataOf, isoTime, nullableTime, jobStatus, pagination, stepName, stepStatus, stepStatusMap, taskStatus, TIMESTAMP_EXAMPLE } from './common.js';
import type { ResponseDocs } from '../../http/openapi.js';

const BASE = '/data_pipeline/tasks';
const TASK_ID = 'task_20250721_213627';
const STEP_STATUS_EXAMPLE = { ddl_generation: 'completed', qa_generation: 'completed', sql_validation: 'running', training_load: 'pending' };

/** A running step's progress (what it counts: tables, themes, sqls, items). */
const stepProgress = z.object({
  step: stepName,
  done: z.number().int(),
  total: z.number().int(),
  unit: z.enum(['tables', 'themes', 'sqls', 'items']),
  percent: z.number().int(),
});

const taskSummary = z.object({
  task_id: z.string(),
  task_name: z.string().nullable(),
  status: taskStatus,
  step_status: stepStatusMap,
  step_status_summary: z.string().describe('all_completed, pending, partial, … (the original\'s summary)'),
  created_at: isoTime,
  started_at: nullableTime,
  completed_at: nullableTime,
  created_by: z.string().nullable(),
  db_name: z.string().nullable(),
  business_context: z.string().nullable(),
  directory_exists: z.boolean(),
  updated_at: nullableTime,
});
const taskSummaryExample = {
  task_id: TASK_ID,
  task_name: '高速公路数据处理',
  status: 'in_progress',
  step_status: STEP_STATUS_EXAMPLE,
  step_status_summary: 'partial',
  created_at: '2025-07-21T21:36:27.512+08:00',
  started_at: '2025-07-21T21:36:30.101+08:00',
  completed_at: null,
  created_by: 'guest',
  db_name: 'highway_db',
  business_context: '高速公路服务区管理系统',
  directory_exists: true,
  updated_at: '2025-07-21T21:37:02.410+08:00',
};
const deletedTask = z.object({
  success: z.boolean(),
  task_id: z.string(),
  directory_deleted: z.boolean(),
  database_records_deleted: z.boolean(),
  deleted_files_count: z.number().int(),
  deleted_size: z.string(),
  deleted_at: isoTime,
  operation_message: z.string(),
});
const deletedExample = {
  success: true,
  task_id: TASK_ID,
  directory_deleted: true,
  database_records_deleted: true,
  deleted_files_count: 16,
  deleted_size: '11.1 KB',
  deleted_at: TIMESTAMP_EXAMPLE,
  operation_message: '目录删除成功',
};

export const TASK_RESPONSES: ResponseDocs = {
  [`post ${BASE}`]: {
    201: {
      description: 'The task (pending). Without table_list_file: file_upload_mode and the upload route to call next',
      data: dataOf({
        task_id: z.string(),
        task_name: z.string().nullable(),
        status: taskStatus,
        created_at: isoTime,
        file_upload_mode: z.literal(true).optional(),
        next_step: z.string().optional(),
      }),
      example: { task_id: TASK_ID, task_name: '高速公路数据处理', status: 'pending', created_at: TIMESTAMP_EXAMPLE, response: '任务创建成功', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`get ${BASE}`]: {
    200: {
      description: 'One page of tasks, newest first; total counts every matching task',
      data: dataOf({ tasks: z.array(taskSummary), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
      example: { tasks: [taskSummaryExample], total: 1, limit: 50, offset: 0, response: '获取任务列表成功', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${BASE}/query`]: {
    200: {
      description: 'One page of the tasks matching the filters',
      data: dataOf({
        tasks: z.array(taskSummary),
        pagination,
        filters_applied: anyObject,
        sort_applied: z.object({ sort_by: z.enum(['created_at', 'started_at', 'completed_at', 'task_name', 'status']), sort_order: z.enum(['asc', 'desc']) }),
        query_time: z.string(),
      }),
      example: {
        tasks: [taskSummaryExample],
        pagination: { page: 1, page_size: 20, total: 1, total_pages: 1, has_next: false, has_prev: false },
        filters_applied: { status: 'in_progress' },
        sort_applied: { sort_by: 'created_at', sort_order: 'desc' },
        query_time: '0.022s',
        response: '查询任务列表成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`delete ${BASE}`]: {
    200: {
      description: 'What was deleted and what failed (continue_on_error decides whether one failure stops the rest)',
      data: dataOf({
        deleted_tasks: z.array(deletedTask),
        failed_tasks: z.array(z.object({ task_id: z.string(), error: z.string() }).loose()),
        summary: z.object({ total_requested: z.number().int(), successfully_deleted: z.number().int(), failed: z.number().int() }),
        deleted_at: isoTime,
      }),
      example: {
        deleted_tasks: [{ ...deletedExample, database_records_deleted: false }],
        failed_tasks: [],
        summary: { total_requested: 1, successfully_deleted: 1, failed: 0 },
        deleted_at: TIMESTAMP_EXAMPLE,
        response: '目录删除成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`get ${BASE}/:task_id`]: {
    200: {
      description: 'The task: status, each step, the running step\'s progress, its last execution and result',
      data: dataOf({
        task_id: z.string(),
        task_name: z.string().nullable(),
        status: taskStatus,
        step_status: stepStatusMap,
        created_at: isoTime,
        started_at: nullableTime,
        completed_at: nullableTime,
        error_message: z.string().nullable(),
        quality: anyObject.nullable().describe('training-data quality of the last run (qa_quality_report.json summarised): pairs per tier, EXPLAIN-valid %, non-empty %, duplicates removed; null before qa_generation'),
        db_name: z.string().nullable(),
        current_step: z
          .object({ execution_id: z.string().nullable(), step: stepName, status: stepStatus, started_at: nullableTime, progress: stepProgress.nullable() })
          .nullable(),
        progress: stepProgress.nullable(),
        total_steps: z.number().int(),
        steps: z.array(
          z.object({
            step_name: stepName,
            step_status: stepStatus,
            execution_id: z.string().nullable(),
            started_at: nullableTime,
            completed_at: nullableTime,
            error_message: z.string().nullable(),
          }),
        ),
        execution: z
          .object({
            execution_id: z.string(),
            state: jobStatus,
            execution_mode: z.enum(['complete', 'step']),
            step_name: stepName.nullable(),
            queued_at: isoTime,
            started_at: nullableTime,
            completed_at: nullableTime,
            error_message: z.string().nullable(),
            cancel_requested: z.boolean(),
          })
          .nullable(),
        parameters: anyObject,
        result: anyObject.nullable(),
      }),
      example: {
        task_id: TASK_ID,
        task_name: '高速公路数据处理',
        status: 'in_progress',
        step_status: STEP_STATUS_EXAMPLE,
        created_at: '2025-07-21T21:36:27.512+08:00',
        started_at: '2025-07-21T21:36:30.101+08:00',
        completed_at: null,
        error_message: null,
        quality: {
          report_file: 'qa_quality_report.json',
          total_pairs: 48,
          by_difficulty: { simple: 14, moderate: 15, complex: 9, highly_complex: 10 },
          by_source: { generated: 46, query_log: 2 },
          tables_covered: '7/7',
          columns_covered_pct: 41.11,
          explain_valid_pct: 100,
          non_empty_pct: 97.92,
          duplicates_removed: 0,
          repairs: { attempted: 0, successful: 0 },
        },
        db_name: 'highway_db',
        current_step: {
          execution_id: `${TASK_ID}_step_sql_validation_exec_20250721213702`,
          step: 'sql_validation',
          status: 'running',
          started_at: '2025-07-21T21:37:02.410+08:00',
          progress: { step: 'sql_validation', done: 12, total: 40, unit: 'sqls', percent: 30 },
        },
        progress: { step: 'sql_validation', done: 12, total: 40, unit: 'sqls', percent: 30 },
        total_steps: 4,
        steps: [
          { step_name: 'ddl_generation', step_status: 'completed', execution_id: `${TASK_ID}_step_ddl_generation_exec_20250721213630`, started_at: '2025-07-21T21:36:30.150+08:00', completed_at: '2025-07-21T21:36:41.002+08:00', error_message: null },
          { step_name: 'sql_validation', step_status: 'running', execution_id: `${TASK_ID}_step_sql_validation_exec_20250721213702`, started_at: '2025-07-21T21:37:02.410+08:00', completed_at: null, error_message: null },
        ],
        execution: {
          execution_id: `${TASK_ID}_exec_20250721_213630_8d23`,
          state: 'running',
          execution_mode: 'complete',
          step_name: null,
          queued_at: '2025-07-21T21:36:30.001+08:00',
          started_at: '2025-07-21T21:36:30.101+08:00',
          completed_at: null,
          error_message: null,
          cancel_requested: false,
        },
        parameters: { table_list_file: 'tables.txt', business_context: '高速公路服务区管理系统', enable_sql_validation: true },
        result: null,
        response: '获取任务状态成功',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`delete ${BASE}/:task_id`]: {
    200: {
      description: 'The task\'s directory (and, unless delete_database_records=false, its records) deleted',
      data: dataOf(deletedTask.shape),
      example: { ...deletedExample, response: '目录删除成功', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${BASE}/:task_id/execute`]: {
    202: {
      description: 'The execution was queued; poll GET /tasks/{task_id}',
      data: dataOf({
        task_id: z.string(),
        execution_mode: z.enum(['complete', 'step']),
        step_name: stepName.nullable(),
        execution_id: z.string(),
        vector_options: z.object({ backup_vector_tables: z.boolean(), truncate_vector_tables: z.boolean(), skip_training: z.boolean() }),
        message: z.string(),
      }),
      example: {
        task_id: TASK_ID,
        execution_mode: 'step',
        step_name: 'ddl_generation',
        execution_id: `${TASK_ID}_exec_20250721_213630_8d23`,
        vector_options: { backup_vector_tables: false, truncate_vector_tables: false, skip_training: false },
        message: '任务正在后台执行，请通过状态接口查询进度',
        response: '任务执行已启动',
        timestamp: TIMESTAMP_EXAMPLE,
      },
    },
  },
  [`post ${BASE}/:task_id/cancel`]: {
    200: {
      description: 'cancelled (it had not started, or stopped at once) or cancelling (it stops after its current operation)',
      data: dataOf({ task_id: z.string(), execution_id: z.string(), state: z.enum(['cancelled', 'cancelling']) }),
      example: { task_id: TASK_ID, execution_id: `${TASK_ID}_exec_20250721_213630_8d23`, state: 'cancelling', response: '已请求取消，任务将在当前操作结束后停止', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
};
