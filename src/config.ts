import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** A PostgreSQL connection URL; checked here so a typo stops start-up instead of the first request. */
const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//i.test(value) && URL.canParse(value), {
    message: 'must be a postgresql:// URL',
  });

/** Comma-separated list; empty entries dropped. */
const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

const EnvSchema = z.object({
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

  /** OpenAI-compatible chat endpoint (…/v1). Unset: the built-in offline generators run. */
  LLM_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  /** Model name, e.g. qwen-plus, deepseek-chat, gpt-4o-mini, qwen2.5:7b (Ollama). Required with LLM_BASE_URL. */
  LLM_MODEL: z.string().min(1).optional(),
  /** Per HTTP attempt, ms. LLM replies for a table or a theme can take a minute. */
  LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  /** Retries on 429/5xx/timeouts (the openai SDK's backoff). */
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).optional(),
  /** JSON object merged into every chat request, e.g. {"enable_thinking": false} for DashScope Qwen3. */
  LLM_EXTRA_BODY: z
    .string()
    .transform((text, ctx) => {
      try {
        const value: unknown = JSON.parse(text);
        if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"enable_thinking": false}' });
      return z.NEVER;
    })
    .optional(),
  /** openai (OpenAI-compatible /embeddings), ollama, or builtin (offline lexical hashing). Default: openai when EMBEDDING_BASE_URL is set, else builtin. */
  EMBEDDING_PROVIDER: z.enum(['openai', 'ollama', 'builtin']).optional(),
  EMBEDDING_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  /** Default: text-embedding-v4 (openai), bge-m3 (ollama). */
  EMBEDDING_MODEL: z.string().min(1).optional(),
  /** Vector width; 1024 matches the original's text-embedding-v4 vectors. */
  EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(16_000).default(1024),
  EMBEDDING_BATCH_SIZE: z.coerce.number().int().min(1).max(2048).default(10),
  EMBEDDING_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  EMBEDDING_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** Tables introspected at once by ddl_generation (each holds one business-database connection). */
  PIPELINE_TABLE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  /** Names this server in the jobs table; on start-up, jobs it held are marked failed. Default host:port. */
  WORKER_ID: z.string().min(1).max(200).optional(),
  /** Jobs (task executions) this process runs at once. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  /** How often an idle worker looks for queued jobs (NOTIFY wakes it sooner), ms. */
  JOB_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(2000),
  /** Heartbeat (and progress write) of a running job, ms. */
  JOB_HEARTBEAT_MS: z.coerce.number().int().min(50).default(2000),
  /** A job whose heartbeat is older than this is considered dead, seconds. */
  JOB_STALE_SECONDS: z.coerce.number().int().min(5).default(60),
  /** Largest table-list upload, bytes (2 MiB like the original). */
  TABLE_LIST_MAX_BYTES: z.coerce.number().int().min(1).default(2 * 1024 * 1024),
  /** Largest generic task-file upload, bytes (10 MiB). */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  /** Where multipart uploads are spooled before they are checked and moved; default <tmp>/text2sql-uploads. */
  UPLOAD_TMP_DIR: z.string().min(1).optional(),
  /** Largest backup-set tar accepted by POST /vector/backups/upload, bytes (10 GiB: sets hold whole embedding tables). */
  BACKUP_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 ** 3),
  /** SQLs EXPLAINed at once by sql_validation. */
  SQL_VALIDATION_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(5),
  /** statement_timeout of each EXPLAIN, ms. */
  SQL_VALIDATION_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** lock_timeout of backups and restores, ms: how long they wait for the vector tables' locks before a 409 LOCK_TIMEOUT (never forever). */
  LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  /** Receives a JSON POST when a backup, restore or verify job ends (5 s per attempt, 3 attempts). Unset: none. */
  WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
});

export type ConfigInput = z.input<typeof EnvSchema>;

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly vectorDatabaseUrl: string;
  readonly businessDatabaseUrl: string;
  readonly dbPoolMax: number;
  readonly dataPipelineRoot: string;
  readonly logDir: string;
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  readonly apiToken: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly allowedDbHosts: readonly string[] | undefined;
  readonly jsonBodyLimit: number;
  readonly shutdownTimeoutMs: number;
  readonly providers: ProviderSettings;
  /** Set when DATABASE_URL is not: the server runs its own PGlite database. */
  readonly embedded: { readonly dataDir: string; readonly seedDemo: boolean } | null;
  readonly worker: {
    readonly id: string;
    readonly concurrency: number;
    readonly pollIntervalMs: number;
    readonly heartbeatMs: number;
    readonly staleSeconds: number;
  };
  readonly uploads: { readonly tmpDir: string; readonly tableListBytes: number; readonly maxBytes: number; readonly backupMaxBytes: number };
  readonly pipeline: {
    readonly tableConcurrency: number;
    readonly sqlValidationConcurrency: number;
    readonly sqlValidationTimeoutMs: number;
  };
  readonly lockTimeoutMs: number;
  readonly webhookUrl: string | undefined;
}

/**
 * Parses the environment once. Every problem is listed with the variable it belongs to, so a bad
 * deployment fails at start-up with a message that says what to fix.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set", not "set to nothing".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.LLM_BASE_URL && !e.LLM_MODEL) {
    throw new ConfigError('Invalid environment configuration:\n  LLM_MODEL: is required when LLM_BASE_URL is set');
  }
  // A worker gives its job up when no heartbeat got through for ¾ of the stale time (job-runner):
  // a heartbeat interval that long would make every job lose its lease.
  if (e.JOB_HEARTBEAT_MS * 2 > e.JOB_STALE_SECONDS * 750) {
    throw new ConfigError(
      'Invalid environment configuration:\n  JOB_HEARTBEAT_MS: must be at most half of ¾ of JOB_STALE_SECONDS (in ms), or every job would lose its lease',
    );
  }
  const embeddingProvider = e.EMBEDDING_PROVIDER ?? (e.EMBEDDING_BASE_URL ? 'openai' : 'builtin');
  if (embeddingProvider === 'openai' && !e.EMBEDDING_BASE_URL) {
    throw new ConfigError('Invalid environment configuration:\n  EMBEDDING_BASE_URL: is required when EMBEDDING_PROVIDER=openai');
  }
  const providers: ProviderSettings = {
    ...(e.LLM_BASE_URL && e.LLM_MODEL
      ? {
          llm: {
            baseUrl: e.LLM_BASE_URL,
            apiKey: e.LLM_API_KEY,
            model: e.LLM_MODEL,
            timeoutMs: e.LLM_TIMEOUT_MS,
            maxRetries: e.LLM_MAX_RETRIES,
            temperature: e.LLM_TEMPERATURE,
            extraBody: e.LLM_EXTRA_BODY,
          },
        }
      : {}),
    embedding: {
      provider: embeddingProvider,
      baseUrl: e.EMBEDDING_BASE_URL,
      apiKey: e.EMBEDDING_API_KEY,
      model: e.EMBEDDING_MODEL ?? { openai: 'text-embedding-v4', ollama: 'bge-m3', builtin: 'builtin-lexical-hash-v1' }[embeddingProvider],
      dimensions: e.EMBEDDING_DIMENSIONS,
      batchSize: e.EMBEDDING_BATCH_SIZE,
      timeoutMs: e.EMBEDDING_TIMEOUT_MS,
      maxRetries: e.EMBEDDING_MAX_RETRIES,
    },
  };
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    // Embedded mode: filled in by withEmbeddedDatabase() once the database listens.
    databaseUrl: e.DATABASE_URL ?? '',
    vectorDatabaseUrl: e.VECTOR_DATABASE_URL ?? e.DATABASE_URL ?? '',
    businessDatabaseUrl: e.BUSINESS_DATABASE_URL ?? e.DATABASE_URL ?? '',
    embedded: e.DATABASE_URL ? null : Object.freeze({ dataDir: e.EMBEDDED_DATA_DIR, seedDemo: e.EMBEDDED_SEED_DEMO === 'true' }),
    dbPoolMax: e.DB_POOL_MAX,
    dataPipelineRoot: e.DATA_PIPELINE_ROOT,
    logDir: e.LOG_DIR,
    logLevel: e.LOG_LEVEL,
    apiToken: e.API_TOKEN,
    corsOrigins: Object.freeze([...e.CORS_ORIGINS]),
    allowedDbHosts: e.ALLOWED_DB_HOSTS ? Object.freeze([...e.ALLOWED_DB_HOSTS]) : undefined,
    jsonBodyLimit: e.JSON_BODY_LIMIT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    providers,
    worker: Object.freeze({
      id: e.WORKER_ID ?? `${os.hostname()}:${e.PORT}`,
      concurrency: e.WORKER_CONCURRENCY,
      pollIntervalMs: e.JOB_POLL_INTERVAL_MS,
      heartbeatMs: e.JOB_HEARTBEAT_MS,
      staleSeconds: e.JOB_STALE_SECONDS,
    }),
    uploads: Object.freeze({
      tmpDir: e.UPLOAD_TMP_DIR ?? path.join(os.tmpdir(), 'text2sql-uploads'),
      tableListBytes: e.TABLE_LIST_MAX_BYTES,
      maxBytes: e.UPLOAD_MAX_BYTES,
      backupMaxBytes: e.BACKUP_UPLOAD_MAX_BYTES,
    }),
    pipeline: Object.freeze({
      tableConcurrency: e.PIPELINE_TABLE_CONCURRENCY,
      sqlValidationConcurrency: e.SQL_VALIDATION_CONCURRENCY,
      sqlValidationTimeoutMs: e.SQL_VALIDATION_TIMEOUT_MS,
    }),
    lockTimeoutMs: e.LOCK_TIMEOUT_MS,
    webhookUrl: e.WEBHOOK_URL,
  });
}

/**
 * The configuration once the embedded database listens at `url`: the roles without their own URL
 * use it, through a single connection (the socket interleaves concurrent connections' statements).
 */
export function withEmbeddedDatabase(config: Config, url: string): Config {
  return Object.freeze({
    ...config,
    databaseUrl: url,
    vectorDatabaseUrl: config.vectorDatabaseUrl || url,
    businessDatabaseUrl: config.businessDatabaseUrl || url,
    dbPoolMax: 1,
  });
}

// The providers' settings: plain data filled from the environment above; providers/ imports
// them from here, so config.ts depends on no provider.

export interface LlmSettings {
  /** e.g. https://dashscope.aliyuncs.com/compatible-mode/v1, http://localhost:11434/v1 */
  baseUrl: string;
  /** Local servers (Ollama, vLLM) need none. */
  apiKey?: string;
  model: string;
  /** Per HTTP attempt, not per call: a call can take up to (maxRetries + 1) × timeoutMs plus backoff. */
  timeoutMs: number;
  maxRetries: number;
  temperature?: number;
  /** Extra request-body fields for this provider (LLM_EXTRA_BODY), e.g. `{"enable_thinking": false}`. */
  extraBody?: Record<string, unknown>;
}

export interface EmbeddingSettings {
  provider: 'openai' | 'ollama' | 'builtin';
  /** Required for 'openai'; 'ollama' defaults to http://127.0.0.1:11434; ignored by 'builtin'. */
  baseUrl?: string;
  apiKey?: string;
  model: string;
  dimensions: number;
  batchSize: number;
  /** Per HTTP attempt. */
  timeoutMs: number;
  maxRetries: number;
}

/** Plain data, filled from Config at start-up; the providers never read the environment. */
export interface ProviderSettings {
  /** Absent: no LLM is configured and the pipeline uses its built-in generators. */
  llm?: LlmSettings;
  embedding: EmbeddingSettings;
}
