import { z } from 'zod';
import { anyObject, dataOf, isoTime, jobStatus, nullableTime, TIMESTAMP_EXAMPLE, vectorJobKind } from './common.js';
import type { ResponseDocs } from '../../http/openapi.js';

const V = '/data_pipeline/vector';
const JOB_ID = 'backup_20250722_010318_e0b20d';

const counts = {
  rows_done: z.number().int(),
  rows_total: z.number().int().nullable(),
  bytes_done: z.number().int(),
  bytes_total: z.number().int().nullable(),
  percent: z.number().int().min(0).max(100),
  rows_per_sec: z.number().nullable(),
  eta_seconds: z.number().nullable(),
};
const job = z.object({
  job_id: z.string(),
  kind: vectorJobKind,
  status: jobStatus,
  request: anyObject.describe('The request as sent, passwords hidden'),
  created_at: isoTime,
  started_at: nullableTime,
  finished_at: nullableTime,
  result: anyObject.nullable().describe('What the sync route would have answered'),
  error: z.string().nullable(),
  progress: z
    .object({
      phase: z.enum(['snapshot', 'copy', 'checksum', 'index', 'commit', 'done']),
      ...counts,
      tables: z.record(z.string(), z.object(counts)),
    })
    .nullable(),
});
const jobExample = {
  job_id: JOB_ID,
  kind: 'backup',
  status: 'running',
  request: { label: 'nightly' },
  created_at: '2025-07-22T01:03:17.903+08:00',
  started_at: '2025-07-22T01:03:17.942+08:00',
  finished_at: null,
  result: null,
  error: null,
  progress: {
    phase: 'copy',
    rows_done: 1200,
    rows_total: 3002,
    bytes_done: 480000,
    bytes_total: null,
    percent: 39,
    rows_per_sec: 2400,
    eta_seconds: 1,
    tables: {
      langchain_pg_collection: { rows_done: 2, rows_total: 2, bytes_done: 204, bytes_total: 204, percent: 100, rows_per_sec: 4, eta_seconds: 0 },
      langchain_pg_embedding: { rows_done: 1198, rows_total: 3000, bytes_done: 479796, bytes_total: null, percent: 39, rows_per_sec: 2396, eta_seconds: 1 },
    },
  },
};
const schedule = z.object({
  schedule_id: z.string(),
  cron: z.string(),
  timezone: z.string(),
  request: anyObject.describe('The backup request each firing sends'),
  created_at: isoTime,
  next_run_at: isoTime,
  last_job: z.object({ job_id: z.string(), status: jobStatus }).nullable(),
});
const scheduleExample = {
  schedule_id: 'schedule_20250722_010318_a38f77',
  cron: '0 3 * * *',
  timezone: 'UTC',
  request: { label: 'nightly', keep_last: 7 },
  created_at: TIMESTAMP_EXAMPLE,
  next_run_at: '2025-07-23T03:00:00.000+00:00',
  last_job: null,
};

export const VECTOR_JOB_RESPONSES: ResponseDocs = {
  [`get ${V}/jobs`]: {
    200: {
      description: 'Recent vector jobs, newest first',
      data: dataOf({ jobs: z.array(job), total: z.number().int() }),
      example: { jobs: [jobExample], total: 1, response: '共 1 个作业', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`get ${V}/jobs/:job_id`]: {
    200: {
      description: 'The job: status, progress (rows, bytes, percent, ETA, per table), and its result once it succeeded',
      data: dataOf(job.shape),
      example: { ...jobExample, response: '作业状态: running', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${V}/jobs/:job_id/cancel`]: {
    200: {
      description: 'The job, cancelled, or cancelling while its current COPY stops',
      data: dataOf(job.shape),
      example: { ...jobExample, status: 'cancelling', response: '已请求取消，作业正在停止', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`post ${V}/schedules`]: {
    201: {
      description: 'The schedule and its next firing',
      data: dataOf(schedule.shape),
      example: { ...scheduleExample, response: `备份计划已创建，下次执行: ${scheduleExample.next_run_at}`, timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`get ${V}/schedules`]: {
    200: {
      description: 'Every backup schedule',
      data: dataOf({ schedules: z.array(schedule), total: z.number().int() }),
      example: { schedules: [scheduleExample], total: 1, response: '共 1 个备份计划', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
  [`delete ${V}/schedules/:schedule_id`]: {
    200: {
      description: 'The schedule was deleted',
      data: dataOf({ schedule_id: z.string() }),
      example: { schedule_id: scheduleExample.schedule_id, response: '备份计划已删除', timestamp: TIMESTAMP_EXAMPLE },
    },
  },
};
