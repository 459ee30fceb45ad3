import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixtureBackups, createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode, withDatabase } from '../helpers/test-database-url.js';

const API = '/api/v0';
const PASSWORD = 'Kn0wnPassw0rd-conn';
const RESTORE_SET = { backup_path: './data_pipeline/training_data/vector_bak', timestamp: '20250722_010318' };

/**
 * Item 17 (SPEC §3 "Connection failures"): unreachable → 503 DATABASE_CONNECTION_ERROR everywhere;
 * a caller's connection string the server refuses → 400 INVALID_PARAMS naming the parameter; the
 * same refusal on the server's own configured database → 503. Faults are real: a closed port,
 * a database and a role that do not exist, a startup option PostgreSQL does not know.
 */
describe.skipIf(embeddedTestMode())('connection failures map the same way on every route', () => {
  let db: TestDatabase;
  let t: TestApp;
  let own: TestApp;
  let urls: { refused: string; noDatabase: string; noRole: string; badOption: string; sslUnsupported: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
    copyFixtureBackups(t.dataRoot);
    const withPassword = (url: string, user = 'postgres') => {
      const u = new URL(url);
      u.username = user;
      u.password = PASSWORD;
      return u.toString();
    };
    urls = {
      refused: `postgresql://postgres:${PASSWORD}@127.0.0.1:1/postgres`,
      noDatabase: withPassword(withDatabase(db.url, 'no_such_database_t2s')),
      noRole: withPassword(db.url, 'no_such_role_t2s'),
      badOption: `${withPassword(db.url)}?options=-c%20no_such_setting%3D1`,
      sslUnsupported: `${withPassword(db.url)}?sslmode=require`,
    };
    // The server's own vector and business databases renamed away: an operator problem.
    const missing = withDatabase(db.url, 'no_such_database_t2s');
    own = await createTestApp(db.url, { VECTOR_DATABASE_URL: missing, BUSINESS_DATABASE_URL: missing });
    copyFixtureBackups(own.dataRoot);
  });
  afterAll(async () => {
    await own.close();
    await t.close();
    await db.drop();
  });

  function expectNoPassword(body: unknown) {
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
  }

  it('an unreachable database is a 503 on every route that connects (backup was a 500)', async () => {
    const calls = {
      backup: request(t.app).post(`${API}/data_pipeline/vector/backup`).send({ db_connection: urls.refused }),
      restore: request(t.app).post(`${API}/data_pipeline/vector/restore`).send({ ...RESTORE_SET, pg_conn: urls.refused }),
      tables: request(t.app).post(`${API}/database/tables`).send({ db_connection: urls.refused }),
      ddl: request(t.app).post(`${API}/database/table/ddl`).send({ table: 'public.x', db_connection: urls.refused }),
    };
    for (const [route, call] of Object.entries(calls)) {
      const res = await call;
      expect(res.status, route).toBe(503);
      expect(res.body.data.error_type).toBe('DATABASE_CONNECTION_ERROR');
      expectNoPassword(res.body);
    }
  });

  it.each([
    ['noDatabase', '3D000'],
    ['noRole', '28000'],
    ['badOption', ''],
    ['sslUnsupported', ''],
  ] as const)("a caller's connection string refused by the server (%s) is a 400 naming the parameter", async (key, code) => {
    const url = urls[key];
    const cases = [
      { route: 'backup', res: await request(t.app).post(`${API}/data_pipeline/vector/backup`).send({ db_connection: url }), param: 'db_connection' },
      { route: 'restore', res: await request(t.app).post(`${API}/data_pipeline/vector/restore`).send({ ...RESTORE_SET, pg_conn: url }), param: 'pg_conn' },
      { route: 'restore', res: await request(t.app).post(`${API}/data_pipeline/vector/restore`).send({ ...RESTORE_SET, db_connection: url }), param: 'db_connection' },
      { route: 'tables', res: await request(t.app).post(`${API}/database/tables`).send({ db_connection: url }), param: 'db_connection' },
      { route: 'ddl', res: await request(t.app).post(`${API}/database/table/ddl`).send({ table: 'public.x', db_connection: url }), param: 'db_connection' },
    ];
    for (const { route, res, param } of cases) {
      expect(res.status, `${route} ${param}`).toBe(400);
      expect(res.body.data.error_type).toBe('INVALID_PARAMS');
      expect(res.body.data.invalid_params).toEqual([param]);
      expect(res.body.data.response).toContain(param);
      if (code) expect(res.body.data.response).toContain(code);
      expectNoPassword(res.body);
    }
  });

  it("the same refusal on the server's own configured database is a 503", async () => {
    const calls = {
      backup: request(own.app).post(`${API}/data_pipeline/vector/backup`).send({}),
      restore: request(own.app).post(`${API}/data_pipeline/vector/restore`).send(RESTORE_SET),
      tables: request(own.app).post(`${API}/database/tables`).send({}),
      ddl: request(own.app).post(`${API}/database/table/ddl`).send({ table: 'public.x' }),
    };
    for (const [route, call] of Object.entries(calls)) {
      const res = await call;
      expect(res.status, route).toBe(503);
      expect(res.body.data.error_type).toBe('DATABASE_CONNECTION_ERROR');
    }
  });
});
