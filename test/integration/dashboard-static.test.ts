import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const DASHBOARD_DIR = path.resolve(import.meta.dirname, '../../src/dashboard');
const modules = fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.js'));

/** The dashboard's files as the server hands them out: public, typed, confined to their folder. */
describe('dashboard static files', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // With a token configured: the page and its files stay public, the API does not.
    t = await createTestApp(db.url, { API_TOKEN: 'dash-token' });
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('GET / is the page (public, with a same-origin-only CSP); its modules, styles and favicon load without the token', async () => {
    const page = await request(t.app).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('/dashboard/app.js');
    for (const name of modules) {
      const res = await request(t.app).get(`/dashboard/${name}`).expect(200);
      expect(res.headers['content-type'], name).toMatch(/javascript/);
    }
    expect((await request(t.app).get('/dashboard/style.css').expect(200)).headers['content-type']).toMatch(/^text\/css/);
    for (const icon of ['/favicon.ico', '/favicon.svg']) {
      const res = await request(t.app).get(icon).expect(200);
      expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    }
    // The API behind the same server still wants the token.
    await request(t.app).get('/api/v0/data_pipeline/tasks').expect(401);
    await request(t.app).get('/api/v0/data_pipeline/tasks').set('Authorization', 'Bearer dash-token').expect(200);
  });

  it('unknown paths stay JSON 404 envelopes, under /api and beside the dashboard; nothing outside its folder is served', async () => {
    for (const p of ['/api/v0/no_such_route', '/no_such_page', '/dashboard/no_such_file.js', '/dashboard/../package.json', '/dashboard/%2e%2e/app.ts', '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json']) {
      const res = await request(t.app).get(p).set('Authorization', 'Bearer dash-token');
      expect(res.status, p).toBe(404);
      expect(res.body, p).toMatchObject({ success: false, code: 404 });
    }
  });

  it('the modules render API data as text only (no innerHTML and the like) and import only files that exist', () => {
    for (const name of modules) {
      const text = fs.readFileSync(path.join(DASHBOARD_DIR, name), 'utf8');
      expect(text, name).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
      for (const [, spec] of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        expect(fs.existsSync(path.join(DASHBOARD_DIR, spec!)), `${name} imports ${spec}`).toBe(true);
      }
    }
  });
});
