import { z } from 'zod';
import { STEP_NAMES, TASK_STATUSES } from '../tasks/task-states.js';
import { queryBoolean } from './common.schemas.js';

const bool = (name: string) => z.boolean({ error: `参数 ${name} 必须是布尔值 (true/false)` });
const text = (name: string) => z.string({ error: `参数 ${name} 必须是字符串` });
export { TaskIdParams } from './common.schemas.js';


export const CreateTaskBody = z.object({
  table_list_file: text('table_list_file').min(1).optional().describe('服务器上的表清单 .txt（相对工作目录）；省略则稍后上传'),
  business_context: text('business_context').optional().describe('业务背景，默认 数据库管理系统'),
  db_name: text('db_name').min(1).max(100).optional(),
  db_connection: text('db_connection').min(1).optional().describe('业务数据库，默认 BUSINESS_DATABASE_URL'),
  task_name: text('task_name').max(255).optional(),
  enable_sql_validation: bool('enable_sql_validation').optional(),
  enable_llm_repair: bool('enable_llm_repair').optional(),
  modify_original_file: bool('modify_original_file').optional(),
  enable_training_data_load: bool('enable_training_data_load').optional(),
  backup_vector_tables: bool('backup_vector_tables').optional(),
  truncate_vector_tables: bool('truncate_vector_tables').optional(),
  drop_empty_results: bool('drop_empty_results').optional().describe('sql_validation 删除执行结果为空的问答对，默认 false'),
  mine_query_log: bool('mine_query_log').optional().describe('qa_generation 从 pg_stat_statements 挖掘常用只读查询生成问答对，默认 false'),
});

export const ExecuteTaskBody = z.object({
  // Checked by the task service (its own error types: INVALID_EXECUTION_MODE, INVALID_STEP_NAME); the enum is for the document.
  execution_mode: text('execution_mode').optional().describe('complete (默认) 或 step').meta({ enum: ['complete', 'step'] }),
  step_name: text('step_name').optional().describe('execution_mode=step 时必填').meta({ enum: [...STEP_NAMES] }),
  backup_vector_tables: bool('backup_vector_tables').optional(),
  truncate_vector_tables: bool('truncate_vector_tables').optional(),
  skip_training: bool('skip_training').optional(),
  drop_empty_results: bool('drop_empty_results').optional().describe('本次执行覆盖任务的 drop_empty_results'),
  mine_query_log: bool('mine_query_log').optional().describe('本次执行覆盖任务的 mine_query_log'),
});

const intFromQuery = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `参数 ${name} 必须是整数` }).int(`参数 ${name} 必须是整数`).min(min, `参数 ${name} 不能小于 ${min}`).max(max, `参数 ${name} 不能大于 ${max}`);

export const ListTasksQuery = z.object({
  limit: intFromQuery('limit', 1, 100).default(50),
  offset: intFromQuery('offset', 0, 1_000_000).default(0),
  status: z.enum(TASK_STATUSES, { error: `参数 status 无效，支持: ${TASK_STATUSES.join(', ')}` }).optional(),
});

/**
 * `YYYY-MM-DD`, optionally with ` HH:MM[:SS[.ffffff]]` (or `T`) and a zone. `Date.parse` is far
 * looser than PostgreSQL (`"0"`, `"-1"`, `"2025-02-30"`, six-digit years all parse), and whatever
 * it accepts that `::timestamp` refuses used to be a 500; only this strict form reaches SQL.
 */
const TIME_BOUND = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function isTimeBound(value: string): boolean {
  const m = TIME_BOUND.exec(value);
  if (!m) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1).map((p) => (p === undefined ? undefined : Number(p))) as number[];
  // Four-digit years from 0001 keep every value inside PostgreSQL's timestamp range.
  if (year! < 1) return false;
  const date = new Date(Date.UTC(2000, month! - 1, day!, hour, minute, second));
  date.setUTCFullYear(year!);
  return (
    date.getUTCMonth() === month! - 1 && date.getUTCDate() === day && date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute && date.getUTCSeconds() === second
  );
}

const timeBound = (name: string) =>
  text(name).trim().refine(isTimeBound, { message: `参数 ${name} 不是有效的时间，格式: YYYY-MM-DD 或 YYYY-MM-DD HH:MM:SS` });

export const QueryTasksBody = z.object({
  page: z.number({ error: '页码必须大于0' }).int('页码必须大于0').min(1, '页码必须大于0').default(1),
  page_size: z.number({ error: '每页大小必须在1-100之间' }).int('每页大小必须在1-100之间').min(1, '每页大小必须在1-100之间').max(100, '每页大小必须在1-100之间').default(20),
  status: z.enum(TASK_STATUSES, { error: `不支持的状态值，支持的状态: ${TASK_STATUSES.join(', ')}` }).optional(),
  task_name: text('task_name').max(100, '任务名称搜索关键词最大长度为100字符').optional(),
  created_by: text('created_by').optional(),
  db_name: text('db_name').optional(),
  created_time_start: timeBound('created_time_start').optional(),
  created_time_end: timeBound('created_time_end').optional(),
  started_time_start: timeBound('started_time_start').optional(),
  started_time_end: timeBound('started_time_end').optional(),
  completed_time_start: timeBound('completed_time_start').optional(),
  completed_time_end: timeBound('completed_time_end').optional(),
  sort_by: z
    .enum(['created_at', 'started_at', 'completed_at', 'task_name', 'status'], {
      error: '不支持的排序字段，支持的字段: created_at, started_at, completed_at, task_name, status',
    })
    .default('created_at'),
  sort_order: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['asc', 'desc'], { error: "排序方向必须是 'asc' 或 'desc'" }))
    .default('desc'),
});

export const DeleteTaskQuery = z.object({
  delete_database_records: queryBoolean('delete_database_records').optional().describe('同时删除数据库记录，默认 true'),
});

/** Body or query string (the original read both): task_ids, confirm, delete_database_records, continue_on_error. */
export const DeleteTasksInput = z.object({
  task_ids: z.array(text('task_ids'), { error: 'task_ids必须是非空的任务ID列表' }).min(1, 'task_ids必须是非空的任务ID列表'),
  confirm: z.literal(true, { error: 'confirm参数必须为true以确认删除操作' }),
  delete_database_records: z.boolean({ error: '参数 delete_database_records 必须是布尔值' }).default(false),
  continue_on_error: z.boolean({ error: '参数 continue_on_error 必须是布尔值' }).default(true),
});
