import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Pool } from '../../src/db/pool.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { findChromium, launchBrowser, listen, screenshot, type Browser } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';
import { lockWaiters, openSession, seedVectorTables, vectorSnapshot, waitFor } from '../helpers/vector-db.js';

const API = '/api/v0/data_pipeline';
const chromiumPath = findChromium();
if (!chromiumPath) console.warn(`[browser] no chromium at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (apt-get install chromium, or set CHROMIUM_PATH): the dashboard browser tests are skipped`);

/**
 * The dashboard in a real headless chromium against the app on a real port and a real PostgreSQL:
 * every step is a click on the page, every wait is for the DOM to show a state, and the outcome is
 * checked through the API and in the database.
 */
describe.skipIf(!chromiumPath)('dashboard in a browser', () => {
  let db: TestDatabase;
  let business: Pool;
  let t: TestApp;
  let server: { baseUrl: string; close(): Promise<void> };
  let browser: Browser & { problems: string[] };
  let backupStamp: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    business = await seededDemoPool(db.url);
    await seedVectorTables(db, { rows: 20 });
    // Restores wait for a held lock long enough for the page to cancel them (the default is 10 s).
    t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '100', JOB_HEARTBEAT_MS: '100', EMBEDDING_DIMENSIONS: '64', LOCK_TIMEOUT_MS: '120000' });
    await t.services.jobRunner.start();
    server = await listen(t.app);
    browser = await launchBrowser(chromiumPath!);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.services.jobRunner.stop(5000);
    await t?.close();
    await business?.end();
    await db?.drop();
  });

  it('lists a task created through the API, runs it from the page and shows it completed, with its log and files', async () => {
    const { page, problems } = browser;
    const created = await request(t.app).post(`${API}/tasks`).send({ task_name: '服务区数据处理', business_context: '高速公路服务区管理系统' }).expect(201);
    const taskId = created.body.data.task_id as string;
    await request(t.app).post(`${API}/tasks/${taskId}/table-list`).send({ tables: ['bss_company', 'bss_service_area'] }).expect(200);

    await page.goto(`${server.baseUrl}/`);
    await page.waitForSelector('#health[data-health="healthy"]');
    const row = `#task-table tr[data-task-id="${taskId}"]`;
    await page.waitForSelector(`${row}[data-status="pending"]`);
    await page.click(`${row} button.run-complete`);
    await page.waitForSelector(`${row}[data-status="completed"]`, { timeout: 90_000 });
    expect(await page.locator(`${row} .step[data-status="completed"]`).count()).toBe(4);
    await screenshot(page, 'tasks');

    const status = await request(t.app).get(`${API}/tasks/${taskId}`).expect(200);
    expect(status.body.data.status).toBe('completed');

    await page.click(`${row} a`);
    await page.waitForSelector('#task-status[data-status="completed"]');
    await page.waitForSelector('#log-lines .log-line[data-step="training_load"]');
    await page.waitForSelector('#file-table tr[data-file="task_result.json"]');
    // The step filter leaves that step's lines only (the whole log has lines of every step and none).
    expect(await page.locator('#log-lines .log-line:not([data-step="qa_generation"])').count()).toBeGreaterThan(0);
    await page.selectOption('#log-step', 'qa_generation');
    await page.waitForSelector('#log-lines .log-line[data-step="qa_generation"]');
    await expect.poll(() => page.locator('#log-lines .log-line:not([data-step="qa_generation"])').count()).toBe(0);
    await page.selectOption('#log-level', 'INFO');
    await screenshot(page, 'task-detail');
    expect(problems).toEqual([]);
  });

  it('creates a task from the page: the typed table list is uploaded as table_list.txt', async () => {
    const { page, problems } = browser;
    await page.goto(`${server.baseUrl}/#/tasks`);
    await page.fill('#create-task input[name="task_name"]', '页面创建的任务');
    await page.fill('#create-task textarea[name="tables"]', '# 服务区\nbss_company\nbss_service_area, bss_section_route\n');
    await page.uncheck('#create-task input[name="run_now"]');
    await page.click('#create-task button[type="submit"]');
    const row = page.locator('#task-table tr[data-task-id]', { hasText: '页面创建的任务' });
    await row.waitFor();
    const taskId = (await row.getAttribute('data-task-id'))!;
    const info = await request(t.app).get(`${API}/tasks/${taskId}/table-list-info`).expect(200);
    expect(info.body.data).toMatchObject({ has_file: true, table_count: 3, tables: ['bss_company', 'bss_service_area', 'bss_section_route'] });
    expect(problems).toEqual([]);
  });

  it('verifies and restores a backup set from the page: the rows are back in the database', async () => {
    const { page, problems } = browser;
    const backup = await request(t.app).post(`${API}/vector/backup`).send({ label: '浏览器测试' }).expect(200);
    backupStamp = backup.body.data.backup_timestamp as string;
    const before = await vectorSnapshot(db);
    expect(before.embeddings).toBeGreaterThanOrEqual(20);
    await db.query('DELETE FROM langchain_pg_embedding');

    await page.goto(`${server.baseUrl}/#/backups`);
    const row = `tr[data-timestamp="${backupStamp}"]`;
    await page.waitForSelector(row);
    expect(await page.locator(row).innerText()).toContain('浏览器测试');
    await page.click(`${row} button.verify`);
    await page.waitForSelector(`${row} + tr.detail >> text=备份集校验通过`);

    await page.click(`${row} button.restore`);
    const form = `${row} + tr.detail form.restore-form`;
    await page.check(`${form} input[name="truncate_before_restore"]`);
    await page.uncheck(`${form} input[name="async"]`);
    await screenshot(page, 'backups');
    await page.click(`${form} button.confirm-restore`);
    await page.waitForSelector(`${form} [data-outcome="restored"]`, { timeout: 60_000 });

    expect(await vectorSnapshot(db)).toEqual(before);
    expect(problems).toEqual([]);
  });

  it('shows a running restore job with its progress bar and cancels it from the page: the job ends cancelled, nothing changed', async () => {
    const { page, problems } = browser;
    expect(backupStamp).toBeDefined();
    const before = await vectorSnapshot(db);
    // The job's TRUNCATE waits behind this lock, so it is still running when the cancel is clicked.
    const holder: pg.Client = await openSession(db);
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE langchain_pg_embedding IN ACCESS EXCLUSIVE MODE');

      await page.goto(`${server.baseUrl}/#/backups`);
      const row = `tr[data-timestamp="${backupStamp}"]`;
      await page.click(`${row} button.restore`);
      const form = `${row} + tr.detail form.restore-form`;
      await page.check(`${form} input[name="truncate_before_restore"]`);
      await page.click(`${form} button.confirm-restore`);
      await page.waitForSelector(`${form} [data-outcome="queued"]`);

      const jobs = await request(t.app).get(`${API}/vector/jobs?kind=restore&limit=1`).expect(200);
      const jobId = jobs.body.data.jobs[0].job_id as string;
      await waitFor('the restore to wait for the held lock', async () => (await lockWaiters(db)).length > 0, 30_000);

      await page.click(`${form} a[href="#/jobs"]`);
      const jobRow = `#job-table tr[data-job-id="${jobId}"]`;
      await page.waitForSelector(`${jobRow}[data-status="running"] [role="progressbar"]`);
      await screenshot(page, 'jobs');
      await page.click(`${jobRow} button.cancel`);
      await page.waitForSelector(`${jobRow}[data-status="cancelled"]`, { timeout: 60_000 });
      // The row says the restore rolled back (its bar still shows what was copied before), and the
      // cancellation is its status, not an error line.
      await page.waitForSelector(`${jobRow} .rolled-back`);
      expect(await page.locator(`${jobRow} .error-text`).count()).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    const jobs = await request(t.app).get(`${API}/vector/jobs?kind=restore&limit=1`).expect(200);
    expect(jobs.body.data.jobs[0].status).toBe('cancelled');
    expect(await vectorSnapshot(db)).toEqual(before);
    expect(problems).toEqual([]);
  });

  it('backs up from the page: the queued job points at the jobs view, and the new set shows in the list once it has ended', async () => {
    const { page, problems } = browser;
    await page.goto(`${server.baseUrl}/#/backups`);
    await page.waitForSelector('#backup-list > *');
    await page.fill('#backup-form input[name="label"]', '页面备份');
    await page.click('#backup-form button[type="submit"]');
    const queued = page.locator('#toasts .toast', { hasText: '备份作业' });
    await queued.waitFor();
    expect(await queued.innerText()).not.toContain('status_url');
    // No click on 刷新: the page follows the job and lists the set when it is there.
    const row = page.locator('.backup-table tr[data-timestamp]', { hasText: '页面备份' });
    await row.waitFor({ timeout: 60_000 });
    await page.locator('#toasts .toast', { hasText: '备份完成' }).waitFor();
    const stamp = await row.getAttribute('data-timestamp');
    const listed = await request(t.app).get(`${API}/vector/restore/list?global_only=true`).expect(200);
    const sets = listed.body.data.backup_locations.flatMap((l: { backups: { timestamp: string; label: string | null }[] }) => l.backups);
    expect(sets).toContainEqual(expect.objectContaining({ timestamp: stamp, label: '页面备份' }));
    expect(problems).toEqual([]);
  });

  it('a restore refused by the server shows its reason once, and the tables are unchanged', async () => {
    const { page, problems } = browser;
    const backup = await request(t.app).post(`${API}/vector/backup`).send({ label: '损坏的备份' }).expect(200);
    const stamp = backup.body.data.backup_timestamp as string;
    const file = path.resolve(t.cwd, backup.body.data.backup_directory as string, `langchain_pg_embedding_${stamp}.csv`);
    fs.appendFileSync(file, 'not,a,row\n');
    const before = await vectorSnapshot(db);

    // The previous test left the page on #/backups: same URL, so goto alone would not reload the list.
    await page.goto(`${server.baseUrl}/#/backups`);
    await page.reload();
    const row = `tr[data-timestamp="${stamp}"]`;
    await page.click(`${row} button.restore`);
    const form = `${row} + tr.detail form.restore-form`;
    await page.uncheck(`${form} input[name="async"]`);
    await page.click(`${form} button.confirm-restore`);
    const error = page.locator(`${form} .result .error-text`);
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toContain(`langchain_pg_embedding_${stamp}.csv`);
    // The API's message is the detail's own prefix: the page says it once.
    const message = '备份文件校验失败';
    expect(text.startsWith(message)).toBe(true);
    expect(text.indexOf(message, 1)).toBe(-1);
    expect(await vectorSnapshot(db)).toEqual(before);
    // The refused restore's 422 is this test's subject, not a problem for the next tests.
    expect(problems.filter((p) => !/\b422\b|Unprocessable/.test(p))).toEqual([]);
    problems.length = 0;
  });

  it('lists a backup schedule with its next run', async () => {
    const { page, problems } = browser;
    await page.goto(`${server.baseUrl}/#/schedules`);
    await page.fill('#schedule-form input[name="cron"]', '0 3 * * *');
    await page.fill('#schedule-form input[name="timezone"]', 'Asia/Shanghai');
    await page.fill('#schedule-form input[name="label"]', '每日备份');
    await page.click('#schedule-form button[type="submit"]');
    await page.waitForSelector('#schedule-table tr[data-schedule-id] .next-run');
    const listed = await request(t.app).get(`${API}/vector/schedules`).expect(200);
    expect(listed.body.data.schedules).toHaveLength(1);
    expect(listed.body.data.schedules[0]).toMatchObject({ cron: '0 3 * * *', timezone: 'Asia/Shanghai', request: { label: '每日备份' } });
    await screenshot(page, 'schedules');
    expect(problems).toEqual([]);
  });

  it('with API_TOKEN set, the page asks for the token on the first 401, keeps it and sends it on every call', async () => {
    const guarded = await createTestApp(db.url, { API_TOKEN: 'page-token' }, { cwd: t.cwd });
    const guardedServer = await listen(guarded.app);
    const fresh = await launchBrowser(chromiumPath!);
    try {
      const { page, problems } = fresh;
      await page.goto(`${guardedServer.baseUrl}/`);
      // Health is public: the banner shows without the token; the task list is a 401 that opens the dialog.
      await page.waitForSelector('#health[data-health="healthy"]');
      await page.waitForSelector('#token-dialog[open]');
      await page.fill('#token-input', 'page-token');
      await page.click('#token-form button[value="save"]');
      await page.waitForSelector('#task-table tr[data-task-id]');
      expect(problems.filter((p) => !/\b401\b|未授权/.test(p))).toEqual([]);
      // Remembered across a reload: no dialog, no 401.
      problems.length = 0;
      await page.reload();
      await page.waitForSelector('#task-table tr[data-task-id]');
      expect(await page.locator('#token-dialog[open]').count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await fresh.close();
      await guardedServer.close();
      await guarded.close();
    }
  });
});
