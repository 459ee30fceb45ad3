import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { HIGHWAY_FIXTURES, seededDemoPool } from '../helpers/pipeline.js';

const TASKS = '/api/v0/data_pipeline/tasks';
const SECRET = 'Sup3rSecretPw';
const WORKER = { WORKER_ID: 'test-worker', JOB_POLL_INTERVAL_MS: '100', JOB_HEARTBEAT_MS: '100', EMBEDDING_DIMENSIONS: '256' };

async function waitForStatus(t: TestApp, taskId: string, done: (status: string) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(t.app).get(`${TASKS}/${taskId}`).expect(200);
    if (done(res.body.data.status) && !['queued', 'running', 'cancelling'].includes(res.body.data.execution?.state)) return res.body.data;
    if (Date.now() > deadline) throw new Error(`task ${taskId} stuck: ${JSON.stringify(res.body.data)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('tasks through HTTP on the demo database', () => {
  let db: TestDatabase;
  let pool: Pool;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    t = await createTestApp(db.url, WORKER);
    fs.copyFileSync(path.join(HIGHWAY_FIXTURES, 'table_list.txt'), path.join(t.cwd, 'tables.txt'));
    await t.services.jobRunner.start();
  });
  afterAll(async () => {
    await t.services.jobRunner.stop(5000);
    await t.close();
    await pool.end();
    await db.drop();
  });

  it('create (seed example, server-side tables.txt) → execute complete → completed, with files, logs and vectors', async () => {
    const dbConnection = db.url.replace('postgresql://postgres@', `postgresql://postgres:${SECRET}@`);
    const created = await request(t.app)
      .post(TASKS)
      .send({
        table_list_file: 'tables.txt',
        business_context: '高速公路服务区管理系统',
        db_name: 'highway_db',
        db_connection: dbConnection,
        task_name: '高速公路数据处理',
        enable_sql_validation: true,
        enable_llm_repair: true,
        modify_original_file: true,
        enable_training_data_load: true,
        backup_vector_tables: false,
        truncate_vector_tables: false,
        mine_query_log: true,
        drop_empty_results: true,
      })
      .expect(201);
    expect(created.body).toMatchObject({ success: true, code: 201, data: { task_name: '高速公路数据处理', status: 'pending', response: '任务创建成功' } });
    const taskId = created.body.data.task_id as string;
    expect(taskId).toMatch(/^task_\d{8}_\d{6}(_\d+)?$/);

    const started = await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'complete' }).expect(202);
    expect(started.body).toMatchObject({ code: 202, data: { task_id: taskId, execution_mode: 'complete', step_name: null, response: '任务执行已启动' } });

    const done = await waitForStatus(t, taskId, (s) => s !== 'pending' && s !== 'in_progress');
    expect(done.status, JSON.stringify(done)).toBe('completed');
    expect(done.step_status).toEqual({ ddl_generation: 'completed', qa_generation: 'completed', sql_validation: 'completed', training_load: 'completed' });
    expect(done.error_message).toBeNull();
    expect(done.result.training_load.total_records).toBeGreaterThan(40);
    expect(done.parameters.db_connection).toContain(':***@');
    expect(done.parameters).toMatchObject({ mine_query_log: true, drop_empty_results: true });
    // The quality summary of the run, as GET /tasks/{id} shows it; query-log mining ran (with or without the extension).
    expect(done.quality).toMatchObject({ report_file: 'qa_quality_report.json', tables_covered: '7/7', explain_valid_pct: 100, non_empty_pct: 100 });
    expect(done.quality.total_pairs).toBeGreaterThanOrEqual(40);
    expect(done.result.qa_generation.query_log.note).toContain('pg_stat_statements');
    expect(done.result.sql_validation.quality).toEqual(done.quality);

    const dir = path.join(t.dataRoot, taskId);
    for (const file of ['task_config.json', 'task_result.json', 'bss_company.ddl', 'metadata.txt', 'data_pipeline.log', 'qa_quality_report.json']) {
      expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
    }
    const log = fs.readFileSync(path.join(dir, 'data_pipeline.log'), 'utf8');
    for (const step of ['ddl_generation', 'qa_generation', 'sql_validation', 'training_load']) {
      expect(log).toContain(`[${step}] 步骤执行完成: ${step}`);
    }
    const vectors = await db.query(`SELECT count(*)::int AS n FROM langchain_pg_embedding WHERE cmetadata->>'task_id' = $1`, [taskId]);
    expect(vectors[0]!.n).toBe(done.result.training_load.total_records);

    // The password is in no reply, file or log line.
    const everything = [JSON.stringify(created.body), JSON.stringify(done)];
    for (const entry of fs.readdirSync(t.dataRoot, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) everything.push(fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
    }
    expect(everything.join('\n')).not.toContain(SECRET);

    // A second complete run moves the first run's files to file_bak_<ts>/.
    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(202);
    await waitForStatus(t, taskId, (s) => s === 'completed' || s === 'failed');
    const bak = fs.readdirSync(dir).filter((f) => f.startsWith('file_bak_'));
    expect(bak).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, bak[0]!, 'bss_company.ddl'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, bak[0]!, 'backup_info.json'), 'utf8')).moved_files).toContain('task_config.json');
  });

  it('truncate_vector_tables (seed §8.2): backup into the task, truncate, then load; backups listed with download URLs', async () => {
    const taskId = (await request(t.app).post(TASKS).send({ table_list_file: 'tables.txt', truncate_vector_tables: true }).expect(201)).body.data.task_id;
    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'complete', truncate_vector_tables: true }).expect(202);
    const done = await waitForStatus(t, taskId, (s) => s === 'completed' || s === 'failed');
    expect(done.status, JSON.stringify(done.error_message)).toBe('completed');
    expect(done.result.vector_management).toMatchObject({ backup_performed: true, truncate_performed: true });
    // Only this task's rows remain: the earlier tasks' vectors were backed up, then truncated.
    const owners = await db.query(`SELECT DISTINCT cmetadata->>'task_id' AS t FROM langchain_pg_embedding`);
    expect(owners).toEqual([{ t: taskId }]);
    const files = await request(t.app).get(`${TASKS}/${taskId}/files`).expect(200);
    const urls = files.body.data.files.filter((f: any) => f.file_name.includes('langchain_')).map((f: any) => f.download_url);
    expect(urls).toHaveLength(2);
    const csv = await request(t.app).get(urls.find((u: string) => u.includes('embedding'))).expect(200);
    expect(String(csv.text ?? csv.body).split('\n')[0]).toBe('id,collection_id,embedding,document,cmetadata');
  });

  it('create without a list → upload the fixture list → complete run → primary pair file, download, logs per step', async () => {
    {
      const taskId = (await request(t.app).post(TASKS).send({ task_name: 'upload flow' }).expect(201)).body.data.task_id;
      const upload = await request(t.app).post(`${TASKS}/${taskId}/upload-table-list`).attach('file', path.join(HIGHWAY_FIXTURES, 'table_list.txt')).expect(200);
      expect(upload.body.data.response).toBe('表清单文件上传成功');
      await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'complete' }).expect(202);
      const done = await waitForStatus(t, taskId, (s) => s === 'completed' || s === 'failed');
      expect(done.status, done.error_message).toBe('completed');

      const files = (await request(t.app).get(`${TASKS}/${taskId}/files`).expect(200)).body.data.files;
      const primary = files.filter((f: any) => f.is_primary);
      expect(primary).toHaveLength(1);
      expect(primary[0].file_name).toMatch(/_pair\.json$/);
      const download = await request(t.app).get(primary[0].download_url).buffer(true).parse((res, cb) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => cb(null, body));
      }).expect(200);
      expect(download.headers['content-disposition']).toContain('attachment');
      expect(JSON.parse(download.body as string).length).toBe(done.result.sql_validation.valid_sql_count);

      const logs = (await request(t.app).get(`${TASKS}/${taskId}/logs`).query({ limit: 1000 }).expect(200)).body.data.logs;
      for (const step of ['ddl_generation', 'qa_generation', 'sql_validation', 'training_load']) {
        expect(logs.some((l: any) => l.step === step && l.message.includes('步骤执行完成')), step).toBe(true);
      }
      const [vectors] = await db.query(`SELECT count(*)::int AS n FROM langchain_pg_embedding WHERE cmetadata->>'task_id' = $1`, [taskId]);
      expect(vectors!.n).toBe(done.result.training_load.total_records);
    }
  });

  it('a task without a table list: execute is a 400 that names the upload route', async () => {
    const created = await request(t.app).post(TASKS).send({ task_name: 'upload later' }).expect(201);
    expect(created.body.data).toMatchObject({ file_upload_mode: true, response: '任务创建成功，请上传表清单文件后再执行任务' });
    const taskId = created.body.data.task_id;
    expect(created.body.data.next_step).toBe(`POST /api/v0/data_pipeline/tasks/${taskId}/upload-table-list`);
    const res = await request(t.app).post(`${TASKS}/${taskId}/execute`).send({}).expect(400);
    expect(res.body.data.response).toContain(`/api/v0/data_pipeline/tasks/${taskId}/upload-table-list`);
  });

  it('step mode one step at a time ends completed; a step run out of order fails with its error', async () => {
    const taskId = (await request(t.app).post(TASKS).send({ table_list_file: 'tables.txt', enable_training_data_load: false }).expect(201)).body.data.task_id;

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'qa_generation' }).expect(202);
    const failed = await waitForStatus(t, taskId, (s) => s === 'failed');
    expect(failed.error_message).toContain('请先执行 ddl_generation');
    expect(failed.steps.find((s: any) => s.step_name === 'qa_generation')).toMatchObject({ step_status: 'failed' });

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
    const afterDdl = await waitForStatus(t, taskId, (s) => s !== 'in_progress' && s !== 'pending');
    expect(afterDdl.status).toBe('partial_completed');
    expect(afterDdl.error_message).toBeNull();

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'qa_generation' }).expect(202);
    const afterQa = await waitForStatus(t, taskId, (s) => s !== 'in_progress' && s !== 'pending');
    expect(afterQa.status).toBe('partial_completed');
    // The stale failure of the earlier qa run is gone.
    expect(afterQa.steps.find((s: any) => s.step_name === 'qa_generation')).toMatchObject({ step_status: 'completed', error_message: null });

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'sql_validation' }).expect(202);
    const final = await waitForStatus(t, taskId, (s) => s !== 'in_progress' && s !== 'pending');
    expect(final.status).toBe('completed');
  });

  it('a table list naming a table the business database lacks: ddl_generation says so, qa_generation names the real cause', async () => {
    const taskId = (await request(t.app).post(TASKS).send({ task_name: 'typo in list', db_name: 'highway_db', enable_training_data_load: false }).expect(201)).body.data.task_id;
    await request(t.app).post(`${TASKS}/${taskId}/table-list`).send({ tables: ['bss_company', 'no_such_table', 'bss_service_area'] }).expect(200);

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
    const afterDdl = await waitForStatus(t, taskId, (s) => s !== 'in_progress' && s !== 'pending');
    // The existing tables are processed; the step completes, its row says which table is missing.
    const ddlStep = afterDdl.steps.find((s: any) => s.step_name === 'ddl_generation');
    expect(ddlStep.step_status).toBe('completed');
    expect(ddlStep.error_message).toMatch(/1 张表在业务数据库 .* 中不存在: public\.no_such_table.*修正表清单.*重新上传/);
    expect(afterDdl.result.ddl_generation).toMatchObject({ processed_successfully: 2, missing_tables: ['public.no_such_table'] });
    expect(afterDdl.result.ddl_generation.warning).toBe(ddlStep.error_message);
    const logs = (await request(t.app).get(`${TASKS}/${taskId}/logs`).query({ limit: 1000 }).expect(200)).body.data.logs;
    expect(logs.some((l: any) => l.level === 'WARNING' && l.step === 'ddl_generation' && l.message.includes('public.no_such_table') && l.message.includes('不存在'))).toBe(true);

    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'qa_generation' }).expect(202);
    const afterQa = await waitForStatus(t, taskId, (s) => s === 'failed' || s === 'completed' || s === 'partial_completed');
    expect(afterQa.status).toBe('failed');
    expect(afterQa.error_message).toMatch(/1 张表在业务数据库 highway_db 中不存在: public\.no_such_table.*修正表清单.*重新上传/);
    // Re-running ddl_generation cannot help: the message does not send the user there.
    expect(afterQa.error_message).not.toContain('请先执行 ddl_generation');

    // Fixed list: only existing tables, qa_generation now runs on the files ddl_generation already wrote.
    await request(t.app).post(`${TASKS}/${taskId}/table-list`).send({ tables: ['bss_company', 'bss_service_area'] }).expect(200);
    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'qa_generation' }).expect(202);
    const fixed = await waitForStatus(t, taskId, (s) => s !== 'in_progress' && s !== 'pending');
    expect(fixed.steps.find((s: any) => s.step_name === 'qa_generation')).toMatchObject({ step_status: 'completed', error_message: null });
  });

  it('a table list whose tables all do not exist: ddl_generation fails naming them', async () => {
    const taskId = (await request(t.app).post(TASKS).send({ task_name: 'all missing', db_name: 'highway_db' }).expect(201)).body.data.task_id;
    await request(t.app).post(`${TASKS}/${taskId}/table-list`).send({ tables: ['no_such_table', 'ods.nothing_here'] }).expect(200);
    await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'complete' }).expect(202);
    const done = await waitForStatus(t, taskId, (s) => s === 'failed' || s === 'completed');
    expect(done.status).toBe('failed');
    const ddlStep = done.steps.find((s: any) => s.step_name === 'ddl_generation');
    expect(ddlStep.step_status).toBe('failed');
    expect(ddlStep.error_message).toMatch(/2 张表在业务数据库 .* 中均不存在: public\.no_such_table, ods\.nothing_here/);
    expect(done.error_message).toBe(ddlStep.error_message);
    expect(done.steps.find((s: any) => s.step_name === 'qa_generation').step_status).toBe('pending');
  });

  it('execute validation: mode, step name, unknown task', async () => {
    const taskId = (await request(t.app).post(TASKS).send({ table_list_file: 'tables.txt' }).expect(201)).body.data.task_id;
    expect((await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'fast' }).expect(400)).body.data.error_type).toBe('INVALID_EXECUTION_MODE');
    expect((await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step' }).expect(400)).body.data).toMatchObject({
      error_type: 'MISSING_STEP_NAME',
      response: '步骤执行模式需要指定step_name',
      missing_params: ['step_name'],
    });
    expect((await request(t.app).post(`${TASKS}/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'x' }).expect(400)).body.data.error_type).toBe('INVALID_STEP_NAME');
    expect((await request(t.app).post(`${TASKS}/task_19990101_000000/execute`).send({}).expect(404)).body.data).toMatchObject({ error_type: 'TASK_NOT_FOUND', response: '任务不存在: task_19990101_000000' });
    await request(t.app).get(`${TASKS}/..%2f..%2fetc`).expect((res) => expect([400, 404]).toContain(res.status));
    await request(t.app).post(TASKS).send({ table_list_file: '../../etc/passwd.txt' }).expect(400);
    await request(t.app).post(TASKS).send({ table_list_file: '/etc/hostname' }).expect(400);
  });

  it('a server-side table_list_file over TABLE_LIST_MAX_BYTES is refused with the upload limit\'s text', async () => {
    const limited = await createTestApp(db.url, { TABLE_LIST_MAX_BYTES: String(1.5 * 1024 * 1024) }, { cwd: t.cwd });
    try {
      fs.writeFileSync(path.join(t.cwd, 'big-tables.txt'), 'bss_company\n'.repeat(140_000));
      const refused = await request(limited.app).post(TASKS).send({ table_list_file: 'big-tables.txt' }).expect(400);
      expect(refused.body.data).toMatchObject({
        response: '参数 table_list_file 无效: 文件大小超过限制: 1.5MB',
        invalid_params: ['table_list_file'],
      });
      // Under the default limit (2 MiB) the same file is accepted.
      await request(t.app).post(TASKS).send({ table_list_file: 'big-tables.txt' }).expect(201);
    } finally {
      await limited.close();
    }
  });

  it('list and query: global total, real statuses, pagination and sorting', async () => {
    const list = await request(t.app).get(TASKS).query({ limit: 2 }).expect(200);
    expect(list.body.data.tasks).toHaveLength(2);
    expect(list.body.data.total).toBeGreaterThanOrEqual(4);
    expect(list.body.data.tasks[0]).toHaveProperty('step_status.ddl_generation');
    await request(t.app).get(TASKS).query({ limit: 0 }).expect(400);
    await request(t.app).get(TASKS).query({ status: 'running' }).expect(400);
    const completed = await request(t.app).get(TASKS).query({ status: 'completed' }).expect(200);
    expect(completed.body.data.tasks.every((x: any) => x.status === 'completed')).toBe(true);

    const q = await request(t.app).post(`${TASKS}/query`).send({ status: 'completed', page: 1, page_size: 1, sort_by: 'created_at', sort_order: 'ASC' }).expect(200);
    expect(q.body.data.pagination).toMatchObject({ page: 1, page_size: 1, total: completed.body.data.total, has_prev: false });
    expect(q.body.data.sort_applied).toEqual({ sort_by: 'created_at', sort_order: 'asc' });
    expect(q.body.data.filters_applied).toEqual({ status: 'completed' });
    expect((await request(t.app).post(`${TASKS}/query`).send({ page: 0 }).expect(400)).body.data.response).toBe('页码必须大于0');
    expect((await request(t.app).post(`${TASKS}/query`).send({ sort_by: 'id' }).expect(400)).body.data.invalid_params).toEqual(['sort_by']);
    expect((await request(t.app).post(`${TASKS}/query`).send({ created_time_start: 'yesterday' }).expect(400)).body.data.invalid_params).toEqual(['created_time_start']);
  });
});
