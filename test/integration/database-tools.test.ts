import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.js';
import { chatCompletion, FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seededDemoPool } from '../helpers/pipeline.js';

const TABLES = '/api/v0/database/tables';
const DDL = '/api/v0/database/table/ddl';
const BSS = ['bss_business_day_data', 'bss_car_day_count', 'bss_company', 'bss_section_route', 'bss_section_route_area_link', 'bss_service_area', 'bss_service_area_mapper'];

function chatReply(content: string) {
  return { body: chatCompletion(content) };
}

describe('database tools on the demo database', () => {
  let db: TestDatabase;
  let pool: Pool;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    await db.query('CREATE TABLE public.bssxcompany (id int primary key); CREATE SCHEMA ods; CREATE TABLE ods.bss_company (id int primary key, "Name" text)');
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t.close();
    await pool.end();
    await db.drop();
  });

  it('the seed guide §6.1 request: schemas list, * wildcard, full names sorted', async () => {
    const res = await request(t.app)
      .post(TABLES)
      .send({ db_connection: db.url, schema: 'public,ods', table_name_pattern: 'bss_*' })
      .expect(200);
    expect(res.body.data.response).toBe('获取表列表成功');
    expect(res.body.data.tables).toEqual(['ods.bss_company', ...BSS.map((n) => `public.${n}`)].sort());
    expect(res.body.data).toMatchObject({ total: 8, schemas: ['public', 'ods'], table_name_pattern: 'bss_*', db_connection_info: { database: db.name } });
    expect(JSON.stringify(res.body)).not.toContain('postgres:postgres');
  });

  it('`_` is literal and `*` matches any run; default schema is public', async () => {
    const exact = await request(t.app).post(TABLES).send({ table_name_pattern: 'bss_company' }).expect(200);
    expect(exact.body.data.tables).toEqual(['public.bss_company']);
    const prefix = await request(t.app).post(TABLES).send({ table_name_pattern: 'bss_c*' }).expect(200);
    expect(prefix.body.data.tables).toEqual(['public.bss_car_day_count', 'public.bss_company']);
    const all = await request(t.app).post(TABLES).send({}).expect(200);
    expect(all.body.data.schemas).toEqual(['public']);
    expect(all.body.data.tables).toContain('public.bssxcompany');
  });

  it('the seed guide §6.2 request (type both): DDL that runs, Markdown, table_info and fields in both namings', async () => {
    const res = await request(t.app).post(DDL).send({ table: 'public.bss_company', business_context: '高速公路服务区管理系统', type: 'both' }).expect(200);
    const data = res.body.data;
    expect(data.response).toBe('获取表BOTH成功');
    expect(data.ddl).toMatch(/^-- 中文名: .+\ncreate table public\.bss_company \(|^-- 中文名: .+\n-- 描述: .+\ncreate table public\.bss_company \(/);
    expect(data.md).toMatch(/^## bss_company（.+）/);
    expect(data.table_info).toMatchObject({ table_name: 'bss_company', schema_name: 'public', full_name: 'public.bss_company', field_count: 10 });
    expect(data.table_info.row_count).toBeGreaterThan(0);
    const id = data.fields.find((f: any) => f.name === 'id');
    expect(id).toMatchObject({ column_name: 'id', type: 'character varying', data_type: 'character varying', max_length: 32, nullable: false, is_nullable: false, is_primary_key: true });
    // No LLM configured: the built-in commenter ran, and says so.
    expect(data.generation_info).toMatchObject({ output_type: 'both', has_llm_comments: false, comment_provider: 'builtin', database: db.name });
    await db.query('CREATE SCHEMA IF NOT EXISTS scratch');
    await db.query(data.ddl.replace('create table public.bss_company', 'create table scratch.bss_company'));
  });

  it('quotes identifiers that need it (mixed case, other schemas)', async () => {
    const res = await request(t.app).post(DDL).send({ table: 'ods.bss_company' }).expect(200);
    expect(res.body.data.ddl).toContain('"Name" text');
    expect(res.body.data.md).toBeUndefined();
    await db.query(res.body.data.ddl.replace('create table ods.bss_company', 'create table scratch.ods_company'));
  });

  it('missing table → 404, missing parameter → 400 (original text), bad type → 400', async () => {
    const missing = await request(t.app).post(DDL).send({ table: 'public.nope' }).expect(404);
    expect(missing.body.data.response).toBe('表 public.nope 不存在或无权限访问');
    const noTable = await request(t.app).post(DDL).send({ type: 'md' }).expect(400);
    expect(noTable.body.data.response).toBe('缺少必需参数：table');
    const badType = await request(t.app).post(DDL).send({ table: 'bss_company', type: 'sql' }).expect(400);
    expect(badType.body.data).toMatchObject({ error_type: 'INVALID_PARAMS', invalid_params: ['type'] });
    expect(badType.body.data.response).toContain('type');
  });
});

describe('database tools with an OpenAI-compatible LLM (local fake server)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let t: TestApp;
  let llm: FakeOpenAiServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await seededDemoPool(db.url);
    llm = await FakeOpenAiServer.start();
    t = await createTestApp(db.url, { LLM_BASE_URL: llm.baseUrl, LLM_MODEL: 'qwen-test', LLM_API_KEY: 'sk-test', LLM_MAX_RETRIES: '0' });
  });
  afterAll(async () => {
    await t.close();
    await llm.close();
    await pool.end();
    await db.drop();
  });

  it('uses LLM comments only with a business_context, mapped by column name', async () => {
    const before = llm.requests.length;
    await request(t.app).post(DDL).send({ table: 'bss_company' }).expect(200);
    expect(llm.requests.length).toBe(before);

    // Fields out of order and one unknown name: mapping is by name, unknowns ignored.
    llm.enqueue(chatReply('<think>reasoning</think>```json\n{"table_comment": "公司表（LLM）", "fields": [{"name": "company_name", "comment": "LLM公司名"}, {"name": "ghost", "comment": "x"}, {"name": "id", "comment": "LLM主键"}]}\n```'));
    const res = await request(t.app).post(DDL).send({ table: 'bss_company', business_context: '高速公路', type: 'both' }).expect(200);
    expect(res.body.data.generation_info).toMatchObject({ has_llm_comments: true, comment_provider: 'openai-compatible:qwen-test' });
    expect(res.body.data.ddl).toContain('-- 中文名: 公司表（LLM）');
    expect(res.body.data.ddl).toMatch(/company_name varchar\(255\),\s+-- LLM公司名/);
    expect(res.body.data.fields.find((f: any) => f.name === 'version').comment).toBe('数据版本号');
    const sent = llm.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect((sent.body as any).model).toBe('qwen-test');
  });

  it('a malformed LLM reply is a clear 502, never a comment', async () => {
    llm.enqueue(chatReply('抱歉，我暂时无法回答您的问题。请稍后再试。'));
    const res = await request(t.app).post(DDL).send({ table: 'bss_company', business_context: '高速公路' }).expect(502);
    expect(res.body.data.error_type).toBe('MODEL_PROVIDER_ERROR');
    expect(res.body.data.response).toMatch(/模型服务调用失败/);
  });
});
