import { sendSuccess } from '../http/envelope.js';
import type { RouteRegistry } from '../http/route-registry.js';
import type { LogService } from '../tasks/task-log-service.js';
import { TaskLogParams, TaskLogQueryBody, TaskLogTailQuery } from './logs.schemas.js';

export function registerLogRoutes(routes: RouteRegistry, services: { logs: LogService }): void {
  routes.add({
    method: 'get',
    path: '/data_pipeline/tasks/:task_id/logs',
    tag: 'logs',
    summary: '获取任务日志（最后 limit 条）',
    description: '解析任务目录下的 data_pipeline.log；多行消息（如 traceback）归入其所属条目。',
    params: TaskLogParams,
    query: TaskLogTailQuery,
    success: { status: 200, description: 'task_id, logs[{timestamp, level, logger, step, message, line_number}], total, returned, source, log_file' },
    errors: [400, 404, 500],
    handler: async ({ params, query, res }) => {
      const tail = await services.logs.tail(params.task_id, { limit: query.limit, level: query.level });
      sendSuccess(res, 200, '获取任务日志成功', { ...tail });
    },
  });

  routes.add({
    method: 'post',
    path: '/data_pipeline/tasks/:task_id/logs/query',
    tag: 'logs',
    summary: '高级日志查询（过滤、排序、分页）',
    description: '时间按时间比较（只给日期的 end_time 包含当天）；level 排序按严重程度 DEBUG<INFO<WARNING<ERROR<CRITICAL。',
    params: TaskLogParams,
    body: TaskLogQueryBody,
    success: { status: 200, description: 'logs[], pagination, log_file_info, query_time' },
    errors: [400, 404, 500],
    handler: async ({ params, body, res }) => {
      const result = await services.logs.query(params.task_id, {
        page: body.page,
        pageSize: body.page_size,
        level: body.level,
        startTime: body.start_time,
        endTime: body.end_time,
        keyword: body.keyword,
        loggerName: body.logger_name,
        stepName: body.step_name,
        sortBy: body.sort_by,
        sortOrder: body.sort_order,
      });
      sendSuccess(res, 200, '查询任务日志成功', { ...result });
    },
  });
}
