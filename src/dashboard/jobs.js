// Backup, restore and verify jobs: progress bars with percent and ETA, cancel. Running jobs are
// followed live through their Server-Sent Events stream; the list itself is polled.
import { api, qs, readEvents } from './api.js';
import { badge, bar, button, fill, fmtBytes, fmtSeconds, fmtTime, h, report, section, table } from './dom.js';
import { ACTIVE_JOB, jobError } from './job-follow.js';
import { poller } from './poll.js';

const ACTIVE = ACTIVE_JOB;
const KIND_TEXT = { backup: '备份', restore: '恢复', verify: '校验' };
const PHASE_TEXT = { snapshot: '快照', copy: '复制', checksum: '校验和', index: '重建索引', commit: '提交', done: '完成' };

function progressCell(job) {
  const p = job.progress ?? {};
  if (!job.progress) return h('div', { class: 'muted' }, ACTIVE.includes(job.status) ? '等待开始…' : '—');
  const rows = p.rows_total !== null && p.rows_total !== undefined ? ` · ${p.rows_done ?? 0}/${p.rows_total} 行` : p.rows_done ? ` · ${p.rows_done} 行` : '';
  const caption = `${Math.round(p.percent ?? 0)}%${rows}`;
  return h('div', {},
    bar(p.percent ?? 0, caption),
    h('div', { class: 'muted small' },
      `${PHASE_TEXT[p.phase] ?? p.phase ?? ''}`,
      p.bytes_total ? ` · ${fmtBytes(p.bytes_done)}/${fmtBytes(p.bytes_total)}` : '',
      p.rows_per_sec ? ` · ${p.rows_per_sec} 行/秒` : '',
      ACTIVE.includes(job.status) && p.eta_seconds !== undefined && p.eta_seconds !== null ? ` · 预计剩余 ${fmtSeconds(p.eta_seconds)}` : ''));
}

function describe(job) {
  const r = job.request ?? {};
  const parts = [r.label ? `标签 ${r.label}` : '', r.timestamp ? `备份集 ${r.timestamp}` : '', r.truncate_before_restore ? '先清空' : ''];
  return parts.filter(Boolean).join(' · ');
}

function jobRow(job, changed) {
  const cancel = async () => {
    await report(api(`/data_pipeline/vector/jobs/${encodeURIComponent(job.job_id)}/cancel`, { method: 'POST' }));
    await changed();
  };
  // A cancelled job's error only repeats its status; a restore that did not succeed rolled back
  // (all or nothing), which its progress bar (rows copied before the rollback) would not tell.
  const error = job.status === 'cancelled' ? '' : jobError(job);
  const rolledBack = job.kind === 'restore' && (job.status === 'failed' || job.status === 'cancelled');
  return h('tr', { dataset: { jobId: job.job_id, status: job.status } },
    h('td', {}, job.job_id, h('div', { class: 'muted' }, describe(job))),
    h('td', {}, KIND_TEXT[job.kind] ?? job.kind),
    h('td', { class: 'status' }, badge(job.status)),
    h('td', { class: 'progress' }, progressCell(job), error ? h('div', { class: 'error-text' }, error) : null,
      rolledBack ? h('div', { class: 'muted small rolled-back' }, '已回滚，目标表未改变') : null),
    h('td', {}, fmtTime(job.created_at), h('div', { class: 'muted' }, job.finished_at ? `结束 ${fmtTime(job.finished_at)}` : '')),
    h('td', {}, ACTIVE.includes(job.status) && job.status !== 'cancelling' ? button('取消', cancel, { class: 'danger cancel' }) : ''));
}

export function mountJobs(container) {
  const kind = h('select', { 'aria-label': '类型' }, h('option', { value: '' }, '全部类型'), Object.entries(KIND_TEXT).map(([k, t]) => h('option', { value: k }, t)));
  const status = h('select', { 'aria-label': '状态' }, h('option', { value: '' }, '全部状态'),
    ['queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled'].map((s) => h('option', { value: s }, badge(s).textContent)));
  const body = h('tbody', {});
  const jobs = new Map();
  const streams = new Map();
  let live;

  const render = () => {
    const rows = [...jobs.values()].map((job) => jobRow(job, () => live.now()));
    fill(body, rows.length === 0 ? h('tr', {}, h('td', { colspan: '6', class: 'muted' }, '没有作业')) : rows);
  };

  /** Follows one running job through its events; the poll takes over if the stream fails. */
  function follow(job) {
    if (streams.has(job.job_id)) return;
    const abort = new AbortController();
    streams.set(job.job_id, abort);
    const path = `/data_pipeline/vector/jobs/${encodeURIComponent(job.job_id)}/events`;
    readEvents(path, (name, data) => {
      const known = jobs.get(data.job_id);
      if (!known) return;
      jobs.set(data.job_id, name === 'end' ? data : { ...known, status: data.status, progress: data.progress });
      render();
    }, abort.signal)
      .catch(() => undefined)
      .finally(() => streams.delete(job.job_id));
  }

  async function refresh() {
    const data = await api(`/data_pipeline/vector/jobs${qs({ kind: kind.value, status: status.value, limit: 50 })}`);
    jobs.clear();
    for (const job of data.jobs ?? []) jobs.set(job.job_id, job);
    render();
    const active = (data.jobs ?? []).filter((job) => ACTIVE.includes(job.status));
    for (const job of active) follow(job);
    // Streams carry the progress; the poll only picks up new jobs (faster while none streams).
    live.interval(active.length > 0 && streams.size > 0 ? 4000 : 2000);
  }

  for (const el of [kind, status]) el.addEventListener('change', () => live.now());
  fill(container, section('作业',
    h('div', { class: 'toolbar' }, kind, status, button('刷新', () => live.now(), { class: 'secondary' })),
    table(['作业', '类型', '状态', '进度', '时间', '操作'], [], { id: 'job-table' })));
  container.querySelector('#job-table tbody').replaceWith(body);
  live = poller(refresh, 2000);
  return () => {
    live.stop();
    for (const abort of streams.values()) abort.abort();
  };
}
