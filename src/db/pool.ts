import pg from 'pg';
import { CONNECT_PHASE } from '../error-map.js';
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

function markConnectPhase(err: Error): Error {
  if (err && typeof err === 'object') Object.defineProperty(err, CONNECT_PHASE, { value: true });
  return err;
}

/**
 * A client whose start-up errors are marked as such. A refusal at start-up (an unknown option, an
 * unsupported sslmode, a bad startup packet) often has no SQLSTATE of the 28/3D classes, or none
 * at all; the mark is what lets errors.ts tell "the connection string is wrong" from a query error
 * without reading message texts.
 */
class ConnectPhaseClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error | null, client?: pg.Client) => void): void;
  override connect(callback?: (err: Error | null, client?: pg.Client) => void): Promise<pg.Client> | void {
    // pg-pool connects with a callback; the promise form is kept for completeness.
    if (callback) return super.connect(((err: Error | null) => callback(err ? markConnectPhase(err) : null, this)) as (err: Error) => void);
    return super.connect().catch((err: Error) => {
      throw markConnectPhase(err);
    });
  }
}

export function createPool(connectionString: string, options: PoolOptions, logger: Logger): Pool {
  const pool = new pg.Pool({
    Client: ConnectPhaseClient,
    connectionString,
    max: options.max,
    application_name: options.applicationName ?? 'text2sql-pipeline',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server emits here; without a listener the process would crash.
  pool.on('error', (err) => logger.warn({ err, db: redactConnectionString(connectionString) }, 'idle database client failed'));
  // pg-pool removes its listener while a client is checked out: a connection killed between two
  // queries (server restart, DROP DATABASE … FORCE) would otherwise be an uncaught 'error' event.
  // The next query on that client fails and the caller handles that.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err, db: redactConnectionString(connectionString) }, 'database connection lost'));
  });
  return pool;
}

export async function query<R extends QueryResultRow = QueryResultRow>(
  runner: Pool | PoolClient,
  sql: SqlQuery,
): Promise<R[]> {
  const result = await runner.query<R>(sql.text, sql.values);
  return result.rows;
}

/** How long a ROLLBACK may take before the client is judged out of protocol sync and discarded. */
const ROLLBACK_TIMEOUT_MS = 5000;

/** Runs `fn` on a dedicated client; a client that saw a connection-level failure is discarded. */
export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    if (isBrokenConnection(err)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

export interface TransactionOptions {
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  readOnly?: boolean;
}

/**
 * BEGIN → fn → COMMIT, or ROLLBACK on any error; the transaction is the unit of all-or-nothing.
 * A client whose ROLLBACK fails or hangs (e.g. a COPY TO aborted mid-stream) is destroyed rather
 * than returned to the pool.
 */
export async function withTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  const mode = [options.isolation ? `ISOLATION LEVEL ${options.isolation}` : '', options.readOnly ? 'READ ONLY' : '']
    .filter(Boolean)
    .join(' ');
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN ${mode}`.trim());
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = await rollback(client);
    throw err;
  } finally {
    client.release(broken);
  }
}

async function rollback(client: PoolClient): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.query('ROLLBACK'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('ROLLBACK did not complete')), ROLLBACK_TIMEOUT_MS);
      }),
    ]);
    return undefined;
  } catch (err) {
    return err as Error;
  } finally {
    clearTimeout(timer);
  }
}

/** SQLSTATE class 08 / admin shutdown, or a socket error (ECONNRESET…): the connection is gone. */
function isBrokenConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (/^(08|57P0)/.test(code) || /^E[A-Z]+$/.test(code));
}
