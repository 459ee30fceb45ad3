import type { DatabaseRegistry } from './db/database-registry.js';
import { query, type Pool } from './db/pool.js';
import { selectVectorExtensionAvailable, selectVectorExtensionVersion } from './db/sql/vector-tables.sql.js';
import { cachedProbe } from './lib/cached-probe.js';
import type { DataRoot } from './lib/data-root.js';
import { probeWritableDir } from './lib/writable-probe.js';
import type { BackupStore } from './backups/stores/backup-store.js';

export interface HealthCheck {
  ok: boolean;
  [key: string]: unknown;
}

export interface HealthReport {
  healthy: boolean;
  checks: Record<'app_database' | 'vector_database' | 'business_database' | 'pgvector' | 'data_root' | 'backup_store', HealthCheck>;
}

const CHECK_TIMEOUT_MS = 3000;
/** How long the data root's write probe is reused (a file written and removed per /health call was the route's main cost). */
const DATA_ROOT_PROBE_TTL_MS = 5000;

/** Reachability of the three databases, pgvector in the vector database, a writable data root and backup store. */
export class HealthService {
  private readonly dataRootWritable = cachedProbe(DATA_ROOT_PROBE_TTL_MS, () => this.probeDataRoot());

  constructor(
    private readonly databases: DatabaseRegistry,
    private readonly dataRoot: DataRoot,
    private readonly backupStore: BackupStore,
  ) {}

  async check(): Promise<HealthReport> {
    const [app, vector, business, pgvector, dataRoot, backupStore] = await Promise.all([
      this.ping(this.databases.app),
      this.ping(this.databases.vector),
      this.ping(this.databases.business),
      this.pgvector(),
      this.dataRootWritable(),
      // S3: a probe object put and deleted (cached briefly by the store); bounded like the others.
      withTimeout(this.backupStore.health()).catch((err: Error) => ({ ok: false, kind: this.backupStore.kind, error: err.message })),
    ]);
    const checks = { app_database: app, vector_database: vector, business_database: business, pgvector, data_root: dataRoot, backup_store: backupStore };
    return { healthy: Object.values(checks).every((c) => c.ok), checks };
  }

  private async ping(pool: Pool): Promise<HealthCheck> {
    const started = performance.now();
    try {
      await withTimeout(pool.query('SELECT 1'));
      return { ok: true, latency_ms: Math.round(performance.now() - started) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  /** Installed in the vector database, or at least installable (restore creates it). */
  private async pgvector(): Promise<HealthCheck> {
    try {
      const [installed] = await withTimeout(query<{ extversion: string }>(this.databases.vector, selectVectorExtensionVersion()));
      const [available] = await withTimeout(query<{ default_version: string }>(this.databases.vector, selectVectorExtensionAvailable()));
      return {
        ok: Boolean(installed ?? available),
        installed_version: installed?.extversion ?? null,
        available_version: available?.default_version ?? null,
      };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  private async probeDataRoot(): Promise<HealthCheck> {
    return { ...(await probeWritableDir(this.dataRoot.dir)), path: this.dataRoot.relativeToCwd(this.dataRoot.dir) };
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
