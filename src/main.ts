import 'dotenv/config';
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig, withEmbeddedDatabase, type Config } from './config.js';
import { redactConnectionString } from './db/connection-string.js';
import { DatabaseRegistry } from './db/database-registry.js';
import { EmbeddedPostgres } from './db/embedded-postgres.js';
import { migrate } from './db/migrate.js';
import { seedDemoDatabase } from './demo/seed-demo.js';
import { handleClientError } from './http/client-error.js';
import { createLogger } from './logger.js';
import { createProviders } from './providers/create-providers.js';
import { createServices } from './services/create-services.js';

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
  // No DATABASE_URL: a PostgreSQL with pgvector starts in this process (data under EMBEDDED_DATA_DIR).
  const embedded = config.embedded ? await EmbeddedPostgres.start(config.embedded.dataDir, logger) : null;
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
  await migrate(databases.app, logger);
  if (embedded && config.embedded?.seedDemo) {
    const seeded = await seedDemoDatabase(databases.business, logger);
    logger.info({ tables: seeded.tables }, 'demo business tables ready (embedded mode)');
  }
  const providers = createProviders(config.providers, logger);
  const services = createServices(config, databases, providers, logger);
  const app = createApp({ config, services, logger });
  const server: Server = app.listen(config.port, config.host);
  server.on('clientError', handleClientError(logger));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  logger.info({ port: config.port, host: config.host, dataRoot: services.dataRoot.dir }, 'server listening');
  await services.jobRunner.start();
  logger.info({ workerId: config.worker.id, concurrency: config.worker.concurrency }, 'task worker started');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownTimeoutMs }, 'shutting down: no new requests, waiting for running ones');
    // Stop accepting; idle keep-alive sockets are closed now, busy ones when their request ends.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timedOut = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref()),
    ]);
    if (timedOut) {
      logger.warn('grace period over: closing the remaining connections (their transactions roll back)');
      server.closeAllConnections();
    }
    // Running task executions get the same grace; what is still running then is cancelled and
    // recorded as interrupted, never left in_progress.
    await services.jobRunner.stop(config.shutdownTimeoutMs);
    await databases.close();
    await embedded?.stop();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
