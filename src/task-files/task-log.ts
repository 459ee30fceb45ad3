import fs from 'node:fs';
import path from 'node:path';
import { redactSecrets } from '../db/connection-string.js';
import type { Logger } from '../logger.js';
import { APPEND_NO_FOLLOW } from '../lib/atomic-file.js';
import { localDateTime } from '../lib/time.js';
import { TASK_LOG_NAME } from './task-dir.js';

export type TaskLogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const CONSOLE_LEVEL = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' } as const;

/**
 * Appends to `<task dir>/data_pipeline.log` in the original's simple format,
 * `YYYY-MM-DD HH:MM:SS [LEVEL] <logger>: <message>`, which the log routes parse. Secrets in
 * messages are masked; multi-line messages keep continuation lines (the parser joins them).
 */
export class TaskLog {
  private readonly file: string;

  constructor(
    taskDir: string,
    private readonly loggerName: string,
    private readonly prefix = '',
    /** Also sends every line to the server's log (console, app.log): progress is visible without polling. */
    private readonly mirror?: Logger,
  ) {
    this.file = path.join(taskDir, TASK_LOG_NAME);
  }

  /** The same file under another logger name. */
  child(loggerName: string): TaskLog {
    return new TaskLog(path.dirname(this.file), loggerName, this.prefix, this.mirror);
  }

  /** The same log with every message tagged `[<step>]`, which the log routes read as the step. */
  forStep(step: string): TaskLog {
    return new TaskLog(path.dirname(this.file), this.loggerName, `[${step}] `, this.mirror?.child({ step }));
  }

  info(message: string): void {
    this.write('INFO', message);
  }

  warn(message: string): void {
    this.write('WARNING', message);
  }

  error(message: string): void {
    this.write('ERROR', message);
  }

  debug(message: string): void {
    this.write('DEBUG', message);
  }

  // Synchronous appends: lines from concurrent steps never interleave mid-line, and a crash
  // loses nothing already logged. Task logs are a few hundred lines, not a hot path.
  private write(level: TaskLogLevel, message: string): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(this.file, APPEND_NO_FOLLOW, 0o644);
    try {
      fs.writeSync(fd, `${localDateTime()} [${level}] ${this.loggerName}: ${this.prefix}${redactSecrets(message)}\n`);
    } finally {
      fs.closeSync(fd);
    }
    this.mirror?.[CONSOLE_LEVEL[level]](redactSecrets(message));
  }
}
