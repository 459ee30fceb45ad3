import type { Request } from 'express';
import { sendSuccess } from '../http/envelope.js';
import { parseInput } from '../http/parse-input.js';
import type { RouteRegistry } from '../http/route-registry.js';
import { paginate } from '../tasks/page-selector.js';
import type { TaskDeletion } from '../tasks/task-deletion.js';
import type { TaskService } from '../tasks/task-service.js';
import {
  CreateTaskBody,
  DeleteTaskQuery,
  DeleteTasksInput,
  ExecuteTaskBody,
  ListTasksQuery,
  QueryTasksBody,
  TaskIdParams,
} from './tasks.schemas.js';
import { readQueryBoolean } from './common.schemas.js';

const BASE = '/data_pipeline/tasks';

/** The original read the batch delete's parameters from the body, then the query string (`task_ids[]=…`). */
function deleteParameters(req: Request): Record<string, unknown> {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const q = req.query as Record<string, unknown>;
  // A word that is no boolean stays as it is, so the schema's 400 names the parameter.
  const bool = (v: unknown) => (typeof v === 'string' ? (readQueryBoolean(v) ?? v) : v);
  const pick = (name: string) => (name in body ? body[name] : bool(q[name]));
  const ids = 'task_ids' in body ? body.task_ids : (q.task_ids ?? q['task_ids[]']);
  return {
    task_ids: typeof ids === 'string' && !('task_ids' in body) && q['task_ids[]'] !== undefined ? [ids] : ids,
    confirm: pick('confirm'),
    delete_database_records: pick('delete_database_records'),
    continue_on_error: pick('continue_on_error'),
  };
}

export function registerTaskRoutes(routes: RouteRegistry, services: { tasks: TaskService; taskDeletion: TaskDeletion }): void {
  const { tasks, taskDeletion } = services;

  routes.add({
    method: 'post',
    path: BASE,
    tag: 'tasks',
    summary: '创建任务',
    body: CreateTaskBody,
    success: { status: 201, description: 'task_id, task_name, status, created_at, file_upload_mode?, next_step?' },
    errors: [400, 503],
    handler: async ({ body, res }) => {
      const task = await tasks.create(body);
      sendSuccess(res, 201, 'file_upload_mode' in task ? '任务创建成功，请上传表清单文件后再执行任务' : '任务创建成功', task);
    },
  });

  routes.add({
    method: 'get',
    path: BASE,
    tag: 'tasks',
    summary: '任务列表（total 为全部匹配任务数）',
    query: ListTasksQuery,
    success: { status: 200, description: 'tasks, total, limit, offset' },
    errors: [400],
    handler: async ({ query, res }) => {
      const page = await tasks.list({ status: query.status }, 'created_at', 'desc', query.limit, query.offset);
      sendSuccess(res, 200, '获取任务列表成功', { ...page, limit: query.limit, offset: query.offset });
    },
  });

  routes.add({
    method: 'post',
    path: `${BASE}/query`,
    tag: 'tasks',
    summary: '高级任务查询（过滤、排序、分页）',
    body: QueryTasksBody,
    success: { status: 200, description: 'tasks, pagination, filters_applied, sort_applied, query_time' },
    errors: [400],
    handler: async ({ body, res }) => {
      const started = performance.now();
      const filters = {
        status: body.status,
        taskName: body.task_name,
        createdBy: body.created_by,
        dbName: body.db_name,
        createdFrom: body.created_time_start,
        createdTo: body.created_time_end,
        startedFrom: body.started_time_start,
        startedTo: body.started_time_end,
        completedFrom: body.completed_time_start,
        completedTo: body.completed_time_end,
      };
      const page = await tasks.list(filters, body.sort_by, body.sort_order, body.page_size, (body.page - 1) * body.page_size);
      const { page: _page, page_size: _size, sort_by: _by, sort_order: _order, ...rest } = body;
      sendSuccess(res, 200, '查询任务列表成功', {
        tasks: page.tasks,
        pagination: paginate(page.total, body.page, body.page_size),
        filters_applied: Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== '')),
        sort_applied: { sort_by: body.sort_by, sort_order: body.sort_order },
        query_time: `${((performance.now() - started) / 1000).toFixed(3)}s`,
      });
    },
  });

  routes.add({
    method: 'delete',
    path: BASE,
    tag: 'tasks',
    summary: '批量删除任务目录（confirm=true），可选删除数据库记录',
    description:
      'JSON 请求体 {"task_ids": [...], "confirm": true, "delete_database_records": false, "continue_on_error": true}，或查询字符串 task_ids[]=a&task_ids[]=b&confirm=true',
    bodyDoc: DeleteTasksInput,
    success: { status: 200, description: 'deleted_tasks, failed_tasks, summary, deleted_at' },
    errors: [400],
    handler: async ({ req, res }) => {
      const input = parseInput(DeleteTasksInput, deleteParameters(req));
      const { response, ...result } = await taskDeletion.deleteMany(input.task_ids, input.delete_database_records, input.continue_on_error);
      sendSuccess(res, 200, response, result);
    },
  });

  routes.add({
    method: 'get',
    path: `${BASE}/:task_id`,
    tag: 'tasks',
    summary: '任务状态、步骤、进度与结果',
    params: TaskIdParams,
    success: { status: 200, description: 'status, step_status, current_step, progress, steps, parameters, result' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      sendSuccess(res, 200, '获取任务状态成功', await tasks.get(params.task_id));
    },
  });

  routes.add({
    method: 'delete',
    path: `${BASE}/:task_id`,
    tag: 'tasks',
    summary: '删除单个任务（目录与记录）',
    params: TaskIdParams,
    query: DeleteTaskQuery,
    success: { status: 200, description: 'deleted task summary' },
    errors: [400, 404, 409],
    handler: async ({ params, query, res }) => {
      const deleted = await taskDeletion.deleteOne(params.task_id, query.delete_database_records ?? true);
      sendSuccess(res, 200, deleted.operation_message, { ...deleted });
    },
  });

  routes.add({
    method: 'post',
    path: `${BASE}/:task_id/execute`,
    tag: 'tasks',
    summary: '执行任务（complete 全流程或 step 单步），后台运行',
    params: TaskIdParams,
    body: ExecuteTaskBody,
    success: { status: 202, description: 'task_id, execution_mode, step_name, execution_id, message' },
    errors: [400, 404, 409],
    handler: async ({ params, body, res }) => {
      sendSuccess(res, 202, '任务执行已启动', await tasks.execute(params.task_id, body));
    },
  });

  routes.add({
    method: 'post',
    path: `${BASE}/:task_id/cancel`,
    tag: 'tasks',
    summary: '取消排队或执行中的任务',
    params: TaskIdParams,
    success: { status: 200, description: 'task_id, execution_id, state (cancelled | cancelling)' },
    errors: [400, 404, 409],
    handler: async ({ params, res }) => {
      const result = await tasks.cancel(params.task_id);
      sendSuccess(res, 200, result.state === 'cancelled' ? '任务已取消' : '已请求取消，任务将在当前操作结束后停止', result);
    },
  });
}
