import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * The one root logger: JSON lines to stdout and to `<LOG_DIR>/app.log`. Authorization headers and
 * anything that looks like a connection string are redacted at the source.
 */
export function createLogger(config: Pick<Config, 'logDir' | 'logLevel'>): Logger {
  fs.mkdirSync(config.logDir, { recursive: true });
  // Opened here, synchronously: a destination still opening when the process exits (a start-up
  // failure a few ms in) makes pino's exit flush throw "sonic boom is not ready yet".
  const fd = fs.openSync(path.join(config.logDir, 'app.log'), 'a');
  const file = pino.destination({ dest: fd, sync: false });
  return pino(
    {
      level: config.logLevel,
      base: { service: 'text2sql-pipeline' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'db_connection',
          'pg_conn',
          '*.db_connection',
          '*.pg_conn',
          'connectionString',
          // Backup store credentials (config.backupStorage.credentials), wherever a config lands in a log.
          'credentials',
          '*.credentials',
          '*.*.credentials',
          'secretAccessKey',
          '*.secretAccessKey',
        ],
        censor: '***',
      },
    },
    pino.multistream([{ stream: process.stdout }, { stream: file }]),
  );
}
