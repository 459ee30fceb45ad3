import fs from 'node:fs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe('GET /health', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await createTestApp(db.url);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers 503 naming data_root and backup_store when the data root cannot be written (a plain file where its directory should be)', async () => {
    // The fault for real: the data root's directory is replaced by a plain file (root ignores permission bits).
    fs.rmSync(t.dataRoot, { recursive: true, force: true });
    fs.writeFileSync(t.dataRoot, 'not a directory');
    try {
      const res = await request(t.app).get('/api/v0/health').expect(503);
      expect(res.body.data.checks.data_root).toMatchObject({ ok: false });
      expect(res.body.data.checks.data_root.error).toMatch(/ENOTDIR/);
      expect(res.body.data.checks.backup_store).toMatchObject({ ok: false, kind: 'local' });
      expect(res.body.data.response).toMatch(/data_root, backup_store/);
    } finally {
      fs.rmSync(t.dataRoot);
      fs.mkdirSync(t.dataRoot, { recursive: true });
    }
  });

  it('is healthy with a writable data root, and polling it writes no files that stay', async () => {
    // A fresh app: the failed probe above is cached for a few seconds by design.
    const fresh = await createTestApp(db.url, {}, { cwd: t.cwd });
    for (let i = 0; i < 5; i++) await request(fresh.app).get('/api/v0/health').expect(200);
    expect(fs.readdirSync(fresh.dataRoot).filter((f) => f.startsWith('.health-'))).toEqual([]);
    await fresh.close();
  });
});
