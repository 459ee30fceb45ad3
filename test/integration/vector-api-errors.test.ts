import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixtureBackups, createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const RESTORE = '/api/v0/data_pipeline/vector/restore';
const LIST = '/api/v0/data_pipeline/vector/restore/list';
const BACKUP = '/api/v0/data_pipeline/vector/backup';

function expectError(body: any, code: number, errorType: string) {
  expect(body).toMatchObject({ success: false, code, data: { error_type: errorType }, error: { type: errorType } });
  expect(typeof body.data.response).toBe('string');
  expect(typeof body.data.timestamp).toBe('string');
}

describe('vector routes: documented errors and the data-root fence', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
    copyFixtureBackups(t.dataRoot);
    // A symlink inside the root pointing at the fixture directory outside it.
    fs.symlinkSync(path.resolve(t.cwd, '..'), path.join(t.dataRoot, 'escape_link'));
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('missing parameters: 400 with the exact text and missing_params', async () => {
    const res = await request(t.app).post(RESTORE).send({}).expect(400);
    expectError(res.body, 400, 'MISSING_REQUIRED_PARAMS');
    expect(res.body.message).toBe('请求参数错误');
    expect(res.body.data.response).toBe('缺少必需参数: backup_path, timestamp');
    expect(res.body.data.missing_params).toEqual(['backup_path', 'timestamp']);
    expect(res.body.error.missing_params).toEqual(['backup_path', 'timestamp']);

    const one = await request(t.app).post(RESTORE).send({ backup_path: './data_pipeline/training_data/vector_bak' }).expect(400);
    expect(one.body.data.response).toBe('缺少必需参数: timestamp');
  });

  it.each([
    [{ timestamp: '2025-07-22' }, '无效的timestamp格式，应为YYYYMMDD_HHMMSS', 'timestamp'],
    [{ timestamp: 20250722010318 }, '参数 timestamp 必须是字符串', 'timestamp'],
    [{ tables: 'langchain_pg_embedding' }, 'tables参数必须是数组格式', 'tables'],
    [{ tables: ['langchain_pg_embedding', 'users'] }, "不支持的表名: ['users']", 'tables'],
    [{ truncate_before_restore: 'yes' }, '参数 truncate_before_restore 必须是布尔值 (true/false)', 'truncate_before_restore'],
    [{ db_connection: 'mysql://x@y/z' }, '参数 db_connection 格式无效，应为 postgresql://user:password@host:port/dbname', 'db_connection'],
  ])('invalid %j → 400 naming the parameter', async (patch, text, param) => {
    const res = await request(t.app)
      .post(RESTORE)
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318', ...patch })
      .expect(400);
    expectError(res.body, 400, 'INVALID_PARAMS');
    expect(res.body.data.response).toBe(text);
    expect(res.body.data.invalid_params).toEqual([param]);
  });

  it('missing directory and missing files: 404 with the documented texts', async () => {
    const dir = await request(t.app)
      .post(RESTORE)
      .send({ backup_path: './data_pipeline/training_data/nonexistent', timestamp: '20250722_999999' })
      .expect(404);
    expectError(dir.body, 404, 'RESOURCE_NOT_FOUND');
    expect(dir.body.message).toBe('资源未找到');
    expect(dir.body.data.response).toBe('备份目录不存在: ./data_pipeline/training_data/nonexistent');

    const files = await request(t.app)
      .post(RESTORE)
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20200101_000000' })
      .expect(404);
    expect(files.body.data.response).toBe(
      '备份文件不存在: langchain_pg_collection_20200101_000000.csv, langchain_pg_embedding_20200101_000000.csv',
    );
  });

  it.each([
    '../../etc',
    './data_pipeline/training_data/../../',
    './data_pipeline/training_data/%2e%2e/%2e%2e',
    '/etc',
    '/tmp',
    './data_pipeline/training_data/escape_link',
    'data_pipeline\\..\\..\\etc',
  ])('backup_path %s outside the data root → 400, nothing read', async (backupPath) => {
    const res = await request(t.app).post(RESTORE).send({ backup_path: backupPath, timestamp: '20250722_010318' }).expect(400);
    expectError(res.body, 400, 'INVALID_PARAMS');
    expect(res.body.data.invalid_params).toEqual(['backup_path']);
  });

  it('accepts the list form without ./ and an absolute path inside the root', async () => {
    for (const backupPath of ['data_pipeline/training_data/vector_bak', path.join(t.dataRoot, 'vector_bak')]) {
      await request(t.app).post(RESTORE).send({ backup_path: backupPath, timestamp: '20250722_010318', truncate_before_restore: true }).expect(200);
    }
  });

  it('task_id is checked on list and backup', async () => {
    const bad = await request(t.app).get(LIST).query({ task_id: '../etc' }).expect(400);
    expect(bad.body.data.response).toBe('无效的task_id格式，只能包含字母、数字和下划线');
    const badBackup = await request(t.app).post(BACKUP).send({ task_id: '..' }).expect(400);
    expect(badBackup.body.data.invalid_params).toEqual(['task_id']);
    const missing = await request(t.app).post(BACKUP).send({ task_id: 'task_19990101_000000' }).expect(404);
    expect(missing.body.data.response).toBe('指定的任务目录不存在: task_19990101_000000');
    await request(t.app).get(LIST).query({ global_only: 'maybe' }).expect(400);
  });

  it('list: shapes and scopes as the seed example', async () => {
    const all = await request(t.app).get(LIST).expect(200);
    expect(all.body.data.response).toBe('成功扫描到 3 个备份位置，共 3 个备份集');
    const [global] = all.body.data.backup_locations;
    expect(global).toEqual({
      type: 'global',
      relative_path: './data_pipeline/training_data/vector_bak',
      backups: [
        {
          timestamp: '20250722_010318',
          collection_file: 'langchain_pg_collection_20250722_010318.csv',
          embedding_file: 'langchain_pg_embedding_20250722_010318.csv',
          collection_size: '204 B',
          embedding_size: '819 KB',
          backup_date: '2025-07-22 01:03:18',
          has_log: true,
          log_file: 'vector_backup_log.txt',
          // SPEC §7: the manifest fields; the original's sets have none (legacy).
          has_manifest: false,
          legacy: true,
          format: 'csv',
          compression: 'none',
          label: null,
          rows: null,
          collections: null,
          source_database: null,
        },
      ],
    });
    expect(all.body.data.summary).toMatchObject({ total_locations: 3, total_backup_sets: 3, global_backups: 1, task_backups: 2 });

    const onlyGlobal = await request(t.app).get(LIST).query({ global_only: 'true' }).expect(200);
    expect(onlyGlobal.body.data.backup_locations.map((l: any) => l.type)).toEqual(['global']);
    const task = await request(t.app).get(LIST).query({ task_id: 'task_20250721_213627' }).expect(200);
    expect(task.body.data.backup_locations).toHaveLength(1);
    expect(task.body.data.backup_locations[0]).toMatchObject({
      type: 'task',
      task_id: 'task_20250721_213627',
      relative_path: './data_pipeline/training_data/task_20250721_213627/vector_bak',
    });
    const none = await request(t.app).get(LIST).query({ task_id: 'task_20000101_000000' }).expect(200);
    expect(none.body.data.response).toBe('未找到任何可用的备份文件');
  });

  it('a set still being written (.tmp) is not listed', async () => {
    const dir = path.join(t.dataRoot, 'task_20990101_000000', 'vector_bak');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'langchain_pg_collection_20990101_000000.csv'), 'uuid,name,cmetadata\n');
    fs.writeFileSync(path.join(dir, 'langchain_pg_embedding_20990101_000000.csv.tmp'), 'id\n');
    const res = await request(t.app).get(LIST).query({ task_id: 'task_20990101_000000' }).expect(200);
    expect(res.body.data.backup_locations).toEqual([]);
  });

  it('malformed JSON → 400 envelope; unknown route → 404; wrong method → 405 with Allow', async () => {
    const bad = await request(t.app).post(RESTORE).set('Content-Type', 'application/json').send('{"backup_path": ').expect(400);
    expectError(bad.body, 400, 'INVALID_PARAMS');
    expect(bad.body.data.invalid_params).toEqual(['body']);

    // curl -d without -H Content-Type still means JSON here.
    const form = await request(t.app).post(RESTORE).set('Content-Type', 'application/x-www-form-urlencoded').send('{}').expect(400);
    expect(form.body.data.error_type).toBe('MISSING_REQUIRED_PARAMS');

    const missing = await request(t.app).get('/api/v0/no/such/route').expect(404);
    expectError(missing.body, 404, 'RESOURCE_NOT_FOUND');
    const wrong = await request(t.app).get(RESTORE).expect(405);
    expectError(wrong.body, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('POST');
  });

  it('a password in db_connection never appears in a reply', async () => {
    const secret = 'S3cretPassw0rd';
    const res = await request(t.app)
      .post(RESTORE)
      .send({
        backup_path: './data_pipeline/training_data/vector_bak',
        timestamp: '20250722_010318',
        db_connection: `postgresql://nobody:${secret}@127.0.0.1:1/none`,
      });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.body.data.error_type).toBe('DATABASE_CONNECTION_ERROR');
    expect(JSON.stringify(res.body)).not.toContain(secret);
  });
});

describe('security options: API_TOKEN, CORS_ORIGINS, ALLOWED_DB_HOSTS', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url, { API_TOKEN: 'tok-123', CORS_ORIGINS: 'http://app.example', ALLOWED_DB_HOSTS: 'db.internal' });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('requires the bearer token except on health and docs', async () => {
    const denied = await request(t.app).get(LIST).expect(401);
    expectError(denied.body, 401, 'UNAUTHORIZED');
    await request(t.app).get(LIST).set('Authorization', 'Bearer wrong').expect(401);
    await request(t.app).get(LIST).set('Authorization', 'Bearer tok-123').expect(200);
    await request(t.app).get('/api/v0/health').expect(200);
    await request(t.app).get('/api/v0/openapi.json').expect(200);
    await request(t.app).get('/api/v0/docs').expect(200);
    await request(t.app).get('/api/v0/docs/init.js').expect(200);
  });

  it('answers CORS preflights for the configured origin only', async () => {
    const ok = await request(t.app).options(RESTORE).set('Origin', 'http://app.example').set('Access-Control-Request-Method', 'POST');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('http://app.example');
    const other = await request(t.app).options(RESTORE).set('Origin', 'http://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses db_connection hosts outside ALLOWED_DB_HOSTS', async () => {
    const res = await request(t.app)
      .post(RESTORE)
      .set('Authorization', 'Bearer tok-123')
      .send({ backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318', db_connection: 'postgresql://u:p@10.0.0.9/x' })
      .expect(400);
    expect(res.body.data.invalid_params).toEqual(['db_connection']);
  });
});
