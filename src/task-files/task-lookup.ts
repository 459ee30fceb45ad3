import { query, type Pool } from '../db/pool.js';
import { selectTask, type TaskRow } from '../db/sql/tasks.sql.js';
import { ERROR_TYPES, NotFoundError } from '../errors.js';
import type { DataRoot } from '../lib/data-root.js';

/** Reads one task's row; a seam, so file and log tests run without a database. */
export type FindTask = (taskId: string) => Promise<TaskRow | undefined>;

/** The row of a task in the app database. */
export function findTaskIn(pool: Pool): FindTask {
  return async (taskId) => (await query<TaskRow>(pool, selectTask(taskId)))[0];
}

/**
 * "Task exists or 404", the one rule every task route applies (tasks, files, logs): lives here, in
 * the lower layer, so tasks/ and task-files/ both use it without importing each other.
 */
export class TaskLookup {
  constructor(
    private readonly dataRoot: DataRoot,
    private readonly findTask: FindTask,
  ) {}

  /** 400 for a malformed id, 404 `任务不存在` when no task row has it; the row otherwise. */
  async requireTask(taskId: string): Promise<TaskRow> {
    this.dataRoot.assertTaskId(taskId);
    const task = await this.findTask(taskId);
    if (!task) throw new NotFoundError(`任务不存在: ${taskId}`, ERROR_TYPES.TASK_NOT_FOUND);
    return task;
  }
}
