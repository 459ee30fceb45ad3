import { z } from 'zod';
import { taskIdSchema } from './common.schemas.js';
import { parseLogTime } from '../tasks/log-entry-matcher.js';
import { LOG_SORT_FIELDS } from '../tasks/sort-log-entries.js';
import { LOG_LEVELS } from '../tasks/task-log-parser.js';
import { STEP_NAMES } from '../tasks/task-states.js';

// The original's texts (reference §3.16), each led by the parameter it is about so the 400 names it.
const invalid = (param: string, text: string) => `参数 ${param} 无效: ${text}`;
const LIMIT_MESSAGE = '参数 limit 必须是1-1000之间的整数';
const PAGE_MESSAGE = invalid('page', '页码必须是大于0的整数');
const PAGE_SIZE_MESSAGE = invalid('page_size', '每页大小必须是1-500之间的整数');
const LEVEL_TEXT = '日志级别必须是DEBUG、INFO、WARNING、ERROR、CRITICAL之一';
const START_TIME_MESSAGE = invalid('start_time', '开始时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD');
const END_TIME_MESSAGE = invalid('end_time', '结束时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD');
const KEYWORD_MESSAGE = invalid('keyword', '关键字长度不能超过200个字符');
const SORT_BY_MESSAGE = invalid('sort_by', `排序字段必须是以下之一: ${LOG_SORT_FIELDS.join(', ')}`);
const SORT_ORDER_MESSAGE = invalid('sort_order', '排序方向必须是asc或desc');

/** Like the original's `if value:` checks, `null` and `""` mean "not given". */
const absent = (v: unknown): unknown => (v === null || v === '' ? undefined : v);
const upperCased = (v: unknown): unknown => (typeof v === 'string' ? absent(v.trim().toUpperCase()) : absent(v));
const lowerCased = (v: unknown): unknown => (typeof v === 'string' ? absent(v.trim().toLowerCase()) : absent(v));
/** Query strings carry text: `"50"` becomes 50; anything else stays as it is and fails the number check. */
const queryInteger = (v: unknown): unknown => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : absent(v));

const level = z.preprocess(upperCased, z.enum(LOG_LEVELS, { error: invalid('level', LEVEL_TEXT) }).optional());

const text = (name: string) => z.preprocess(absent, z.string({ error: `参数 ${name} 必须是字符串` }).optional());

const time = (message: string) =>
  z.preprocess(
    absent,
    z
      .string({ error: message })
      .transform((value, ctx) => {
        const parsed = parseLogTime(value);
        if (!parsed) ctx.addIssue({ code: 'custom', message });
        return parsed ?? z.NEVER;
      })
      .optional(),
  );

export const TaskLogParams = z.object({
  task_id: taskIdSchema.describe('任务ID，如 task_20250702_174000'),
});

export const TaskLogTailQuery = z.object({
  limit: z
    .preprocess(queryInteger, z.number({ error: LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(1000, LIMIT_MESSAGE).default(100))
    .describe('返回最后多少条日志（按条目计，多行消息算一条），1-1000，默认 100'),
  level: level.describe('只返回该级别的日志（不区分大小写）'),
});

export const TaskLogQueryBody = z.object({
  page: z
    .preprocess(absent, z.number({ error: PAGE_MESSAGE }).int(PAGE_MESSAGE).min(1, PAGE_MESSAGE).default(1))
    .describe('页码，从 1 开始'),
  page_size: z
    .preprocess(absent, z.number({ error: PAGE_SIZE_MESSAGE }).int(PAGE_SIZE_MESSAGE).min(1, PAGE_SIZE_MESSAGE).max(500, PAGE_SIZE_MESSAGE).default(50))
    .describe('每页条数，1-500，默认 50'),
  level: level.describe('日志级别（精确匹配，不区分大小写）'),
  start_time: time(START_TIME_MESSAGE).describe('起始时间（含）：YYYY-MM-DD、YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DDTHH:MM:SS[.ffffff]'),
  end_time: time(END_TIME_MESSAGE).describe('结束时间（含）；只给日期时包含当天全天'),
  keyword: z
    .preprocess(absent, z.string({ error: '参数 keyword 必须是字符串' }).max(200, KEYWORD_MESSAGE).optional())
    .describe('消息中的关键字（不区分大小写的子串匹配）'),
  logger_name: text('logger_name').describe('记录器名称（精确匹配），如 TaskDir_task_20250702_174000、data_pipeline.SchemaWorkflowOrchestrator'),
  step_name: text('step_name').describe(`步骤名称（精确匹配）：${STEP_NAMES.join('、')}`),
  sort_by: z.preprocess(absent, z.enum(LOG_SORT_FIELDS, { error: SORT_BY_MESSAGE }).default('timestamp')).describe('排序字段，默认 timestamp；level 按严重程度排序'),
  sort_order: z.preprocess(lowerCased, z.enum(['asc', 'desc'], { error: SORT_ORDER_MESSAGE }).default('desc')).describe('排序方向，默认 desc'),
});

export type TaskLogTailQuery = z.infer<typeof TaskLogTailQuery>;
export type TaskLogQueryBody = z.infer<typeof TaskLogQueryBody>;
