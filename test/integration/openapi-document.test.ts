import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_DOCS } from '../../src/routes/responses/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { seedVectorTables } from '../helpers/vector-db.js';

const API = '/api/v0';
type Operation = { responses: Record<string, { content?: Record<string, { schema?: any; example?: any }> }>; requestBody?: any; parameters?: any[] };
type Doc = { paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  let db: TestDatabase;
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedVectorTables(db);
    t = await createTestApp(db.url);
    doc = (await request(t.app).get(`${API}/openapi.json`).expect(200)).body;
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('gives every operation its own 2xx schema (what data holds) with an example, never the generic envelope', () => {
    const generic: string[] = [];
    let operations = 0;
    for (const [p, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        operations += 1;
        const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
        expect(success.length, `${method} ${p}`).toBeGreaterThan(0);
        for (const [status, response] of success) {
          const json = response.content?.['application/json'];
          const [type] = Object.keys(response.content ?? {});
          if (type !== 'application/json') continue; // a download or a stream: its own content type
          if (p === `${API}/openapi.json`) continue;
          const data = json?.schema?.properties?.data;
          // An object with its own fields, or a choice of such objects (a backup or its dry run).
          const specific = data?.properties?.response !== undefined || (data?.anyOf ?? []).every((s: any) => s.properties?.response !== undefined);
          if (json?.schema?.$ref || !data || !specific || json.example?.data === undefined) generic.push(`${method} ${p} ${status}`);
        }
      }
    }
    expect(operations).toBeGreaterThan(30);
    expect(generic).toEqual([]);
  });

  it('every example matches its own schema', () => {
    for (const [operation, statuses] of Object.entries(RESPONSE_DOCS)) {
      for (const [status, response] of Object.entries(statuses)) {
        const parsed = response!.data.safeParse(response!.example);
        expect(parsed.error?.issues ?? [], `${operation} ${status}`).toEqual([]);
      }
    }
  });

  it('documents enums as enums: statuses, execution_mode, step_name; and the DELETE /tasks body', () => {
    const tasks = doc.paths[`${API}/data_pipeline/tasks`]!;
    const execute = doc.paths[`${API}/data_pipeline/tasks/{task_id}/execute`]!.post!;
    const props = execute.requestBody.content['application/json'].schema.properties;
    expect(props.execution_mode.enum).toEqual(['complete', 'step']);
    expect(props.step_name.enum).toEqual(['ddl_generation', 'qa_generation', 'sql_validation', 'training_load']);
    const detail = doc.paths[`${API}/data_pipeline/tasks/{task_id}`]!.get!.responses['200']!.content!['application/json']!.schema.properties.data.properties;
    expect(detail.status.enum).toEqual(['pending', 'in_progress', 'partial_completed', 'completed', 'failed', 'cancelled']);
    expect(detail.steps.items.properties.step_status.enum).toContain('running');
    expect(detail.execution.anyOf[0].properties.state.enum).toEqual(['queued', 'running', 'succeeded', 'failed', 'cancelling', 'cancelled']);
    const job = doc.paths[`${API}/data_pipeline/vector/jobs/{job_id}`]!.get!.responses['200']!.content!['application/json']!.schema.properties.data.properties;
    expect(job.kind.enum).toEqual(['backup', 'restore', 'verify']);
    const body = tasks.delete!.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(['task_ids', 'confirm', 'delete_database_records', 'continue_on_error']);
    expect(body.properties.confirm.const).toBe(true);
    // The async variants are documented beside the sync replies.
    expect(Object.keys(doc.paths[`${API}/data_pipeline/vector/backup`]!.post!.responses)).toEqual(expect.arrayContaining(['200', '202']));
  });

  it('refers to nothing outside the repository', () => {
    const text = JSON.stringify(doc);
    for (const outside of ['../shared', 'shared/', 'SPEC', '§', 'seed doc', 'file://']) expect(text).not.toContain(outside);
    const refs = [...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.every((ref) => ref.startsWith('#/'))).toBe(true);
  });

  it('the documented schemas hold for real replies', async () => {
    fs.writeFileSync(path.join(t.cwd, 'tables.txt'), 'public.langchain_pg_collection\n');
    const check = (operation: string, status: number, body: { data: unknown }) => {
      const parsed = RESPONSE_DOCS[operation]![status]!.data.safeParse(body.data);
      expect(parsed.error?.issues ?? [], operation).toEqual([]);
    };
    check('get /health', 200, (await request(t.app).get(`${API}/health`).expect(200)).body);
    const created = await request(t.app).post(`${API}/data_pipeline/tasks`).send({ table_list_file: 'tables.txt' }).expect(201);
    check('post /data_pipeline/tasks', 201, created.body);
    const taskId = created.body.data.task_id as string;
    check('get /data_pipeline/tasks/:task_id', 200, (await request(t.app).get(`${API}/data_pipeline/tasks/${taskId}`).expect(200)).body);
    check('get /data_pipeline/tasks', 200, (await request(t.app).get(`${API}/data_pipeline/tasks`).expect(200)).body);
    check('get /data_pipeline/tasks/:task_id/table-list-info', 200, (await request(t.app).get(`${API}/data_pipeline/tasks/${taskId}/table-list-info`).expect(200)).body);
    check('get /data_pipeline/tasks/:task_id/files', 200, (await request(t.app).get(`${API}/data_pipeline/tasks/${taskId}/files`).expect(200)).body);
    const backup = await request(t.app).post(`${API}/data_pipeline/vector/backup`).send({}).expect(200);
    check('post /data_pipeline/vector/backup', 200, backup.body);
    check('post /data_pipeline/vector/backup', 200, (await request(t.app).post(`${API}/data_pipeline/vector/backup`).send({ dry_run: true }).expect(200)).body);
    check('get /data_pipeline/vector/restore/list', 200, (await request(t.app).get(`${API}/data_pipeline/vector/restore/list`).expect(200)).body);
    check('post /database/tables', 200, (await request(t.app).post(`${API}/database/tables`).send({}).expect(200)).body);
    check('post /database/table/ddl', 200, (await request(t.app).post(`${API}/database/table/ddl`).send({ table: 'public.langchain_pg_collection' }).expect(200)).body);
    const stamp = backup.body.data.backup_timestamp as string;
    const set = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: stamp };
    check('post /data_pipeline/vector/restore', 200, (await request(t.app).post(`${API}/data_pipeline/vector/restore`).send({ ...set, truncate_before_restore: true }).expect(200)).body);
    check('delete /data_pipeline/vector/backups', 200, (await request(t.app).delete(`${API}/data_pipeline/vector/backups`).send(set).expect(200)).body);
  });
});
