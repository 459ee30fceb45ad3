import type { Pool } from '../db/pool.js';
import type { TaskLog } from '../task-files/task-log.js';

export interface StepProgress {
  done: number;
  total: number;
  /** What is counted: tables, themes, sqls, items. */
  unit: 'tables' | 'themes' | 'sqls' | 'items';
}

/** Everything a step needs about the task it runs for; no HTTP, no task tables. */
export interface StepContext {
  taskId: string;
  taskDir: string;
  /** The business database the task describes. */
  business: { pool: Pool; database: string };
  businessContext: string;
  log: TaskLog;
  progress(update: StepProgress): void;
  signal?: AbortSignal;
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}

/**
 * The `warning` a step's result carries when it completed but needs attention (ddl_generation
 * skipping tables the database lacks): the step row shows it as its error_message.
 */
export function stepWarning(result: unknown): string | null {
  const warning = (result as { warning?: unknown } | null | undefined)?.warning;
  return typeof warning === 'string' && warning !== '' ? warning : null;
}
