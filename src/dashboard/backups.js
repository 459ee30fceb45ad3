// Backup sets: list (label, rows, source database, format, compression), verify, restore with its
// options, delete, download, upload a tar, and make a new backup.
import { api, download, qs } from './api.js';
import { button, field, fill, h, onSubmit, report, section, table, toast } from './dom.js';
import { followJob, jobError, queuedText } from './job-follow.js';
import { restoreForm } from './restore-form.js';

const TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'];

function rowsText(set) {
  if (!set.rows) return '—';
  return TABLES.map((t) => `${t.replace('langchain_pg_', '')} ${set.rows[t] ?? '?'}`).join(' / ');
}

function verifyResult(data) {
  const files = (data.files ?? []).map((f) => h('li', { class: f.ok === false ? 'bad' : 'ok' },
    `${f.file}: ${f.ok === false ? '不一致' : '通过'}`, f.rows_found !== undefined ? `（${f.rows_found}${f.rows_expected !== undefined && f.rows_expected !== null ? `/${f.rows_expected}` : ''} 行）` : ''));
  return h('div', { class: 'result' }, h('strong', {}, data.response ?? ''), h('ul', {}, files));
}

function setRow(location, set, refresh) {
  const target = { backup_path: location.relative_path, timestamp: set.timestamp };
  const detail = h('tr', { class: 'detail', hidden: true }, h('td', { colspan: '8' }));
  const show = (...children) => {
    detail.hidden = false;
    fill(detail.firstChild, ...children);
  };
  const verify = async () => {
    try {
      show(verifyResult(await api('/data_pipeline/vector/verify', { method: 'POST', body: target })));
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  const remove = async () => {
    if (!confirm(`删除备份集 ${set.timestamp}（${location.relative_path}）？`)) return;
    await report(api('/data_pipeline/vector/backups', { method: 'DELETE', body: target }));
    await refresh();
  };
  const row = h('tr', { dataset: { timestamp: set.timestamp, path: location.relative_path } },
    h('td', {}, set.timestamp, h('div', { class: 'muted' }, set.backup_date ?? '')),
    h('td', {}, set.label ?? '—'),
    h('td', {}, rowsText(set)),
    h('td', {}, set.source_database ?? '—'),
    h('td', {}, set.format ?? 'csv'),
    h('td', {}, set.compression ?? 'none'),
    h('td', {}, set.has_manifest ? '有' : h('span', { class: 'tag' }, '旧格式')),
    h('td', {}, h('div', { class: 'actions' },
      button('校验', verify, { class: 'secondary verify' }),
      button('恢复', () => show(restoreForm(target, () => { detail.hidden = true; })), { class: 'restore' }),
      button('下载', () => download(`/data_pipeline/vector/backups/download${qs(target)}`, `vector_backup_${set.timestamp}.tar`).catch((err) => toast(err.message, 'error')), { class: 'secondary download' }),
      button('删除', remove, { class: 'danger delete' }))));
  return [row, detail];
}

function backupForm(refresh) {
  const label = h('input', { name: 'label', maxlength: '200', placeholder: '例如 升级前' });
  const taskId = h('input', { name: 'task_id', placeholder: '省略时备份到全局 vector_bak/' });
  const compression = h('select', { name: 'compression' }, h('option', { value: 'none' }, '不压缩'), h('option', { value: 'gzip' }, 'gzip'));
  const submit = h('button', { type: 'submit' }, '立即备份');
  const form = h('form', { class: 'grid-form', id: 'backup-form' }, field('标签', label), field('任务ID', taskId), field('压缩', compression), h('div', { class: 'actions' }, submit));
  onSubmit(form, submit, async () => {
    const body = { async: true, compression: compression.value };
    if (label.value.trim()) body.label = label.value.trim();
    if (taskId.value.trim()) body.task_id = taskId.value.trim();
    const job = await api('/data_pipeline/vector/backup', { method: 'POST', body });
    toast(queuedText('backup', job.job_id), 'ok');
    form.reset();
    // Not awaited: the form is free for the next backup while this one runs.
    reportBackup(job.job_id, refresh);
  }, refresh);
  return form;
}

/** When the backup job ends: its outcome as a notice, and the list again (the new set is in it). */
async function reportBackup(jobId, refresh) {
  const job = await followJob(jobId);
  if (!job) return;
  if (job.status === 'succeeded') {
    const rows = job.result?.tables_backed_up?.langchain_pg_embedding?.row_count;
    toast(`备份完成: 备份集 ${job.result?.backup_timestamp ?? ''}${rows !== undefined ? `（${rows} 条向量）` : ''}`, 'ok');
  } else if (job.status === 'failed') toast(`备份失败 (${jobId}): ${jobError(job)}`, 'error');
  else toast(`备份作业 ${jobId} 已取消`, 'info');
  await refresh();
}

function uploadForm(refresh) {
  const file = h('input', { type: 'file', name: 'file', accept: '.tar,application/x-tar', required: true });
  const taskId = h('input', { name: 'task_id', placeholder: '省略时上传到全局 vector_bak/' });
  const submit = h('button', { type: 'submit' }, '上传');
  const form = h('form', { class: 'grid-form', id: 'upload-form' }, field('备份归档 (.tar)', file), field('任务ID', taskId), h('div', { class: 'actions' }, submit));
  onSubmit(form, submit, async () => {
    const data = new FormData();
    data.append('file', file.files[0]);
    if (taskId.value.trim()) data.append('task_id', taskId.value.trim());
    if (await report(api('/data_pipeline/vector/backups/upload', { method: 'POST', form: data }))) form.reset();
  }, refresh);
  return form;
}

export function mountBackups(container) {
  const list = h('div', { id: 'backup-list' });
  const summary = h('span', { class: 'muted' });
  async function refresh() {
    try {
      const data = await api('/data_pipeline/vector/restore/list');
      fill(summary, data.response ?? '');
      const locations = data.backup_locations ?? [];
      fill(list, locations.length === 0 ? h('p', { class: 'muted' }, '还没有备份集') : locations.map((loc) =>
        h('div', { class: 'location' },
          h('h3', {}, loc.type === 'global' ? '全局备份' : `任务 ${loc.task_id ?? ''}`, ' ', h('code', {}, loc.relative_path)),
          table(['时间戳', '标签', '行数', '源数据库', '格式', '压缩', '清单', '操作'], loc.backups.flatMap((set) => setRow(loc, set, refresh)), { class: 'backup-table' }))));
    } catch (err) {
      fill(list, h('p', { class: 'error-text' }, err.message));
    }
  }
  fill(container,
    section('备份集', h('div', { class: 'toolbar' }, button('刷新', refresh, { class: 'secondary' }), summary), list),
    section('新建备份', backupForm(refresh)),
    section('上传备份集', uploadForm(refresh)));
  refresh();
  return null;
}
