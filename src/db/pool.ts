import pg from 'pg';
import type { Logger } from '../logger.js';
import { redactConnectionString } from './connection-string.js';
import './types.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type QueryResultRow = pg.QueryResultRow;

export interface SqlQuery {
  text: string;
  values?: unknown[];
}

export interface PoolOptions {
  max: number;
  applicationName?: string;
}

export function createPool(connectionString: string, options: PoolOptions, logger: Logger): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max,
    application_name: options.applicationName ?? 'text2sql-pipeline',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn({ err, db: redactConnectionString(connectionString) }, 'idle database client failed'));
  return pool;
}

export async function query<R extends QueryResultRow = QueryResultRow>(
  runner: Pool | PoolClient,
  sql: SqlQuery,
): Promise<R[]> {
  const result = await runner.query<R>(sql.text, sql.values);
  return result.rows;
}

export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    // A client whose COPY was aborted mid-stream may be out of protocol sync: never reuse it.
    if ((err as { code?: string }).code === undefined) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

export interface TransactionOptions {
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  readOnly?: boolean;
}

/** BEGIN → fn → COMMIT, or ROLLBACK on any error; the transaction is the unit of all-or-nothing. */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  return withClient(pool, async (client) => {
    const mode = [
      options.isolation ? `ISOLATION LEVEL ${options.isolation}` : '',
      options.readOnly ? 'READ ONLY' : '',
    ]
      .filter(Boolean)
      .join(' ');
    await client.query(`BEGIN ${mode}`.trim());
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
