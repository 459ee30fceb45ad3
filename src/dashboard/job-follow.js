// A job started from a form (backup now, restore as a job) is followed until it ends, so the page
// that started it says how it ended and shows its outcome (a new set in the list) without a refresh.
import { api } from './api.js';

export const ACTIVE_JOB = ['queued', 'running', 'cancelling'];
const KIND_TEXT = { backup: '备份', restore: '恢复', verify: '校验' };
const POLL_MS = 1000;

/**
 * The API's 202 text points a curl user at status_url; on the page the jobs view is the place to
 * look, and the form's own result follows the job.
 */
export function queuedText(kind, jobId) {
  return `${KIND_TEXT[kind] ?? ''}作业 ${jobId} 已提交，正在后台执行（进度见“作业”页）`;
}

/** The job's error as one line (the API gives a string or {message}). */
export function jobError(job) {
  if (!job.error) return '';
  return typeof job.error === 'string' ? job.error : job.error.message ?? JSON.stringify(job.error);
}

/** Polls the job until it has ended; resolves to its final state, or null when it can no longer be read. */
export async function followJob(jobId) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let job;
    try {
      job = await api(`/data_pipeline/vector/jobs/${encodeURIComponent(jobId)}`);
    } catch {
      return null;
    }
    if (!ACTIVE_JOB.includes(job.status)) return job;
  }
}
