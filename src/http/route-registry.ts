import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { MethodNotAllowedError } from '../errors.js';
import { parseInput } from './parse-input.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  req: Request;
  res: Response;
}

export interface RouteDefinition<B = unknown, Q = unknown, P = unknown> {
  method: HttpMethod;
  /** Express path relative to `/api/v0`, e.g. `/data_pipeline/vector/restore`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  body?: z.ZodType<B>;
  /** A JSON body the handler reads itself (it may come from the query string instead): documented only. */
  bodyDoc?: z.ZodType;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** Success status and what the `data` object holds, for the OpenAPI document. */
  success: { status: number; description: string };
  /** Extra documented error statuses. */
  errors?: number[];
  /** Content type of the success body when it is not the JSON envelope (downloads). */
  produces?: string;
  public?: boolean;
  /** The original used a full-width colon on some routes (`缺少必需参数：table`). */
  missingMessagePrefix?: string;
  /** Runs before input parsing, e.g. multer for a multipart upload route (and only there). */
  middleware?: RequestHandler[];
  /** OpenAPI description of a multipart body: field name → description (`file` fields are binary). */
  multipart?: Record<string, string>;
  handler: (input: RouteInput<B, Q, P>) => Promise<void> | void;
}

/**
 * Every route is declared once here: the same declaration mounts the Express handler (with its zod
 * parsing) and feeds the OpenAPI document, so the document cannot drift from the server.
 */
export class RouteRegistry {
  private readonly routes: RouteDefinition<any, any, any>[] = [];

  add<B, Q, P>(route: RouteDefinition<B, Q, P>): void {
    this.routes.push(route);
  }

  list(): readonly RouteDefinition<any, any, any>[] {
    return this.routes;
  }

  mount(router: Router): void {
    for (const route of this.routes) {
      router[route.method](route.path, notePattern(route.path), ...(route.middleware ?? []), async (req: Request, res: Response) => {
        const params = route.params ? parseInput(route.params, req.params) : req.params;
        const query = route.query ? parseInput(route.query, req.query) : req.query;
        const body = route.body ? parseInput(route.body, req.body ?? {}, { missingMessagePrefix: route.missingMessagePrefix }) : req.body;
        await route.handler({ body, query, params, req, res });
      });
    }
    // After all real handlers: a known path with another method is a 405, not a 404.
    const methodsByPath = new Map<string, string[]>();
    for (const route of this.routes) {
      methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method.toUpperCase()]);
    }
    for (const [path, methods] of methodsByPath) {
      const allowed = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
      router.all(path, notePattern(path), (req: Request, res: Response) => {
        if (req.method === 'OPTIONS') {
          res.set('Allow', [...allowed, 'OPTIONS'].join(', ')).status(204).end();
          return;
        }
        res.set('Allow', allowed.join(', '));
        throw new MethodNotAllowedError(`请求方法 ${req.method} 不支持此接口，允许: ${allowed.join(', ')}`, allowed);
      });
    }
  }
}

/**
 * Keeps the matched route's full pattern for the request metrics: read when the response ends,
 * `req.route`/`req.baseUrl` may already be the error handler's (Express restores baseUrl when an
 * error leaves the router).
 */
function notePattern(path: string): RequestHandler {
  return (req, res, next) => {
    res.locals.routePattern = `${req.baseUrl}${path}`;
    next();
  };
}
