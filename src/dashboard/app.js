// Entry: hash routing between the views, the health banner and the API token dialog.
import { api, token } from './api.js';
import { fill, h } from './dom.js';
import { poller } from './poll.js';
import { mountBackups } from './backups.js';
import { mountJobs } from './jobs.js';
import { mountSchedules } from './schedules.js';
import { mountTaskDetail } from './task-detail.js';
import { mountTasks } from './tasks.js';

const VIEWS = [
  { pattern: /^#\/tasks\/([A-Za-z0-9_]+)$/, nav: 'tasks', mount: (el, m) => mountTaskDetail(el, m[1]) },
  { pattern: /^#\/backups$/, nav: 'backups', mount: mountBackups },
  { pattern: /^#\/jobs$/, nav: 'jobs', mount: mountJobs },
  { pattern: /^#\/schedules$/, nav: 'schedules', mount: mountSchedules },
  { pattern: /^(#\/tasks)?$/, nav: 'tasks', mount: mountTasks },
];

let unmount = null;

function route() {
  const hash = location.hash === '#/' || location.hash === '#' ? '' : location.hash;
  const view = VIEWS.find((v) => v.pattern.test(hash));
  if (!view) {
    location.hash = '#/tasks';
    return;
  }
  unmount?.();
  const container = document.getElementById('view');
  container.replaceChildren();
  for (const a of document.querySelectorAll('#nav a[data-view]')) a.classList.toggle('active', a.dataset.view === view.nav);
  unmount = view.mount(container, view.pattern.exec(hash)) ?? null;
}

/** One check; a failed one says why (the API's error) right there, the banner is where people look. */
function checkRow(name, check) {
  return h('span', { class: check.ok ? 'ok' : 'bad', title: check.error ?? '' }, `${name}${check.ok ? ' ✓' : ` ✗ (${check.error ?? '失败'})`}`);
}

const CHECK_TEXT = { app_database: '应用数据库', vector_database: '向量数据库', business_database: '业务数据库', pgvector: 'pgvector', data_root: '数据目录', backup_store: '备份存储' };

/** GET /health is public: the banner shows whether the server and its databases answer. */
async function refreshHealth() {
  const banner = document.getElementById('health');
  let data;
  let healthy = false;
  try {
    data = await api('/health');
    healthy = true;
  } catch (err) {
    data = err.body?.data ?? null;
    if (!data) {
      banner.className = 'health bad';
      banner.dataset.health = 'unreachable';
      fill(banner, `服务不可达: ${err.message}`);
      healthPoll.interval(3_000);
      return;
    }
  }
  // Unhealthy: checked again soon, so the banner turns green once the server has recovered or started.
  healthPoll.interval(healthy ? 15_000 : 3_000);
  banner.className = `health ${healthy ? 'ok' : 'bad'}`;
  if (!data.checks) {
    // A 503 without checks: the port is bound but the app is still starting (or another refusal).
    const starting = data.error_type === 'SERVICE_STARTING';
    banner.dataset.health = starting ? 'starting' : 'unhealthy';
    if (starting) {
      banner.className = 'health';
      fill(banner, h('strong', {}, '服务正在启动…'), ' 数据库就绪后本页自动恢复');
    } else fill(banner, h('strong', {}, '服务不可用'), data.response ? ` ${data.response}` : '');
    return;
  }
  banner.dataset.health = healthy ? 'healthy' : 'unhealthy';
  const checks = Object.entries(data.checks ?? {}).map(([name, check]) => checkRow(CHECK_TEXT[name] ?? name, check));
  const embedding = data.providers?.embedding;
  fill(
    banner,
    h('strong', {}, healthy ? '服务正常' : '服务不可用'),
    ` 版本 ${data.version ?? '?'} · `,
    checks.flatMap((c, i) => (i === 0 ? [c] : [' · ', c])),
    embedding ? ` · 向量模型 ${embedding.provider}/${embedding.model}` : '',
    data.providers && !data.providers.llm ? ' · LLM 未配置（使用内置生成器）' : '',
  );
}

function setupTokenDialog() {
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  const open = () => {
    if (dialog.open) return;
    input.value = token.get();
    dialog.showModal();
  };
  document.getElementById('token-button').addEventListener('click', open);
  document.addEventListener('t2s:unauthorized', open);
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'save') token.set(input.value.trim());
    if (dialog.returnValue === 'clear') token.set('');
    if (dialog.returnValue === 'save' || dialog.returnValue === 'clear') route();
  });
}

setupTokenDialog();
window.addEventListener('hashchange', route);
route();
const healthPoll = poller(refreshHealth, 15_000);
