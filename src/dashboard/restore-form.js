// The restore options of one backup set: truncate first, run as a job, which tables, target database.
import { api } from './api.js';
import { field, h, onSubmit, toast } from './dom.js';
import { followJob, jobError, queuedText } from './job-follow.js';

const TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'];

export function restoreForm(target, close) {
  const truncate = h('input', { type: 'checkbox', name: 'truncate_before_restore' });
  const runAsync = h('input', { type: 'checkbox', name: 'async', checked: true });
  const tables = TABLES.map((t) => h('input', { type: 'checkbox', name: 'tables', value: t, checked: true }));
  const conn = h('input', { name: 'db_connection', placeholder: '默认 VECTOR_DATABASE_URL' });
  const submit = h('button', { type: 'submit', class: 'confirm-restore' }, '开始恢复');
  const result = h('div', { class: 'result' });
  let submissions = 0;
  const form = h('form', { class: 'restore-form' },
    h('strong', {}, `恢复 ${target.timestamp}`),
    h('label', { class: 'check' }, truncate, ' 恢复前清空目标表 (truncate_before_restore)'),
    h('label', { class: 'check' }, runAsync, ' 后台作业执行 (async)，在“作业”页查看进度'),
    h('fieldset', {}, h('legend', {}, '表 (tables)'), tables.map((box) => h('label', { class: 'check' }, box, ` ${box.value}`))),
    field('目标数据库', conn),
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', class: 'secondary', onclick: close }, '关闭')),
    result);
  onSubmit(form, submit, async () => {
    const chosen = tables.filter((box) => box.checked).map((box) => box.value);
    if (chosen.length === 0) throw new Error('请至少选择一张表');
    const body = { ...target, tables: chosen, truncate_before_restore: truncate.checked, async: runAsync.checked };
    if (conn.value.trim()) body.db_connection = conn.value.trim();
    result.replaceChildren();
    const mine = ++submissions;
    try {
      const data = await api('/data_pipeline/vector/restore', { method: 'POST', body });
      if (data.job_id) {
        result.append(h('p', { class: 'ok', dataset: { outcome: 'queued' } }, queuedText('restore', data.job_id)), h('a', { href: '#/jobs' }, '查看作业进度 →'));
        toast(queuedText('restore', data.job_id), 'ok');
        // The form says how the job ended too (the rows restored, or why it rolled back), unless it
        // has been submitted again meanwhile: its result is then the newer one's.
        followJob(data.job_id).then((job) => job && mine === submissions && showOutcome(result, job.status === 'succeeded' ? job.result : null, job));
        return;
      }
      showOutcome(result, data);
      toast(data.response ?? '恢复完成', 'ok');
    } catch (err) {
      result.append(h('p', { class: 'error-text' }, err.message));
      throw err;
    }
  });
  return form;
}

/** A restore's result line: the rows per table, or (for a job that did not succeed) why nothing changed. */
function showOutcome(result, data, job) {
  if (!data) {
    const why = job.status === 'cancelled' ? '已取消' : `失败: ${jobError(job)}`;
    result.append(h('p', { class: 'error-text', dataset: { outcome: job.status } }, `恢复作业 ${job.job_id} ${why}（已回滚，目标表未改变）`));
    return;
  }
  const rows = Object.entries(data.restore_results ?? {}).map(([table, r]) => `${table}: ${r.rows_restored ?? 0} 行`).join('，');
  result.append(h('p', { class: 'ok', dataset: { outcome: 'restored' } }, `${data.response ?? '恢复完成'}${rows ? `：${rows}` : ''}`));
}
