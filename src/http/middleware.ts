import { randomUUID, timingSafeEqual } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config.js';
import { redactSecrets } from '../db/connection-string.js';
import { ERROR_TYPES, UnauthorizedError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Access log + request id: taken from `X-Request-Id` when sane, else a fresh UUID; echoed back. */
export function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const header = req.headers['x-request-id'];
      const id = typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode === 404 && isRoutineProbe(req.url ?? '')) return 'debug';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    serializers: {
      // A caller may put a connection string in a query string: the access log never shows its password.
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactedUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

/**
 * What browsers and crawlers ask every site for (a tab icon, robots.txt, an iOS home-screen icon,
 * .well-known probes): a 404 for these is routine, logged at debug instead of warn.
 */
const ROUTINE_PROBE = /^\/(favicon\.ico|robots\.txt|apple-touch-icon[\w.-]*\.png|\.well-known\/.*)(\?.*)?$/;

export function isRoutineProbe(url: string): boolean {
  return ROUTINE_PROBE.test(url);
}

export function corsMiddleware(config: Pick<Config, 'corsOrigins'>): RequestHandler {
  const anyOrigin = config.corsOrigins.includes('*');
  return cors({
    origin: anyOrigin ? '*' : [...config.corsOrigins],
    exposedHeaders: ['X-Request-Id', 'Content-Disposition'],
    maxAge: 600,
  });
}

/**
 * JSON bodies for every non-multipart request: `curl -d '{…}'` without a Content-Type header sends
 * `application/x-www-form-urlencoded`, and treating that as "no body" (the original) hides the mistake.
 */
export function jsonBody(config: Pick<Config, 'jsonBodyLimit'>): RequestHandler {
  const parse = express.json({
    limit: config.jsonBodyLimit,
    strict: true,
    type: (req) => !String(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/'),
  });
  return (req, res, next) => parse(req, res, (err?: unknown) => next(err === undefined ? undefined : bodyReadError(err)));
}

/**
 * body-parser tags most of its failures with a `type` the error handler maps; a body that does not
 * decompress (`Content-Encoding: gzip|deflate|br` over bytes that are not) comes as a bare zlib
 * error with `status: 400` and no type. Everything this parser rejects with a 4xx is the client's
 * body, so such errors become a 400 naming `body` here instead of a 500 in the error handler.
 */
function bodyReadError(err: unknown): unknown {
  const { status, type } = err as { status?: unknown; type?: unknown };
  if (type !== undefined || typeof status !== 'number' || status < 400 || status >= 500) return err;
  const encoding = (err as { code?: unknown }).code;
  return new ValidationError(
    `请求体无法按 Content-Encoding 解码${typeof encoding === 'string' ? ` (${encoding})` : ''}: 请发送有效的压缩数据或去掉 Content-Encoding 头`,
    ERROR_TYPES.INVALID_PARAMS,
    { invalidParams: ['body'], cause: err },
  );
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Optional bearer token (API_TOKEN). Public paths (health, API docs) stay open. */
export function bearerAuth(config: Pick<Config, 'apiToken'>, isPublic: (req: Request) => boolean): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!config.apiToken || req.method === 'OPTIONS' || isPublic(req)) return next();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !tokensMatch(match[1]!.trim(), config.apiToken)) throw new UnauthorizedError();
    next();
  };
}

/** The request URL for the access log, with any connection-string password masked, percent-encoded or not. */
function redactedUrl(url: string): string {
  let decoded = url;
  try {
    decoded = decodeURIComponent(url);
  } catch {
    // Not decodable: judged as sent.
  }
  const redacted = redactSecrets(decoded);
  return redacted === decoded ? url : redacted;
}

/**
 * Times every request for `text2sql_http_request_duration_seconds`, labelled with the matched
 * route's pattern (`/api/v0/data_pipeline/tasks/:task_id`), never the URL: ids and file names
 * would make one series per request. Requests no route matched share one label.
 */
export function requestMetrics(metrics: Pick<Metrics, 'observeHttp'>): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const route = res.locals.routePattern ?? (req.route ? `${req.baseUrl}${String(req.route.path)}` : null);
      // No route: a static file served (dashboard, docs assets), or a request refused before routing (404, 401).
      const label = typeof route === 'string' ? route : res.statusCode < 400 ? '(static)' : '(unmatched)';
      metrics.observeHttp(req.method, label, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}
