import express, { type Router } from 'express';
import { RouteRegistry } from '../http/route-registry.js';
import type { Config } from '../config.js';
import type { Services } from '../create-services.js';
import { registerDatabaseRoutes } from './database.js';
import { registerFileRoutes } from './files.js';
import { registerLogRoutes } from './logs.js';
import { docsRouter, DOCS_PATH, registerSystemRoutes } from './system.js';
import { registerTaskRoutes } from './tasks.js';
import { registerVectorJobRoutes } from './vector/vector-jobs.js';
import { registerBackupTransferRoutes } from './vector/backup-transfer.js';
import { registerVectorRoutes } from './vector/vector.js';
import { registerBackupScheduleRoutes } from './vector/backup-schedules.js';

/**
 * Builds the `/api/v0` router, the registry the OpenAPI document is generated from, and the paths
 * (relative to the router) that need no token: the routes declared `public: true` and the docs.
 */
export function mountRoutes(
  services: Services,
  uploads: Config['uploads'],
  version: string,
): { router: Router; registry: RouteRegistry; publicPaths: string[] } {
  const registry = new RouteRegistry();
  registerSystemRoutes(registry, services, version);
  registerVectorRoutes(registry, services);
  registerVectorJobRoutes(registry, services);
  registerDatabaseRoutes(registry, services);
  registerTaskRoutes(registry, services);
  registerLogRoutes(registry, services);
  registerFileRoutes(registry, services, { uploadTempDir: uploads.tmpDir, tableListBytes: uploads.tableListBytes, uploadBytes: uploads.maxBytes });
  registerBackupTransferRoutes(registry, services, uploads);
  registerBackupScheduleRoutes(registry, services);
  const router = express.Router();
  router.use(docsRouter());
  registry.mount(router);
  const publicPaths = [...registry.list().filter((route) => route.public).map((route) => route.path), DOCS_PATH];
  return { router, registry, publicPaths };
}
