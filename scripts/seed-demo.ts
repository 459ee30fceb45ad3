/**
 * `npm run seed:demo`: creates and fills the highway service-area demo tables (bss_*) in the
 * business database, BUSINESS_DATABASE_URL or else DATABASE_URL. Safe to re-run: tables that
 * already hold rows are left as they are.
 */
import 'dotenv/config';
import { pino } from 'pino';
import { redactConnectionString } from '../src/db/connection-string.js';
import { createPool } from '../src/db/pool.js';
import { seedDemoDatabase } from '../src/demo/seed-demo.js';

// A one-shot CLI with no config.ts of its own: the two variables are read here, and only here.
const url = process.env.BUSINESS_DATABASE_URL || process.env.DATABASE_URL;
if (!url) {
  console.error(
    'seed:demo needs a database: set BUSINESS_DATABASE_URL (or, failing that, DATABASE_URL) to a PostgreSQL URL,\n' +
      'e.g. BUSINESS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/highway_db npm run seed:demo',
  );
  process.exit(2);
}

// Warnings and errors only: the result is printed below, and info lines would bury it.
const logger = pino({ level: 'warn' });
const pool = createPool(url, { max: 1, applicationName: 'text2sql-pipeline seed-demo' }, logger);
try {
  const started = performance.now();
  const { tables, inserted } = await seedDemoDatabase(pool, logger);
  console.log(`Seeded the demo tables in ${redactConnectionString(url)} (${Math.round(performance.now() - started)} ms):`);
  const width = Math.max(...Object.keys(tables).map((name) => name.length));
  for (const [name, rows] of Object.entries(tables)) {
    console.log(`  ${name.padEnd(width)}  ${String(rows).padStart(6)} rows  (${inserted[name] ?? 0} inserted)`);
  }
} catch (err) {
  console.error(`seed:demo failed on ${redactConnectionString(url)}: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
