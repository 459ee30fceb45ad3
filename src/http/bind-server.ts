import { createServer, type RequestListener, type Server } from 'node:http';
import { ERROR_TYPES, ServiceUnavailableError } from '../errors.js';
import { errorBody } from './envelope.js';

export interface BoundServer {
  server: Server;
  /** Hands every later request to `app` (requests until then got a 503). */
  serve(app: RequestListener): void;
}

const STARTING_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>text2sql-pipeline 正在启动</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em; color: #1f2328">
<h1 style="font-size: 20px">text2sql-pipeline 正在启动…</h1>
<p>数据库准备和迁移完成后即可使用（首次启动需要稍长时间）。本页每 2 秒自动刷新。</p>
</body></html>
`;

/**
 * Binds the HTTP port first thing at start-up, before the (embedded) database starts or migrations
 * run: a busy port is a one-line failure at once instead of one after a minute of start-up, and
 * nothing can take the port meanwhile (no check-then-bind race). Until the app is ready, requests
 * get a 503 envelope, so health probes simply retry.
 */
export async function bindServer(port: number, host: string): Promise<BoundServer> {
  const starting: RequestListener = (req, res) => {
    // A newcomer who opens the dashboard during the first start (PGlite initialising, a build) gets
    // a page that says so and reloads itself, not a JSON envelope; API clients keep the envelope.
    if (req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')) {
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '2', 'cache-control': 'no-store', connection: 'close' });
      res.end(STARTING_PAGE);
      return;
    }
    const body = errorBody(new ServiceUnavailableError('服务正在启动，请稍后重试', ERROR_TYPES.SERVICE_STARTING));
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1', connection: 'close' });
    res.end(JSON.stringify(body));
  };
  const server = createServer(starting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${host} is already in use (PORT=${port}); stop the other process or choose another PORT`));
      else if (err.code === 'EACCES') reject(new Error(`no permission to listen on port ${port} on ${host} (PORT=${port})`));
      else reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`));
    });
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    serve(app) {
      server.off('request', starting);
      server.on('request', app);
    },
  };
}
