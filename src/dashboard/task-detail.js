// One task: its steps with live progress, its log (filter by level and step, follow live) and its files.
import { api, download } from './api.js';
import { badge, bar, button, fill, fmtTime, h, section, STEP_NAMES, STEP_TEXT, table, toast } from './dom.js';
import { poller } from './poll.js';
import { taskActions } from './task-actions.js';

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

function stepsTable(task) {
  const rows = (task.steps ?? []).map((s) => {
    const live = task.current_step?.step_name === s.step_name && task.progress;
    return h('tr', { dataset: { step: s.step_name, status: s.step_status } },
      h('td', {}, STEP_TEXT[s.step_name] ?? s.step_name),
      h('td', {}, badge(s.step_status)),
      h('td', {}, live ? bar(task.progress.percent, `${task.progress.done}/${task.progress.total} ${task.progress.unit ?? ''}`) : '—'),
      h('td', {}, fmtTime(s.started_at)),
      h('td', {}, fmtTime(s.completed_at)),
      h('td', { class: 'error-text' }, s.error_message ?? ''));
  });
  return table(['步骤', '状态', '进度', '开始', '完成', '错误'], rows, { id: 'step-table' });
}

function summary(task, refresh) {
  return h('div', {},
    h('dl', { class: 'facts' },
      h('dt', {}, '状态'), h('dd', { id: 'task-status', dataset: { status: task.status } }, badge(task.status)),
      h('dt', {}, '任务名称'), h('dd', {}, task.task_name ?? '—'),
      h('dt', {}, '数据库'), h('dd', {}, task.db_name ?? '—'),
      h('dt', {}, '创建'), h('dd', {}, fmtTime(task.created_at)),
      h('dt', {}, '开始'), h('dd', {}, fmtTime(task.started_at)),
      h('dt', {}, '完成'), h('dd', {}, fmtTime(task.completed_at)),
      task.error_message ? [h('dt', {}, '错误'), h('dd', { class: 'error-text' }, task.error_message)] : null),
    taskActions(task, refresh, { afterDelete: () => (location.hash = '#/tasks') }));
}

function logPanel(taskId) {
  const level = h('select', { 'aria-label': '日志级别', id: 'log-level' }, h('option', { value: '' }, '全部级别'), LEVELS.map((l) => h('option', { value: l }, l)));
  const step = h('select', { 'aria-label': '步骤', id: 'log-step' }, h('option', { value: '' }, '全部步骤'), STEP_NAMES.map((s) => h('option', { value: s }, STEP_TEXT[s])));
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const count = h('span', { class: 'muted' });
  const lines = h('div', { class: 'log', id: 'log-lines' });
  let last = '';

  async function load() {
    const body = { page: 1, page_size: 500, sort_by: 'timestamp', sort_order: 'desc', level: level.value || undefined, step_name: step.value || undefined };
    const data = await api(`/data_pipeline/tasks/${encodeURIComponent(taskId)}/logs/query`, { method: 'POST', body });
    const logs = (data.logs ?? []).slice().reverse();
    const key = JSON.stringify(logs);
    if (key === last) return;
    last = key;
    fill(count, `${data.total ?? logs.length} 条`);
    fill(lines, logs.length === 0 ? h('div', { class: 'muted' }, '没有匹配的日志') : logs.map((l) =>
      h('div', { class: `log-line l-${String(l.level).toLowerCase()}`, dataset: { level: l.level, step: l.step ?? '' } },
        h('span', { class: 'ts' }, l.timestamp), ' ', h('span', { class: 'lvl' }, l.level), ' ',
        // The pipeline's own lines already start with "[step]": the tag is for the others.
        l.step && !String(l.message).startsWith(`[${l.step}]`) ? [h('span', { class: 'tag' }, l.step), ' '] : null, l.message)));
    if (follow.checked) lines.scrollTop = lines.scrollHeight;
  }

  const live = poller(async () => (follow.checked ? load() : undefined), 2000);
  for (const el of [level, step]) el.addEventListener('change', () => { last = ''; load().catch((err) => toast(err.message, 'error')); });
  follow.addEventListener('change', () => live.now());
  const panel = section('日志',
    h('div', { class: 'toolbar' }, level, step, h('label', { class: 'check' }, follow, ' 实时跟踪'), button('刷新', () => { last = ''; load(); }, { class: 'secondary' }), count),
    lines);
  return { panel, stop: () => live.stop(), now: () => live.now() };
}

function filesPanel(taskId) {
  const body = h('div', {});
  async function load() {
    const data = await api(`/data_pipeline/tasks/${encodeURIComponent(taskId)}/files`);
    const rows = (data.files ?? []).map((f) => h('tr', { dataset: { file: f.file_name } },
      h('td', {}, f.file_name, f.is_primary ? h('span', { class: 'tag' }, '主要') : null),
      h('td', {}, f.description ?? f.file_type ?? ''),
      h('td', {}, f.file_size_human ?? f.file_size_formatted ?? ''),
      h('td', {}, fmtTime(f.modified_at)),
      h('td', {}, button('下载', () => download(f.download_url.replace(/^\/api\/v0/, ''), f.file_name).catch((err) => toast(err.message, 'error')), { class: 'secondary' }))));
    fill(body, rows.length === 0 ? h('p', { class: 'muted' }, '任务目录中还没有文件') : table(['文件', '说明', '大小', '修改时间', ''], rows, { id: 'file-table' }));
  }
  return { panel: section('文件', h('div', { class: 'toolbar' }, button('刷新', () => load(), { class: 'secondary' })), body), load };
}

export function mountTaskDetail(container, taskId) {
  const head = h('div', {});
  const steps = h('div', {});
  const logs = logPanel(taskId);
  const files = filesPanel(taskId);
  let lastStatus = null;
  let live;

  async function refresh() {
    let task;
    try {
      task = await api(`/data_pipeline/tasks/${encodeURIComponent(taskId)}`);
    } catch (err) {
      fill(head, h('p', { class: 'error-text' }, err.message));
      return;
    }
    fill(head, summary(task, () => live.now()));
    fill(steps, stepsTable(task));
    // A status change (the run ended) brings new files and the run's last log lines: both at once,
    // not at the log's next poll, so a finished task never shows a log that stops mid-run.
    if (task.status !== lastStatus) {
      files.load().catch((err) => toast(err.message, 'error'));
      if (lastStatus !== null) logs.now();
    }
    lastStatus = task.status;
    live.interval(task.status === 'in_progress' ? 1500 : 6000);
  }

  fill(container,
    h('p', {}, h('a', { href: '#/tasks' }, '← 任务列表')),
    section(`任务 ${taskId}`, head, steps),
    logs.panel,
    files.panel);
  live = poller(refresh, 1500);
  return () => {
    live.stop();
    logs.stop();
  };
}
