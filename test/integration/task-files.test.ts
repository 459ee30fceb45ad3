import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { type Express, type Request } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { createErrorHandler } from '../../src/http/error-handler.js';
import { RouteRegistry } from '../../src/http/route-registry.js';
import { registerFileRoutes } from '../../src/routes/files.js';
import { BackupCatalog } from '../../src/backups/sets/backup-catalog.js';
import { DataRoot } from '../../src/lib/data-root.js';
import { loadConfig } from '../../src/config.js';
import type { TaskRow } from '../../src/db/sql/tasks.sql.js';
import { TableListService } from '../../src/task-files/table-list-service.js';
import { FileService } from '../../src/task-files/task-file-service.js';
import { TaskLookup } from '../../src/task-files/task-lookup.js';
import { STEP_NAMES } from '../../src/tasks/task-states.js';
import { FIXTURE_BACKUPS, FIXTURES_DIR } from '../helpers/app.js';

const TASK = 'task_20250721_213627';
const EMPTY_TASK = 'task_20250801_000000';
const SYMLINK_TASK = 'task_20250802_000000';
const HIGHWAY = path.join(FIXTURES_DIR, 'highway_db');
const PAIR_FILE = 'qs_highway_db_20250721_234914_pair.json';
const OLD_PAIR_FILE = 'qs_highway_db_20250720_100000_pair.json';
const SECRET = 'TOP-SECRET-OUTSIDE-THE-DATA-ROOT';
const MiB = 1024 * 1024;

const api = (taskId: string, rest: string) => `/api/v0/data_pipeline/tasks/${taskId}/${rest}`;

/** `# 表清单` + names, GBK-encoded (Node has no GBK encoder; these are the GBK bytes of 表清单). */
const GBK_TABLE_LIST = Buffer.concat([
  Buffer.from([0x23, 0x20, 0xb1, 0xed, 0xc7, 0xe5, 0xb5, 0xa5, 0x0a]),
  Buffer.from('bss_company\nbss_service_area\n'),
]);

/** Collects any response body as a Buffer, whatever its Content-Type. */
function binaryParser(res: unknown, callback: (err: Error | null, body: Buffer) => void) {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}

function expectError(body: any, code: number, errorType: string, response?: string) {
  expect(body).toMatchObject({ success: false, code, data: { error_type: errorType }, error: { type: errorType } });
  if (response !== undefined) expect(body.data.response).toBe(response);
}

/** A hand-built multipart body, so the file name reaches the server exactly as written. */
function multipart(filename: string, content: Buffer | string, options: { field?: string; fields?: Record<string, string> } = {}) {
  const boundary = `----t2s${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(options.fields ?? {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${options.field ?? 'file'}"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('task files: list, download, table list, uploads', () => {
  let cwd: string;
  let dataRoot: DataRoot;
  let taskDir: string;
  let uploadTempDir: string;
  let app: Express;

  const uploadRaw = (url: string, filename: string, content: Buffer | string, options?: Parameters<typeof multipart>[2]) => {
    const { body, contentType } = multipart(filename, content, options);
    return request(app).post(url).set('Content-Type', contentType).send(body);
  };
  const tempFiles = () => fs.readdirSync(uploadTempDir);

  beforeAll(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-files-'));
    dataRoot = new DataRoot('./data_pipeline/training_data', cwd);
    taskDir = path.join(dataRoot.dir, TASK);
    uploadTempDir = path.join(cwd, 'upload-tmp');

    // The original's task backups (vector_bak/ with one complete set) plus a pipeline run's outputs.
    fs.cpSync(path.join(FIXTURE_BACKUPS, TASK), taskDir, { recursive: true });
    for (const name of fs.readdirSync(HIGHWAY)) fs.copyFileSync(path.join(HIGHWAY, name), path.join(taskDir, name));
    for (const entry of fs.readdirSync(taskDir, { recursive: true, withFileTypes: true })) {
      fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
    }
    fs.chmodSync(taskDir, 0o755);
    fs.rmSync(path.join(taskDir, 'table_list.txt'));
    fs.writeFileSync(path.join(taskDir, OLD_PAIR_FILE), '[]');
    const old = new Date('2025-07-20T10:00:00');
    fs.utimesSync(path.join(taskDir, OLD_PAIR_FILE), old, old);
    fs.writeFileSync(path.join(taskDir, '说明 文档.md'), '# 说明\n中文内容\n');
    fs.mkdirSync(path.join(taskDir, 'file_bak_20250721_220000'));
    fs.writeFileSync(path.join(taskDir, 'file_bak_20250721_220000', 'backup_info.json'), '{}');

    // Outside the data root, and the links that try to reach it.
    fs.writeFileSync(path.join(cwd, 'secret.txt'), SECRET);
    fs.mkdirSync(path.join(cwd, 'outside_dir'));
    fs.writeFileSync(path.join(cwd, 'outside_dir', 'secret.txt'), SECRET);
    fs.symlinkSync(path.join(cwd, 'secret.txt'), path.join(taskDir, 'link.txt'));
    fs.mkdirSync(path.join(dataRoot.dir, SYMLINK_TASK));
    fs.symlinkSync(path.join(cwd, 'outside_dir'), path.join(dataRoot.dir, SYMLINK_TASK, 'vector_bak'));
    fs.symlinkSync(path.join(cwd, 'outside_dir'), path.join(dataRoot.dir, 'task_linked_out'));

    const known = new Set([TASK, EMPTY_TASK, SYMLINK_TASK, 'task_linked_out']);
    const taskLookup = new TaskLookup(dataRoot, async (id) => (known.has(id) ? ({ task_id: id } as TaskRow) : undefined));
    // The configured defaults (TABLE_LIST_MAX_BYTES, UPLOAD_MAX_BYTES), the limits these tests pin.
    const { uploads } = loadConfig({});
    const limits = { tableListBytes: uploads.tableListBytes, uploadBytes: uploads.maxBytes };
    const files = new FileService(dataRoot, taskLookup, new BackupCatalog(dataRoot), limits, STEP_NAMES);
    const tableLists = new TableListService(dataRoot, taskLookup, limits);
    const registry = new RouteRegistry();
    registerFileRoutes(registry, { files, tableLists, taskLookup }, { uploadTempDir, ...limits });
    const router = express.Router();
    registry.mount(router);
    app = express();
    app.use(express.json());
    app.use('/api/v0', router);
    app.use((req: Request) => {
      throw new NotFoundError(`接口不存在: ${req.method} ${req.path}`);
    });
    app.use(createErrorHandler(pino({ level: 'silent' })));
  });

  afterAll(() => {
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  describe('GET …/files', () => {
    it('lists regular files with the original and the documented fields', async () => {
      const res = await request(app).get(api(TASK, 'files')).expect(200);
      expect(res.body).toMatchObject({ success: true, code: 200, data: { response: '获取任务文件列表成功', task_id: TASK } });
      const data = res.body.data;
      const names = data.files.map((f: any) => f.file_name);
      expect(names).toContain('bss_company.ddl');
      expect(names).toContain('说明 文档.md');
      expect(names).not.toContain('link.txt');
      expect(names).not.toContain('vector_bak');
      expect(names).not.toContain('file_bak_20250721_220000');

      const pair = data.files.find((f: any) => f.file_name === PAIR_FILE);
      expect(pair).toEqual({
        file_name: PAIR_FILE,
        file_type: 'json',
        file_size: 22470,
        file_size_formatted: '21.9 KB',
        file_size_human: '21.9 KB',
        created_at: expect.any(String),
        modified_at: expect.any(String),
        is_readable: true,
        is_primary: true,
        description: 'Question-SQL训练数据对',
        download_url: `/api/v0/data_pipeline/tasks/${TASK}/files/${PAIR_FILE}`,
      });
      expect(data.files.filter((f: any) => f.is_primary).map((f: any) => f.file_name)).toEqual([PAIR_FILE]);
      expect(data.files.find((f: any) => f.file_name === 'bss_company.ddl')).toMatchObject({ file_type: 'ddl', description: 'DDL文件' });
      expect(data.files.find((f: any) => f.file_name === '说明 文档.md').download_url).toBe(
        `/api/v0/data_pipeline/tasks/${TASK}/files/%E8%AF%B4%E6%98%8E%20%E6%96%87%E6%A1%A3.md`,
      );

      const mtimes = data.files.map((f: any) => Date.parse(f.modified_at));
      expect(mtimes).toEqual([...mtimes].sort((a, b) => b - a));
      const totalSize = data.files.reduce((n: number, f: any) => n + f.file_size, 0);
      expect(data.directory_info).toMatchObject({
        exists: true,
        directory_path: `./data_pipeline/training_data/${TASK}`,
        total_files: data.files.length,
        total_size: totalSize,
      });
      expect(data.total_files).toBe(data.files.length);
      expect(data.total_size).toBe(totalSize);
      expect(data.backup_directories).toEqual(['file_bak_20250721_220000']);
    });

    it('nests the vector_bak/ sets of the original backups', async () => {
      const { body } = await request(app).get(api(TASK, 'files')).expect(200);
      const vectorBak = body.data.vector_bak;
      expect(vectorBak).toMatchObject({ exists: true, directory_path: `./data_pipeline/training_data/${TASK}/vector_bak`, total_files: 3 });
      expect(vectorBak.backup_sets).toEqual([
        expect.objectContaining({
          timestamp: '20250721_215758',
          collection_file: 'langchain_pg_collection_20250721_215758.csv',
          embedding_file: 'langchain_pg_embedding_20250721_215758.csv',
          has_log: true,
          collection_download_url: `/api/v0/data_pipeline/tasks/${TASK}/files/vector_bak/langchain_pg_collection_20250721_215758.csv`,
          log_download_url: `/api/v0/data_pipeline/tasks/${TASK}/files/vector_bak/vector_backup_log.txt`,
        }),
      ]);
      expect(vectorBak.files.map((f: any) => f.file_name).sort()).toEqual([
        'langchain_pg_collection_20250721_215758.csv',
        'langchain_pg_embedding_20250721_215758.csv',
        'vector_backup_log.txt',
      ]);
      expect(vectorBak.files.find((f: any) => f.file_name.startsWith('langchain_pg_embedding'))).toMatchObject({
        file_size: 782328,
        description: 'Vector表备份',
        is_primary: false,
      });
    });

    it('a task without a directory: exists false and zeros; an unknown task: 404', async () => {
      const { body } = await request(app).get(api(EMPTY_TASK, 'files')).expect(200);
      expect(body.data).toMatchObject({
        files: [],
        total_files: 0,
        total_size: 0,
        directory_info: { exists: false, total_files: 0, total_size: 0, total_size_formatted: '0 B' },
        vector_bak: { exists: false, backup_sets: [], files: [] },
        backup_directories: [],
      });
      expect(body.data.directory_info.directory_path).toBe(`./data_pipeline/training_data/${EMPTY_TASK}`);

      const missing = await request(app).get(api('task_19990101_000000', 'files')).expect(404);
      expectError(missing.body, 404, 'TASK_NOT_FOUND', '任务不存在: task_19990101_000000');
    });
  });

  describe('GET …/files/:file_name', () => {
    it('streams the file with its type and an attachment disposition', async () => {
      const res = await request(app).get(api(TASK, 'files/bss_company.ddl')).buffer(true).parse(binaryParser).expect(200);
      expect(res.headers['content-type']).toBe('application/sql; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="bss_company.ddl"; filename*=UTF-8''bss_company.ddl`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.body).toEqual(fs.readFileSync(path.join(HIGHWAY, 'bss_company.ddl')));

      const json = await request(app).get(api(TASK, `files/${PAIR_FILE}`)).expect(200);
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(json.headers['content-length']).toBe('22470');
    });

    it('a Chinese file name: RFC 5987 filename* plus an ASCII fallback', async () => {
      const res = await request(app).get(api(TASK, `files/${encodeURIComponent('说明 文档.md')}`)).expect(200);
      expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="__ __.md"; filename*=UTF-8''%E8%AF%B4%E6%98%8E%20%E6%96%87%E6%A1%A3.md`,
      );
      expect(res.text).toBe('# 说明\n中文内容\n');
    });

    it('vector_bak/ files, by path or with an encoded slash', async () => {
      const expected = fs.readFileSync(path.join(taskDir, 'vector_bak/langchain_pg_collection_20250721_215758.csv'), 'utf8');
      const res = await request(app).get(api(TASK, 'files/vector_bak/langchain_pg_collection_20250721_215758.csv')).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.text).toBe(expected);
      const encoded = await request(app).get(api(TASK, 'files/vector_bak%2Flangchain_pg_collection_20250721_215758.csv')).expect(200);
      expect(encoded.text).toBe(expected);
    });

    it('missing file 404, directory 400', async () => {
      const missing = await request(app).get(api(TASK, 'files/nope.txt')).expect(404);
      expectError(missing.body, 404, 'FILE_NOT_FOUND', '文件不存在: nope.txt');
      const dir = await request(app).get(api(TASK, 'files/file_bak_20250721_220000')).expect(400);
      expectError(dir.body, 400, 'INVALID_PARAMS', '路径不是有效文件: file_bak_20250721_220000');
      const unknownTask = await request(app).get(api('task_19990101_000000', 'files/a.txt')).expect(404);
      expectError(unknownTask.body, 404, 'TASK_NOT_FOUND');
    });
  });

  describe('path escapes never leave the task directory', () => {
    it.each(['..', '%2e%2e', '%2E%2E', '..%2f..', 'task%00x', 'a-b'])('task_id %s → 400', async (taskId) => {
      for (const rest of ['files', 'files/a.txt', 'table-list-info']) {
        const res = await request(app).get(`/api/v0/data_pipeline/tasks/${taskId}/${rest}`).expect(400);
        expectError(res.body, 400, 'INVALID_PARAMS', '无效的task_id格式，只能包含字母、数字和下划线');
      }
      const upload = await uploadRaw(`/api/v0/data_pipeline/tasks/${taskId}/upload-table-list`, 't.txt', 'a\n').expect(400);
      expect(upload.body.data.response).toBe('无效的task_id格式，只能包含字母、数字和下划线');
    });

    it.each(['..', '%2e%2e', '%2e%2e%2fsecret.txt', '..%2f..%2f..%2fsecret.txt', '..%5csecret.txt', '%2Fetc%2Fpasswd', '%2F' + encodeURIComponent(path.join(os.tmpdir(), 'x')), 'vector_bak%2F..%2F..%2Fx', 'a%00b'])(
      'file name %s → 400 without any outside content',
      async (name) => {
        const res = await request(app).get(api(TASK, `files/${name}`)).expect(400);
        expectError(res.body, 400, 'INVALID_PARAMS');
        expect(res.text).not.toContain(SECRET);
      },
    );

    it('a symlink inside the task dir pointing outside: not listed, not downloadable', async () => {
      const res = await request(app).get(api(TASK, 'files/link.txt')).expect(400);
      expectError(res.body, 400, 'INVALID_PARAMS', '非法的文件路径');
      expect(res.text).not.toContain(SECRET);
    });

    it('a vector_bak/ symlinked outside: not listed, not downloadable', async () => {
      const list = await request(app).get(api(SYMLINK_TASK, 'files')).expect(200);
      expect(list.body.data.vector_bak).toMatchObject({ exists: false, files: [], backup_sets: [] });
      const res = await request(app).get(api(SYMLINK_TASK, 'files/vector_bak/secret.txt'));
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toContain(SECRET);
    });

    it('a task directory that is itself a symlink out of the root is treated as absent', async () => {
      const list = await request(app).get(api('task_linked_out', 'files')).expect(200);
      expect(list.body.data).toMatchObject({ files: [], directory_info: { exists: false } });
      const res = await request(app).get(api('task_linked_out', 'files/secret.txt')).expect(404);
      expect(res.text).not.toContain(SECRET);
    });
  });

  describe('POST …/upload-table-list and GET …/table-list-info', () => {
    afterEach(() => {
      expect(tempFiles()).toEqual([]);
    });

    it('before any upload: has_file false', async () => {
      const { body } = await request(app).get(api(TASK, 'table-list-info')).expect(200);
      expect(body.data).toMatchObject({
        response: '获取表清单文件信息成功',
        has_file: false,
        has_table_list: false,
        exists: false,
        file_name: 'table_list.txt',
        expected_path: `./data_pipeline/training_data/${TASK}/table_list.txt`,
        table_count: 0,
      });
    });

    it('uploads the highway table list; info then shows its 7 tables', async () => {
      const res = await request(app)
        .post(api(TASK, 'upload-table-list'))
        .attach('file', path.join(HIGHWAY, 'table_list.txt'))
        .expect(200);
      expect(res.body.data).toMatchObject({
        response: '表清单文件上传成功',
        task_id: TASK,
        filename: 'table_list.txt',
        file_name: 'table_list.txt',
        file_size: 266,
        file_size_formatted: '266 B',
        upload_time: expect.any(String),
        table_count: 7,
        source_encoding: 'utf-8',
      });
      expect(res.body.data.tables).toHaveLength(7);
      expect(fs.readFileSync(path.join(taskDir, 'table_list.txt'))).toEqual(fs.readFileSync(path.join(HIGHWAY, 'table_list.txt')));

      const info = await request(app).get(api(TASK, 'table-list-info')).expect(200);
      expect(info.body.data).toMatchObject({
        has_file: true,
        has_table_list: true,
        exists: true,
        file_name: 'table_list.txt',
        filename: 'table_list.txt',
        file_path: `./data_pipeline/training_data/${TASK}/table_list.txt`,
        file_size: 266,
        table_count: 7,
        is_readable: true,
        uploaded_at: expect.any(String),
        created_at: expect.any(String),
      });
      const expected = [
        'bss_car_day_count',
        'bss_business_day_data',
        'bss_company',
        'bss_section_route',
        'bss_section_route_area_link',
        'bss_service_area',
        'bss_service_area_mapper',
      ];
      expect(info.body.data.table_names).toEqual(expected);
      expect(info.body.data.tables).toEqual(expected);
    });

    it('a GBK file is accepted and stored as UTF-8', async () => {
      const res = await request(app).post(api(TASK, 'upload-table-list')).attach('file', GBK_TABLE_LIST, { filename: 'gbk.txt' }).expect(200);
      expect(res.body.data).toMatchObject({ source_encoding: 'gbk', table_count: 2, tables: ['bss_company', 'bss_service_area'] });
      expect(fs.readFileSync(path.join(taskDir, 'table_list.txt'), 'utf8')).toBe('# 表清单\nbss_company\nbss_service_area\n');
    });

    it('2 MiB + 1 byte → 413 with the original text', async () => {
      const res = await request(app)
        .post(api(TASK, 'upload-table-list'))
        .attach('file', Buffer.alloc(2 * MiB + 1, 'a'), { filename: 'big.txt' })
        .expect(413);
      expectError(res.body, 413, 'PAYLOAD_TOO_LARGE', '文件大小超过限制: 2MB');
    });

    it.each([
      ['tables.csv', 'a\n', '不支持的文件类型，仅支持: .txt'],
      ['empty.txt', '', '文件为空，请选择有效的表清单文件'],
      ['blank.txt', '  \n\n', '表清单文件为空'],
      ['comments.txt', '# only\n-- comments\n', '表清单文件不包含有效的表名'],
      ['binary.txt', Buffer.from([0x61, 0x00, 0xff, 0xfe]), '文件编码错误，请确保文件为UTF-8或GBK格式'],
      ['bad.txt', 'ok_table\na;b\nc(d)\nx.y.z\nlast*\n', '表清单文件包含无效的表名格式: a;b, c(d), x.y.z'],
    ])('%s → 400', async (filename, content, text) => {
      const before = fs.readFileSync(path.join(taskDir, 'table_list.txt'), 'utf8');
      const res = await request(app).post(api(TASK, 'upload-table-list')).attach('file', Buffer.from(content), { filename }).expect(400);
      expectError(res.body, 400, 'INVALID_PARAMS', text);
      expect(fs.readFileSync(path.join(taskDir, 'table_list.txt'), 'utf8')).toBe(before);
    });

    it('every name is checked, not just the first 10', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
      names.push('bad;name');
      const res = await request(app).post(api(TASK, 'upload-table-list')).attach('file', Buffer.from(names.join('\n')), { filename: 'long.txt' }).expect(400);
      expect(res.body.data.response).toBe('表清单文件包含无效的表名格式: bad;name');
    });

    it('missing file part, wrong field, unknown task', async () => {
      const missing = await request(app).post(api(TASK, 'upload-table-list')).field('note', 'x').expect(400);
      expectError(missing.body, 400, 'MISSING_REQUIRED_PARAMS', '请选择要上传的表清单文件');
      expect(missing.body.data.missing_params).toEqual(['file']);
      expect(missing.body.error.missing_params).toEqual(['file']);

      const noBody = await request(app).post(api(TASK, 'upload-table-list')).expect(400);
      expect(noBody.body.data.response).toBe('请选择要上传的表清单文件');

      const wrongField = await uploadRaw(api(TASK, 'upload-table-list'), 't.txt', 'a\n', { field: 'upload' }).expect(400);
      expectError(wrongField.body, 400, 'INVALID_PARAMS');
      expect(wrongField.body.data.invalid_params).toEqual(['upload']);

      const unknown = await request(app)
        .post(api('task_19990101_000000', 'upload-table-list'))
        .attach('file', Buffer.from('a\n'), { filename: 't.txt' })
        .expect(404);
      expectError(unknown.body, 404, 'TASK_NOT_FOUND', '任务不存在: task_19990101_000000');
    });
  });

  describe('POST …/table-list', () => {
    const read = () => fs.readFileSync(path.join(taskDir, 'table_list.txt'), 'utf8');

    it('`tables` array: de-duplicated in order, written with the header', async () => {
      const res = await request(app)
        .post(api(TASK, 'table-list'))
        .send({ tables: ['bss_company', 'public.bss_service_area', 'bss_company', ' bss_car_day_count '] })
        .expect(200);
      expect(res.body.data).toMatchObject({
        response: '表清单已成功创建，包含 3 个表',
        task_id: TASK,
        filename: 'table_list.txt',
        table_count: 3,
        unique_table_count: 3,
        original_count: 4,
        tables: ['bss_company', 'public.bss_service_area', 'bss_car_day_count'],
        created_time: expect.any(String),
      });
      expect(res.body.data.file_size).toBe(Buffer.byteLength(read()));
      expect(read()).toMatch(/^# 表清单文件\n# 生成时间: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n# 表数量: 3\n\nbss_company\npublic\.bss_service_area\nbss_car_day_count\n$/);

      const info = await request(app).get(api(TASK, 'table-list-info')).expect(200);
      expect(info.body.data.tables).toEqual(['bss_company', 'public.bss_service_area', 'bss_car_day_count']);
    });

    it('`table_names` as the documented comma-separated string, with business_context', async () => {
      const res = await request(app)
        .post(api(TASK, 'table-list'))
        .send({ table_names: 'bss_company, bss_section_route', business_context: '高速公路服务区管理系统' })
        .expect(200);
      expect(res.body.data).toMatchObject({ response: '表清单已成功创建，包含 2 个表', table_count: 2 });
      expect(read()).toContain('bss_company\nbss_section_route\n');
    });

    it.each([
      [{}, 'MISSING_REQUIRED_PARAMS', '缺少必需参数：tables'],
      [{ tables: '' }, 'MISSING_REQUIRED_PARAMS', '缺少必需参数：tables'],
      [{ tables: null }, 'MISSING_REQUIRED_PARAMS', '缺少必需参数：tables'],
      [{ tables: 42 }, 'INVALID_PARAMS', 'tables参数格式错误，应为字符串（逗号分隔）或数组'],
      [{ table_names: { a: 1 } }, 'INVALID_PARAMS', 'table_names参数格式错误，应为字符串（逗号分隔）或数组'],
      [{ tables: ['a'], table_names: ['b'] }, 'INVALID_PARAMS', '参数 tables 与 table_names 不能同时指定不同的值'],
      [{ tables: ' , ' }, 'INVALID_PARAMS', '表名列表不能为空'],
      [{ tables: [] }, 'INVALID_PARAMS', '表名列表不能为空'],
      [{ tables: ['# comment'] }, 'INVALID_PARAMS', '表名数量不能少于 1 个'],
      [{ tables: ['ok', 'a;b', 'x.y.z', 'c(d)', 'e*', 'f!', 'g@'] }, 'INVALID_PARAMS', '包含无效的表名格式: a;b, x.y.z, c(d), e*, f!'],
      [{ tables: Array.from({ length: 1001 }, (_, i) => `t${i}`) }, 'INVALID_PARAMS', '表名数量不能超过 1000 个'],
    ])('%j → 400', async (body, errorType, text) => {
      const before = read();
      const res = await request(app).post(api(TASK, 'table-list')).send(body).expect(400);
      expectError(res.body, 400, errorType, text);
      expect(read()).toBe(before);
    });

    it('unknown task → 404', async () => {
      const res = await request(app).post(api('task_19990101_000000', 'table-list')).send({ tables: ['a'] }).expect(404);
      expectError(res.body, 404, 'TASK_NOT_FOUND', '任务不存在: task_19990101_000000');
    });
  });

  describe('POST …/files', () => {
    afterEach(() => {
      expect(tempFiles()).toEqual([]);
    });

    const url = api(TASK, 'files');
    const upload = (name: string, content: string | Buffer, mode?: string) => {
      const req = request(app).post(url);
      if (mode !== undefined) req.field('overwrite_mode', mode);
      return req.attach('file', Buffer.from(content), { filename: name });
    };

    it('backup (default), replace and skip', async () => {
      const first = await upload('notes.sql', 'select 1;').expect(200);
      expect(first.body.data).toMatchObject({
        response: '文件上传成功',
        success: true,
        task_id: TASK,
        uploaded_file: { filename: 'notes.sql', size: 9, size_formatted: '9 B', uploaded_at: expect.any(String), overwrite_mode: 'backup' },
      });
      expect(first.body.data.backup_info).toBeUndefined();

      const second = await upload('notes.sql', 'select 2;').expect(200);
      expect(second.body.data.backup_info).toMatchObject({
        had_existing_file: true,
        backup_filename: 'notes.sql_bak1',
        backup_version: 1,
        backup_created_at: expect.any(String),
      });
      expect(fs.readFileSync(path.join(taskDir, 'notes.sql_bak1'), 'utf8')).toBe('select 1;');
      expect(fs.readFileSync(path.join(taskDir, 'notes.sql'), 'utf8')).toBe('select 2;');

      const third = await upload('notes.sql', 'select 3;', 'backup').expect(200);
      expect(third.body.data.backup_info.backup_filename).toBe('notes.sql_bak2');

      const replaced = await upload('notes.sql', 'select 4;', 'replace').expect(200);
      expect(replaced.body.data.backup_info).toBeUndefined();
      expect(replaced.body.data.uploaded_file.overwrite_mode).toBe('replace');
      expect(fs.existsSync(path.join(taskDir, 'notes.sql_bak3'))).toBe(false);
      expect(fs.readFileSync(path.join(taskDir, 'notes.sql'), 'utf8')).toBe('select 4;');

      const skipped = await upload('notes.sql', 'select 5;', 'skip').expect(200);
      expect(skipped.body.data).toMatchObject({
        response: '文件已存在，跳过上传: notes.sql',
        success: true,
        skipped: true,
        message: '文件已存在，跳过上传: notes.sql',
        uploaded_file: { filename: 'notes.sql', existed: true, action: 'skipped' },
      });
      expect(fs.readFileSync(path.join(taskDir, 'notes.sql'), 'utf8')).toBe('select 4;');

      const fresh = await upload('fresh.csv', 'a,b\n1,2\n', 'skip').expect(200);
      expect(fresh.body.data.response).toBe('文件上传成功');
    });

    it('keeps a Chinese file name', async () => {
      const res = await upload('业务说明.md', '# 业务\n').expect(200);
      expect(res.body.data.uploaded_file.filename).toBe('业务说明.md');
      expect(fs.readFileSync(path.join(taskDir, '业务说明.md'), 'utf8')).toBe('# 业务\n');
    });

    it.each(['../escape.txt', '..\\escape.txt', '/tmp/escape.txt', 'sub/escape.txt', 'CON.txt', 'a..b.txt', 'x|y.txt'])(
      'unsafe name %s → 400 and nothing written',
      async (name) => {
        const res = await uploadRaw(url, name, 'data').expect(400);
        expectError(res.body, 400, 'INVALID_PARAMS', `文件名包含不安全字符: ${name}`);
        expect(fs.existsSync(path.join(dataRoot.dir, 'escape.txt'))).toBe(false);
        expect(fs.existsSync(path.join(taskDir, 'escape.txt'))).toBe(false);
        expect(fs.existsSync('/tmp/escape.txt')).toBe(false);
      },
    );

    it('wrong extension, empty file, too large, bad overwrite_mode, missing part', async () => {
      const ext = await upload('tool.exe', 'MZ').expect(400);
      expectError(ext.body, 400, 'INVALID_PARAMS', '不支持的文件类型: .exe，允许的类型: .csv, .ddl, .json, .md, .sql, .txt');

      const empty = await upload('empty.txt', '').expect(400);
      expectError(empty.body, 400, 'INVALID_PARAMS', '文件为空');

      const big = await upload('big.csv', Buffer.alloc(10 * MiB + 1, 'a')).expect(413);
      expectError(big.body, 413, 'PAYLOAD_TOO_LARGE', '文件大小超出限制，最大允许: 10 MB');

      const mode = await upload('mode.txt', 'x', 'merge').expect(400);
      expectError(mode.body, 400, 'INVALID_PARAMS', '无效的overwrite_mode参数: merge，支持的值: backup, replace, skip');
      expect(fs.existsSync(path.join(taskDir, 'mode.txt'))).toBe(false);

      const missing = await request(app).post(url).field('overwrite_mode', 'replace').expect(400);
      expectError(missing.body, 400, 'MISSING_REQUIRED_PARAMS', '请选择要上传的文件');
      expect(missing.body.data.missing_params).toEqual(['file']);
    });

    it('table_list.txt through this route gets the table-list checks and is stored as UTF-8', async () => {
      const bad = await upload('table_list.txt', 'a;b\n', 'replace').expect(400);
      expect(bad.body.data.response).toBe('表清单文件包含无效的表名格式: a;b');
      await upload('table_list.txt', GBK_TABLE_LIST, 'replace').expect(200);
      expect(fs.readFileSync(path.join(taskDir, 'table_list.txt'), 'utf8')).toBe('# 表清单\nbss_company\nbss_service_area\n');
    });

    it('never writes through a symlink or over a directory', async () => {
      const link = await upload('link.txt', 'overwrite?', 'backup').expect(400);
      expectError(link.body, 400, 'INVALID_PARAMS', '目标路径不是普通文件: link.txt');
      expect(fs.readFileSync(path.join(cwd, 'secret.txt'), 'utf8')).toBe(SECRET);
      expect(fs.existsSync(path.join(taskDir, 'link.txt_bak1'))).toBe(false);
    });

    it('unknown task → 404, and a task row without a directory gets one', async () => {
      const unknown = await upload('x.txt', 'x').expect(200);
      expect(unknown.body.success).toBe(true);
      const res = await request(app)
        .post(api('task_19990101_000000', 'files'))
        .attach('file', Buffer.from('x'), { filename: 'x.txt' })
        .expect(404);
      expectError(res.body, 404, 'TASK_NOT_FOUND');

      await request(app).post(api(EMPTY_TASK, 'files')).attach('file', Buffer.from('x'), { filename: 'x.txt' }).expect(200);
      expect(fs.readFileSync(path.join(dataRoot.dir, EMPTY_TASK, 'x.txt'), 'utf8')).toBe('x');
    });
  });
});
