import pg from 'pg';
import type { Logger } from '../logger.js';

/**
 * LISTEN on a dedicated connection (never one of the pool's, which it would hold forever) for
 * prompt wake-ups. Best effort: when it fails, callers still poll. Returns a function that ends it.
 */
export async function listen(connectionString: string, channel: string, onNotify: (payload: string | undefined) => void, logger: Logger): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString, application_name: 'text2sql-pipeline-listen' });
  client.on('notification', (msg) => {
    if (msg.channel === channel) onNotify(msg.payload);
  });
  client.on('error', (err) => logger.warn({ err }, 'LISTEN connection failed; relying on polling'));
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
  } catch (err) {
    logger.warn({ err }, 'LISTEN unavailable; relying on polling');
    await client.end().catch(() => undefined);
    return async () => undefined;
  }
  return async () => {
    await client.end().catch(() => undefined);
  };
}
