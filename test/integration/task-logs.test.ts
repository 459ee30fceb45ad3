import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createErrorHandler } from '../../src/http/error-handler.js';
import { RouteRegistry } from '../../src/http/route-registry.js';
import { TASK_LOG_NAME } from '../../src/task-files/task-dir.js';
import { TaskLog } from '../../src/task-files/task-log.js';
import { registerLogRoutes } from '../../src/routes/logs.js';
import { DataRoot } from '../../src/lib/data-root.js';
import type { TaskRow } from '../../src/db/sql/tasks.sql.js';
import { TaskLookup } from '../../src/task-files/task-lookup.js';
import { LogService } from '../../src/tasks/task-log-service.js';

const TASK = 'task_20250702_174000';
const NO_LOG = 'task_20250702_180000';
const BIG = 'task_20250702_190000';
const logsUrl = (taskId: string) => `/api/v0/data_pipeline/tasks/${taskId}/logs`;
const queryUrl = (taskId: string) => `/api/v0/data_pipeline/tasks/${taskId}/logs/query`;
const LOG_FILE = `./data_pipeline/training_data/${TASK}/${TASK_LOG_NAME}`;

/**
 * The log a complete run of the original left behind, written through TaskLog (the simple format)
 * plus the original's detailed module-logger lines and a multi-line traceback. 18 physical lines,
 * 14 entries; the line number of each entry is noted.
 */
function writeRealisticLog(taskDir: string): void {
  const at = (local: string) => vi.setSystemTime(new Date(local.replace(' ', 'T')));
  const raw = (line: string) => fs.appendFileSync(path.join(taskDir, TASK_LOG_NAME), `${line}\n`);
  const log = new TaskLog(taskDir, `TaskDir_${TASK}`);
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    at('2025-07-02 19:04:10');
    log.info(`任务目录日志初始化完成 - 任务ID: ${TASK}`); // 1
    log.info('任务参数: {"db_connection": "postgresql://postgres:secret@192.168.67.1:6432/highway_db"}'); // 2
    log.info('完整工作流任务开始执行'); // 3
    log.info('[ddl_generation] 开始执行步骤: ddl_generation'); // 4
    raw('2025-07-02 19:04:10 [INFO] [data_pipeline.SchemaWorkflowOrchestrator] schema_workflow.py:167 - ============================================================'); // 5
    raw('2025-07-02 19:04:10 [INFO] data_pipeline.SchemaWorkflowOrchestrator: ============================================================'); // 6
    raw('2025-07-02 19:05:06 [ERROR] [data_pipeline.SchemaTrainingDataAgent] training_data_agent.py:234 - ❌ 表 public.bss_car_day_count 处理失败，耗时: 55.71秒'); // 7
    at('2025-07-02 19:05:06');
    log.child(`TaskDir_${TASK}.ddl_generation`).debug('表 public.bss_company 处理成功'); // 8
    log.info('[ddl_generation] 步骤执行完成: ddl_generation'); // 9
    at('2025-07-02 23:59:30');
    log.info('[qa_generation] 开始执行步骤: qa_generation'); // 10
    raw('2025-07-02 23:59:30 [WARNING] [data_pipeline.QuestionSQLGenerationAgent] qs_agent.py:88 - 主题 收入分析 生成的问题较少'); // 11
    at('2025-07-03 00:00:05');
    log.error(
      [
        '[qa_generation] 步骤执行失败: qa_generation - LLM调用失败',
        'Traceback (most recent call last):',
        '  File "qs_agent.py", line 120, in generate',
        '    raise RuntimeError("timeout")',
        'RuntimeError: timeout',
      ].join('\n'),
    ); // 12-16
    raw('2025-07-03 00:00:05 [CRITICAL] data_pipeline.SimpleWorkflowExecutor: 完整工作流任务执行失败: llm调用失败'); // 17
    at('2025-07-03 00:00:06');
    log.info('跳过SQL验证步骤（未启用）'); // 18
  } finally {
    vi.useRealTimers();
  }
}

const ENTRY_LINES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 17, 18];
const lines = (body: any): number[] => body.data.logs.map((e: { line_number: number }) => e.line_number);

function expectBadRequest(body: any, response: string, param: string) {
  expect(body).toMatchObject({
    success: false,
    code: 400,
    message: '请求参数错误',
    data: { error_type: 'INVALID_PARAMS', response, invalid_params: [param] },
    error: { type: 'INVALID_PARAMS', invalid_params: [param] },
  });
}

describe('task log routes', () => {
  let cwd: string;
  let dataRoot: DataRoot;
  let app: Express;

  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-logs-'));
    dataRoot = new DataRoot('./data_pipeline/training_data', cwd);
    const tasks = new Set([TASK, NO_LOG, BIG]);
    const registry = new RouteRegistry();
    registerLogRoutes(registry, { logs: new LogService(dataRoot, new TaskLookup(dataRoot, async (id) => (tasks.has(id) ? ({ task_id: id } as TaskRow) : undefined))) });
    const router = express.Router();
    registry.mount(router);
    app = express();
    app.use(express.json());
    app.use('/api/v0', router);
    app.use(createErrorHandler(pino({ level: 'silent' })));
    writeRealisticLog(dataRoot.taskDir(TASK));
  });
  afterAll(() => {
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  describe('GET …/logs', () => {
    it('parses every entry in file order, fills step and joins the traceback to its own entry', async () => {
      const res = await request(app).get(logsUrl(TASK)).expect(200);
      expect(res.body).toMatchObject({ success: true, code: 200, message: '操作成功' });
      expect(res.body.data).toMatchObject({
        task_id: TASK,
        total: 14,
        returned: 14,
        source: 'file',
        log_file: LOG_FILE,
        response: '获取任务日志成功',
      });
      expect(lines(res.body)).toEqual(ENTRY_LINES);
      const logs = res.body.data.logs as any[];
      expect(logs[0]).toEqual({
        timestamp: '2025-07-02 19:04:10',
        level: 'INFO',
        logger: `TaskDir_${TASK}`,
        step: null,
        message: `任务目录日志初始化完成 - 任务ID: ${TASK}`,
        line_number: 1,
      });
      expect(logs[1].message).not.toContain('secret');
      expect(logs.map((e) => e.step)).toEqual([
        null, null, null, 'ddl_generation', null, null, 'ddl_generation', 'ddl_generation', 'ddl_generation',
        'qa_generation', 'qa_generation', 'qa_generation', null, null,
      ]);
      expect(logs[4]).toMatchObject({ logger: 'data_pipeline.SchemaWorkflowOrchestrator', message: '='.repeat(60) });
      expect(logs[6]).toMatchObject({
        logger: 'data_pipeline.SchemaTrainingDataAgent',
        message: '❌ 表 public.bss_car_day_count 处理失败，耗时: 55.71秒',
      });
      expect(logs[11].message).toBe(
        '[qa_generation] 步骤执行失败: qa_generation - LLM调用失败\nTraceback (most recent call last):\n' +
          '  File "qs_agent.py", line 120, in generate\n    raise RuntimeError("timeout")\nRuntimeError: timeout',
      );
      expect(logs[12]).toMatchObject({ level: 'CRITICAL', logger: 'data_pipeline.SimpleWorkflowExecutor' });
    });

    it('limit keeps the last entries; total still counts all of them', async () => {
      const res = await request(app).get(logsUrl(TASK)).query({ limit: 3 }).expect(200);
      expect(lines(res.body)).toEqual([12, 17, 18]);
      expect(res.body.data).toMatchObject({ total: 14, returned: 3 });
      const one = await request(app).get(logsUrl(TASK)).query({ limit: '1' }).expect(200);
      expect(lines(one.body)).toEqual([18]);
      const empty = await request(app).get(`${logsUrl(TASK)}?limit=`).expect(200);
      expect(empty.body.data.returned).toBe(14);
    });

    it('level filters before the limit, case-insensitively', async () => {
      const res = await request(app).get(logsUrl(TASK)).query({ level: 'error' }).expect(200);
      expect(lines(res.body)).toEqual([7, 12]);
      expect(res.body.data.total).toBe(2);
      const last = await request(app).get(logsUrl(TASK)).query({ level: 'ERROR', limit: 1 }).expect(200);
      expect(lines(last.body)).toEqual([12]);
    });

    it.each(['0', '1001', '-5', 'abc', '1.5', '1e2'])('limit=%s → 400 naming limit', async (limit) => {
      const res = await request(app).get(logsUrl(TASK)).query({ limit }).expect(400);
      expectBadRequest(res.body, '参数 limit 必须是1-1000之间的整数', 'limit');
    });

    it('an unknown level → 400 naming level', async () => {
      const res = await request(app).get(logsUrl(TASK)).query({ level: 'TRACE' }).expect(400);
      expectBadRequest(res.body, '参数 level 无效: 日志级别必须是DEBUG、INFO、WARNING、ERROR、CRITICAL之一', 'level');
    });
  });

  describe('POST …/logs/query', () => {
    const query = (body: object) => request(app).post(queryUrl(TASK)).send(body).expect(200);

    it('defaults: page 1 of 50, newest first, with file info and query time', async () => {
      const res = await query({});
      expect(res.body.data.response).toBe('查询任务日志成功');
      expect(lines(res.body)).toEqual([...ENTRY_LINES].reverse());
      expect(res.body.data.pagination).toEqual({ page: 1, page_size: 50, total: 14, total_pages: 1, has_next: false, has_prev: false });
      const size = fs.statSync(path.join(dataRoot.taskDir(TASK), TASK_LOG_NAME)).size;
      expect(res.body.data.log_file_info).toEqual({
        exists: true,
        file_path: LOG_FILE,
        file_size: size,
        file_size_formatted: expect.stringMatching(/^[\d.]+ (B|KB)$/),
        last_modified: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/),
        total_lines: 14,
      });
      expect(res.body.data.query_time).toMatch(/^\d+\.\d{3}s$/);
      expect(res.body.data.logs[0]).toEqual({
        timestamp: '2025-07-03 00:00:06',
        level: 'INFO',
        logger: `TaskDir_${TASK}`,
        step: null,
        message: '跳过SQL验证步骤（未启用）',
        line_number: 18,
      });
    });

    it.each([
      [{ level: 'warning' }, [11]],
      [{ level: 'CRITICAL' }, [17]],
      [{ keyword: 'llm调用' }, [12, 17]],
      [{ keyword: 'RuntimeError("TIMEOUT")' }, [12]],
      [{ logger_name: 'data_pipeline.SchemaWorkflowOrchestrator' }, [5, 6]],
      [{ logger_name: `TaskDir_${TASK}.ddl_generation` }, [8]],
      [{ step_name: 'ddl_generation' }, [4, 7, 8, 9]],
      [{ step_name: 'qa_generation' }, [10, 11, 12]],
      [{ step_name: 'qa_generation', level: 'ERROR' }, [12]],
      [{ start_time: '2025-07-02T23:59:30' }, [10, 11, 12, 17, 18]],
      [{ start_time: '2025-07-02 19:05:06', end_time: '2025-07-02T23:59:30' }, [7, 8, 9, 10, 11]],
      [{ end_time: '2025-07-02' }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
      [{ start_time: '2025-07-03' }, [12, 17, 18]],
      [{ start_time: '2025-07-03', end_time: '2025-07-03' }, [12, 17, 18]],
      [{ end_time: '2025-07-03T00:00:05.999999' }, ENTRY_LINES.slice(0, -1)],
      [{ start_time: '2025-07-03', end_time: '2025-07-02' }, []],
      [{ level: null, keyword: '', step_name: null }, ENTRY_LINES],
    ])('filter %j', async (filter, expected) => {
      const res = await query({ ...filter, sort_by: 'line_number', sort_order: 'asc' });
      expect(lines(res.body)).toEqual(expected);
      expect(res.body.data.pagination.total).toBe(expected.length);
    });

    it('sorts levels by severity, both directions', async () => {
      const desc = await query({ sort_by: 'level' });
      expect(desc.body.data.logs.map((e: any) => e.level)).toEqual([
        'CRITICAL', 'ERROR', 'ERROR', 'WARNING', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'INFO', 'DEBUG',
      ]);
      expect(lines(desc.body).slice(0, 3)).toEqual([17, 12, 7]);
      const asc = await query({ sort_by: 'level', sort_order: 'ASC' });
      expect(lines(asc.body)).toEqual([...lines(desc.body)].reverse());
    });

    it('sorts by step and by logger', async () => {
      const step = await query({ sort_by: 'step', sort_order: 'asc', step_name: null });
      expect(step.body.data.logs.map((e: any) => e.step).slice(-4)).toEqual(['ddl_generation', 'qa_generation', 'qa_generation', 'qa_generation']);
      const logger = await query({ sort_by: 'logger', sort_order: 'asc', page_size: 1 });
      expect(logger.body.data.logs[0].logger).toBe(`TaskDir_${TASK}`);
    });

    it('paginates: last partial page, beyond the last page', async () => {
      const third = await query({ page: 3, page_size: 5, sort_by: 'line_number', sort_order: 'asc' });
      expect(lines(third.body)).toEqual([11, 12, 17, 18]);
      expect(third.body.data.pagination).toEqual({ page: 3, page_size: 5, total: 14, total_pages: 3, has_next: false, has_prev: true });
      const second = await query({ page: 2, page_size: 5 });
      expect(lines(second.body)).toEqual([9, 8, 7, 6, 5]);
      expect(second.body.data.pagination).toMatchObject({ has_next: true, has_prev: true });
      const beyond = await query({ page: 4, page_size: 5 });
      expect(beyond.body.data.logs).toEqual([]);
      expect(beyond.body.data.pagination).toMatchObject({ total: 14, total_pages: 3, has_next: false, has_prev: true });
    });

    it('a body that is not JSON means "all defaults"', async () => {
      const res = await request(app).post(queryUrl(TASK)).set('Content-Type', 'text/plain').send('page=2').expect(200);
      expect(res.body.data.pagination).toMatchObject({ page: 1, total: 14 });
    });

    it.each([
      [{ page: 0 }, '参数 page 无效: 页码必须是大于0的整数', 'page'],
      [{ page: '2' }, '参数 page 无效: 页码必须是大于0的整数', 'page'],
      [{ page: 1.5 }, '参数 page 无效: 页码必须是大于0的整数', 'page'],
      [{ page_size: 0 }, '参数 page_size 无效: 每页大小必须是1-500之间的整数', 'page_size'],
      [{ page_size: 501 }, '参数 page_size 无效: 每页大小必须是1-500之间的整数', 'page_size'],
      [{ level: 'TRACE' }, '参数 level 无效: 日志级别必须是DEBUG、INFO、WARNING、ERROR、CRITICAL之一', 'level'],
      [{ start_time: '2025/07/02' }, '参数 start_time 无效: 开始时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD', 'start_time'],
      [{ start_time: '2025-02-30' }, '参数 start_time 无效: 开始时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD', 'start_time'],
      [{ start_time: 20250702 }, '参数 start_time 无效: 开始时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD', 'start_time'],
      [{ end_time: 'tomorrow' }, '参数 end_time 无效: 结束时间格式无效，支持格式：YYYY-MM-DD HH:MM:SS 或 YYYY-MM-DD', 'end_time'],
      [{ keyword: 'x'.repeat(201) }, '参数 keyword 无效: 关键字长度不能超过200个字符', 'keyword'],
      [{ sort_by: 'message' }, '参数 sort_by 无效: 排序字段必须是以下之一: timestamp, level, logger, step, line_number', 'sort_by'],
      [{ sort_order: 'up' }, '参数 sort_order 无效: 排序方向必须是asc或desc', 'sort_order'],
      [{ logger_name: 5 }, '参数 logger_name 必须是字符串', 'logger_name'],
    ])('%j → 400 naming the parameter', async (body, response, param) => {
      const res = await request(app).post(queryUrl(TASK)).send(body).expect(400);
      expectBadRequest(res.body, response, param);
    });

    it('malformed JSON → 400', async () => {
      const res = await request(app).post(queryUrl(TASK)).set('Content-Type', 'application/json').send('{"page":').expect(400);
      expect(res.body.data.error_type).toBe('INVALID_PARAMS');
    });
  });

  describe('missing log, unknown task, hostile ids', () => {
    it('a task without a log file: empty results, relative path, zeroed pagination', async () => {
      const get = await request(app).get(logsUrl(NO_LOG)).expect(200);
      expect(get.body.data).toMatchObject({ task_id: NO_LOG, logs: [], total: 0, returned: 0, source: 'file', log_file: null });
      const post = await request(app).post(queryUrl(NO_LOG)).send({ page: 2, page_size: 10 }).expect(200);
      expect(post.body.data).toMatchObject({
        logs: [],
        pagination: { page: 2, page_size: 10, total: 0, total_pages: 0, has_next: false, has_prev: true },
        log_file_info: { exists: false, file_path: `./data_pipeline/training_data/${NO_LOG}/${TASK_LOG_NAME}`, error: '日志文件不存在' },
      });
    });

    it('an unknown task → 404 TASK_NOT_FOUND on both routes', async () => {
      for (const res of [
        await request(app).get(logsUrl('task_20990101_000000')).expect(404),
        await request(app).post(queryUrl('task_20990101_000000')).send({}).expect(404),
      ]) {
        expect(res.body).toMatchObject({
          success: false,
          code: 404,
          message: '资源未找到',
          data: { error_type: 'TASK_NOT_FOUND', response: '任务不存在: task_20990101_000000' },
          error: { type: 'TASK_NOT_FOUND' },
        });
      }
    });

    it.each(['..', '%2e%2e', '..%2F..%2Fetc', 'task-1', '%00task', 'task_1%2F..'])('task_id %s → 400', async (id) => {
      for (const res of [
        await request(app).get(logsUrl(id)).expect(400),
        await request(app).post(queryUrl(id)).send({}).expect(400),
      ]) {
        expectBadRequest(res.body, '无效的task_id格式，只能包含字母、数字和下划线', 'task_id');
      }
    });
  });

  describe('a large log', () => {
    const ENTRIES = 40_000;

    beforeAll(() => {
      // 40,000 entries, every 4th with one traceback line: 50,000 physical lines (~4 MB).
      const out: string[] = [];
      for (let i = 1; i <= ENTRIES; i += 1) {
        const second = String(i % 60).padStart(2, '0');
        const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
        const hour = String(10 + Math.floor(i / 3600)).padStart(2, '0');
        const level = i % 4 === 0 ? 'ERROR' : 'INFO';
        out.push(`2025-07-02 ${hour}:${minute}:${second} [${level}] TaskDir_${BIG}: [sql_validation] 验证SQL #${i} ${'x'.repeat(40)}`);
        if (i % 4 === 0) out.push(`psycopg2.errors.UndefinedColumn: column "c${i}" does not exist`);
      }
      fs.mkdirSync(dataRoot.taskDir(BIG), { recursive: true });
      fs.writeFileSync(path.join(dataRoot.taskDir(BIG), TASK_LOG_NAME), `${out.join('\n')}\n`);
    });

    it('50,000 lines: correct totals and last entries', async () => {
      const tail = await request(app).get(logsUrl(BIG)).query({ limit: 1000 }).expect(200);
      expect(tail.body.data).toMatchObject({ total: ENTRIES, returned: 1000 });
      const last = tail.body.data.logs.at(-1);
      expect(last).toMatchObject({ line_number: 50_000 - 1, step: 'sql_validation', level: 'ERROR' });
      expect(last.message).toBe(`[sql_validation] 验证SQL #${ENTRIES} ${'x'.repeat(40)}\npsycopg2.errors.UndefinedColumn: column "c${ENTRIES}" does not exist`);
      expect(tail.body.data.logs[0].message).toContain(`#${ENTRIES - 999} `);

      const newest = await request(app).post(queryUrl(BIG)).send({ page_size: 500 }).expect(200);
      expect(newest.body.data.pagination).toMatchObject({ total: ENTRIES, total_pages: 80 });
      expect(newest.body.data.log_file_info.total_lines).toBe(ENTRIES);
      expect(newest.body.data.logs[0].message).toContain(`#${ENTRIES} `);

      const deep = await request(app)
        .post(queryUrl(BIG))
        .send({ level: 'ERROR', page: 20, page_size: 500, sort_by: 'line_number', sort_order: 'asc' })
        .expect(200);
      expect(deep.body.data.pagination).toMatchObject({ total: ENTRIES / 4, total_pages: 20, has_next: false });
      expect(deep.body.data.logs.at(-1).message).toContain(`#${ENTRIES} `);
      expect(deep.body.data.logs[0].message).toContain(`#${(19 * 500 + 1) * 4} `);
    });
  });
});
