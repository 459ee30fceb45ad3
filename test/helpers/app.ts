import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { DatabaseRegistry } from '../../src/db/database-registry.js';
import { createProviders } from '../../src/providers/create-providers.js';
import { createServices, type Services } from '../../src/create-services.js';
import { createTestDatabase, embeddedByUrl, type TestDatabase } from './db.js';
import { embeddedTestMode } from './test-database-url.js';

/**
 * The project's shared/ folder (contract, seed documents) beside the repository; SHARED_DIR
 * overrides. Only the tests of the seed documents read it, and skip where it is absent: everything
 * else uses test/fixtures/, so a clone with nothing beside it passes its tests.
 */
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(import.meta.dirname, '../../../shared');
/** Real files of the original service, copied unchanged from shared/fixtures (see test/fixtures/README.md). */
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../fixtures');
export const FIXTURE_BACKUPS = path.join(FIXTURES_DIR, 'original-backups');

export interface TestApp {
  app: Express;
  services: Services;
  databases: DatabaseRegistry;
  config: Config;
  /** The server's working directory; the data root is `<cwd>/data_pipeline/training_data`. */
  cwd: string;
  dataRoot: string;
  close(): Promise<void>;
}

/**
 * An app wired exactly as main.ts wires it, on a temp working directory, without listening.
 * Apps that share a database's task queue must share `cwd` too, as servers share a data root.
 */
export async function createTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { cwd?: string; logger?: pino.Logger } = {},
): Promise<TestApp> {
  const cwd = options.cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 't2s-test-'));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_PIPELINE_ROOT: './data_pipeline/training_data',
    LOG_DIR: path.join(cwd, 'logs'),
    // An embedded test database takes one connection per pool (its socket interleaves several).
    ...(embeddedTestMode() ? { DB_POOL_MAX: '1' } : {}),
    ...env,
  });
  const logger = options.logger ?? pino({ level: 'silent' });
  const databases = new DatabaseRegistry(config, logger, embeddedByUrl.get(databaseUrl) ?? null);
  const services = createServices(config, databases, createProviders(config.providers, logger), logger, cwd);
  const app = createApp({ config, services, logger });
  return {
    app,
    services,
    databases,
    config,
    cwd,
    dataRoot: services.dataRoot.dir,
    async close() {
      await databases.close();
      if (!options.cwd) fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Copies the original service's three backup sets into a data root, writable. */
export function copyFixtureBackups(dataRoot: string): void {
  fs.cpSync(FIXTURE_BACKUPS, dataRoot, { recursive: true });
  for (const entry of fs.readdirSync(dataRoot, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(dataRoot, 0o755);
}

/**
 * A file's own database and app with the original's backup sets in its data root: the set-up every
 * restore suite shares (call from beforeAll; `closeFixtureApp` from afterAll).
 */
export async function openFixtureApp(env: Record<string, string> = {}): Promise<{ db: TestDatabase; t: TestApp }> {
  const db = await createTestDatabase();
  const t = await createTestApp(db.url, env);
  copyFixtureBackups(t.dataRoot);
  return { db, t };
}

export async function closeFixtureApp(app: { db: TestDatabase; t: TestApp }): Promise<void> {
  await app.t.close();
  await app.db.drop();
}

export const FIXTURE_SETS = [
  { dir: 'vector_bak', timestamp: '20250722_010318', collections: 4, embeddings: 62 },
  { dir: 'task_20250721_213627/vector_bak', timestamp: '20250721_215758', collections: 4, embeddings: 58 },
  { dir: 'task_20250721_202929/vector_bak', timestamp: '20250721_203539', collections: 4, embeddings: 0 },
] as const;
