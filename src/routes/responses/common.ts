import { z } from 'zod';
import type { ResponseDoc } from '../../http/openapi.js';
import { JOB_STATES } from '../../db/sql/jobs.sql.js';
import { VECTOR_JOB_KIND_NAMES } from '../../jobs/vector-job-kinds.js';
import { STEP_NAMES, STEP_STATUSES, TASK_STATUSES } from '../../tasks/task-states.js';

// What each success reply's `data` holds, for the OpenAPI document: a schema and an example with
// values as a real server returns them. Every `data` also has `response` (the human text) and
// `timestamp`, added by dataOf().
export type { ResponseDoc, ResponseDocs } from '../../http/openapi.js';

export const TIMESTAMP_EXAMPLE = '2025-07-21T21:36:27.512+08:00';

/** A `data` object: the route's fields plus the envelope's `response` and `timestamp`. */
export function dataOf(shape: z.ZodRawShape): z.ZodObject {
  return z.object({
    ...shape,
    response: z.string().describe('Human-readable result (Chinese, as the original)'),
    timestamp: z.string().describe('ISO-8601 time of the reply'),
  });
}

export const isoTime = z.string().describe('ISO-8601 with offset');
export const nullableTime = isoTime.nullable();
export const taskStatus = z.enum(TASK_STATUSES);
export const stepName = z.enum(STEP_NAMES);
export const stepStatus = z.enum(STEP_STATUSES);
export const jobStatus = z.enum(Object.values(JOB_STATES) as [string, ...string[]]);
export const vectorJobKind = z.enum(VECTOR_JOB_KIND_NAMES as [string, ...string[]]);
export const stepStatusMap = z.object(Object.fromEntries(STEP_NAMES.map((s) => [s, stepStatus])) as Record<string, typeof stepStatus>);
/** A page of a listing (`paginate()` of src/tasks/page-selector.ts): tasks, a task's log. */
export const pagination = z.object({
  page: z.number().int(),
  page_size: z.number().int(),
  total: z.number().int(),
  total_pages: z.number().int(),
  has_next: z.boolean(),
  has_prev: z.boolean(),
});
/** Free-form object (results and parameters that depend on the step or the request). */
export const anyObject = z.record(z.string(), z.unknown());

/** `POST …/vector/backup|restore|verify` with `async: true`. */
export const JOB_ACCEPTED: ResponseDoc = {
  description: 'The job was queued (`async: true`): follow status_url (or events_url, SSE) until it ends',
  data: dataOf({
    job_id: z.string(),
    status_url: z.string(),
    events_url: z.string(),
    kind: vectorJobKind,
    status: jobStatus,
  }),
  example: {
    job_id: 'backup_20250722_010318_e0b20d',
    status_url: '/api/v0/data_pipeline/vector/jobs/backup_20250722_010318_e0b20d',
    events_url: '/api/v0/data_pipeline/vector/jobs/backup_20250722_010318_e0b20d/events',
    kind: 'backup',
    status: 'queued',
    response: '作业已提交，正在后台执行，请通过 status_url 查询进度',
    timestamp: TIMESTAMP_EXAMPLE,
  },
};
