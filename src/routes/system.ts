import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';
import { errorBody, sendSuccess } from '../http/envelope.js';
import { buildOpenApiDocument } from '../http/openapi.js';
import type { RouteRegistry } from '../http/route-registry.js';
import { ERROR_TYPES, ServiceUnavailableError } from '../errors.js';
import type { Services } from '../create-services.js';
import { RESPONSE_DOCS } from './responses/index.js';

/**
 * swagger-ui-dist's directory, found without loading the package: its index.js evaluates the
 * 1.5 MB browser bundle in Node, which cost the server ≈ 40 MB of RSS for files it only serves.
 */
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The Swagger UI page and its assets: public like the routes declared `public: true`. */
export const DOCS_PATH = '/docs';

export function registerSystemRoutes(routes: RouteRegistry, services: Services, version: string): void {
  routes.add({
    method: 'get',
    path: '/health',
    tag: 'system',
    summary: '健康检查：数据库可达、pgvector、数据目录可写、备份存储可写',
    public: true,
    success: { status: 200, description: 'healthy, checks{app_database, vector_database, business_database, pgvector, data_root, backup_store}' },
    errors: [503],
    handler: async ({ res }) => {
      const report = await services.health.check();
      if (report.healthy) {
        sendSuccess(res, 200, '服务正常', { status: 'healthy', version, ...report, providers: services.providers.describe() });
        return;
      }
      const failing = Object.entries(report.checks).filter(([, c]) => !c.ok).map(([name]) => name);
      const err = new ServiceUnavailableError(`服务不可用: ${failing.join(', ')}`, ERROR_TYPES.DATABASE_CONNECTION_ERROR, {
        data: { status: 'unhealthy', version, ...report },
      });
      res.status(503).json(errorBody(err));
    },
  });

  routes.add({
    method: 'get',
    path: '/openapi.json',
    tag: 'system',
    summary: 'OpenAPI 3.1 文档（由 zod 模式生成）',
    public: true,
    produces: 'application/json',
    success: { status: 200, description: 'The OpenAPI document itself (not enveloped, so tools can read it)' },
    handler: ({ res }) => {
      res.json(buildOpenApiDocument(routes, { title: 'text2sql-pipeline', version }, RESPONSE_DOCS));
    },
  });
}

const DOCS_PAGE = `<!doctype html>
<html lang="zh">
<head><meta charset="utf-8"><title>text2sql-pipeline API</title>
<link rel="stylesheet" href="/api/v0/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/v0/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/v0/docs/init.js"></script>
</body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/api/v0/openapi.json', dom_id: '#swagger-ui' });`;

/** The docs page: Swagger UI served from the installed swagger-ui-dist (no CDN, works offline). */
export function docsRouter(): Router {
  const router = express.Router();
  router.get(DOCS_PATH, (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get(`${DOCS_PATH}/init.js`, (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT);
  });
  router.use(`${DOCS_PATH}/assets`, express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d' }));
  return router;
}
