import type { Config } from '../config.js';
import { ERROR_TYPES, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { databaseNameOf, hostOf, isPostgresUrl, redactConnectionString } from './connection-string.js';
import type { EmbeddedPostgres } from './embedded-postgres.js';
import { createPool, type Pool } from './pool.js';

/** Pools kept for connection strings given in requests (`db_connection`, `pg_conn`). */
const MAX_REQUEST_POOLS = 8;
const REQUEST_POOL_SIZE = 4;

export interface ResolvedDatabase {
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
}

/**
 * One pool per database role (app, vector, business), created once at start-up, plus a small
 * bounded cache of pools for connection strings that requests name. Never a pool per request.
 */
export class DatabaseRegistry {
  readonly app: Pool;
  readonly vector: Pool;
  readonly business: Pool;
  private readonly requestPools = new Map<string, Pool>();
  private readonly rolePools = new Map<string, Pool>();

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
    return {
      pool: rolePool ?? this.requestPool(connectionString, paramName),
      label: redactConnectionString(connectionString),
      database: databaseNameOf(connectionString),
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

  private requestPool(connectionString: string, paramName: string): Pool {
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
    if (this.embedded && new URL(connectionString).host === new URL(this.embedded.url).host) {
      return this.rolePools.get(this.embedded.url)!;
    }
    const existing = this.rolePools.get(connectionString) ?? this.requestPools.get(connectionString);
    if (existing) {
      // Refresh recency: Map iteration order is insertion order, so re-insert.
      if (this.requestPools.delete(connectionString)) this.requestPools.set(connectionString, existing);
      return existing;
    }
    if (this.requestPools.size >= MAX_REQUEST_POOLS) {
      const [oldestKey, oldest] = this.requestPools.entries().next().value as [string, Pool];
      this.requestPools.delete(oldestKey);
      // Ends once its checked-out clients are released; in-flight work is not interrupted.
      oldest.end().catch((err: unknown) => this.logger.warn({ err }, 'closing an evicted pool failed'));
    }
    const pool = createPool(connectionString, { max: REQUEST_POOL_SIZE }, this.logger);
    this.requestPools.set(connectionString, pool);
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.rolePools.values(), ...this.requestPools.values()];
    this.rolePools.clear();
    this.requestPools.clear();
    await Promise.allSettled(pools.map((pool) => pool.end()));
  }
}
