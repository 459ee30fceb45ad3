import 'dotenv/config';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { loadConfig, withEmbeddedDatabase, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { redactConnectionString } from './db/connection-string.js';
import { DatabaseRegistry } from './db/database-registry.js';
import { migrate } from './db/migrate.js';
import { seedDemoDatabase } from './demo/seed-demo.js';
import { handleClientError } from './http/client-error.js';
import { bindServer } from './http/bind-server.js';
import { createLogger } from './logger.js';
import { createProviders } from './providers/create-providers.js';
import { createServices } from './create-services.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config);
  // The port first: a busy one fails start-up now, not after the embedded database has started.
  const { server, serve } = await bindServer(config.port, config.host);
  server.on('clientError', handleClientError(logger));
  // No DATABASE_URL: a PostgreSQL with pgvector starts in this process (data under EMBEDDED_DATA_DIR).
  // Loaded only then: PGlite and its WebAssembly stay out of a server that talks to a real PostgreSQL.
  const embedded = config.embedded
    ? await (await import('./db/embedded/embedded-postgres.js')).EmbeddedPostgres.start(config.embedded.dataDir, logger)
    : null;
  if (embedded) config = withEmbeddedDatabase(config, embedded.url);
  const databases = new DatabaseRegistry(config, logger, embedded);
  logger.info(
    {
      mode: embedded ? 'embedded-pglite' : 'external-postgres',
      ...(embedded ? { dataDir: embedded.dataDir } : {}),
      database: redactConnectionString(config.databaseUrl),
      vectorDatabase: redactConnectionString(config.vectorDatabaseUrl),
      businessDatabase: redactConnectionString(config.businessDatabaseUrl),
    },
    'starting text2sql-pipeline',
  );
  await migrate(databases.app, logger).catch((err: unknown) => {
    throw new Error(`cannot use DATABASE_URL ${redactConnectionString(config.databaseUrl)}: ${(err as Error).message}`, { cause: err });
  });
  if (embedded && config.embedded?.seedDemo) {
    const seeded = await seedDemoDatabase(databases.business, logger);
    logger.info({ tables: seeded.tables }, 'demo business tables ready (embedded mode)');
  }
  const providers = createProviders(config.providers, logger);
  const services = createServices(config, databases, providers, logger);
  const app = createApp({ config, services, logger });
  serve(app);
  const urls = publicUrls(config.host, (server.address() as AddressInfo).port);
  // The store by its name (`s3://bucket/prefix` or the data root), never its credentials.
  logger.info({ port: config.port, host: config.host, dataRoot: services.dataRoot.dir, backupStore: services.backupStore.name }, 'server listening');
  logger.info({ mode: embedded ? 'embedded' : 'database' }, embedded ? `mode: embedded (PGlite in this process, data in ${embedded.dataDir})` : 'mode: database (DATABASE_URL)');
  logger.info({ url: urls.dashboard }, `dashboard: ${urls.dashboard}`);
  logger.info({ url: urls.docs }, `API docs: ${urls.docs}`);
  await services.jobRunner.start();
  logger.info({ workerId: config.worker.id, concurrency: config.worker.concurrency }, 'task worker started');
  // Schedules fire as jobs: they start once a runner is there to claim them.
  services.scheduleRunner.start();
  // In the background (a large bucket takes a while to list); a live backup's stamp is never touched.
  void services.backupLeftoverSweep.run();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // The operator insists: exit now. Executions still running are failed as interrupted by the
      // next start-up's recovery (same WORKER_ID) or by another server's stale sweep.
      logger.warn({ signal }, 'second signal: exiting at once');
      logger.flush();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownTimeoutMs }, 'shutting down: no new requests or jobs, waiting for running ones');
    // Both drains start now and share the grace period: HTTP requests (COPYs) and task executions
    // finish in parallel. jobRunner.stop() stops claiming before its first await.
    // No more schedule firings either (a due one fires on another server, or on the next start).
    const schedulesStopped = services.scheduleRunner.stop();
    const jobsStopped = services.jobRunner.stop(config.shutdownTimeoutMs);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Stop accepting; idle keep-alive sockets are closed now, busy ones when their request ends.
    server.closeIdleConnections();
    const httpDrained = Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
    ]).then((timedOut) => {
      if (!timedOut) return;
      logger.warn('grace period over: closing the remaining connections (their transactions roll back)');
      server.closeAllConnections();
    });
    // What is still running after the grace is aborted and recorded as interrupted by the
    // shutdown (failed, never cancelled, never left in_progress).
    await Promise.all([httpDrained, jobsStopped, schedulesStopped]);
    // Job ends just recorded (the drain, interrupted jobs) still reach WEBHOOK_URL, up to one attempt's time.
    if (services.webhook) await Promise.race([services.webhook.drain(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    await databases.close();
    await embedded?.stop();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** The URLs to open: a wildcard bind (0.0.0.0, ::) is reached as localhost from this machine. */
function publicUrls(host: string, port: number): { dashboard: string; docs: string } {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const base = `http://${shown}:${port}`;
  return { dashboard: `${base}/`, docs: `${base}/api/v0/docs` };
}

main().catch((err: unknown) => {
  console.error('start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
