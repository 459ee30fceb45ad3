import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlCommands, SEEDS_DIR, seedDocsMissing } from '../helpers/seed-docs.js';
import { copyFixtureBackups } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { embeddedTestMode } from '../helpers/test-database-url.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

const run = promisify(execFile);
const DOCS = ['vector-restore-api-usage-examples.md', 'vector-restore-api-quick-reference.md'];
const missing = seedDocsMissing(import.meta.filename, DOCS);

// A child server restores with COPY FROM STDIN, which an embedded test database cannot take over its
// socket (the embedded server itself loads in-process: test/embedded covers that path).
describe.skipIf(embeddedTestMode() || missing !== null).each(DOCS)(
  `the curl commands of %s against a started server${missing ? ` (${missing})` : ''}`,
  (doc) => {
    let db: TestDatabase;
    let target: TestDatabase;
    let cwd: string;
    let server: ServerProcess;

    beforeAll(async () => {
      db = await createTestDatabase();
      target = await createTestDatabase({ fromTemplate: false });
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-seed-'));
      const dataRoot = path.join(cwd, 'data_pipeline/training_data');
      fs.mkdirSync(dataRoot, { recursive: true });
      copyFixtureBackups(dataRoot);
      server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
    });
    afterAll(async () => {
      await server?.stop();
      fs.rmSync(cwd, { recursive: true, force: true });
      await target.drop();
      await db.drop();
    });

    it('each command gets the documented reply', async () => {
      const commands = curlCommands(fs.readFileSync(path.join(SEEDS_DIR, doc), 'utf8'));
      expect(commands.length).toBeGreaterThanOrEqual(doc.includes('quick') ? 6 : 11);
      for (const original of commands) {
        const command = original
          .replace(/http:\/\/[\w.-]+:8084/g, server.baseUrl)
          .replace('postgresql://user:password@localhost:5432/target_db', target.url)
          .replace(/^curl /, `curl -sS -w '\\n%{http_code}' `);
        const { stdout } = await run('bash', ['-c', command]);
        const lines = stdout.trimEnd().split('\n');
        const status = Number(lines.pop());
        const body = JSON.parse(lines.join('\n'));
        const context = `${original}\n→ ${status} ${JSON.stringify(body).slice(0, 500)}`;
        expect(body.code, context).toBe(status);
        expect(typeof body.data.response, context).toBe('string');
        expect(typeof body.data.timestamp, context).toBe('string');

        if (original.includes('nonexistent')) {
          expect(status, context).toBe(404);
          expect(body, context).toMatchObject({ success: false, message: '资源未找到', data: { error_type: 'RESOURCE_NOT_FOUND' } });
        } else if (/-d '\{\}'/.test(original)) {
          expect(status, context).toBe(400);
          expect(body.data, context).toMatchObject({ response: '缺少必需参数: backup_path, timestamp', missing_params: ['backup_path', 'timestamp'] });
        } else if (original.includes('/restore/list')) {
          expect(status, context).toBe(200);
          expect(Array.isArray(body.data.backup_locations), context).toBe(true);
          expect(Object.keys(body.data.summary).sort(), context).toEqual(
            ['global_backups', 'scan_time', 'task_backups', 'total_backup_sets', 'total_locations'],
          );
          for (const location of body.data.backup_locations) {
            expect(location.relative_path, context).toMatch(/^\.\/data_pipeline\/training_data\//);
          }
        } else {
          expect(status, context).toBe(200);
          expect(body.data.response, context).toBe('Vector表恢复完成');
          expect(body.data, context).toMatchObject({ restore_performed: true, errors: [] });
          for (const result of Object.values<any>(body.data.restore_results)) {
            expect(result, context).toMatchObject({ success: true });
            expect(result.rows_restored, context).toBeGreaterThan(0);
          }
        }
      }
      // Passwords of connection strings never reach the server log.
      expect(server.output()).not.toContain('password@');
    });
  },
);
