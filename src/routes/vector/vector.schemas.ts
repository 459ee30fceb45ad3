import { z } from 'zod';
import { queryBoolean, taskIdSchema } from '../common.schemas.js';
import { BACKUP_FORMATS } from '../../backups/sets/set-naming.js';
import { BACKUP_EXCLUSIVE_FIELDS, ON_CONFLICT_MODES, RESTORE_EXCLUSIVE_FIELDS } from '../../backups/selection/selection-fields.js';

const bodyBoolean = (name: string) => z.boolean({ error: `参数 ${name} 必须是布尔值 (true/false)` });
const positiveInt = (name: string) =>
  z.number({ error: `参数 ${name} 必须是整数` }).int(`参数 ${name} 必须是整数`).min(1, `参数 ${name} 必须 ≥ 1`);
const backupPath = () =>
  z.string({ error: '参数 backup_path 必须是字符串' }).min(1)
    .describe('备份目录，相对服务工作目录，如 ./data_pipeline/training_data/vector_bak；必须位于数据目录之内');
const backupTimestamp = () =>
  z.string({ error: '参数 timestamp 必须是字符串' }).regex(/^\d{8}_\d{6}$/, '无效的timestamp格式，应为YYYYMMDD_HHMMSS')
    .describe('备份集时间戳 YYYYMMDD_HHMMSS');
const connectionString = (name: string) =>
  z.string({ error: `参数 ${name} 必须是字符串 (postgresql://user:password@host:port/dbname)` }).min(1);

const collectionNames = (name: string) =>
  z.array(z.string({ error: `参数 ${name} 中的集合名必须是字符串` }).min(1).max(200), { error: `参数 ${name} 必须是集合名数组` }).max(1000);
const include = () => collectionNames('include').describe('只处理这些集合（langchain_pg_collection.name，* 为通配符，如 ["sql", "doc*"]）');
const exclude = () => collectionNames('exclude').describe('处理除这些集合之外的全部集合（* 为通配符）；不能与 include 同时指定');

/** Pairs of fields a request may not hold together: each pair → 400 naming both. */
export function refuseTogether(pairs: readonly (readonly [string, string])[]) {
  return (body: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const [a, b] of pairs) {
      const given = (v: unknown) => v !== undefined && v !== false;
      if (!given(body[a]) || !given(body[b])) continue;
      for (const name of [a, b]) ctx.addIssue({ code: 'custom', message: `参数 ${a} 与 ${b} 不能同时指定`, path: [name] });
    }
  };
}

/** The backup's fields (schedules pick from them); VectorBackupBody adds the cross-field checks. */
export const VectorBackupFields = z.object({
  task_id: taskIdSchema.optional()
    .describe('备份到该任务目录的 vector_bak/；省略时备份到全局 vector_bak/'),
  db_connection: connectionString('db_connection').optional().describe('目标向量数据库，默认 VECTOR_DATABASE_URL'),
  backup_vector_tables: bodyBoolean('backup_vector_tables').optional().describe('默认 true'),
  truncate_vector_tables: bodyBoolean('truncate_vector_tables').optional()
    .describe('备份成功后清空 langchain_pg_embedding（隐含备份）'),
  compression: z.enum(['none', 'gzip'], { error: '参数 compression 必须是 none 或 gzip' }).optional()
    .describe('gzip 时写 .csv.gz（binary 时 .bin.gz）文件，默认 none'),
  format: z.enum(BACKUP_FORMATS, { error: `参数 format 必须是 ${BACKUP_FORMATS.join(' 或 ')}` }).optional()
    .describe('csv (默认) 或 binary：PostgreSQL 二进制 COPY 文件 (.bin)，恢复时不做文本解析；恢复要求目标列类型与清单一致 (否则 422)；内嵌数据库模式不支持 (400)'),
  label: z.string({ error: '参数 label 必须是字符串' }).max(200, '参数 label 不能超过 200 个字符').optional()
    .describe('备份集标签，写入清单并在列表中显示（≤ 200 字符）'),
  dry_run: bodyBoolean('dry_run').optional().describe('true 时不写任何文件，只返回每张表与每个集合的行数/字节估算'),
  keep_last: positiveInt('keep_last').optional().describe('备份成功后，同一位置只保留最新的 N 个备份集'),
  include: include().optional(),
  exclude: exclude().optional(),
  async: bodyBoolean('async').optional().describe('true: 作为后台作业执行，立即返回 202 {job_id, status_url}'),
});

export const VectorBackupBody = VectorBackupFields.superRefine(refuseTogether(BACKUP_EXCLUSIVE_FIELDS));

export const VectorRestoreListQuery = z.object({
  global_only: queryBoolean('global_only').optional().describe('仅列出全局备份'),
  task_id: taskIdSchema.optional().describe('仅列出该任务的备份（优先于 global_only）'),
});

export const VectorRestoreBody = z
  .object({
    backup_path: z.string({ error: '参数 backup_path 必须是字符串' }).min(1)
      .describe('备份目录，相对服务工作目录，如 ./data_pipeline/training_data/vector_bak；必须位于数据目录之内'),
    timestamp: z.string({ error: '参数 timestamp 必须是字符串' }).regex(/^\d{8}_\d{6}$/, '无效的timestamp格式，应为YYYYMMDD_HHMMSS')
      .describe('备份集时间戳 YYYYMMDD_HHMMSS'),
    tables: z.array(z.string({ error: 'tables参数中的表名必须是字符串' }), { error: 'tables参数必须是数组格式' }).optional()
      .describe('要恢复的表，默认两张表'),
    pg_conn: connectionString('pg_conn').optional().describe('目标数据库（与 db_connection 同义）'),
    db_connection: connectionString('db_connection').optional().describe('目标数据库，默认 VECTOR_DATABASE_URL'),
    truncate_before_restore: bodyBoolean('truncate_before_restore').optional().describe('恢复前清空目标表，默认 false'),
    include: include().optional(),
    exclude: exclude().optional(),
    collection_suffix: z.string({ error: '参数 collection_suffix 必须是字符串' }).min(1, '参数 collection_suffix 不能为空').max(100).optional()
      .describe('恢复为重命名的集合（名称加此后缀，如 "_restored"）：新 UUID、新 id，与现有数据并存'),
    collection_renames: z.record(z.string().min(1).max(200), z.string({ error: '参数 collection_renames 的新名称必须是字符串' }).min(1).max(200), {
      error: '参数 collection_renames 必须是 {"旧名": "新名"} 对象',
    }).optional().describe('按集合重命名恢复，如 {"sql": "sql_v1"}；不能与 collection_suffix 同时指定'),
    on_conflict: z.enum(ON_CONFLICT_MODES, { error: `参数 on_conflict 必须是 ${ON_CONFLICT_MODES.join('、')} 之一` }).optional()
      .describe('不清空恢复时 id 已存在的行：error（默认，409 并回滚）、skip（保留现有行）、upsert（以备份为准覆盖）'),
    dry_run: bodyBoolean('dry_run').optional()
      .describe('true 时不写入任何数据，只返回每张表与每个集合的行数/字节、冲突的 id 与预计耗时'),
    index_mode: z.enum(['rebuild', 'keep'], { error: '参数 index_mode 必须是 rebuild 或 keep' }).optional()
      .describe('rebuild (默认)：在同一事务内删除二级索引 (主键与唯一约束保留)、加载、再按 RESTORE_MAINTENANCE_WORK_MEM_MB / RESTORE_PARALLEL_WORKERS 重建，结果见 index_rebuilt 与 timings；keep：带着索引加载'),
    async: bodyBoolean('async').optional().describe('true: 作为后台作业执行，立即返回 202 {job_id, status_url}'),
  })
  .refine((b) => !(b.pg_conn && b.db_connection && b.pg_conn !== b.db_connection), {
    message: '参数 pg_conn 与 db_connection 不能同时指定不同的值',
    path: ['pg_conn'],
  })
  .superRefine(refuseTogether(RESTORE_EXCLUSIVE_FIELDS));

/** One backup set: verify and delete. */
export const BackupSetBody = z.object({ backup_path: backupPath(), timestamp: backupTimestamp() });

export const VerifyBody = BackupSetBody.extend({
  async: bodyBoolean('async').optional().describe('true: 作为后台作业执行，立即返回 202 {job_id, status_url}'),
});

export const BackupPruneBody = z
  .object({
    backup_path: backupPath().optional(),
    task_id: taskIdSchema.optional().describe('该任务的 vector_bak/；backup_path 与 task_id 都省略时为全局 vector_bak/'),
    keep_last: positiveInt('keep_last').optional().describe('保留最新的 N 个备份集'),
    older_than_days: z.number({ error: '参数 older_than_days 必须是数字' }).min(0, '参数 older_than_days 不能为负数').optional()
      .describe('只删除早于 N 天的备份集（按备份集名称中的时间戳）'),
  })
  .refine((b) => !(b.backup_path !== undefined && b.task_id !== undefined), {
    message: '参数 backup_path 与 task_id 只能指定一个',
    path: ['backup_path'],
  })
  .superRefine((b, ctx) => {
    // Both reported as missing (the route's prefix says one of them is enough).
    if (b.keep_last !== undefined || b.older_than_days !== undefined) return;
    for (const name of ['keep_last', 'older_than_days']) {
      ctx.addIssue({ code: 'custom', message: '参数 keep_last 与 older_than_days 至少需要指定一个', path: [name] });
    }
  });

/** The form fields of a set upload (the `file` part is the tar). */
export const BackupUploadForm = z.object({
  task_id: z.preprocess((value) => (value === '' ? undefined : value), taskIdSchema.optional())
    .describe('上传到该任务目录的 vector_bak/；省略时上传到全局 vector_bak/'),
});
