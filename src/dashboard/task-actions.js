// Execute, cancel and delete a task: shared by the task list and a task's page.
import { api } from './api.js';
import { button, h, report, STEP_NAMES, STEP_TEXT } from './dom.js';

const ACTIVE = ['in_progress'];

async function act(call, done) {
  await report(call);
  await done();
}

/** The action buttons of one task; `changed` refreshes the view after each action. */
export function taskActions(task, changed, { afterDelete } = {}) {
  const id = encodeURIComponent(task.task_id);
  const running = ACTIVE.includes(task.status);
  const stepSelect = h('select', { 'aria-label': '步骤', class: 'step-select' }, STEP_NAMES.map((s) => h('option', { value: s }, STEP_TEXT[s])));
  const execute = (body) => act(api(`/data_pipeline/tasks/${id}/execute`, { method: 'POST', body }), changed);
  return h(
    'div',
    { class: 'actions' },
    button('执行全部', () => execute({ execution_mode: 'complete' }), { class: 'run-complete', disabled: running }),
    h('span', { class: 'inline' }, stepSelect,
      button('执行步骤', () => execute({ execution_mode: 'step', step_name: stepSelect.value }), { class: 'secondary run-step', disabled: running })),
    button('取消', () => act(api(`/data_pipeline/tasks/${id}/cancel`, { method: 'POST' }), changed), { class: 'secondary cancel', disabled: !running }),
    button('删除', async () => {
      if (!confirm(`删除任务 ${task.task_id}（目录与数据库记录）？`)) return;
      await act(api(`/data_pipeline/tasks/${id}`, { method: 'DELETE' }), afterDelete ?? changed);
    }, { class: 'danger delete' }),
  );
}

/** The four steps as small status labels, the running one with its progress. */
export function stepStrip(stepStatus, current, progress) {
  return h('div', { class: 'steps' }, STEP_NAMES.map((name) => {
    const status = stepStatus?.[name] ?? 'pending';
    const live = current?.step_name === name && progress ? ` ${progress.done}/${progress.total} ${progress.unit ?? ''} (${Math.round(progress.percent ?? 0)}%)` : '';
    return h('span', { class: `step s-${status}`, dataset: { step: name, status }, title: `${name}: ${status}` }, `${STEP_TEXT[name]}${live}`);
  }));
}
