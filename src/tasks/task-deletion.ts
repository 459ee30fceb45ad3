import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { query, withTransaction, type Pool } from '../db/pool.js';
import { isLiveJob, selectLiveJob, type JobRow } from '../db/sql/jobs.sql.js';
import { deleteTaskRow, lockTaskRow, markDirectoryDeleted } from '../db/sql/tasks.sql.js';
import { ConflictError, ERROR_TYPES, NotFoundError } from '../errors.js';
import { formatSize } from '../lib/format-size.js';
import { localIsoTimestamp } from '../lib/time.js';
import type { DataRoot } from '../lib/data-root.js';

export interface DeletedTask {
  success: true;
  task_id: string;
  directory_deleted: boolean;
  database_records_deleted: boolean;
  deleted_files_count: number;
  deleted_size: string;
  deleted_at: string;
  operation_message: string;
}

export interface FailedDeletion {
  task_id: string;
  error: string;
  error_code: 'DELETE_FAILED' | 'TASK_RUNNING' | 'INVALID_TASK_ID' | 'TASK_NOT_FOUND';
}

async function directoryUsage(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await fs.lstat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/** Deletes task directories (always inside the data root) and optionally their rows; never a running task. */
export class TaskDeletion {
  constructor(
    private readonly pool: Pool,
    private readonly dataRoot: DataRoot,
  ) {}

  async deleteOne(taskId: string, deleteRecords: boolean): Promise<DeletedTask> {
    this.dataRoot.assertTaskId(taskId);
    const outcome = await this.deleteTask(taskId, deleteRecords);
    if ('error' in outcome) {
      if (outcome.error_code === 'TASK_RUNNING') throw new ConflictError(outcome.error, ERROR_TYPES.TASK_ALREADY_RUNNING);
      throw new NotFoundError(outcome.error, ERROR_TYPES.TASK_NOT_FOUND);
    }
    return outcome;
  }

  async deleteMany(taskIds: string[], deleteRecords: boolean, continueOnError: boolean) {
    const deleted: DeletedTask[] = [];
    const failed: FailedDeletion[] = [];
    for (const taskId of taskIds) {
      let outcome: DeletedTask | FailedDeletion;
      try {
        this.dataRoot.assertTaskId(taskId);
        outcome = await this.deleteTask(taskId, deleteRecords);
      } catch (err) {
        outcome = { task_id: taskId, error: (err as Error).message, error_code: (err as { status?: number }).status === 400 ? 'INVALID_TASK_ID' : 'DELETE_FAILED' };
      }
      if ('error' in outcome) {
        failed.push(outcome);
        if (!continueOnError) break;
      } else {
        deleted.push(outcome);
      }
    }
    return {
      deleted_tasks: deleted,
      failed_tasks: failed,
      summary: { total_requested: taskIds.length, successfully_deleted: deleted.length, failed: failed.length },
      deleted_at: localIsoTimestamp(),
      response: responseText(deleted, failed),
    };
  }

  private async deleteTask(taskId: string, deleteRecords: boolean): Promise<DeletedTask | FailedDeletion> {
    const [job] = await query<JobRow>(this.pool, selectLiveJob(taskId));
    if (isLiveJob(job)) {
      return { task_id: taskId, error: `任务正在执行，请先取消: ${taskId}`, error_code: 'TASK_RUNNING' };
    }
    // Two DELETEs of one task used to race: both saw the directory, one removed it under the other's
    // recursive readdir (ENOENT → 500), or both answered 200. Now the row lock orders them and the
    // directory is detached by one atomic rename: exactly one caller gets it, the other sees neither
    // row nor directory and answers 404.
    const detached = await withTransaction(this.pool, async (client) => {
      await query(client, lockTaskRow(taskId));
      const update = deleteRecords ? deleteTaskRow(taskId) : markDirectoryDeleted(taskId);
      const rows = (await client.query(update.text, update.values)).rowCount ?? 0;
      return { rows, trash: await this.detachDirectory(taskId) };
    });
    const { rows, trash } = detached;
    if (trash === null && rows === 0) return { task_id: taskId, error: `任务不存在: ${taskId}`, error_code: 'TASK_NOT_FOUND' };
    const exists = trash !== null;
    const usage = trash ? await directoryUsage(trash) : { files: 0, bytes: 0 };
    if (trash) await fs.rm(trash, { recursive: true, force: true });
    return {
      success: true,
      task_id: taskId,
      directory_deleted: exists,
      database_records_deleted: deleteRecords && rows > 0,
      deleted_files_count: usage.files,
      deleted_size: formatSize(usage.bytes),
      deleted_at: localIsoTimestamp(),
      operation_message: exists ? '目录删除成功' : '目录不存在，无需删除',
    };
  }

  /**
   * Renames a task's directory to a hidden name in the data root (same file system, so atomic) and
   * returns that path, or null when there is no directory (already detached by a concurrent delete).
   * A symlink in its place is not a task directory and is left alone.
   */
  private async detachDirectory(taskId: string): Promise<string | null> {
    const dir = this.dataRoot.taskDir(taskId);
    if (!(await fs.lstat(dir).then((s) => s.isDirectory(), () => false))) return null;
    const trash = path.join(this.dataRoot.dir, `.deleting_${taskId}_${randomUUID()}`);
    try {
      await fs.rename(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return trash;
  }
}

function responseText(deleted: DeletedTask[], failed: FailedDeletion[]): string {
  if (deleted.length + failed.length === 1) {
    return deleted[0]?.operation_message ?? `任务删除失败: ${failed[0]!.error}`;
  }
  if (deleted.length === 0) return `批量删除失败：${failed.length}个任务处理失败`;
  if (failed.length > 0) return `批量删除部分完成：成功${deleted.length}个，失败${failed.length}个`;
  const removed = deleted.filter((d) => d.directory_deleted).length;
  const missing = deleted.length - removed;
  if (removed > 0 && missing > 0) return `批量操作完成：${removed}个目录已删除，${missing}个目录不存在`;
  if (removed > 0) return `批量删除完成：成功删除${removed}个目录`;
  return `批量操作完成：${missing}个目录不存在，无需删除`;
}
