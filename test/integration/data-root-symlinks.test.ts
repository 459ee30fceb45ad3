import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCollectionTable, createEmbeddingTable, createVectorExtension } from '../../src/db/sql/vector-tables.sql.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { SECRET_TEXT, createSentinelDir } from '../helpers/sentinel.js';

const API = '/api/v0/data_pipeline';

/** Item 12: nothing is read, listed, written or executed through a symlink that leaves the data root. */
describe('symlinks leading out of the data root', () => {
  let db: TestDatabase;
  let t: TestApp;
  let sentinel: ReturnType<typeof createSentinelDir>;
  let before: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const sql of [createVectorExtension(), createCollectionTable(), createEmbeddingTable()]) await db.query(sql.text);
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });
  beforeEach(() => {
    sentinel?.remove();
    sentinel = createSentinelDir();
    before = sentinel.snapshot();
    for (const entry of fs.readdirSync(t.dataRoot)) fs.rmSync(path.join(t.dataRoot, entry), { recursive: true, force: true });
    return () => {
      expect(sentinel.snapshot()).toBe(before);
    };
  });

  async function createTask(): Promise<string> {
    const res = await request(t.app).post(`${API}/tasks`).send({ task_name: 'symlink' }).expect(201);
    return res.body.data.task_id as string;
  }

  function linkTaskDirOut(taskId: string): void {
    fs.rmSync(path.join(t.dataRoot, taskId), { recursive: true, force: true });
    fs.symlinkSync(sentinel.dir, path.join(t.dataRoot, taskId));
  }

  it('a global vector_bak/ linked outside is neither listed nor written by a backup', async () => {
    fs.symlinkSync(sentinel.dir, path.join(t.dataRoot, 'vector_bak'));
    const list = await request(t.app).get(`${API}/vector/restore/list`).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('20991231_235959');
    expect(list.body.data.summary.total_backup_sets).toBe(0);

    const backup = await request(t.app).post(`${API}/vector/backup`).send({});
    expect(backup.status).toBe(400);
    expect(backup.body.data.response).toContain('符号链接');
  });

  it("a task's vector_bak/ linked outside is neither listed nor written by a backup", async () => {
    const taskId = await createTask();
    fs.symlinkSync(sentinel.dir, path.join(t.dataRoot, taskId, 'vector_bak'));
    for (const query of [{}, { task_id: taskId }]) {
      const list = await request(t.app).get(`${API}/vector/restore/list`).query(query).expect(200);
      expect(JSON.stringify(list.body)).not.toContain('20991231_235959');
    }
    const backup = await request(t.app).post(`${API}/vector/backup`).send({ task_id: taskId });
    expect(backup.status).toBe(400);
    expect(backup.body.data.invalid_params).toEqual(['task_id']);
  });

  it('a vector_bak/ whose set files are links outside lists and restores nothing', async () => {
    const dir = path.join(t.dataRoot, 'vector_bak');
    fs.mkdirSync(dir);
    for (const name of fs.readdirSync(sentinel.dir).filter((n) => n.startsWith('langchain_'))) {
      fs.symlinkSync(path.join(sentinel.dir, name), path.join(dir, name));
    }
    const list = await request(t.app).get(`${API}/vector/restore/list`).expect(200);
    expect(list.body.data.summary.total_backup_sets).toBe(0);
    const restore = await request(t.app)
      .post(`${API}/vector/restore`)
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20991231_235959' });
    expect(restore.status).toBe(404);
    expect(JSON.stringify(restore.body)).not.toContain(SECRET_TEXT);
  });

  it('a task directory linked outside is not executed, listed, or written into', async () => {
    const taskId = await createTask();
    linkTaskDirOut(taskId);
    const execute = await request(t.app).post(`${API}/tasks/${taskId}/execute`).send({ execution_mode: 'step', step_name: 'ddl_generation' });
    expect(execute.status).toBe(400);
    expect(execute.body.data.invalid_params).toEqual(['task_id']);

    for (const route of ['files', 'logs', 'table-list-info', 'files/secret.txt', 'files/table_list.txt']) {
      const res = await request(t.app).get(`${API}/tasks/${taskId}/${route}`);
      expect(res.status, route).toBeLessThan(500);
      expect(JSON.stringify(res.body) + (res.text ?? ''), route).not.toContain(SECRET_TEXT);
      expect(JSON.stringify(res.body), route).not.toContain('table_list.txt","file_size');
    }
    const created = await request(t.app).post(`${API}/tasks/${taskId}/table-list`).send({ tables: ['public.bss_company'] });
    expect(created.status).toBe(400);
    const upload = await request(t.app).post(`${API}/tasks/${taskId}/files`).attach('file', Buffer.from('x'), 'note.txt');
    expect(upload.status).toBe(400);
  });

  it('a task log that is a link outside is never appended to', async () => {
    const taskId = await createTask();
    fs.symlinkSync(path.join(sentinel.dir, 'data_pipeline.log'), path.join(t.dataRoot, taskId, 'data_pipeline.log'));
    fs.writeFileSync(path.join(t.dataRoot, taskId, 'table_list.txt'), 'public.bss_company\n');
    const { TaskLog } = await import('../../src/task-files/task-log.js');
    expect(() => new TaskLog(path.join(t.dataRoot, taskId), 'x').info('appended')).toThrow(/ELOOP|symbolic/i);
  });
});
