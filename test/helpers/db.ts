import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { EmbeddedPostgres } from '../../src/db/embedded/embedded-postgres.js';
import { adminDatabaseUrl, embeddedTestMode, withDatabase } from './test-database-url.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain client for arranging and asserting; the code under test uses its own pools. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** A fresh database cloned from the migrated template (pgvector installed, migrations applied). */
export async function createTestDatabase(options: { fromTemplate?: boolean } = {}): Promise<TestDatabase> {
  if (embeddedTestMode()) return createEmbeddedTestDatabase();
  const name = `test_${randomBytes(6).toString('hex')}`;
  const template = options.fromTemplate === false ? 'template0' : inject('templateDatabase');
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = withDatabase(adminDatabaseUrl(), name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    name,
    url,
    async query(text, values) {
      return (await pool.query(text, values)).rows;
    },
    async drop() {
      await pool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Test apps on an embedded test database load through it in-process, as the embedded server does. */
export const embeddedByUrl = new Map<string, EmbeddedPostgres>();

/**
 * A PGlite database of its own, from a copy of the migrated template. The test's own queries run
 * in-process (a second socket connection would interleave with the app's: see EmbeddedPostgres).
 */
async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't2s-pglite-'));
  fs.cpSync(inject('templateDataDir'), path.join(dir, 'pgdata'), { recursive: true });
  const embedded = await EmbeddedPostgres.start(path.join(dir, 'pgdata'), pino({ level: 'silent' }), { maxConnections: 12 });
  embeddedByUrl.set(embedded.url, embedded);
  return {
    name: 'postgres',
    url: embedded.url,
    async query(text, values) {
      const results = values === undefined ? await embedded.pglite.exec(text) : [await embedded.pglite.query(text, values)];
      return (results.at(-1)?.rows ?? []) as never[];
    },
    async drop() {
      embeddedByUrl.delete(embedded.url);
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
