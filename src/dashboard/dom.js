// DOM helpers. Everything from the API becomes text nodes or attribute values through h(): no
// innerHTML anywhere, so a task name or log line holding markup is shown, never run.

/** h('tr', {class: 'x', dataset: {id}, onclick}, child, [children], 'text') → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString('zh-CN', { hour12: false });
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(Number(s))) return '—';
  const n = Math.round(Number(s));
  if (n < 60) return `${n} 秒`;
  if (n < 3600) return `${Math.floor(n / 60)} 分 ${n % 60} 秒`;
  return `${Math.floor(n / 3600)} 小时 ${Math.floor((n % 3600) / 60)} 分`;
}

const STATUS_TEXT = {
  pending: '等待中', in_progress: '执行中', partial_completed: '部分完成', completed: '已完成', failed: '失败',
  cancelled: '已取消', running: '运行中', skipped: '已跳过', queued: '排队中', succeeded: '成功', cancelling: '取消中',
};

export const STEP_TEXT = { ddl_generation: 'DDL 生成', qa_generation: '问答生成', sql_validation: 'SQL 验证', training_load: '训练数据加载' };
export const STEP_NAMES = Object.keys(STEP_TEXT);

/** A coloured status label; data-status carries the API value for scripts and tests. */
export function badge(status) {
  return h('span', { class: `badge s-${status ?? 'none'}`, dataset: { status: status ?? '' }, title: status ?? '' }, STATUS_TEXT[status] ?? status ?? '—');
}

/** A progress bar: percent 0–100 and a caption. */
export function bar(percent, caption) {
  const p = Math.max(0, Math.min(100, Number(percent) || 0));
  const fillEl = h('div', { class: 'bar-fill' });
  fillEl.style.width = `${p}%`;
  return h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(Math.round(p)), 'aria-valuemin': '0', 'aria-valuemax': '100' },
    fillEl, h('span', { class: 'bar-text' }, caption ?? `${p.toFixed(0)}%`));
}

/** A short-lived message at the top right. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind}` }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

export function button(text, onclick, attrs = {}) {
  return h('button', { type: 'button', ...attrs, onclick }, text);
}

/** A labelled form field. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);
}

export function table(headers, rows, attrs = {}) {
  return h('table', attrs, h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))), h('tbody', {}, rows));
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** Awaits an API call and shows its reply (or its error) as a notice; resolves to the data or null. */
export async function report(call, prefix = '') {
  try {
    const data = await call;
    toast(`${prefix}${data.response ?? '操作成功'}`, 'ok');
    return data;
  } catch (err) {
    toast(err.message, 'error');
    return null;
  }
}

/** A form's submit: the button is disabled while `action` runs; `after` runs whatever happened. */
export function onSubmit(form, submitButton, action, after) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submitButton.disabled = true;
    try {
      await action();
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      submitButton.disabled = false;
      await after?.();
    }
  });
}
