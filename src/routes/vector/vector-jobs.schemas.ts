import { z } from 'zod';
import { JOB_STATES, type JobState } from '../../db/sql/jobs.sql.js';
import { VECTOR_JOB_KIND_NAMES, type VectorJobKind } from '../../jobs/vector-job-kinds.js';

const JOB_STATE_NAMES = Object.values(JOB_STATES) as [JobState, ...JobState[]];
const KIND_NAMES = VECTOR_JOB_KIND_NAMES as [VectorJobKind, ...VectorJobKind[]];

export const VectorJobIdParams = z.object({
  job_id: z.string({ error: '参数 job_id 必须是字符串' }).max(200, '参数 job_id 过长').regex(/^[A-Za-z0-9_.:-]+$/, '参数 job_id 格式无效')
    .describe('作业ID，如 backup_20250722_010318_a1b2c3'),
});

const intFromQuery = (name: string, min: number, max: number) =>
  z.coerce.number({ error: `参数 ${name} 必须是整数` }).int(`参数 ${name} 必须是整数`).min(min, `参数 ${name} 不能小于 ${min}`).max(max, `参数 ${name} 不能大于 ${max}`);

export const VectorJobListQuery = z.object({
  kind: z.enum(KIND_NAMES, { error: `参数 kind 无效，支持: ${KIND_NAMES.join(', ')}` }).optional().describe('backup | restore | verify'),
  status: z.enum(JOB_STATE_NAMES, { error: `参数 status 无效，支持: ${JOB_STATE_NAMES.join(', ')}` }).optional()
    .describe(JOB_STATE_NAMES.join(' | ')),
  limit: intFromQuery('limit', 1, 200).default(50).describe('最多返回的作业数，1-200，默认 50'),
});
