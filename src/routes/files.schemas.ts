import { z } from 'zod';
import { OVERWRITE_MODES } from '../task-files/task-file-service.js';

import { TaskIdParams } from './common.schemas.js';

export const TaskParams = TaskIdParams;

export const TaskFileParams = TaskParams.extend({
  file_name: z.string().min(1).describe('任务目录中的文件名；vector_bak/ 中的文件用 …/files/vector_bak/{file_name}'),
});

const tableNames = (name: string) =>
  z
    .union([z.string(), z.array(z.string())], { error: `${name}参数格式错误，应为字符串（逗号分隔）或数组` })
    .describe('表名：逗号分隔的字符串或数组，支持 schema.table');

/** An empty string counts as "not given", as the original's falsy check did. */
const given = (value: unknown) => value !== undefined && value !== '';

/**
 * The original reads `tables`; the seed guide documents `table_names`. Both are accepted (SPEC §4),
 * and naming different lists in both is refused rather than silently picking one.
 */
export const TableListBody = z
  .object({
    tables: tableNames('tables').optional(),
    table_names: tableNames('table_names').optional(),
    business_context: z.string({ error: '参数 business_context 必须是字符串' }).optional()
      .describe('业务上下文描述（文档字段；表清单文件不保存它）'),
  })
  .superRefine((body, ctx) => {
    if (!given(body.tables) && !given(body.table_names)) {
      ctx.addIssue({ code: 'custom', path: ['tables'], message: '缺少必需参数：tables' });
    } else if (given(body.tables) && given(body.table_names) && JSON.stringify(body.tables) !== JSON.stringify(body.table_names)) {
      ctx.addIssue({ code: 'custom', path: ['tables'], message: '参数 tables 与 table_names 不能同时指定不同的值' });
    }
  })
  .transform((body) => ({
    tables: (given(body.tables) ? body.tables : body.table_names) ?? '',
    business_context: body.business_context,
  }));

/** Form fields of `POST …/files` besides the file itself. */
export const UploadFileForm = z.object({
  overwrite_mode: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .enum(OVERWRITE_MODES, {
        error: (issue) => `无效的overwrite_mode参数: ${String(issue.input)}，支持的值: ${OVERWRITE_MODES.join(', ')}`,
      })
      .default('backup'),
  ),
});
