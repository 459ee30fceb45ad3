import pg from 'pg';
import type { Pool, PoolClient } from './pool.js';
import { cancelBackend } from './sql/backend.sql.js';

/**
 * Runs `fn` (statements on `client`) so that `signal` cancels the statement running on the server.
 * pipeline({ signal }) stops a COPY, but a plain statement waiting for a lock (a TRUNCATE queued
 * behind a reader) never looks at the signal: only the server can end that wait. The cancel goes
 * through a connection of its own, never the pool, which may be the thing that is exhausted.
 * It is awaited before `fn`'s transaction ends, so it can never reach a later user of the client
 * (and a cancel that reaches an idle backend is discarded by the server).
 */
export async function withCancelOnAbort<T>(pool: Pool, client: PoolClient, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  if (!signal) return fn();
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    cancelling = cancelRunningStatement(pool, client).catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    signal.throwIfAborted();
    return await fn();
  } finally {
    signal.removeEventListener('abort', onAbort);
    await cancelling;
  }
}

async function cancelRunningStatement(pool: Pool, client: PoolClient): Promise<void> {
  // The backend pid from BackendKeyData; pg keeps it on the client but its types do not say so.
  const pid = (client as unknown as { processID?: number | null }).processID;
  if (!pid) return;
  const canceller = new pg.Client({ ...pool.options, application_name: 'text2sql-pipeline-cancel' });
  canceller.on('error', () => undefined);
  await canceller.connect();
  try {
    const sql = cancelBackend(pid);
    await canceller.query(sql.text, sql.values);
  } finally {
    await canceller.end();
  }
}
