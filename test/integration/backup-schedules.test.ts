import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { lockWaiters, openSession, seedVectorTables, waitFor } from '../helpers/vector-db.js';

const SCHEDULES = '/api/v0/data_pipeline/vector/schedules';
const EVERY_2S = '*/2 * * * * *';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two servers on one database, a gate lock held by a second session: that needs a real PostgreSQL
// (embedded mode is one session, and one server per data directory).
describe.skipIf(embeddedTestMode())('backup schedules: cron firings as backup jobs, once each across servers', () => {
  let db: TestDatabase;
  let cwd: string;
  let apps: TestApp[] = [];
  const backupJobs = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM data_pipeline_jobs WHERE kind = 'vector_backup'`))[0]!.n;
  const firingWaiters = async () => (await lockWaiters(db, 'relation')).filter((w) => w.query.includes('backup_schedule_firings'));
  /** Every firing of the schedule has its job, and no backup job since `baseline` lacks a firing. */
  const expectOneJobPerFiring = async (id: string, baseline: number) => {
    // One statement, one snapshot: a firing commits with its job.
    const [counts] = await db.query<{ firings: number; matched: number; jobs: number }>(`
      SELECT (SELECT count(*)::int FROM backup_schedule_firings WHERE schedule_id = $1) AS firings,
             (SELECT count(*)::int FROM backup_schedule_firings f JOIN data_pipeline_jobs j USING (job_id) WHERE f.schedule_id = $1) AS matched,
             (SELECT count(*)::int FROM data_pipeline_jobs WHERE kind = 'vector_backup') AS jobs`, [id]);
    expect(counts!.matched).toBe(counts!.firings);
    expect(counts!.jobs - baseline).toBe(counts!.firings);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db, { rows: 1 });
    // Two servers on one database and one data root, as a deployment with two replicas.
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-schedules-'));
    const env = { JOB_POLL_INTERVAL_MS: '100' };
    apps = [await createTestApp(db.url, env, { cwd }), await createTestApp(db.url, env, { cwd })];
    for (const t of apps) {
      await t.services.jobRunner.start();
      t.services.scheduleRunner.start();
    }
  });
  afterAll(async () => {
    for (const t of apps) await t.services.scheduleRunner.stop();
    for (const t of apps) await t.services.jobRunner.stop(10_000);
    for (const t of apps) await t.close();
    fs.rmSync(cwd, { recursive: true, force: true });
    await db.drop();
  });

  it('bad cron → 400 naming cron; unknown timezone → 400 naming timezone', async () => {
    const app = apps[0]!.app;
    for (const cron of ['bogus', '61 * * * *', '0 0 30 2 *']) {
      const res = await request(app).post(SCHEDULES).send({ cron }).expect(400);
      expect(res.body.data.invalid_params).toEqual(['cron']);
      expect(res.body.data.response).toContain('cron');
      // In the API's language, saying what is expected (the dashboard shows it as it is).
      expect(res.body.data.response).not.toMatch(/CronPattern|invalid/i);
    }
    const bogus = await request(app).post(SCHEDULES).send({ cron: 'every day' }).expect(400);
    expect(bogus.body.data.response).toBe('参数 cron 无效: "every day" 不是有效的 cron 表达式（5 段: 分 时 日 月 周，或 6 段: 秒 分 时 日 月 周）');
    const res = await request(app).post(SCHEDULES).send({ cron: '0 3 * * *', timezone: 'Mars/Olympus' }).expect(400);
    expect(res.body.data.invalid_params).toEqual(['timezone']);
    expect(res.body.data.response).toContain('timezone');
    const bad = await request(app).post(SCHEDULES).send({ cron: '0 3 * * *', keep_last: 0 }).expect(400);
    expect(bad.body.data.invalid_params).toEqual(['keep_last']);
  });

  it('create: 201 with next_run_at in the future as ISO-8601; timezone defaults to the server’s; delete of an unknown id → 404', async () => {
    const app = apps[0]!.app;
    const res = await request(app).post(SCHEDULES).send({ cron: '0 3 * * *', timezone: 'Asia/Shanghai', label: 'nightly' }).expect(201);
    const created = res.body.data;
    expect(created).toMatchObject({ cron: '0 3 * * *', timezone: 'Asia/Shanghai', request: { label: 'nightly' }, last_job: null });
    expect(created.next_run_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const next = new Date(created.next_run_at);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // 03:00 in Shanghai (UTC+8, no DST) is 19:00 UTC.
    expect(next.getUTCHours()).toBe(19);
    expect(next.getUTCMinutes()).toBe(0);

    const defaulted = await request(app).post(SCHEDULES).send({ cron: '0 3 * * *' }).expect(201);
    expect(defaulted.body.data.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');

    for (const id of [created.schedule_id, defaulted.body.data.schedule_id]) await request(app).delete(`${SCHEDULES}/${id}`).expect(200);
    await request(app).delete(`${SCHEDULES}/${created.schedule_id}`).expect(404);
    await request(app).delete(`${SCHEDULES}/schedule_none`).expect(404);
  });

  it('both servers reaching the same due firing at once: one job (the row lock skips, the firing key decides)', async () => {
    const baseline = await backupJobs();
    // Hold back every firing insert, so a runner that read the due schedule waits there with it.
    const gate = await openSession(db);
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE backup_schedule_firings IN EXCLUSIVE MODE');
    let id = '';
    try {
      const res = await request(apps[0]!.app).post(SCHEDULES).send({ cron: EVERY_2S, timezone: 'UTC', label: 'race' }).expect(201);
      id = res.body.data.schedule_id;
      await waitFor('a runner waiting to record the firing', async () => (await firingWaiters()).length >= 1);
      // Both runners tick twice or more meanwhile; the one that did not lock the row must have skipped it.
      await sleep(2500);
      expect(await firingWaiters()).toHaveLength(1);
    } finally {
      await gate.query('COMMIT');
      await gate.end();
    }
    await waitFor('two firings', async () =>
      (await db.query(`SELECT 1 FROM backup_schedule_firings WHERE schedule_id = $1`, [id])).length >= 2, 30_000);
    await expectOneJobPerFiring(id, baseline);
    await request(apps[1]!.app).delete(`${SCHEDULES}/${id}`).expect(200);
  }, 60_000);

  it('every 2 s with two servers: each firing is exactly one backup job; delete stops the firings', async () => {
    const [a, b] = [apps[0]!.app, apps[1]!.app];
    const baseline = await backupJobs();
    const res = await request(a).post(SCHEDULES).send({ cron: EVERY_2S, timezone: 'UTC', label: 'every-2s' }).expect(201);
    const id = res.body.data.schedule_id as string;

    const firings = await waitFor('three firings', async () => {
      const rows = await db.query<{ fire_at: Date; job_id: string }>(
        `SELECT fire_at, job_id FROM backup_schedule_firings WHERE schedule_id = $1 ORDER BY fire_at`, [id]);
      return rows.length >= 3 ? rows : null;
    }, 30_000);
    // A job per firing and no job without one: no server fired a slot the other fired.
    await expectOneJobPerFiring(id, baseline);
    // Slots on the cron's grid, none fired twice.
    expect(new Set(firings.map((f) => f.fire_at.getTime())).size).toBe(firings.length);
    expect(firings.every((f) => f.fire_at.getTime() % 2000 === 0)).toBe(true);

    // The jobs ran the schedule's request: a labelled set exists; the list shows the last job.
    const listing = await waitFor('a backup set', async () => {
      const sets = await request(b).get('/api/v0/data_pipeline/vector/restore/list').expect(200);
      return sets.body.data.summary.total_backup_sets >= 1 ? sets.body.data : null;
    }, 30_000);
    expect(JSON.stringify(listing)).toContain('every-2s');
    const list = await request(b).get(SCHEDULES).expect(200);
    const shown = list.body.data.schedules.find((s: { schedule_id: string }) => s.schedule_id === id);
    expect(shown.last_job).toMatchObject({ job_id: expect.stringMatching(/^backup_/), status: expect.any(String) });
    expect(new Date(shown.next_run_at).getTime()).toBeGreaterThan(firings.at(-1)!.fire_at.getTime());

    await request(b).delete(`${SCHEDULES}/${id}`).expect(200);
    // The delete waited for any firing holding the schedule's row: what exists now is final.
    const atDelete = await backupJobs();
    const after = await request(a).get(SCHEDULES).expect(200);
    expect(after.body.data.schedules.map((s: { schedule_id: string }) => s.schedule_id)).not.toContain(id);
    // Two cron periods and more than a tick on both servers: no firing may follow the delete.
    await sleep(4500);
    expect(await backupJobs()).toBe(atDelete);
  }, 90_000);

  it('keep_last on a schedule: with two servers firing every 2 s, each firing once, only the newest sets of its location are left', async () => {
    const taskId = 'task_20990101_000001';
    const bakDir = path.join(cwd, 'data_pipeline', 'training_data', taskId, 'vector_bak');
    fs.mkdirSync(path.dirname(bakDir), { recursive: true });
    const baseline = await backupJobs();
    const res = await request(apps[0]!.app).post(SCHEDULES).send({ cron: EVERY_2S, timezone: 'UTC', task_id: taskId, keep_last: 2 }).expect(201);
    const id = res.body.data.schedule_id as string;
    expect(res.body.data.request).toMatchObject({ task_id: taskId, keep_last: 2 });
    const firingJobs = () =>
      db.query<{ state: string }>(`
        SELECT j.state FROM backup_schedule_firings f JOIN data_pipeline_jobs j USING (job_id) WHERE f.schedule_id = $1`, [id]);
    await waitFor('four firings whose backups succeeded', async () =>
      (await firingJobs()).filter((j) => j.state === 'succeeded').length >= 4, 60_000);
    await expectOneJobPerFiring(id, baseline);
    // Deleting the schedule deletes its firings: from here its jobs are found by their request.
    await request(apps[1]!.app).delete(`${SCHEDULES}/${id}`).expect(200);
    const ended = await waitFor('every firing\'s job to end', async () => {
      const jobs = await db.query<{ state: string; stamp: string | null }>(`
        SELECT state, result->>'backup_timestamp' AS stamp FROM data_pipeline_jobs
         WHERE kind = 'vector_backup' AND payload->>'task_id' = $1`, [taskId]);
      return jobs.every((j) => ['succeeded', 'failed', 'cancelled'].includes(j.state)) ? jobs : null;
    }, 60_000);
    // No backup job since the baseline but this schedule's (the firing check above covers them all).
    expect(ended).toHaveLength((await backupJobs()) - baseline);
    expect(ended.map((j) => j.state)).toEqual(ended.map(() => 'succeeded'));

    // Every job made its own set (no two firings wrote one stamp), and retention left the newest two.
    const stamps = ended.map((j) => j.stamp!).sort();
    expect(new Set(stamps).size).toBe(ended.length);
    const left = [...new Set(fs.readdirSync(bakDir).map((n) => /_(\d{8}_\d{6})\./.exec(n)?.[1]).filter(Boolean))].sort();
    expect(left).toEqual(stamps.slice(-2));
    expect(fs.readdirSync(bakDir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
  }, 120_000);
});
