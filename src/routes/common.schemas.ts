import { z } from 'zod';
import { TASK_ID_MESSAGE, TASK_ID_PATTERN } from '../lib/data-root.js';

/** A task id as the routes accept it (the same rule DataRoot enforces). */
export const taskIdSchema = z.string({ error: '参数 task_id 必须是字符串' }).regex(TASK_ID_PATTERN, TASK_ID_MESSAGE);

export const TaskIdParams = z.object({ task_id: taskIdSchema.describe('任务ID，如 task_20250721_213627') });

const QUERY_TRUE = ['true', '1', 'yes'];
const QUERY_FALSE = ['false', '0', 'no'];

/** A query-string boolean: `true/1/yes` or `false/0/no`, case-insensitive; undefined for anything else. */
export function readQueryBoolean(value: string): boolean | undefined {
  const word = value.toLowerCase();
  if (QUERY_TRUE.includes(word)) return true;
  return QUERY_FALSE.includes(word) ? false : undefined;
}

/** Query-string booleans (surrounding spaces ignored); anything else is a 400. */
export const queryBoolean = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => readQueryBoolean(v) !== undefined, { message: `参数 ${name} 必须是 true 或 false` })
    .transform((v) => readQueryBoolean(v)!);
