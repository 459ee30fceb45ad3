import express, { type Express, type Request } from 'express';
import type { Config } from './config.js';
import { NotFoundError } from './errors.js';
import { createErrorHandler } from './http/error-handler.js';
import { bearerAuth, corsMiddleware, jsonBody, requestLogging, requestMetrics } from './http/middleware.js';
import type { Logger } from './logger.js';
import { dashboardRouter } from './routes/dashboard.js';
import { mountRoutes } from './routes/index.js';
import type { Services } from './create-services.js';

export interface AppDeps {
  config: Pick<Config, 'apiToken' | 'corsOrigins' | 'jsonBodyLimit' | 'uploads' | 'metricsPublic'>;
  services: Services;
  logger: Logger;
  version?: string;
}

const API_PREFIX = '/api/v0';
/** Prometheus' conventional path, outside the versioned API. */
const METRICS_PATH = '/metrics';

/** The Express app: middleware, `/api/v0` routes, JSON 404/405 and the one error handler. No listen. */
export function createApp({ config, services, logger, version = '0.1.0' }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // The original's Flask jsonify kept non-ASCII as \\u escapes; plain UTF-8 is equivalent JSON.
  app.set('json spaces', 0);

  const { router, publicPaths } = mountRoutes(services, config.uploads, version);
  const open = publicPaths.map((p) => `${API_PREFIX}${p}`);
  const isPublic = (req: Request) =>
    open.some((p) => req.path === p || req.path.startsWith(`${p}/`)) || (config.metricsPublic && req.path === METRICS_PATH);

  app.use(requestLogging(logger));
  app.use(requestMetrics(services.metrics));
  app.use(corsMiddleware(config));
  // Static and public (SPEC §10): mounted before the token check; unknown paths fall through to the JSON 404.
  app.use(dashboardRouter());
  app.use(bearerAuth(config, isPublic));
  app.use(jsonBody(config));
  app.use(API_PREFIX, router);
  app.get(METRICS_PATH, async (_req, res) => {
    const { contentType, body } = await services.metrics.render();
    res.type(contentType).send(body);
  });

  app.use((req: Request) => {
    throw new NotFoundError(`接口不存在: ${req.method} ${req.path}`);
  });
  app.use(createErrorHandler(logger));
  return app;
}
