/** Whether a task row exists: what the file and log routes need of the task store. */
export interface TaskLookup {
  exists(taskId: string): Promise<boolean>;
}
