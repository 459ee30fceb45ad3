import type { Services } from '../../create-services.js';
import { sendSuccess } from '../../http/envelope.js';
import type { RouteRegistry } from '../../http/route-registry.js';
import { ScheduleBody, ScheduleIdParams } from './backup-schedules.schemas.js';

/** SPEC §7 "Schedules": each firing is a backup job (GET …/vector/jobs shows it). */
export function registerBackupScheduleRoutes(routes: RouteRegistry, services: Services): void {
  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/schedules',
    tag: 'vector',
    summary: '创建定时备份计划（cron + 时区 + 备份参数）',
    body: ScheduleBody,
    success: { status: 201, description: 'schedule_id, cron, timezone, request, created_at, next_run_at (ISO-8601), last_job' },
    errors: [400],
    handler: async ({ body, res }) => {
      const { cron, timezone, ...request } = body;
      const schedule = await services.backupSchedules.create({ cron, timezone, request });
      sendSuccess(res, 201, `备份计划已创建，下次执行: ${schedule.next_run_at}`, { ...schedule });
    },
  });

  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/schedules',
    tag: 'vector',
    summary: '列出定时备份计划（含下次执行时间与最近一次作业）',
    success: { status: 200, description: 'schedules[] (schedule_id, cron, timezone, request, created_at, next_run_at, last_job {job_id, status} | null), total' },
    errors: [],
    handler: async ({ res }) => {
      const schedules = await services.backupSchedules.list();
      sendSuccess(res, 200, `共 ${schedules.length} 个备份计划`, { schedules, total: schedules.length });
    },
  });

  routes.add({
    method: 'delete',
    path: '/data_pipeline/vector/schedules/:schedule_id',
    tag: 'vector',
    summary: '删除一个定时备份计划（已提交的作业不受影响）',
    params: ScheduleIdParams,
    success: { status: 200, description: 'schedule_id' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      await services.backupSchedules.delete(params.schedule_id);
      sendSuccess(res, 200, '备份计划已删除', { schedule_id: params.schedule_id });
    },
  });
}
