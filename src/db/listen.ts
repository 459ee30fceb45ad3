import type { Logger } from '../logger.js';
import type { Pool, PoolClient } from './pool.js';

/**
 * LISTEN on a dedicated client for prompt wake-ups. Best effort: when it fails (or the server,
 * like an embedded one, has no NOTIFY), callers still poll. Returns a function that releases it.
 */
export async function listen(pool: Pool, channel: string, onNotify: () => void, logger: Logger): Promise<() => Promise<void>> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    client.on('notification', (msg) => {
      if (msg.channel === channel) onNotify();
    });
    client.on('error', (err) => logger.warn({ err }, 'LISTEN connection failed; relying on polling'));
    await client.query(`LISTEN ${channel}`);
  } catch (err) {
    logger.warn({ err }, 'LISTEN unavailable; relying on polling');
    client?.release(true);
    return async () => undefined;
  }
  const held = client;
  return async () => {
    await held.query(`UNLISTEN ${channel}`).catch(() => undefined);
    held.release(true);
  };
}
