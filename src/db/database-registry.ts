import type { Config } from '../config.js';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { databaseNameOf, hostOf, isPostgresUrl, redactConnectionString } from './connection-string.js';
import { copyChannel, type CopyChannel } from './copy.js';
import type { EmbeddedPostgres } from './embedded/embedded-postgres.js';
import { endpointOf, isLoopbackHost } from './loopback-address.js';
import { createPool, type Pool } from './pool.js';

/** Pools kept for connection strings given in requests (`db_connection`, `pg_conn`). */
const MAX_REQUEST_POOLS = 8;
const REQUEST_POOL_SIZE = 4;

/**
 * A database for one piece of work, holding a lease on its pool: a cached request pool is never
 * ended while a lease on it is out. Release it when done (`using` does, at the end of the scope).
 */
export interface ResolvedDatabase extends Disposable {
  pool: Pool;
  /** The connection string with its password masked, safe for replies and logs. */
  label: string;
  /** Database name, for replies (`db_connection_info.database`). */
  database: string;
  /**
   * The request parameter that named this database (`db_connection`, `pg_conn`), or undefined for
   * the server's own configured database: a refused connection is then the caller's 400, not a 503.
   */
  callerParam: string | undefined;
  /** Its COPY (network or embedded: the registry knows which pool is the embedded one). */
  copy: CopyChannel;
  /** Returns the lease; idempotent. */
  release(): void;
}

/** A cached request pool and the leases out on it. */
interface CachedPool {
  pool: Pool;
  leases: number;
  /** Out of the cache: ended when its last lease comes back. */
  evicted: boolean;
}

/**
 * One pool per database role (app, vector, business), created once at start-up, plus a small
 * bounded cache of pools for connection strings that requests name. Never a pool per request.
 * Cached pools are leased: eviction picks an idle one, and a pool evicted while leased (every
 * cached pool busy) is only ended when its last lease is returned, so no running job or COPY ever
 * meets "Cannot use a pool after calling end on the pool".
 */
export class DatabaseRegistry {
  readonly app: Pool;
  readonly vector: Pool;
  readonly business: Pool;
  private readonly requestPools = new Map<string, CachedPool>();
  /** Evicted while leased: still in use, ended by the last release (or by close()). */
  private readonly draining = new Set<CachedPool>();
  private readonly rolePools = new Map<string, Pool>();
  private controlPool: Pool | null = null;

  constructor(
    private readonly config: Pick<
      Config,
      'databaseUrl' | 'vectorDatabaseUrl' | 'businessDatabaseUrl' | 'dbPoolMax' | 'allowedDbHosts'
    >,
    private readonly logger: Logger,
    /** The in-process database when DATABASE_URL is unset; its pool is `app` (and the roles sharing its URL). */
    readonly embedded: EmbeddedPostgres | null = null,
  ) {
    this.app = this.rolePool(config.databaseUrl);
    this.vector = this.rolePool(config.vectorDatabaseUrl);
    this.business = this.rolePool(config.businessDatabaseUrl);
  }

  /** The vector database of a request: its `db_connection`/`pg_conn` when given, else VECTOR_DATABASE_URL. */
  vectorDatabase(connectionString: string | undefined, paramName = 'db_connection'): ResolvedDatabase {
    return this.resolve(connectionString ?? this.config.vectorDatabaseUrl, connectionString === undefined ? this.vector : undefined, paramName);
  }

  /** The business database of a request or task: its `db_connection` when given, else BUSINESS_DATABASE_URL. */
  businessDatabase(connectionString: string | undefined, paramName = 'db_connection'): ResolvedDatabase {
    return this.resolve(connectionString ?? this.config.businessDatabaseUrl, connectionString === undefined ? this.business : undefined, paramName);
  }

  /** True for the pool of the embedded database, whose COPY FROM must not go over the socket. */
  isEmbedded(pool: Pool): boolean {
    return this.embedded !== null && this.rolePools.get(this.embedded.url) === pool;
  }

  private resolve(connectionString: string, rolePool: Pool | undefined, paramName: string): ResolvedDatabase {
    const cached = rolePool ? undefined : this.requestPool(connectionString, paramName);
    const pool = rolePool ?? cached!.pool;
    let released = false;
    const release = () => {
      if (released || !cached) return;
      released = true;
      cached.leases -= 1;
      if (cached.evicted && cached.leases === 0) this.endPool(cached);
    };
    if (cached) cached.leases += 1;
    return {
      pool,
      label: redactConnectionString(connectionString),
      database: databaseNameOf(connectionString),
      copy: copyChannel(pool, this.isEmbedded(pool) ? this.embedded : null),
      release,
      [Symbol.dispose]: release,
      callerParam: rolePool ? undefined : paramName,
    };
  }

  private rolePool(connectionString: string): Pool {
    // Roles that share one URL (the default) share one pool.
    let pool = this.rolePools.get(connectionString);
    if (!pool) {
      pool = createPool(connectionString, { max: this.config.dbPoolMax }, this.logger);
      this.rolePools.set(connectionString, pool);
    }
    return pool;
  }

  /** The cached pool of a request's connection string (a role pool's own URL gives the role pool, unleased). */
  private requestPool(connectionString: string, paramName: string): CachedPool {
    if (!isPostgresUrl(connectionString)) {
      throw new ValidationError(
        `参数 ${paramName} 格式无效，应为 postgresql://user:password@host:port/dbname`,
        ERROR_TYPES.INVALID_PARAMS,
        { invalidParams: [paramName] },
      );
    }
    const allowed = this.config.allowedDbHosts;
    if (allowed && !allowed.includes(hostOf(connectionString))) {
      throw new ValidationError(
        `参数 ${paramName} 的主机 ${hostOf(connectionString)} 不在允许列表 ALLOWED_DB_HOSTS 中`,
        ERROR_TYPES.INVALID_PARAMS,
        { invalidParams: [paramName] },
      );
    }
    // The embedded server is one session: any URL naming it (with or without a password) shares its
    // single connection, since a second connection's statements would interleave with the first's.
    if (this.namesEmbeddedSocket(connectionString)) return { pool: this.rolePools.get(this.embedded!.url)!, leases: 0, evicted: false };
    const role = this.rolePools.get(connectionString);
    if (role) return { pool: role, leases: 0, evicted: false };
    const existing = this.requestPools.get(connectionString);
    if (existing) {
      // Refresh recency: Map iteration order is insertion order, so re-insert.
      this.requestPools.delete(connectionString);
      this.requestPools.set(connectionString, existing);
      return existing;
    }
    if (this.requestPools.size >= MAX_REQUEST_POOLS) this.evictOne();
    const cached: CachedPool = { pool: createPool(connectionString, { max: REQUEST_POOL_SIZE }, this.logger), leases: 0, evicted: false };
    this.requestPools.set(connectionString, cached);
    return cached;
  }

  /** Drops the least recently used idle pool; when every one is leased, the oldest drains instead. */
  private evictOne(): void {
    const entries = [...this.requestPools.entries()];
    const [key, victim] = entries.find(([, c]) => c.leases === 0) ?? entries[0]!;
    this.requestPools.delete(key);
    victim.evicted = true;
    if (victim.leases === 0) this.endPool(victim);
    else this.draining.add(victim);
  }

  private endPool(cached: CachedPool): void {
    this.draining.delete(cached);
    cached.pool.end().catch((err: unknown) => this.logger.warn({ err }, 'closing an evicted pool failed'));
  }

  /**
   * The embedded socket listens on 127.0.0.1 only, so any loopback spelling with its port reaches
   * it (localhost, ::1, 127.0.0.2, 127.1...): matching the URL text would let a request open
   * connections of its own to it.
   */
  private namesEmbeddedSocket(connectionString: string): boolean {
    if (!this.embedded) return false;
    const target = endpointOf(connectionString);
    return target.port === endpointOf(this.embedded.url).port && isLoopbackHost(target.host);
  }

  /**
   * The job engine's own connections (claims, heartbeats, progress, job ends) and locks held for as
   * long as some work runs (a backup's stamp claim): a pool of their own on the app database,
   * created on first use, so work that holds connections (a COPY in its transaction, per-table
   * steps) can never starve a job's heartbeat or a held lock of the one it needs. In one shared
   * pool, DB_POOL_MAX=1 made a backup wait on itself until the pool timed out (503), and an async
   * job never ended. Embedded: the app pool itself (one process, one database session).
   */
  get appControl(): Pool {
    if (this.isEmbedded(this.app)) return this.app;
    this.controlPool ??= createPool(this.config.databaseUrl, { max: this.config.dbPoolMax, applicationName: 'text2sql-pipeline-control' }, this.logger);
    return this.controlPool;
  }

  async close(): Promise<void> {
    const pools = [...this.rolePools.values(), ...(this.controlPool ? [this.controlPool] : []), ...[...this.requestPools.values(), ...this.draining].map((c) => c.pool)];
    this.controlPool = null;
    this.rolePools.clear();
    this.requestPools.clear();
    this.draining.clear();
    await Promise.allSettled(pools.map((pool) => pool.end()));
  }
}
