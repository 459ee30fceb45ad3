import fs from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from './config.js';

export type { Logger };

/**
 * The one root logger: to stdout (JSON lines, or readable lines with LOG_FORMAT=pretty) and JSON
 * lines to `<LOG_DIR>/app.log` either way. Authorization headers and anything that looks like a
 * connection string are redacted at the source.
 */
export function createLogger(
  config: Pick<Config, 'logDir' | 'logLevel' | 'logFormat'>,
  stdout: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): Logger {
  fs.mkdirSync(config.logDir, { recursive: true });
  // Opened here, synchronously: a destination still opening when the process exits (a start-up
  // failure a few ms in) makes pino's exit flush throw "sonic boom is not ready yet".
  const fd = fs.openSync(path.join(config.logDir, 'app.log'), 'a');
  const file = pino.destination({ dest: fd, sync: false });
  // pino-pretty as a stream in this thread (not a transport worker): lines written just before
  // process.exit() are not lost, and no worker thread runs beside the server.
  const console =
    config.logFormat === 'pretty'
      ? PinoPretty({
          destination: stdout,
          colorize: stdout.isTTY === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
          singleLine: true,
          sync: true,
        })
      : stdout;
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
    // Each stream takes every level the logger lets through (a multistream entry defaults to info,
    // which would hide LOG_LEVEL=debug).
    pino.multistream([
      { level: 'trace', stream: console },
      { level: 'trace', stream: file },
    ]),
  );
}
