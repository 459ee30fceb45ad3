import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import { withTransaction, type Pool } from './pool.js';

// Beside this module: src/db/migrations under tsx, dist/db/migrations in the build (copied there
// by scripts/copy-build-assets.mjs), so the compiled server needs no source tree.
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Arbitrary but fixed key: every server process sharing the database serialises on it. */
const MIGRATION_LOCK_KEY = 8_084_001;

/**
 * Applies the numbered `NNN_name.sql` files not yet recorded in `schema_migrations`, all in one
 * transaction under an advisory lock, so concurrent start-ups never apply one twice.
 */
export async function migrate(pool: Pool, logger: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await fs.readdir(dir)).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f)).sort();
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version TEXT PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const applied: string[] = [];
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      await client.query(await fs.readFile(`${dir}/${file}`, 'utf8'));
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
      applied.push(version);
    }
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    return applied;
  });
}
