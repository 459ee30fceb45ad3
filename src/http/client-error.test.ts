import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleClientError } from './client-error.js';

/** Sends raw bytes and reads until the server closes the connection. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

function parseResponse(raw: string) {
  const [head, body] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
  const [statusLine, ...headers] = head.split('\r\n');
  return { statusLine, headers: headers.map((h) => h.toLowerCase()), body: JSON.parse(body) };
}

describe('handleClientError', () => {
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    server.on('clientError', handleClientError(pino({ level: 'silent' })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers a 20 KB request head with 431 and the SPEC §3 envelope', async () => {
    const raw = await rawRequest(port, `GET /api/v0/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    const response = parseResponse(raw);
    expect(response.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(response.headers).toContain('content-type: application/json; charset=utf-8');
    expect(response.body).toMatchObject({
      success: false,
      code: 431,
      message: '请求头过大',
      data: { error_type: 'REQUEST_HEADER_TOO_LARGE' },
      error: { type: 'REQUEST_HEADER_TOO_LARGE' },
    });
    expect(response.body.data.response).toMatch(/^请求头过大/);
    expect(typeof response.body.data.timestamp).toBe('string');
  });

  it('answers an unparsable request with a 400 envelope', async () => {
    const response = parseResponse(await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n'));
    expect(response.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(response.body).toMatchObject({ success: false, code: 400, data: { error_type: 'MALFORMED_HTTP_REQUEST' } });
  });

  it('still serves well-formed requests', async () => {
    expect(await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*ok$/);
  });
});
