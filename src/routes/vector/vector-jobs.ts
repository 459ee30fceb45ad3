import type { Response } from 'express';
import type { Services } from '../../create-services.js';
import { sendSuccess } from '../../http/envelope.js';
import { EventStream } from '../../http/event-stream.js';
import type { RouteRegistry } from '../../http/route-registry.js';
import type { VectorJobView } from '../../jobs/vector-job-service.js';
import { VectorJobIdParams, VectorJobListQuery } from './vector-jobs.schemas.js';

/** How often the events stream looks at the job (SPEC §7: progress at least every 250 ms). */
const EVENTS_POLL_MS = 250;
/** An idle stream sends a comment this often, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;
const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

export const statusUrlOf = (jobId: string) => `/api/v0/data_pipeline/vector/jobs/${encodeURIComponent(jobId)}`;

/** The 202 of `"async": true` on backup, restore (and verify): the job is queued, poll status_url. */
export function sendJobAccepted(res: Response, job: VectorJobView): void {
  sendSuccess(res, 202, '作业已提交，正在后台执行，请通过 status_url 查询进度', {
    job_id: job.job_id,
    status_url: statusUrlOf(job.job_id),
    events_url: `${statusUrlOf(job.job_id)}/events`,
    kind: job.kind,
    status: job.status,
  });
}

export function registerVectorJobRoutes(routes: RouteRegistry, services: Services): void {
  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/jobs',
    tag: 'vector',
    summary: '列出向量备份/恢复/校验作业（最新在前）',
    query: VectorJobListQuery,
    success: { status: 200, description: 'jobs[] (job_id, kind, status, request, created_at, started_at, finished_at, result, error, progress), total' },
    errors: [400],
    handler: async ({ query, res }) => {
      const jobs = await services.vectorJobs.list(query);
      sendSuccess(res, 200, `共 ${jobs.length} 个作业`, { jobs, total: jobs.length });
    },
  });

  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/jobs/:job_id',
    tag: 'vector',
    summary: '查询一个向量作业的状态与进度',
    params: VectorJobIdParams,
    success: { status: 200, description: 'job_id, kind, status, request (密码已隐藏), created_at, started_at, finished_at, result, error, progress' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      const job = await services.vectorJobs.get(params.job_id);
      sendSuccess(res, 200, `作业状态: ${job.status}`, { ...job });
    },
  });

  routes.add({
    method: 'get',
    path: '/data_pipeline/vector/jobs/:job_id/events',
    tag: 'vector',
    summary: '以 Server-Sent Events 推送作业进度，直到作业结束',
    description: '`event: progress` 在状态或进度变化时发送 {job_id, kind, status, progress}；作业结束时发送 `event: end`（完整作业）并关闭连接。',
    params: VectorJobIdParams,
    produces: 'text/event-stream',
    success: { status: 200, description: 'text/event-stream: progress 事件, end 事件' },
    errors: [400, 404],
    handler: async ({ params, res }) => {
      // Looked up before the headers: an unknown id is still a JSON 404.
      let job = await services.vectorJobs.get(params.job_id);
      const stream = new EventStream(res);
      let last = '';
      let lastSentAt = Date.now();
      while (!stream.closed) {
        const event = { job_id: job.job_id, kind: job.kind, status: job.status, progress: job.progress };
        const text = JSON.stringify(event);
        if (text !== last) {
          stream.send('progress', event);
          last = text;
          lastSentAt = Date.now();
        } else if (Date.now() - lastSentAt > KEEP_ALIVE_MS) {
          stream.comment('keep-alive');
          lastSentAt = Date.now();
        }
        if (ENDED.has(job.status)) {
          stream.send('end', job);
          break;
        }
        await stream.wait(EVENTS_POLL_MS);
        if (stream.closed) break;
        job = await services.vectorJobs.get(params.job_id);
      }
      stream.end();
    },
  });

  routes.add({
    method: 'post',
    path: '/data_pipeline/vector/jobs/:job_id/cancel',
    tag: 'vector',
    summary: '取消一个向量作业（排队中立即取消；运行中的 COPY 在服务器端取消并回滚）',
    params: VectorJobIdParams,
    success: { status: 200, description: '作业（status: cancelled，或仍在停止时为 cancelling）' },
    errors: [400, 404, 409],
    handler: async ({ params, res }) => {
      const job = await services.vectorJobs.cancel(params.job_id);
      sendSuccess(res, 200, job.status === 'cancelled' ? '作业已取消' : '已请求取消，作业正在停止', { ...job });
    },
  });
}
