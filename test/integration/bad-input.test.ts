import { gzipSync } from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const API = '/api/v0';
const TASKS = `${API}/data_pipeline/tasks`;

/** Every operation of the OpenAPI document, with `{task_id}` and `{file_name}` filled in. */
async function documentedOperations(t: TestApp, taskId: string): Promise<{ method: string; path: string }[]> {
  const doc = (await request(t.app).get(`${API}/openapi.json`).expect(200)).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.keys(ops).map((method) => ({ method, path: p.replace('{task_id}', taskId).replace('{file_name}', 'task_config.json') })),
  );
}

describe('bad input is a 400 naming the parameter, never a 500', () => {
  let db: TestDatabase;
  let t: TestApp;
  let taskId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
    taskId = (await request(t.app).post(TASKS).send({ task_name: 'bad-input' }).expect(201)).body.data.task_id;
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  // Item 13
  it('a body whose Content-Encoding does not decode is a 400 on every route', async () => {
    const valid = gzipSync(Buffer.from('{"a":1}'));
    const bodies: [string, Buffer][] = [
      ['gzip', Buffer.from('{"not":"gzip"}')],
      ['deflate', Buffer.from('plain text')],
      ['br', Buffer.from('definitely not brotli')],
      ['gzip', valid.subarray(0, valid.length - 6)],
    ];
    for (const op of await documentedOperations(t, taskId)) {
      for (const [encoding, body] of bodies) {
        const res = await (request(t.app) as any)[op.method](op.path)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          .send(body);
        expect(res.status, `${op.method} ${op.path} ${encoding}`).toBe(400);
        expect(res.body.data.invalid_params).toEqual(['body']);
      }
    }
  });

  // Item 14
  it.each([
    ['post', `${TASKS}/query`, { task_name: 'a\u0000b' }, 'task_name'],
    ['post', `${TASKS}/query`, { created_by: 'x\uD800' }, 'created_by'],
    ['post', `${TASKS}/query`, { db_name: '\uDC00' }, 'db_name'],
    ['post', TASKS, { task_name: 'n\u0000' }, 'task_name'],
    ['post', TASKS, { business_context: 'ctx\uD83D' }, 'business_context'],
    ['post', TASKS, { db_name: 'd\u0000b' }, 'db_name'],
    ['post', `${API}/database/tables`, { schema: 'pub\u0000lic' }, 'schema'],
    ['post', `${API}/database/tables`, { table_name_pattern: 'bss_\uDFFF' }, 'table_name_pattern'],
    ['post', `${API}/database/table/ddl`, { table: 'public.\u0000x' }, 'table'],
    ['post', `${API}/data_pipeline/vector/restore`, { backup_path: 'x', timestamp: '20250101_000000', tables: ['a\u0000'] }, 'tables.0'],
    ['delete', TASKS, { task_ids: ['task_\u0000'], confirm: true }, 'task_ids.0'],
  ])('%s %s %j → 400 naming %s', async (method, url, body, param) => {
    const res = await (request(t.app) as any)[method](url).send(body);
    expect(res.status).toBe(400);
    expect(res.body.data.invalid_params).toEqual([param]);
    expect(res.body.data.response).toContain(param);
  });

  it('NUL in a query string or a logs body → 400 naming it', async () => {
    const list = await request(t.app).get(`${TASKS}?status=%00`);
    expect(list.status).toBe(400);
    const logs = await request(t.app).post(`${TASKS}/${taskId}/logs/query`).send({ keyword: 'a\u0000' });
    expect(logs.status).toBe(400);
    expect(logs.body.data.invalid_params).toEqual(['keyword']);
  });

  // Item 15
  it.each(['0', '-1', '2025-02-30', '2025-13-01', '99999-01-01', '+275760-09-13', '2025-07-01 25:00:00', '0000-01-01', 'Tue Jul 01 2025'])(
    'created_time_start %j, which JavaScript may parse but PostgreSQL refuses, → 400',
    async (value) => {
      for (const field of ['created_time_start', 'completed_time_end']) {
        const res = await request(t.app).post(`${TASKS}/query`).send({ [field]: value });
        expect(res.status, `${field}=${value}`).toBe(400);
        expect(res.body.data.invalid_params).toEqual([field]);
      }
    },
  );

  it.each(['2025-07-01', '2025-07-01 10:00:00', '2025-07-01T10:00:00', '2025-07-01T10:00:00.123456Z', '2024-02-29 23:59', '0001-01-01'])(
    'created_time_start %j is accepted',
    async (value) => {
      await request(t.app).post(`${TASKS}/query`).send({ created_time_start: value, created_time_end: '9999-12-31 23:59:59' }).expect(200);
    },
  );

  // Item 16
  it('names too long for the file system are 4xx, never ENAMETOOLONG', async () => {
    const longId = 't'.repeat(4000);
    for (const url of [`${TASKS}/${longId}`, `${TASKS}/${longId}/files`, `${TASKS}/${longId}/logs`, `${TASKS}/${longId}/table-list-info`]) {
      expect((await request(t.app).get(url)).status, url).toBe(400);
    }
    expect((await request(t.app).delete(`${TASKS}/${longId}`)).status).toBe(400);
    expect((await request(t.app).post(`${API}/data_pipeline/vector/backup`).send({ task_id: longId })).status).toBe(400);
    expect((await request(t.app).get(`${API}/data_pipeline/vector/restore/list`).query({ task_id: longId })).status).toBe(400);

    for (const name of ['x'.repeat(256), `${'y'.repeat(300)}.txt`, `vector_bak/${'z'.repeat(260)}`, '中'.repeat(90)]) {
      const res = await request(t.app).get(`${TASKS}/${taskId}/files/${encodeURIComponent(name)}`);
      expect([400, 404], name.slice(0, 20)).toContain(res.status);
    }
    const restore = await request(t.app)
      .post(`${API}/data_pipeline/vector/restore`)
      .send({ backup_path: `./data_pipeline/training_data/${'d'.repeat(5000)}`, timestamp: '20250101_000000' });
    expect([400, 404]).toContain(restore.status);
    const create = await request(t.app).post(TASKS).send({ table_list_file: `${'f'.repeat(5000)}.txt` });
    expect(create.status).toBe(400);
    expect(create.body.data.invalid_params).toEqual(['table_list_file']);
  });

  it('an upload whose name is legal but whose temporary name would pass 255 bytes is stored', async () => {
    const name = `${'n'.repeat(236)}.txt`; // 240 bytes: the longest accepted name
    const res = await request(t.app).post(`${TASKS}/${taskId}/files`).attach('file', Buffer.from('hello\n'), name);
    expect(res.status).toBe(200);
    expect(fs.readFileSync(path.join(t.dataRoot, taskId, name), 'utf8')).toBe('hello\n');
    const tooLong = await request(t.app).post(`${TASKS}/${taskId}/files`).attach('file', Buffer.from('x'), `${'n'.repeat(300)}.txt`);
    expect(tooLong.status).toBe(400);
  });

  // Item 18
  it('concurrent DELETEs of one task: one succeeds, the others 404', async () => {
    for (let round = 0; round < 3; round += 1) {
      const id = (await request(t.app).post(TASKS).send({ task_name: `race ${round}` }).expect(201)).body.data.task_id as string;
      const dir = path.join(t.dataRoot, id);
      for (let i = 0; i < 200; i += 1) fs.writeFileSync(path.join(dir, `f${i}.txt`), 'x');
      fs.mkdirSync(path.join(dir, 'vector_bak'));
      const replies = await Promise.all([1, 2, 3].map(() => request(t.app).delete(`${TASKS}/${id}`)));
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(replies.map((r) => r.body.data?.response))).toEqual([200, 404, 404]);
      const winner = replies.find((r) => r.status === 200)!;
      expect(winner.body.data).toMatchObject({ directory_deleted: true, deleted_files_count: 200 });
      expect(fs.existsSync(dir)).toBe(false);
      expect(fs.readdirSync(t.dataRoot).filter((n) => n.startsWith('.deleting_'))).toEqual([]);
    }
  });
});
