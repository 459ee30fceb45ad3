import { z } from 'zod';
import { commaList, postgresUrl } from './env-fields.js';

/** Server, databases, data root, logs and security. */
export const serverEnv = {

  /** HTTP port. Default 8084, the original service's port that every client script uses. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8084),
  /** Interface to bind. Default all interfaces, like the original. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** App database (task/step/job tables, migrations). Unset: an embedded PostgreSQL (PGlite) starts in-process. */
  DATABASE_URL: postgresUrl.optional(),
  /** Where the embedded database keeps its files when DATABASE_URL is unset. */
  EMBEDDED_DATA_DIR: z.string().min(1).default('./data/pglite'),
  /** Seed the demo business tables into the embedded database at start-up (true/false). */
  EMBEDDED_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  /** Database holding langchain_pg_collection/langchain_pg_embedding. Default: DATABASE_URL. */
  VECTOR_DATABASE_URL: postgresUrl.optional(),
  /** Default business database for tasks and database tools. Default: DATABASE_URL. */
  BUSINESS_DATABASE_URL: postgresUrl.optional(),
  /** Connections per pool (one pool per database role). */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Data root: task directories and the global vector_bak/. Relative to the working directory. */
  DATA_PIPELINE_ROOT: z.string().min(1).default('./data_pipeline/training_data'),
  /** Directory of the server log (app.log, pino JSON). */
  LOG_DIR: z.string().min(1).default('./logs'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** When set, every route except health and the API docs needs `Authorization: Bearer <token>`. */
  API_TOKEN: z.string().min(1).optional(),
  /** Allowed CORS origins, comma-separated; `*` allows any origin. */
  CORS_ORIGINS: commaList.default(['*']),
  /** When set, `db_connection`/`pg_conn` may only name these hosts (comma-separated). */
  ALLOWED_DB_HOSTS: commaList.optional(),
  /** Largest JSON request body, in bytes (1 MiB). */
  JSON_BODY_LIMIT: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** How long SIGTERM waits for running requests (COPYs) before closing pools, in ms. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
};
