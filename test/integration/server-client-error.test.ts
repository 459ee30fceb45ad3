import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startServer, type ServerProcess } from '../helpers/server-process.js';

/** Node's parser answers before Express: only the started server shows what main.ts wired. */
describe('a request head over the size limit, on the real server', () => {
  let db: TestDatabase;
  let cwd: string;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-431-'));
    server = await startServer(cwd, { DATABASE_URL: db.url, LOG_DIR: path.join(cwd, 'logs') });
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(cwd, { recursive: true, force: true });
    await db.drop();
  });

  it('gets 431 with a parsable JSON envelope', async () => {
    const { port } = new URL(server.baseUrl);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.write(`GET /api/v0/health HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20 * 1024)}\r\n\r\n`),
      );
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => (received += chunk));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(raw.startsWith('HTTP/1.1 431 ')).toBe(true);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ success: false, code: 431, message: '请求头过大', data: { error_type: 'REQUEST_HEADER_TOO_LARGE' } });
  });
});
