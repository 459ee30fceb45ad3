import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, withEmbeddedDatabase } from './config.js';
import { ConfigError } from './errors.js';

const DB = 'postgresql://postgres:secret@127.0.0.1:5432/app';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig did not throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ DATABASE_URL: DB }, false);
    expect(config).toEqual({
      port: 8084,
      host: '0.0.0.0',
      databaseUrl: DB,
      vectorDatabaseUrl: DB,
      businessDatabaseUrl: DB,
      dbPoolMax: 10,
      dataPipelineRoot: './data_pipeline/training_data',
      logDir: './logs',
      logLevel: 'info',
      apiToken: undefined,
      corsOrigins: ['*'],
      allowedDbHosts: undefined,
      jsonBodyLimit: 1024 * 1024,
      shutdownTimeoutMs: 30_000,
      metricsPublic: true,
      logFormat: 'json',
      providers: {
        embedding: {
          provider: 'builtin',
          baseUrl: undefined,
          apiKey: undefined,
          model: 'builtin-lexical-hash-v1',
          dimensions: 1024,
          batchSize: 10,
          timeoutMs: 30_000,
          maxRetries: 3,
        },
      },
      pipeline: { tableConcurrency: 4, sqlValidationConcurrency: 5, sqlValidationTimeoutMs: 30_000 },
      embedded: null,
      worker: { id: `${os.hostname()}:8084`, concurrency: 2, pollIntervalMs: 2000, heartbeatMs: 2000, staleSeconds: 60 },
      uploads: { tmpDir: path.join(os.tmpdir(), 'text2sql-uploads'), tableListBytes: 2 * 1024 * 1024, maxBytes: 10 * 1024 * 1024, backupMaxBytes: 10 * 1024 ** 3 },
      lockTimeoutMs: 10_000,
      backupStorage: { kind: 'local' },
      // Sized to the machine: checked in their own test.
      indexRebuild: { maintenanceWorkMemMb: expect.any(Number), parallelWorkers: expect.any(Number) },
    });
  });

  it('JOB_HEARTBEAT_MS must leave a job at least two heartbeats before it would lose its lease', () => {
    expect(loadConfig({ DATABASE_URL: DB, JOB_HEARTBEAT_MS: '22500', JOB_STALE_SECONDS: '60' }).worker.heartbeatMs).toBe(22500);
    expect(() => loadConfig({ DATABASE_URL: DB, JOB_HEARTBEAT_MS: '30000', JOB_STALE_SECONDS: '60' })).toThrow(/JOB_HEARTBEAT_MS/);
  });

  it('LOCK_TIMEOUT_MS must be a positive integer of ms', () => {
    expect(loadConfig({ DATABASE_URL: DB, LOCK_TIMEOUT_MS: '250' }).lockTimeoutMs).toBe(250);
    expect(() => loadConfig({ DATABASE_URL: DB, LOCK_TIMEOUT_MS: '0' })).toThrow(/LOCK_TIMEOUT_MS/);
  });

  it('BACKUP_STORAGE=s3 needs S3_BUCKET, both keys or neither, a clean prefix; defaults otherwise', () => {
    const s3 = { DATABASE_URL: DB, BACKUP_STORAGE: 's3' };
    expect(loadConfig({ ...s3, S3_BUCKET: 'backups' }).backupStorage).toEqual({
      kind: 's3',
      endpoint: undefined,
      region: 'us-east-1',
      bucket: 'backups',
      prefix: 'text2sql-backups',
      forcePathStyle: false,
      credentials: undefined,
    });
    const full = loadConfig({
      ...s3,
      S3_BUCKET: 'backups',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_PREFIX: '/team/prod/',
      S3_ACCESS_KEY_ID: 'AKIA1',
      S3_SECRET_ACCESS_KEY: 'secret-1',
      S3_FORCE_PATH_STYLE: 'true',
    }).backupStorage;
    expect(full).toMatchObject({ endpoint: 'http://127.0.0.1:9000', prefix: 'team/prod', forcePathStyle: true, credentials: { accessKeyId: 'AKIA1', secretAccessKey: 'secret-1' } });
    expect(configError(s3).message).toMatch(/S3_BUCKET: is required when BACKUP_STORAGE=s3/);
    expect(configError({ ...s3, S3_BUCKET: 'backups', S3_ACCESS_KEY_ID: 'AKIA1' }).message).toMatch(/S3_SECRET_ACCESS_KEY/);
    expect(configError({ ...s3, S3_BUCKET: 'backups', S3_PREFIX: 'a/../b' }).message).toMatch(/S3_PREFIX/);
    expect(configError({ ...s3, S3_BUCKET: 'Bad_Bucket' }).message).toMatch(/S3_BUCKET/);
    expect(configError({ ...s3, S3_BUCKET: 'backups', S3_ENDPOINT: 'ftp://x' }).message).toMatch(/S3_ENDPOINT/);
    expect(configError({ DATABASE_URL: DB, BACKUP_STORAGE: 'gcs' }).message).toMatch(/BACKUP_STORAGE/);
    // The secret never reaches the error text of a bad configuration.
    expect(configError({ ...s3, S3_SECRET_ACCESS_KEY: 'secret-1' }).message).not.toContain('secret-1');
  });

  it('the index rebuild settings default to the machine and are validated', () => {
    const defaults = loadConfig({ DATABASE_URL: DB }).indexRebuild;
    expect(defaults.maintenanceWorkMemMb).toBe(Math.max(64, Math.min(1024, Math.floor(os.totalmem() / 8 / 1024 ** 2))));
    expect(defaults.parallelWorkers).toBe(Math.max(0, Math.min(4, os.availableParallelism() - 1)));
    const set = loadConfig({ DATABASE_URL: DB, RESTORE_MAINTENANCE_WORK_MEM_MB: '256', RESTORE_PARALLEL_WORKERS: '0' }).indexRebuild;
    expect(set).toEqual({ maintenanceWorkMemMb: 256, parallelWorkers: 0 });
    expect(() => loadConfig({ DATABASE_URL: DB, RESTORE_MAINTENANCE_WORK_MEM_MB: '0' })).toThrow(/RESTORE_MAINTENANCE_WORK_MEM_MB/);
    expect(() => loadConfig({ DATABASE_URL: DB, RESTORE_MAINTENANCE_WORK_MEM_MB: '1GB' })).toThrow(/RESTORE_MAINTENANCE_WORK_MEM_MB/);
    expect(() => loadConfig({ DATABASE_URL: DB, RESTORE_PARALLEL_WORKERS: '-1' })).toThrow(/RESTORE_PARALLEL_WORKERS/);
  });

  it('WEBHOOK_URL is optional and must be an http(s) URL', () => {
    expect(loadConfig({ DATABASE_URL: DB }).webhookUrl).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: DB, WEBHOOK_URL: 'https://hooks.example.com/t2s' }).webhookUrl).toBe('https://hooks.example.com/t2s');
    expect(() => loadConfig({ DATABASE_URL: DB, WEBHOOK_URL: 'not a url' })).toThrow(/WEBHOOK_URL/);
    expect(() => loadConfig({ DATABASE_URL: DB, WEBHOOK_URL: 'ftp://x/y' })).toThrow(/WEBHOOK_URL/);
  });

  it('configures the LLM and embedding endpoints, and refuses half a configuration', () => {
    const config = loadConfig({
      DATABASE_URL: DB,
      LLM_BASE_URL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      LLM_MODEL: 'qwen-plus',
      LLM_API_KEY: 'sk-1',
      EMBEDDING_BASE_URL: 'http://127.0.0.1:11434/v1',
      EMBEDDING_DIMENSIONS: '768',
    });
    expect(config.providers.llm).toMatchObject({ baseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1', model: 'qwen-plus', apiKey: 'sk-1', maxRetries: 2 });
    expect(config.providers.embedding).toMatchObject({ provider: 'openai', model: 'text-embedding-v4', dimensions: 768 });
    expect(() => loadConfig({ DATABASE_URL: DB, LLM_BASE_URL: 'http://x/v1' })).toThrow(/LLM_MODEL/);
    expect(() => loadConfig({ DATABASE_URL: DB, EMBEDDING_PROVIDER: 'openai' })).toThrow(/EMBEDDING_BASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: DB, EMBEDDING_PROVIDER: 'magic' })).toThrow(/EMBEDDING_PROVIDER/);
    expect(() => loadConfig({ DATABASE_URL: DB, LLM_BASE_URL: 'ftp://x' })).toThrow(/LLM_BASE_URL/);
    const qwen3 = loadConfig({ DATABASE_URL: DB, LLM_BASE_URL: 'http://x/v1', LLM_MODEL: 'qwen3-235b-a22b', LLM_EXTRA_BODY: '{"enable_thinking": false}' });
    expect(qwen3.providers.llm?.extraBody).toEqual({ enable_thinking: false });
    expect(() => loadConfig({ DATABASE_URL: DB, LLM_EXTRA_BODY: '[1]' })).toThrow(/LLM_EXTRA_BODY: must be a JSON object/);
    expect(() => loadConfig({ DATABASE_URL: DB, LLM_EXTRA_BODY: '{bad' })).toThrow(/LLM_EXTRA_BODY/);
  });

  it('reads every variable when set', () => {
    const config = loadConfig({
      DATABASE_URL: DB,
      VECTOR_DATABASE_URL: 'postgres://v@vec:5433/vector',
      BUSINESS_DATABASE_URL: 'postgresql://b@biz/highway_db',
      PORT: '9000',
      HOST: '127.0.0.1',
      DB_POOL_MAX: '4',
      DATA_PIPELINE_ROOT: '/srv/data',
      LOG_DIR: '/var/log/t2s',
      LOG_LEVEL: 'debug',
      API_TOKEN: 'tok',
      JSON_BODY_LIMIT: '2048',
      SHUTDOWN_TIMEOUT_MS: '0',
    });
    expect(config.port).toBe(9000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.vectorDatabaseUrl).toBe('postgres://v@vec:5433/vector');
    expect(config.businessDatabaseUrl).toBe('postgresql://b@biz/highway_db');
    expect(config.databaseUrl).toBe(DB);
    expect(config.dbPoolMax).toBe(4);
    expect(config.dataPipelineRoot).toBe('/srv/data');
    expect(config.logDir).toBe('/var/log/t2s');
    expect(config.logLevel).toBe('debug');
    expect(config.apiToken).toBe('tok');
    expect(config.jsonBodyLimit).toBe(2048);
    expect(config.shutdownTimeoutMs).toBe(0);
  });

  it('splits comma lists, trimming and dropping empty entries', () => {
    const config = loadConfig({ DATABASE_URL: DB, CORS_ORIGINS: ' http://a.test , http://b.test,,', ALLOWED_DB_HOSTS: 'db1, 10.0.0.5 ' });
    expect(config.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
    expect(config.allowedDbHosts).toEqual(['db1', '10.0.0.5']);
  });

  it('trims a DATABASE_URL', () => {
    expect(loadConfig({ DATABASE_URL: `  ${DB}\n` }).databaseUrl).toBe(DB);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({
      DATABASE_URL: DB,
      PORT: '',
      VECTOR_DATABASE_URL: '',
      BUSINESS_DATABASE_URL: '',
      API_TOKEN: '',
      CORS_ORIGINS: '',
      ALLOWED_DB_HOSTS: '',
      DATA_PIPELINE_ROOT: '',
      LOG_LEVEL: '',
    });
    expect(config.port).toBe(8084);
    expect(config.vectorDatabaseUrl).toBe(DB);
    expect(config.businessDatabaseUrl).toBe(DB);
    expect(config.apiToken).toBeUndefined();
    expect(config.corsOrigins).toEqual(['*']);
    expect(config.allowedDbHosts).toBeUndefined();
    expect(config.dataPipelineRoot).toBe('./data_pipeline/training_data');
    expect(config.logLevel).toBe('info');
  });

  it('without DATABASE_URL (also when empty) runs the embedded database', () => {
    for (const env of [{}, { DATABASE_URL: '' }]) {
      const config = loadConfig(env);
      expect(config.embedded).toEqual({ dataDir: './data/pglite', seedDemo: true });
      expect(config.databaseUrl).toBe('');
      const ready = withEmbeddedDatabase(config, 'postgresql://postgres@127.0.0.1:5999/postgres');
      expect(ready).toMatchObject({ databaseUrl: 'postgresql://postgres@127.0.0.1:5999/postgres', vectorDatabaseUrl: 'postgresql://postgres@127.0.0.1:5999/postgres', dbPoolMax: 1 });
    }
    // An external vector database stays external.
    const mixed = withEmbeddedDatabase(loadConfig({ VECTOR_DATABASE_URL: 'postgresql://v@vec/db' }), 'postgresql://postgres@127.0.0.1:5999/postgres');
    expect(mixed.vectorDatabaseUrl).toBe('postgresql://v@vec/db');
    expect(loadConfig({ DATABASE_URL: DB }).embedded).toBeNull();
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['DB_POOL_MAX', '0'],
    ['LOG_LEVEL', 'verbose'],
    ['JSON_BODY_LIMIT', '10'],
  ])('names %s when it is %j', (name, value) => {
    const message = configError({ DATABASE_URL: DB, [name]: value }).message;
    expect(message).toMatch(new RegExp(`^  ${name}: `, 'm'));
    expect(message).not.toMatch(/DATABASE_URL/);
  });

  it.each([
    ['DATABASE_URL', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['VECTOR_DATABASE_URL', 'http://host/db'],
    ['BUSINESS_DATABASE_URL', 'postgresql:/h/db'],
  ])('rejects %s=%j as not a postgresql:// URL', (name, value) => {
    const env = { DATABASE_URL: DB, [name]: value };
    expect(configError(env).message).toMatch(new RegExp(`^  ${name}: must be a postgresql:// URL$`, 'm'));
  });

  it('lists every invalid variable at once', () => {
    const message = configError({ DATABASE_URL: 'x', PORT: 'y' }).message;
    expect(message).toMatch(/^  PORT: /m);
    expect(message).toMatch(/^  DATABASE_URL: /m);
  });

  it('returns a frozen object with frozen lists', () => {
    const config = loadConfig({ DATABASE_URL: DB, ALLOWED_DB_HOSTS: 'a' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
    expect(Object.isFrozen(config.allowedDbHosts)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('LOG_FORMAT: pretty on a terminal, json on a pipe, unless set; METRICS_PUBLIC defaults to true', () => {
    expect(loadConfig({ DATABASE_URL: DB }, true).logFormat).toBe('pretty');
    expect(loadConfig({ DATABASE_URL: DB }, false).logFormat).toBe('json');
    expect(loadConfig({ DATABASE_URL: DB, LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
    expect(loadConfig({ DATABASE_URL: DB, LOG_FORMAT: 'pretty' }, false).logFormat).toBe('pretty');
    expect(() => loadConfig({ DATABASE_URL: DB, LOG_FORMAT: 'text' })).toThrow(/LOG_FORMAT/);
    expect(loadConfig({ DATABASE_URL: DB }).metricsPublic).toBe(true);
    expect(loadConfig({ DATABASE_URL: DB, METRICS_PUBLIC: 'false' }).metricsPublic).toBe(false);
    expect(() => loadConfig({ DATABASE_URL: DB, METRICS_PUBLIC: 'no' })).toThrow(/METRICS_PUBLIC/);
  });
});
