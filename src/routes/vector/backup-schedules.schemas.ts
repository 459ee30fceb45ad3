import { z } from 'zod';
import { VectorBackupBody } from './vector.schemas.js';

/**
 * A schedule: when (cron, timezone) and the backup fields each firing runs with, validated as the
 * backup route validates them. The expression and zone are checked by the service (croner, Intl).
 */
export const ScheduleBody = VectorBackupBody.pick({ task_id: true, db_connection: true, compression: true, format: true, label: true, keep_last: true })
  .extend({
    cron: z.string({ error: '参数 cron 必须是字符串' }).min(1, '参数 cron 不能为空').max(200, '参数 cron 过长')
      .describe('cron 表达式：5 段（分 时 日 月 周）或 6 段（秒在前），如 "0 3 * * *"、"*/2 * * * * *"'),
    timezone: z.string({ error: '参数 timezone 必须是字符串' }).min(1, '参数 timezone 不能为空').max(100, '参数 timezone 过长').optional()
      .describe('IANA 时区，如 Asia/Shanghai；默认服务器时区 (TZ)，否则 UTC'),
  });

export const ScheduleIdParams = z.object({
  schedule_id: z.string({ error: '参数 schedule_id 必须是字符串' }).max(200, '参数 schedule_id 过长')
    .regex(/^[A-Za-z0-9_.:-]+$/, '参数 schedule_id 格式无效').describe('计划ID，如 schedule_20250722_010318_a1b2c3'),
});
