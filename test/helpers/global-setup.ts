import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { pino } from 'pino';
import { adminDatabaseUrl, withDatabase } from './test-database-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Migrates one template database; every test file clones it (CREATE DATABASE … TEMPLATE), so files
 * run in parallel without seeing each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = adminDatabaseUrl();
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `Integration tests need PostgreSQL with pgvector at ${adminUrl} (${(err as Error).message}).\n` +
        'Start one with: pg_ctlcluster --skip-systemctl-redirect 15 main start && bash scripts/install-pgvector.sh\n' +
        'or set DATABASE_URL=postgresql://user@host:5432/db',
    );
  }
  const available = await admin.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  if (available.rowCount === 0) {
    await admin.end();
    throw new Error('pgvector is not installed on the test server. Install it with: bash scripts/install-pgvector.sh');
  }
  const template = `t2s_template_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${template}`);
  const pool = createPool(withDatabase(adminUrl, template), { max: 1 }, pino({ level: 'silent' }));
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    await migrate(pool, pino({ level: 'silent' }));
  } finally {
    await pool.end();
  }
  project.provide('templateDatabase', template);

  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}
