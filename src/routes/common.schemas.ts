import { z } from 'zod';
import { TASK_ID_MESSAGE, TASK_ID_PATTERN } from '../lib/data-root.js';

/** A task id as the routes accept it (the same rule DataRoot enforces). */
export const taskIdSchema = z.string({ error: '参数 task_id 必须是字符串' }).regex(TASK_ID_PATTERN, TASK_ID_MESSAGE);

export const TaskIdParams = z.object({ task_id: taskIdSchema.describe('任务ID，如 task_20250721_213627') });

/** Query-string booleans: `true/false/1/0/yes/no`, case-insensitive; anything else is a 400. */
export const queryBoolean = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), { message: `参数 ${name} 必须是 true 或 false` })
    .transform((v) => ['true', '1', 'yes'].includes(v));
