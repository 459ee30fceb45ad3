import { afterEach, describe, expect, it } from 'vitest';
import { bindServer, type BoundServer } from '../../src/http/bind-server.js';

/** The port is bound before the app is ready: what a browser and an API client get meanwhile, and after. */
describe('bindServer while the app is starting', () => {
  let bound: BoundServer | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (bound ? bound.server.close(() => resolve()) : resolve()));
    bound = undefined;
  });

  it('a browser gets a page that says the server is starting and reloads itself; an API client the 503 envelope; then the app answers', async () => {
    bound = await bindServer(0, '127.0.0.1');
    const { port } = bound.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/`;

    const page = await fetch(url, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('正在启动');
    expect(html).toContain('http-equiv="refresh"');

    const api = await fetch(`${url}api/v0/health`, { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(503);
    expect(((await api.json()) as { data: { error_type: string } }).data.error_type).toBe('SERVICE_STARTING');

    bound.serve((_req, res) => res.end('ready'));
    expect(await (await fetch(url, { headers: { Accept: 'text/html' } })).text()).toBe('ready');
  });
});
