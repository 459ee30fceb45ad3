import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { EmbeddedPostgres } from '../../src/db/embedded/embedded-postgres.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDataDir: string;
  }
}

/**
 * The embedded counterpart of global-setup.ts: one migrated PGlite data directory (initdb takes
 * ~8 s); each test file starts its own database from a copy of it (~1.5 s).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-pglite-template-'));
  const dataDir = path.join(dir, 'pgdata');
  const logger = pino({ level: 'silent' });
  const embedded = await EmbeddedPostgres.start(dataDir, logger);
  const pool = createPool(embedded.url, { max: 1 }, logger);
  try {
    await migrate(pool, logger);
  } finally {
    await pool.end();
    await embedded.stop();
  }
  project.provide('templateDataDir', dataDir);
  project.provide('templateDatabase', '');
  return async () => fs.rmSync(dir, { recursive: true, force: true });
}
