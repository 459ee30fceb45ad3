// Backup schedules: list with the next run and the last job, create, delete.
import { api } from './api.js';
import { badge, button, field, fill, fmtTime, h, onSubmit, report, section, table } from './dom.js';

function scheduleRow(s, refresh) {
  const r = s.request ?? {};
  const remove = async () => {
    if (!confirm(`删除备份计划 ${s.schedule_id}？`)) return;
    await report(api(`/data_pipeline/vector/schedules/${encodeURIComponent(s.schedule_id)}`, { method: 'DELETE' }));
    await refresh();
  };
  return h('tr', { dataset: { scheduleId: s.schedule_id } },
    h('td', {}, s.schedule_id),
    h('td', {}, h('code', {}, s.cron), h('div', { class: 'muted' }, s.timezone)),
    h('td', {}, [r.label && `标签 ${r.label}`, r.task_id && `任务 ${r.task_id}`, r.compression && r.compression !== 'none' && r.compression, r.keep_last && `保留 ${r.keep_last}`].filter(Boolean).join(' · ') || '—'),
    h('td', { class: 'next-run' }, fmtTime(s.next_run_at)),
    h('td', {}, s.last_job ? [h('a', { href: '#/jobs' }, s.last_job.job_id), ' ', badge(s.last_job.status)] : '—'),
    h('td', {}, button('删除', remove, { class: 'danger delete' })));
}

function createForm(refresh) {
  const cron = h('input', { name: 'cron', required: true, placeholder: '0 3 * * *' });
  const timezone = h('input', { name: 'timezone', placeholder: '默认服务器时区，如 Asia/Shanghai' });
  const label = h('input', { name: 'label', maxlength: '200' });
  const taskId = h('input', { name: 'task_id', placeholder: '省略时备份到全局 vector_bak/' });
  const keepLast = h('input', { name: 'keep_last', type: 'number', min: '1' });
  const compression = h('select', { name: 'compression' }, h('option', { value: 'none' }, '不压缩'), h('option', { value: 'gzip' }, 'gzip'));
  const submit = h('button', { type: 'submit' }, '创建计划');
  const form = h('form', { class: 'grid-form', id: 'schedule-form' },
    field('cron 表达式', cron, '5 段（分 时 日 月 周）或 6 段（秒在前）'), field('时区', timezone), field('标签', label),
    field('任务ID', taskId), field('保留最新 N 个', keepLast), field('压缩', compression), h('div', { class: 'actions' }, submit));
  onSubmit(form, submit, async () => {
    const body = { cron: cron.value.trim(), compression: compression.value };
    if (timezone.value.trim()) body.timezone = timezone.value.trim();
    if (label.value.trim()) body.label = label.value.trim();
    if (taskId.value.trim()) body.task_id = taskId.value.trim();
    if (keepLast.value) body.keep_last = Number(keepLast.value);
    if (await report(api('/data_pipeline/vector/schedules', { method: 'POST', body }))) form.reset();
  }, refresh);
  return form;
}

export function mountSchedules(container) {
  const list = h('div', {});
  async function refresh() {
    try {
      const data = await api('/data_pipeline/vector/schedules');
      const rows = (data.schedules ?? []).map((s) => scheduleRow(s, refresh));
      fill(list, rows.length === 0 ? h('p', { class: 'muted' }, '还没有备份计划') : table(['计划', 'cron / 时区', '备份参数', '下次执行', '上次作业', '操作'], rows, { id: 'schedule-table' }));
    } catch (err) {
      fill(list, h('p', { class: 'error-text' }, err.message));
    }
  }
  fill(container,
    section('备份计划', h('div', { class: 'toolbar' }, button('刷新', refresh, { class: 'secondary' })), list),
    section('新建备份计划', createForm(refresh)));
  refresh();
  return null;
}
