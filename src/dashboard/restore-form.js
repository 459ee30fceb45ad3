// The restore options of one backup set: truncate first, run as a job, which tables, target database.
import { api } from './api.js';
import { field, h, onSubmit, toast } from './dom.js';

const TABLES = ['langchain_pg_collection', 'langchain_pg_embedding'];

export function restoreForm(target, close) {
  const truncate = h('input', { type: 'checkbox', name: 'truncate_before_restore' });
  const runAsync = h('input', { type: 'checkbox', name: 'async', checked: true });
  const tables = TABLES.map((t) => h('input', { type: 'checkbox', name: 'tables', value: t, checked: true }));
  const conn = h('input', { name: 'db_connection', placeholder: '默认 VECTOR_DATABASE_URL' });
  const submit = h('button', { type: 'submit', class: 'confirm-restore' }, '开始恢复');
  const result = h('div', { class: 'result' });
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
    try {
      const data = await api('/data_pipeline/vector/restore', { method: 'POST', body });
      const rows = Object.entries(data.restore_results ?? {}).map(([table, r]) => `${table}: ${r.rows_restored ?? 0} 行`).join('，');
      result.append(h('p', { class: 'ok', dataset: { outcome: data.job_id ? 'queued' : 'restored' } },
        data.job_id ? `${data.response}（作业 ${data.job_id}）` : `${data.response ?? '恢复完成'}${rows ? `：${rows}` : ''}`));
      if (data.job_id) result.append(h('a', { href: '#/jobs' }, '查看作业进度 →'));
      toast(data.response ?? '操作成功', 'ok');
    } catch (err) {
      result.append(h('p', { class: 'error-text' }, err.message));
      throw err;
    }
  });
  return form;
}
