import { createServer, type RequestListener, type Server } from 'node:http';
import { ERROR_TYPES, ServiceUnavailableError } from '../errors.js';
import { errorBody } from './envelope.js';

export interface BoundServer {
  server: Server;
  /** Hands every later request to `app` (requests until then got a 503). */
  serve(app: RequestListener): void;
}

/**
 * Binds the HTTP port first thing at start-up, before the (embedded) database starts or migrations
 * run: a busy port is a one-line failure at once instead of one after a minute of start-up, and
 * nothing can take the port meanwhile (no check-then-bind race). Until the app is ready, requests
 * get a 503 envelope, so health probes simply retry.
 */
export async function bindServer(port: number, host: string): Promise<BoundServer> {
  const starting: RequestListener = (_req, res) => {
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
