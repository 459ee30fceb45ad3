import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { providerEnv } from './config/provider-env.js';
import type { ProviderSettings } from './config/provider-settings.js';
import { observabilityEnv } from './config/observability-env.js';
import { serverEnv } from './config/server-env.js';
import { storageEnv, storageSettings, type BackupStorageSettings } from './config/storage-env.js';
import { workEnv } from './config/work-env.js';

export type { BackupStorageSettings, S3StorageSettings } from './config/storage-env.js';
export type { EmbeddingSettings, LlmSettings, ProviderSettings } from './config/provider-settings.js';

// Each group of variables lives in its own file under config/ (one per area), so adding a variable
// touches only its area; this file stays the one place that reads process.env.
const EnvSchema = z.object({ ...serverEnv, ...providerEnv, ...workEnv, ...observabilityEnv, ...storageEnv });

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
  /** A restore's index rebuild (SPEC §7 "Index-aware restore"). */
  readonly indexRebuild: { readonly maintenanceWorkMemMb: number; readonly parallelWorkers: number };
  readonly webhookUrl: string | undefined;
  /** `GET /metrics` needs no token (METRICS_PUBLIC). */
  readonly metricsPublic: boolean;
  /** Console format (LOG_FORMAT); the file log is JSON either way. */
  readonly logFormat: 'pretty' | 'json';
  /** Where backup sets live: the data root or S3-compatible object storage (SPEC §7 "Storage"). */
  readonly backupStorage: BackupStorageSettings;
}

/**
 * Parses the environment once. Every problem is listed with the variable it belongs to, so a bad
 * deployment fails at start-up with a message that says what to fix.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, stdoutIsTty: boolean = process.stdout.isTTY === true): Config {
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
  const backupStorage = storageSettings(e);
  if (Array.isArray(backupStorage)) {
    throw new ConfigError(`Invalid environment configuration:\n${backupStorage.map((line) => `  ${line}`).join('\n')}`);
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
    indexRebuild: Object.freeze({ maintenanceWorkMemMb: e.RESTORE_MAINTENANCE_WORK_MEM_MB, parallelWorkers: e.RESTORE_PARALLEL_WORKERS }),
    webhookUrl: e.WEBHOOK_URL,
    metricsPublic: e.METRICS_PUBLIC === 'true',
    // A terminal gets readable lines; a pipe or a file (systemd, docker logs, a collector) gets JSON.
    logFormat: e.LOG_FORMAT ?? (stdoutIsTty ? 'pretty' : 'json'),
    backupStorage,
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

