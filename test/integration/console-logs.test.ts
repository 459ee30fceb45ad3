import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startServer } from '../helpers/server-process.js';
import { waitUntil } from '../helpers/wait.js';

/** stdout/stderr lines of a server, and the JSON lines of its app.log. */
function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
function appLog(cwd: string): Array<Record<string, any>> {
  return linesOf(fs.readFileSync(path.join(cwd, 'logs', 'app.log'), 'utf8')).map((line) => JSON.parse(line));
}
const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe('console: LOG_FORMAT, start-up lines, routine 404s', () => {
  let db: TestDatabase;
  const cwds: string[] = [];
  const newCwd = () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-console-'));
    cwds.push(cwd);
    return cwd;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const cwd of cwds) fs.rmSync(cwd, { recursive: true, force: true });
    await db.drop();
  });

  it('LOG_FORMAT=json: stdout is JSON lines with the mode, dashboard and docs URLs; a routine 404 (apple-touch-icon) is debug, not warn', async () => {
    const cwd = newCwd();
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_FORMAT: 'json', LOG_LEVEL: 'debug' });
    try {
      await fetch(`${server.baseUrl}/apple-touch-icon.png`);
      await waitUntil(() => appLog(cwd).filter((l) => l.req?.url === '/apple-touch-icon.png').length, (n) => n > 0, 'the apple-touch-icon request in app.log');
      const out = linesOf(server.output());
      expect(out.length).toBeGreaterThan(3);
      expect(out.filter((line) => !isJson(line))).toEqual([]);
      const messages = out.map((line) => JSON.parse(line).msg as string);
      expect(messages).toContain('mode: database (DATABASE_URL)');
      expect(messages).toContain(`dashboard: ${server.baseUrl}/`);
      expect(messages).toContain(`API docs: ${server.baseUrl}/api/v0/docs`);
      const routine = appLog(cwd).filter((l) => l.req?.url === '/apple-touch-icon.png' || (l.status === 404 && /apple-touch-icon/.test(l.msg)));
      expect(routine.length).toBeGreaterThan(0);
      // pino's debug level is 20; warn (40) would be the level of any other 404.
      expect(routine.map((l) => l.level)).toEqual(routine.map(() => 20));
      await fetch(`${server.baseUrl}/api/v0/no-such-route`);
      await waitUntil(() => appLog(cwd).filter((l) => l.req?.url === '/api/v0/no-such-route').map((l) => l.level), (levels) => levels.includes(40), 'an ordinary 404 at warn');
    } finally {
      await server.stop();
    }
  });

  it('LOG_FORMAT=pretty: stdout is readable text, app.log stays JSON', async () => {
    const cwd = newCwd();
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_FORMAT: 'pretty' });
    try {
      await fetch(`${server.baseUrl}/apple-touch-icon.png`);
      await waitUntil(() => server.output(), (text) => text.includes('API docs:'), 'the start-up lines');
      const out = linesOf(server.output());
      expect(out.filter(isJson)).toEqual([]);
      expect(out.some((line) => /INFO.*dashboard: http:\/\/127\.0\.0\.1:\d+\/ /.test(line))).toBe(true);
      expect(out.some((line) => line.includes(`API docs: ${server.baseUrl}/api/v0/docs`))).toBe(true);
      expect(out.some((line) => line.includes('mode: database'))).toBe(true);
      // At the default level a routine 404 is not shown at all.
      expect(server.output()).not.toContain('apple-touch-icon');
      const file = appLog(cwd);
      expect(file.map((l) => l.msg)).toContain(`dashboard: ${server.baseUrl}/`);
    } finally {
      await server.stop();
    }
  });

  it('without LOG_FORMAT, a pipe (not a terminal) gets JSON', async () => {
    const cwd = newCwd();
    const server = await startServer(cwd, { DATABASE_URL: db.url, LOG_FORMAT: '' });
    try {
      const out = linesOf(server.output());
      expect(out.length).toBeGreaterThan(0);
      expect(out.filter((line) => !isJson(line))).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a running task logs its steps and tables to the server log at info, tagged with task and step', async () => {
    await db.query(`CREATE TABLE IF NOT EXISTS console_demo (id int PRIMARY KEY); COMMENT ON TABLE console_demo IS '演示'`);
    const lines: Array<Record<string, any>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const t = await createTestApp(db.url, { JOB_POLL_INTERVAL_MS: '50' }, { logger: pino({ level: 'info' }, sink) });
    await t.services.jobRunner.start();
    try {
      fs.writeFileSync(path.join(t.cwd, 'tables.txt'), 'public.console_demo\n');
      const created = await request(t.app).post('/api/v0/data_pipeline/tasks').send({ table_list_file: 'tables.txt' }).expect(201);
      const taskId = created.body.data.task_id as string;
      await request(t.app).post(`/api/v0/data_pipeline/tasks/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' }).expect(202);
      const ended = await waitUntil(() => lines.filter((l) => l.taskId === taskId && /任务结束/.test(l.msg)), (found) => found.length > 0, 'the end of the task in the log');
      expect(ended[0]!.level).toBe(30);
      const stepLines = lines.filter((l) => l.taskId === taskId && l.step === 'ddl_generation');
      expect(stepLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['开始执行步骤: ddl_generation', '步骤执行完成: ddl_generation']));
      // Per table: the step names each table it processed.
      expect(stepLines.some((l) => l.level === 30 && /console_demo/.test(l.msg))).toBe(true);
    } finally {
      await t.services.jobRunner.stop(5000);
      await t.close();
    }
  });
});
