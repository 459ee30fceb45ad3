// The task list: status and live step progress, create a task with a table list, run, cancel, delete.
import { api } from './api.js';
import { badge, bar, button, field, fill, fmtTime, h, onSubmit, section, table, toast } from './dom.js';
import { poller } from './poll.js';
import { stepStrip, taskActions } from './task-actions.js';

const FAST_MS = 1500;
const IDLE_MS = 8000;

function createForm(onCreated) {
  const name = h('input', { name: 'task_name', placeholder: '例如 高速公路数据处理', maxlength: '255' });
  const context = h('input', { name: 'business_context', placeholder: '数据库管理系统' });
  const dbName = h('input', { name: 'db_name', placeholder: '默认取连接串中的数据库名' });
  const conn = h('input', { name: 'db_connection', placeholder: 'postgresql://user:password@host:5432/db（默认 BUSINESS_DATABASE_URL）' });
  const tables = h('textarea', { name: 'tables', rows: '5', placeholder: '每行一个表名（或逗号分隔），支持 schema.table，# 开头为注释' });
  const runNow = h('input', { type: 'checkbox', name: 'run_now', checked: true });
  const submit = h('button', { type: 'submit' }, '创建任务');

  const form = h('form', { class: 'grid-form', id: 'create-task' },
    field('任务名称', name), field('业务背景', context), field('数据库名', dbName), field('业务数据库连接', conn),
    field('表清单', tables, '作为 table_list.txt 上传'),
    h('div', { class: 'actions' }, submit, h('label', { class: 'check' }, runNow, ' 上传表清单后立即执行（complete 模式）')));

  onSubmit(form, submit, async () => {
    const body = {};
    for (const [key, input] of [['task_name', name], ['business_context', context], ['db_name', dbName], ['db_connection', conn]]) {
      if (input.value.trim()) body[key] = input.value.trim();
    }
    const created = await api('/data_pipeline/tasks', { method: 'POST', body });
    const id = encodeURIComponent(created.task_id);
    let message = created.response;
    if (tables.value.trim()) {
      const upload = new FormData();
      upload.append('file', new Blob([tables.value], { type: 'text/plain' }), 'table_list.txt');
      const list = await api(`/data_pipeline/tasks/${id}/upload-table-list`, { method: 'POST', form: upload });
      // The create reply asks for an upload, which has just happened: only its first part still holds.
      message = `任务创建成功；${list.response}（${list.table_count} 个表）`;
      if (runNow.checked) message = `${message}；${(await api(`/data_pipeline/tasks/${id}/execute`, { method: 'POST', body: { execution_mode: 'complete' } })).response}`;
    }
    toast(`${created.task_id}: ${message}`, 'ok');
    form.reset();
    runNow.checked = true;
  }, onCreated);
  return form;
}

function progressCell(task, detail) {
  if (task.status !== 'in_progress') return h('td', {}, stepStrip(task.step_status));
  const current = detail?.current_step;
  const progress = detail?.progress;
  const done = Object.values(task.step_status ?? {}).filter((s) => s === 'completed' || s === 'skipped').length;
  const stepShare = progress ? (progress.percent ?? 0) / 100 : 0;
  const overall = ((done + stepShare) / (detail?.total_steps ?? 4)) * 100;
  return h('td', {}, stepStrip(task.step_status, current, progress), bar(overall, `${Math.round(overall)}%`));
}

function taskRow(task, detail, refresh) {
  return h('tr', { dataset: { taskId: task.task_id, status: task.status } },
    h('td', {}, h('a', { href: `#/tasks/${encodeURIComponent(task.task_id)}` }, task.task_id), h('div', { class: 'muted' }, task.task_name ?? '')),
    h('td', { class: 'status' }, badge(task.status)),
    progressCell(task, detail),
    h('td', {}, task.db_name ?? '—'),
    h('td', {}, fmtTime(task.created_at)),
    h('td', {}, taskActions(task, refresh)));
}

export function mountTasks(container) {
  const statusFilter = h('select', { 'aria-label': '状态' },
    h('option', { value: '' }, '全部状态'),
    ['pending', 'in_progress', 'partial_completed', 'completed', 'failed', 'cancelled'].map((s) => h('option', { value: s }, badge(s).textContent)));
  const summary = h('span', { class: 'muted' });
  const body = h('tbody', {});
  const rows = new Map();
  let list;

  async function refresh() {
    const query = statusFilter.value ? `&status=${encodeURIComponent(statusFilter.value)}` : '';
    const data = await api(`/data_pipeline/tasks?limit=50${query}`);
    const running = data.tasks.filter((t) => t.status === 'in_progress');
    const details = new Map(await Promise.all(running.map(async (t) => [t.task_id, await api(`/data_pipeline/tasks/${encodeURIComponent(t.task_id)}`).catch(() => null)])));
    fill(summary, `共 ${data.total} 个任务`);
    // A row is rebuilt only when its data changed, so an open step menu survives a refresh.
    const next = data.tasks.map((task) => {
      const key = JSON.stringify([task, details.get(task.task_id)?.progress, details.get(task.task_id)?.current_step]);
      const kept = rows.get(task.task_id);
      const tr = kept?.key === key ? kept.tr : taskRow(task, details.get(task.task_id), () => list.now());
      rows.set(task.task_id, { key, tr });
      return tr;
    });
    for (const id of [...rows.keys()]) if (!data.tasks.some((t) => t.task_id === id)) rows.delete(id);
    if (next.length === 0) fill(body, h('tr', {}, h('td', { colspan: '6', class: 'muted' }, '还没有任务：在上方创建一个。')));
    else if (next.some((tr, i) => body.children[i] !== tr) || body.children.length !== next.length) fill(body, next);
    list.interval(data.tasks.some((t) => t.status === 'in_progress' || t.status === 'pending') ? FAST_MS : IDLE_MS);
  }

  statusFilter.addEventListener('change', () => list.now());
  fill(container,
    section('创建任务', createForm(() => list.now())),
    section('任务列表',
      h('div', { class: 'toolbar' }, statusFilter, button('刷新', () => list.now(), { class: 'secondary' }), summary),
      table(['任务', '状态', '步骤进度', '数据库', '创建时间', '操作'], [], { id: 'task-table' })));
  container.querySelector('#task-table tbody').replaceWith(body);
  list = poller(refresh, FAST_MS);
  return () => list.stop();
}
